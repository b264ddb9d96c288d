/**
 * Replies of the request route. API Gateway sends the `body` of what the
 * Lambda returns back to the caller (the route has a route response), so a
 * reply is `{ statusCode: 200, body: JSON.stringify(reply) }` — errors too: a
 * bad request gets an error reply and the connection stays open.
 *
 * `wsErrorReply` turns what a request threw into its error reply
 * (error-reply.ts says how).
 */
import type { MiddlewareObj, Request } from '@middy/core';
import type { ErrorReply, Reply } from '#shared/protocol/messages';
import { errorReplyOf } from './error-reply';
import { parseRequest } from '#shared/protocol/requests';
import { messageBody, type WebSocketEvent } from './events';
import type { Logger } from './logger';

/** What the request Lambda returns to API Gateway. */
export interface WebSocketResponse {
  statusCode: 200;
  body: string;
}

export function replyResponse(reply: Reply): WebSocketResponse {
  return { statusCode: 200, body: JSON.stringify(reply) };
}

export interface WsErrorReplyOptions {
  logger: Logger;
}

/**
 * The action and requestId to echo, recovered from the message the same way
 * the request parser does. Only used on the error path.
 */
export function echoOf(event: WebSocketEvent | undefined): Pick<ErrorReply, 'action' | 'requestId'> {
  const parsed = parseRequest(event === undefined ? undefined : messageBody(event));
  if (parsed.ok) return { action: parsed.request.action, requestId: parsed.request.requestId };
  return { action: parsed.action, requestId: parsed.requestId };
}

export function wsErrorReply(options: WsErrorReplyOptions): MiddlewareObj<WebSocketEvent, WebSocketResponse> {
  const { logger } = options;

  const wsErrorReplyOnError = (request: Request<WebSocketEvent, WebSocketResponse>): void => {
    const { error, event } = request;
    const connectionId = event?.requestContext?.connectionId;
    request.response = replyResponse(errorReplyOf(error, echoOf(event), logger, { connectionId }));
  };

  return { onError: wsErrorReplyOnError };
}
