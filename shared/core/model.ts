/**
 * What the mesh keeps, in the core's terms. Times are epoch milliseconds here;
 * the protocol shows them as ISO 8601 strings.
 */

/** A group is addressed by its id and its domain, as in Mesh v2. */
export interface GroupKey {
  groupId: string;
  domain: string;
}

export interface GroupRecord extends GroupKey {
  name: string;
  hostId: string;
  createdAt: number;
  /** createdAt + max connection time: the group is gone after it. */
  expiresAt: number;
  /** The host's last heartbeat; older than the host heartbeat TTL = group gone. */
  heartbeatAt: number;
  useWebSocket: boolean;
}

/**
 * The host's idempotency record (H#{domain}#{hostId}): the group the host
 * created last, and that group's record unless its item is gone (TTL deletes
 * items in no particular order, so the host record can outlive its group).
 */
export interface HostRecord {
  groupId: string;
  group?: GroupRecord;
}

export interface NodeRecord extends GroupKey {
  nodeId: string;
  name: string;
  isHost: boolean;
  /** Set anew each time the node is created; orders pushes together with seq. */
  epoch: string;
  /** The last push sequence number allocated to this node (0 before its first push). */
  seq: number;
  /**
   * What the node is bound to (bindings.ts): the connection acting as it, or a
   * polling node's token binding; null after its connection closed, until it rejoins.
   */
  connectionId: string | null;
  joinedAt: number;
  /** Members: last heartbeat + member TTL. The host: the group's expiresAt. */
  expiresAt: number;
  /** Merged status: the latest value per key. */
  data: Record<string, string>;
  /** Time of the last report, or null before any. */
  statusAt: number | null;
  /** SHA-256 of the node's token (node-tokens.ts); empty for a node stored without one, which no token matches. */
  tokenHash: string;
  /** How the node receives: pushes over its WebSocket, or (false) polling the group's log. */
  useWebSocket: boolean;
  /**
   * Members only: when the sweeper drops the node unless something moves it
   * first (its expiresAt; after its connection closed, the end of the
   * disconnect grace). Absent for the host, whose node lives with its group.
   */
  dropAt?: number;
}

/** Which node of which group a connection acts as. */
export interface ConnectionRecord extends GroupKey {
  connectionId: string;
  nodeId: string;
}

/** A connection subscribed to a group's pushes. */
export interface Subscriber {
  connectionId: string;
  nodeId: string;
  /** Mirrors the node's expiresAt, so the fan-out skips expired members without reading nodes. */
  expiresAt: number;
}

/** Who sent a request: API Gateway's identity of the connection, or of an HTTPS request. */
export interface Caller {
  /**
   * What the caller's node is bound to: the WebSocket connection's id, or
   * over HTTPS the binding its nodeToken names (bindings.ts). Never empty.
   */
  connectionId: string;
  sourceIp: string;
  /** Whom the $connect authorizer let in; absent when the authorizer is off. */
  principal?: Principal;
  /** The request came over HTTPS: a node it creates is bound to the node's token (bindings.ts). */
  overHttps?: true;
}

/** The credential's holder, as the $connect authorizer verified it (the claims bound to the connection). */
export interface Principal {
  /** The JWT's `sub`, or the API key's name. */
  subject: string;
  /** The domains the connection may use; null: any. */
  domains: readonly string[] | null;
}
