/**
 * The connection states as data, in the manner of ably-js's connectionmanager:
 * each state says what a call does in it, what `connect()` does, whether the
 * client retries by itself, and which states may follow. The connection moves
 * only through `Connection.transition()`, which checks `next` and emits
 * `stateChange`; everything else reads this table instead of asking "is there
 * a socket? are we reconnecting?".
 */
import type { ClientErrorType, MeshError } from '../errors';

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'failed' | 'closed';

/** What a call (any request the program makes) does in a state. */
export type OnRequest =
  /** It goes out on the socket at once. */
  | 'send'
  /** It opens the connection first, then goes out (the first call needs no explicit `connect()`). */
  | 'connect'
  /** It waits for `open`, within its own `requestTimeoutMs`; fails if the state lands elsewhere. */
  | 'queue'
  /** It rejects at once with `rejectWith`. */
  | 'reject';

/** What `connect()` does in a state. */
export type OnConnect =
  /** Starts a new attempt (from scratch: no group, attempt count 0) and waits for it. */
  | 'start'
  /** Waits for `open`; rejects if the state lands in `idle`, `failed` or `closed` instead. */
  | 'wait'
  /** Resolves at once. */
  | 'done'
  /** Rejects at once with `rejectWith`. */
  | 'reject';

export interface StateSpec {
  /** Nothing leaves this state by itself: only the program (`connect()`, `close()`). */
  terminal: boolean;
  requests: OnRequest;
  connect: OnConnect;
  /** The error of a call refused here. */
  rejectWith?: ClientErrorType;
  /** The client is retrying by itself, with backoff. */
  retry: boolean;
  /** The states this one may move to. */
  next: readonly ConnectionState[];
}

export const STATES: Readonly<Record<ConnectionState, StateSpec>> = {
  /** Never connected, or the last `connect()` failed: the next call connects. */
  idle: { terminal: true, requests: 'connect', connect: 'start', retry: false, next: ['connecting', 'closed'] },
  /** Opening the socket, at the program's request. */
  connecting: { terminal: false, requests: 'queue', connect: 'wait', retry: false, next: ['open', 'idle', 'closed'] },
  /** The socket is open and the group (if any) is restored. */
  open: {
    terminal: false,
    requests: 'send',
    connect: 'done',
    retry: false,
    next: ['reconnecting', 'failed', 'closed'],
  },
  /**
   * The socket dropped: backing off, reopening, rejoining. Calls wait rather
   * than fail, so a program need not tell a short cut from a healthy link;
   * the client's own rejoin requests go out as soon as the socket is open.
   */
  reconnecting: {
    terminal: false,
    requests: 'queue',
    connect: 'wait',
    retry: true,
    next: ['open', 'failed', 'closed'],
  },
  /**
   * Reconnecting gave up (or `reconnect: false` and the socket dropped). Calls
   * fail rather than quietly open a new connection; `connect()` starts afresh.
   */
  failed: {
    terminal: true,
    requests: 'reject',
    connect: 'start',
    rejectWith: 'ConnectionFailed',
    retry: false,
    next: ['connecting', 'closed'],
  },
  /** `close()` was called: for good. */
  closed: { terminal: true, requests: 'reject', connect: 'reject', rejectWith: 'ClientClosed', retry: false, next: [] },
};

/** The payload of `stateChange`. */
export interface StateChange {
  previous: ConnectionState;
  current: ConnectionState;
  /** Why, when the move was not asked for: the drop, the give-up, the failed attempt. */
  reason?: MeshError;
}

/** True when the table allows `from` → `to`. */
export function canMove(from: ConnectionState, to: ConnectionState): boolean {
  return STATES[from].next.includes(to);
}
