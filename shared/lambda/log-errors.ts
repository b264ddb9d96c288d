/**
 * Logs an error with the event's identifying fields, then lets it propagate:
 * for $disconnect and the fan-out a failure must stay a failed invocation (the
 * fan-out's SNS delivery is then retried), but with a readable log line first.
 */
import type { MiddlewareObj, Request } from '@middy/core';
import type { Logger, LogFields } from './logger';

export interface LogErrorsOptions<TEvent> {
  logger: Logger;
  /** Fields of the event worth logging with the error (ids, counts); never message bodies. */
  fields?: (event: TEvent) => LogFields;
}

export function logErrors<TEvent>(options: LogErrorsOptions<TEvent>): MiddlewareObj<TEvent> {
  const { logger, fields } = options;

  const logErrorsOnError = (request: Request<TEvent>): void => {
    let context: LogFields = {};
    try {
      context = fields?.(request.event) ?? {};
    } catch {
      // A malformed event must not hide the error being logged.
    }
    logger.error('invocation failed', { ...context, error: request.error });
    // request.response stays unset: middy rethrows the error.
  };

  return { onError: logErrorsOnError };
}
