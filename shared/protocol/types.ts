/**
 * Shapes of the data the server returns and pushes, as in the Mesh v2 GraphQL
 * schema. Timestamps are ISO 8601 strings with milliseconds.
 */

export interface Group {
  id: string;
  domain: string;
  /** `{id}@{domain}` */
  fullId: string;
  name: string;
  hostId: string;
  createdAt: string;
  expiresAt: string;
  heartbeatIntervalSeconds: number;
  useWebSocket: boolean;
  /** Polling mode only (useWebSocket false). */
  pollingIntervalSeconds?: number;
}

/**
 * In the reply of the createGroup or joinGroup that created a node, and only
 * there: the node's secret. Keep it; present it as `nodeToken` to act as the
 * node from another connection (a rejoin after a reconnect).
 */
export interface NodeTokenGrant {
  nodeToken?: string;
}

/**
 * In the reply of the joinGroup that created a node (not in Mesh v2): every
 * other live node's push sequence, read once the node was subscribed. A
 * receiver starts each sender there: it waits for none of the pushes a
 * sender made before, and every push a sender makes after is posted to it.
 * Pushes travel apart from replies, so some of those can come before this
 * reply; a receiver keeps them until it has the reply (MeshClient does).
 */
export interface SenderPositions {
  senders?: SenderSeq[];
}

/** A sender's `(from, epoch)` and the last `seq` it had been given. */
export interface SenderSeq {
  nodeId: string;
  epoch: string;
  seq: number;
}

export interface Node {
  id: string;
  name: string;
  groupId: string;
  domain: string;
  /** The group's expiresAt. */
  expiresAt: string;
  /** How often this node should send its heartbeat. */
  heartbeatIntervalSeconds: number;
  /** How this node receives: pushes over its WebSocket, or (false) polling. */
  useWebSocket: boolean;
  /** Polling only (useWebSocket false): how often to poll. */
  pollingIntervalSeconds?: number;
}

export interface StatusEntry {
  key: string;
  value: string;
}

export interface NodeStatus {
  nodeId: string;
  groupId: string;
  domain: string;
  data: StatusEntry[];
  timestamp: string;
}

export interface MeshEvent {
  name: string;
  firedByNodeId: string;
  groupId: string;
  domain: string;
  payload: string | null;
  /** The sender's firedAt. */
  timestamp: string;
  /** The sender's order string, when it gave one. */
  orderKey?: string;
}

/** An event read from the group's log by a polling node: `cursor` is where to read on from (opaque). */
export type PolledEvent = MeshEvent & { cursor: string };

/** A presence change read from the group's log by a polling node, with the cursor after it. */
export type PolledPresence = NodePresence & { cursor: string };

/**
 * pollGroupData's answer: the events after the cursor and every live node's
 * full status; and, which Mesh v2 had not, the presence changes after the
 * cursor (in log order with the events: compare cursors) and `nextSince`,
 * the cursor after everything read, to read on from.
 */
export interface PollGroupData {
  events: PolledEvent[];
  nodeStatuses: NodeStatus[];
  presence: PolledPresence[];
  nextSince: string;
}

/** recordEventsByNode's answer: `nextSince` is the cursor just after the events recorded. */
export interface RecordEventsPayload {
  groupId: string;
  domain: string;
  recordedCount: number;
  nextSince: string;
}

export interface BatchEvent {
  events: MeshEvent[];
  firedByNodeId: string;
  groupId: string;
  domain: string;
  /** Server time of the batch. */
  timestamp: string;
}

export interface GroupDissolvePayload {
  groupId: string;
  domain: string;
  message: string;
}

/**
 * Who is in the group: a node joined, left (leaveGroup), or was dropped (its
 * heartbeat TTL passed, or it disconnected and did not come back within the
 * grace period). Sent from the node itself, in its own seq order, so a
 * receiver sees a node's join before its first status and its leave after its
 * last.
 */
export interface NodePresence {
  groupId: string;
  domain: string;
  nodeId: string;
  change: PresenceChange;
  /** Server time of the change (ISO 8601). */
  timestamp: string;
}

/** 'joined'; 'left' (it said so); 'expired' (its heartbeat lapsed); 'disconnected' (gone past the grace period). */
export type PresenceChange = 'joined' | 'left' | 'expired' | 'disconnected';

/** The changes a node leaves the group by. */
export const DEPARTURES: readonly PresenceChange[] = ['left', 'expired', 'disconnected'];

/** What group members receive; exactly one payload field is set. */
export interface MeshMessage {
  groupId: string;
  domain: string;
  nodeStatus?: NodeStatus;
  batchEvent?: BatchEvent;
  groupDissolve?: GroupDissolvePayload;
  nodePresence?: NodePresence;
}

export interface LeaveGroupPayload {
  peerId: string;
  groupId: string;
  domain: string;
  message: string;
}

export interface HeartbeatPayload {
  groupId: string;
  domain: string;
  expiresAt: string;
  heartbeatIntervalSeconds: number;
}

export interface MemberHeartbeatPayload {
  nodeId: string;
  groupId: string;
  domain: string;
  expiresAt: string;
  heartbeatIntervalSeconds: number;
}
