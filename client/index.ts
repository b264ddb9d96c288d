/**
 * The Mesh client SDK: `MeshClient` and what its API names. Protocol types
 * come from shared/protocol (types only: the browser bundle carries no schema
 * library).
 */
export { MeshClient } from './mesh-client';
export type {
  ConnectionState,
  GroupState,
  MeshClientEvents,
  MeshClientOptions,
  MeshClientStats,
  StateChange,
  Transport,
} from './options';
export { MeshError, isMeshError, isConnectionError } from './errors';
export type { ClientErrorType, MeshErrorType } from './errors';
export type { ActionResults } from '#shared/protocol/results';
export type { ReplayMode } from './replay';
export type { MemberChange } from './roster';
export type { TokenStorage } from './node-tokens';
export type { StatusValue } from './limiter';
export type { EventInput } from './event-queue';
export type { SocketLike, WebSocketConstructor } from './transport';
export { backoffDelay } from './backoff';
export { splitIntoBatches } from './event-queue';
export { LIMITS } from '#shared/protocol/limits';
export { DISCONNECTING_ERRORS } from '#shared/protocol/messages';
export type { Action, ArgsOf } from '#shared/protocol/args';
export type { ErrorType, Push } from '#shared/protocol/messages';
export type {
  BatchEvent,
  Group,
  GroupDissolvePayload,
  MeshEvent,
  Node,
  NodeStatus,
  NodeTokenGrant,
  StatusEntry,
} from '#shared/protocol/types';
