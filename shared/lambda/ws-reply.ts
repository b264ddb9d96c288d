/**
 * Replies of the request route. API Gateway sends the `body` of what the
 * Lambda returns back to the caller (the route has a route response), so a
 * reply is `{ statusCode: 200, body: JSON.stringify(reply) }` — errors too: a
 * bad request gets an error reply and the connection stays open.
 *
 * `wsErrorReply` is the one place where thrown errors become replies:
 * a MeshError becomes its own errorType and message; anything else becomes
 * InternalError with a fixed message, and its detail (stack included) goes to
 * the log only, never to the client.
 */
import type { MiddlewareObj, Request } from '@middy/core';
import { isMeshError } from '#shared/core/errors';
import type { ErrorReply, Reply } from '#shared/protocol/messages';
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

/** The message sent for any error that is not a MeshError. */
export const INTERNAL_ERROR_MESSAGE = 'internal error; the request may not have been applied';

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
    const echo = echoOf(event);
    const connectionId = event?.requestContext?.connectionId;
    let reply: ErrorReply;
    if (isMeshError(error)) {
      reply = { type: 'error', ...echo, errorType: error.errorType, message: error.message };
      logger.info('request refused', { ...echo, connectionId, errorType: error.errorType, reason: error.message });
    } else {
      reply = { type: 'error', ...echo, errorType: 'InternalError', message: INTERNAL_ERROR_MESSAGE };
      logger.error('request failed', { ...echo, connectionId, error });
    }
    request.response = replyResponse(reply);
  };

  return { onError: wsErrorReplyOnError };
}
