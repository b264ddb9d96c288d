/**
 * The one error type MeshClient rejects with and emits. `errorType` is what a
 * program acts on: the server's types (wire protocol v1) plus a few the client
 * raises itself when a reply cannot come.
 */
import { DISCONNECTING_ERRORS, type ErrorType } from '#shared/protocol/messages';

/** Raised by the client itself, never by the server. */
export type ClientErrorType =
  /** No reply within `requestTimeoutMs`. */
  | 'Timeout'
  /** The connection closed before the reply came (or was not open). */
  | 'ConnectionClosed'
  /**
   * Reconnecting gave up (state `failed`: `maxReconnectAttempts` reached, or
   * `reconnect: false` and the connection dropped). Every call rejects with it
   * until the program calls `connect()` again.
   */
  | 'ConnectionFailed'
  /** The client was closed with `close()`. */
  | 'ClientClosed'
  /** The call needs a group and the client is in none. */
  | 'NotInGroup';

export type MeshErrorType = ErrorType | ClientErrorType;

export interface MeshErrorDetails {
  /** The action of the request that failed, when there was one. */
  action?: string;
  requestId?: string;
}

export class MeshError extends Error {
  /** What went wrong; programs branch on this, never on `message`. */
  readonly errorType: MeshErrorType;
  /**
   * True for GroupNotFound, Unauthorized and NodeNotFound: the group (or this
   * node in it) is gone for good, so the client leaves the group state and
   * emits `disconnect`.
   */
  readonly shouldDisconnect: boolean;
  readonly action?: string;
  readonly requestId?: string;

  constructor(errorType: MeshErrorType, message: string, details: MeshErrorDetails = {}) {
    super(message);
    this.name = 'MeshError';
    this.errorType = errorType;
    this.shouldDisconnect = isDisconnecting(errorType);
    this.action = details.action;
    this.requestId = details.requestId;
  }
}

function isDisconnecting(errorType: MeshErrorType): boolean {
  return (DISCONNECTING_ERRORS as readonly string[]).includes(errorType);
}

export function isMeshError(error: unknown): error is MeshError {
  return error instanceof MeshError;
}

/**
 * True when the request may well succeed on a new connection (nothing was
 * refused) that the client opens by itself. Not `ConnectionFailed`: the client
 * has stopped trying, so retrying is pointless until `connect()` is called.
 */
export function isConnectionError(error: unknown): boolean {
  return isMeshError(error) && (error.errorType === 'ConnectionClosed' || error.errorType === 'Timeout');
}
