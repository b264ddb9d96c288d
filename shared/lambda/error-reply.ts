/**
 * The one place where what a request threw becomes its error reply, for
 * both transports (ws-reply.ts, http-reply.ts): a MeshError becomes its own
 * errorType and message; anything else becomes InternalError with a fixed
 * message, and its detail (stack included) goes to the log only, never to
 * the client. The request functions' metrics count refusals by the same
 * rule (errorTypeOf, request-metrics.ts).
 */
import { isMeshError } from '#shared/core/errors';
import type { ErrorReply, ErrorType } from '#shared/protocol/messages';
import type { Logger } from './logger';

/** The message sent for any error that is not a MeshError. */
export const INTERNAL_ERROR_MESSAGE = 'internal error; the request may not have been applied';

/** The error reply to `error`, logged with the request's `echo` and `where` (its connection or caller). */
export function errorReplyOf(
  error: unknown,
  echo: Pick<ErrorReply, 'action' | 'requestId'>,
  logger: Logger,
  where: Record<string, unknown>,
): ErrorReply {
  const errorType = errorTypeOf(error);
  if (isMeshError(error)) {
    logger.info('request refused', { ...echo, ...where, errorType, reason: error.message });
    return { type: 'error', ...echo, errorType, message: error.message };
  }
  logger.error('request failed', { ...echo, ...where, error });
  return { type: 'error', ...echo, errorType, message: INTERNAL_ERROR_MESSAGE };
}

/** The errorType of the reply `error` becomes: its own for a MeshError, InternalError for anything else. */
export function errorTypeOf(error: unknown): ErrorType {
  return isMeshError(error) ? error.errorType : 'InternalError';
}
