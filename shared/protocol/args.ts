/**
 * What a caller passes for each request action of wire protocol v1: the
 * request without `action` and the envelope's fields, as plain types.
 *
 * The schemas in requests.ts stay the one definition of what the server
 * accepts; these types mirror them for the client SDK, whose published
 * declarations (`npm run build:client`) must not need zod to be read.
 * requests.ts fails to compile when a schema and its entry here disagree.
 */
import type { StatusEntry } from './types';

/** One event of `fireEventsByNode`, as the client sends it. */
export interface EventArgs {
  eventName: string;
  payload?: string | null;
  /** ISO 8601 date-time: when the sender fired it. */
  firedAt: string;
  /** The sender's order string, echoed on the event: it orders events of one sender fired in the same moment. */
  orderKey?: string;
}

/** The arguments of every action, by action. */
export interface ActionArgs {
  createDomain: Record<never, never>;
  createGroup: {
    name: string;
    hostId: string;
    domain: string;
    maxConnectionTimeSeconds?: number;
    useWebSocket?: boolean;
  };
  listGroupsByDomain: { domain: string };
  /** Live groups of any domain whose name starts with `namePrefix` (1-6 characters, case-sensitive); at most 10, or `limit` if fewer. */
  searchGroupsByNamePrefix: { namePrefix: string; limit?: number | null };
  joinGroup: {
    groupId: string;
    domain: string;
    nodeId: string;
    /** How this node receives: false, by polling (recorded on the node). Default: the group's setting. */
    useWebSocket?: boolean | null;
  };
  leaveGroup: { groupId: string; domain: string; nodeId: string };
  dissolveGroup: { groupId: string; domain: string; hostId: string };
  renewHeartbeat: { groupId: string; domain: string; hostId: string };
  sendMemberHeartbeat: { groupId: string; domain: string; nodeId: string };
  reportDataByNode: { groupId: string; domain: string; nodeId: string; data: StatusEntry[] };
  fireEventsByNode: { groupId: string; domain: string; nodeId: string; events: EventArgs[] };
  /** `groupId` and `domain` default to the caller's own group. */
  getNodeStatus: { nodeId: string; groupId?: string; domain?: string };
  listGroupStatuses: { groupId: string; domain: string; nextToken?: string };
  listNodesInGroup: { groupId: string; domain: string; nextToken?: string };
  /** fireEventsByNode for a polling node: the same batch, answered with the log cursor after it. */
  recordEventsByNode: { groupId: string; domain: string; nodeId: string; events: EventArgs[] };
  /** The group's events after `since` ("" for the oldest kept), oldest first, at most 100. */
  getEventsSince: { groupId: string; domain: string; since: string };
  /** getEventsSince and listGroupStatuses in one request: a poller's one call per interval. */
  pollGroupData: { groupId: string; domain: string; since: string };
  /** The group's pushes from log position `pos` on (a push's `pos`): what a client back from a drop missed. */
  getPushesSince: { groupId: string; domain: string; pos: number };
  /** The operator console (shared/protocol/console.ts): a snapshot of the mesh, monitoring on for the lease. */
  watchMesh: { adminToken: string };
  /** The console: one group's full status, and its pushes to this viewer for the lease. */
  watchGroup: { adminToken: string; groupId: string; domain: string };
  /** The console: this viewer stops watching. */
  unwatchMesh: { adminToken: string };
}

export type Action = keyof ActionArgs;

/** The fields any request may carry besides `action` and its arguments. */
export interface RequestEnvelope {
  /** Echoed on the reply, so the caller can match replies to requests. */
  requestId?: string;
  /**
   * The node's secret, handed out once by the createGroup or joinGroup that
   * created the node. Over HTTPS it is how a request proves which node it acts
   * as (there is no connection to be bound to). Over a WebSocket the
   * connection does that, and only createGroup and joinGroup read it: to take
   * the node over from another connection (a reconnect).
   */
  nodeToken?: string;
  /**
   * True on the first request a client sends over HTTPS after its WebSocket
   * would not open (MeshClient's transport 'auto'): once per fallback, so
   * the operator's PollingFallbacks metric counts clients whose network
   * blocks WebSockets. The server only counts it; a WebSocket request's is
   * ignored.
   */
  transportFallback?: boolean;
}

/** What a caller passes for an action: its arguments, and the node's token where it has one. */
export type ArgsOf<A extends Action> = ActionArgs[A] & Pick<RequestEnvelope, 'nodeToken'>;
