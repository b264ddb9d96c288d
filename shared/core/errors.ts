/**
 * Typed errors of the mesh. A use case throws them; one place (the request
 * handler's error middleware) turns them into `error` replies. Anything else
 * thrown is an InternalError whose detail is logged, never sent to a client.
 */
import type { ErrorType } from '../protocol/messages';

export class MeshError extends Error {
  constructor(
    readonly errorType: ErrorType,
    message: string,
  ) {
    super(message);
    this.name = errorType;
  }
}

export class GroupNotFound extends MeshError {
  constructor(message = 'group not found, dissolved or expired') {
    super('GroupNotFound', message);
  }
}

export class NodeNotFound extends MeshError {
  constructor(message = 'node not found in the group, or expired') {
    super('NodeNotFound', message);
  }
}

export class Unauthorized extends MeshError {
  constructor(message: string) {
    super('Unauthorized', message);
  }
}

export class ValidationError extends MeshError {
  constructor(message: string) {
    super('ValidationError', message);
  }
}

/**
 * The connection sent more requests than its rate allows: this one did
 * nothing; send again later. `closesConnection`: it kept on far over its
 * rate, and the mesh closes it after this reply (rate-limit.ts).
 */
export class RateLimited extends MeshError {
  constructor(
    message: string,
    readonly closesConnection = false,
  ) {
    super('RateLimited', message);
  }
}

/** A cap of the deployment (members per group, groups per domain) is reached: nothing was created. */
export class LimitExceeded extends MeshError {
  constructor(message: string) {
    super('LimitExceeded', message);
  }
}

/** A poller's cursor points into what the group's log no longer keeps: events were missed; reload the status. */
export class CursorExpired extends MeshError {
  constructor(message: string) {
    super('CursorExpired', message);
  }
}

export function isMeshError(error: unknown): error is MeshError {
  return error instanceof MeshError;
}
