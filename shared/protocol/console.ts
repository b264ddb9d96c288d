/**
 * The operator console's part of wire protocol v1: what a console viewer
 * (a WebSocket connection that presents the deployment's admin token) asks
 * and is sent. See docs/console.md.
 *
 * A viewer calls `watchMesh` on opening and then every WATCH_RENEW_SECONDS:
 * each call answers a snapshot of the mesh and keeps the viewer (and the
 * monitoring of the groups it sees) on for WATCH_LEASE_SECONDS. While it is
 * on, the fan-out appends one `meshRound` per round of a watched group to the
 * console's own log, whose flush posts them to every viewer, coalesced like
 * any push. `watchGroup` also subscribes the viewer to one group's pushes
 * (its members' status, events, presence), as if it were a member.
 */

/** How long one watchMesh keeps a viewer and its groups' monitoring on. */
export const WATCH_LEASE_SECONDS = 10;
/**
 * How often a console renews: well inside the lease, so one lost call
 * changes nothing, and often enough that a new group shows (and its rounds
 * are reported) within a couple of seconds. Each renewal is a Scan of the
 * group items, paid only while someone watches.
 */
export const WATCH_RENEW_SECONDS = 2;

/**
 * The console's own log: a group key no group has (createGroup gives UUIDs),
 * so no client request finds a group there and none can read or write it.
 */
export const CONSOLE_LOG = { groupId: 'console', domain: '~mesh' } as const;

/** A node as the console shows it. */
export interface ConsoleNode {
  nodeId: string;
  isHost: boolean;
  /** Bound to a live WebSocket connection or to a polling node's token; false after its WebSocket closed. */
  connected: boolean;
  transport: 'websocket' | 'polling';
  joinedAt: string;
  /** The node's last heartbeat (its expiresAt less the heartbeat TTL); the group's for the host. */
  lastHeartbeatAt: string;
  expiresAt: string;
  /** Keys in its status. */
  statusKeys: number;
}

/** A live group as the console shows it. */
export interface ConsoleGroup {
  groupId: string;
  domain: string;
  name: string;
  hostId: string;
  createdAt: string;
  expiresAt: string;
  /** The host's last heartbeat. */
  heartbeatAt: string;
  /** Pushes accepted so far (the position its log has reached). */
  pushes: number;
  nodes: ConsoleNode[];
}

/** watchMesh's answer. */
export interface MeshSnapshot {
  /** Server time of the snapshot. */
  at: string;
  /** Every live group, of every domain, newest first. */
  groups: ConsoleGroup[];
  /** Viewers watching now, this one included. */
  viewers: number;
  leaseSeconds: number;
}

/**
 * One round the fan-out posted for a watched group: the console plots rates
 * and latency from these.
 */
export interface MeshRound {
  groupId: string;
  domain: string;
  /** Pushes the round carried. */
  pushes: number;
  /** Frames posted (one per member that had something to receive). */
  frames: number;
  /** Posts answered 410 (connections gone). */
  gone: number;
  /** Posts given up after their retries. */
  abandoned: number;
  /** From the oldest push's acceptance (`sentAt`) to the round's end. */
  latencyMs: number;
  /** When the round ended (ISO 8601). */
  at: string;
}
