/**
 * The frames of wire protocol v1 that the server sends: one reply per request
 * (to the caller only, as the route's response) and pushes to the other
 * members of a group.
 */
import type { Action } from './args';
import type { MeshRound } from './console';
import type { BatchEvent, GroupDissolvePayload, NodePresence, NodeStatus } from './types';

/** Error types a client acts on (see docs/protocol.md). */
export const ERROR_TYPES = [
  'GroupNotFound',
  'Unauthorized',
  'NodeNotFound',
  'ValidationError',
  'InternalError',
  'RateLimited',
  'LimitExceeded',
  'CursorExpired',
] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];

/** Errors after which a Mesh client leaves the group (as Mesh v2's extension does). */
export const DISCONNECTING_ERRORS: readonly ErrorType[] = ['GroupNotFound', 'Unauthorized', 'NodeNotFound'];

export interface ResultReply<T = unknown> {
  type: 'result';
  action: Action;
  requestId?: string;
  data: T;
  /** List actions only: pass it back to read the next page. */
  nextToken?: string;
}

export interface ErrorReply {
  type: 'error';
  /** Absent when the message named no action. */
  action?: string;
  requestId?: string;
  errorType: ErrorType;
  message: string;
}

export type Reply<T = unknown> = ResultReply<T> | ErrorReply;

/**
 * Ordering and de-duplication fields every push carries. SNS delivers at least
 * once and unordered, so a receiver keeps, per `(from, epoch)`, the highest
 * `seq` it has delivered: a push with a seq at or below it is a duplicate, one
 * above the next expected is early and waits for the gap to fill.
 */
export interface PushOrder {
  /** The sending node's id. */
  from: string;
  /** Changes whenever the sender's node is created anew (join after leave or expiry). */
  epoch: string;
  /** 1, 2, 3, … per (from, epoch), allocated by the server. */
  seq: number;
  /** Server time the push was published (ISO 8601). */
  sentAt: string;
  /**
   * The push's position in its group's log, set as the fan-out posts it: a
   * client back from a drop reads what it missed after it (getPushesSince).
   * Absent on pushes read back from the log.
   */
  pos?: number;
}

export type PushPayload =
  | { nodeStatus: NodeStatus }
  | { batchEvent: BatchEvent }
  | { groupDissolve: GroupDissolvePayload }
  | { nodePresence: NodePresence }
  /** Only on the console's log, to its viewers (console.ts). */
  | { meshRound: MeshRound };

export type Push = { type: 'message'; groupId: string; domain: string } & PushOrder & PushPayload;

/**
 * Several pushes of one group in one frame: the fan-out gathers a group's
 * pushes for a short window and posts each member one frame with every push
 * it has not sent itself. Each push keeps its own ordering fields, so a
 * receiver handles them exactly as if they had come one frame each, in order.
 */
export interface PushBatch {
  type: 'messages';
  groupId: string;
  domain: string;
  messages: Push[];
}

export type ServerFrame = Reply | Push | PushBatch;

/** The pushes a server frame carries, in order (none for a reply). */
export function pushesOf(frame: ServerFrame): Push[] {
  if (frame.type === 'message') return [frame];
  if (frame.type === 'messages') return Array.isArray(frame.messages) ? frame.messages : [];
  return [];
}
