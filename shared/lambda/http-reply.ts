/**
 * Replies of the HTTPS endpoint: the same envelope as on the WebSocket, as
 * the JSON body, with an HTTP status that says what kind of answer it is, so
 * a plain HTTP client (and a school's proxy log) can tell a refusal from a
 * result without reading the body. The errorType in the body stays the
 * contract; the status is a summary of it.
 */
import type { MiddlewareObj, Request } from '@middy/core';
import type { ErrorReply, ErrorType, Reply } from '#shared/protocol/messages';
import { parseRequest } from '#shared/protocol/requests';
import { errorReplyOf } from './error-reply';
import { httpBody, type HttpApiEvent, type HttpApiResponse } from './http-events';
import type { Logger } from './logger';

/** The status of each error reply. */
export const HTTP_STATUS_OF_ERROR: Record<ErrorType, number> = {
  ValidationError: 400,
  // The request is well formed but may not act as that node (no token, or another node's).
  Unauthorized: 403,
  GroupNotFound: 404,
  NodeNotFound: 404,
  // A cap is reached: the request would conflict with what the group or domain holds now.
  LimitExceeded: 409,
  // What the cursor points at is no longer kept: gone, for good.
  CursorExpired: 410,
  RateLimited: 429,
  InternalError: 500,
};

/** A reply as the HTTP API's response: 200 for a result, the error's status otherwise. */
export function httpResponse(reply: Reply): HttpApiResponse {
  return {
    statusCode: reply.type === 'error' ? HTTP_STATUS_OF_ERROR[reply.errorType] : 200,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    body: JSON.stringify(reply),
  };
}

/** The action and requestId to echo on an error, recovered from the body as the parser does. */
function echoOfHttp(event: HttpApiEvent | undefined): Pick<ErrorReply, 'action' | 'requestId'> {
  const parsed = parseRequest(event === undefined ? undefined : httpBody(event));
  if (parsed.ok) return { action: parsed.request.action, requestId: parsed.request.requestId };
  return { action: parsed.action, requestId: parsed.requestId };
}

/** Turns what the request threw into its error reply and status (error-reply.ts says how). */
export function httpErrorReply(options: { logger: Logger }): MiddlewareObj<HttpApiEvent, HttpApiResponse> {
  const httpErrorReplyOnError = (request: Request<HttpApiEvent, HttpApiResponse>): void => {
    const { error, event } = request;
    const sourceIp = event?.requestContext?.http?.sourceIp;
    request.response = httpResponse(errorReplyOf(error, echoOfHttp(event), options.logger, { sourceIp, via: 'https' }));
  };
  return { onError: httpErrorReplyOnError };
}
