/**
 * What a caller passes for each request action of wire protocol v1: the
 * request without `action` and `requestId`, as plain types.
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
    /** The host node's token: needed when this connection is not the host's (a reconnect). */
    nodeToken?: string;
  };
  listGroupsByDomain: { domain: string };
  /** `nodeToken`: needed to rejoin as a live node bound to another connection (a reconnect). */
  joinGroup: {
    groupId: string;
    domain: string;
    nodeId: string;
    nodeToken?: string;
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
}

export type Action = keyof ActionArgs;

/** What a caller passes for an action: the request without `action` and `requestId`. */
export type ArgsOf<A extends Action> = ActionArgs[A];
