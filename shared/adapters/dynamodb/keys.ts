/**
 * Keys and item shapes of the mesh table (see table.ts for the layout), and the
 * mapping between items and the core's records. Times are epoch milliseconds
 * in items, as in the records, except `ttl` (epoch seconds, for DynamoDB's TTL)
 * and the byDomain sort key (ISO 8601, so groups list oldest first).
 *
 * Ids are free text, so two different (groupId, domain) pairs could build the
 * same partition key (`G#a@b@c`). Every item therefore also stores the ids it
 * belongs to, and the readers here drop an item whose stored ids differ from
 * the ones asked for: a crafted id never reaches another group's data.
 */
import type { ConnectionRecord, GroupKey, GroupRecord, NodeRecord, Subscriber } from '#shared/core/model';
import { utf8Bytes } from '#shared/protocol/limits';
import { statusOfStored, storedStatus } from './status-map';

export const SK_META = 'META';
export const SK_CONNECTION = 'CONN';
export const SK_HOST = 'HOST';
export const NODE_PREFIX = 'N#';
export const SUBSCRIPTION_PREFIX = 'C#';
/**
 * The head of the group's log (see log.ts). `C!` sorts just before `C#`, and
 * nothing else in a group partition starts with `C`, so one query with
 * begins_with(sk, "C") reads the head and every subscription together.
 */
export const SK_LOG_HEAD = 'C!LOG';
export const HEAD_AND_SUBSCRIPTIONS_PREFIX = 'C';
/** Sealed pages of the group's log: `L#{end}`, the end (exclusive) position zero-padded so pages sort by it. */
export const LOG_PAGE_PREFIX = 'L#';

/**
 * Every item lives this long past its logical expiry before DynamoDB's TTL may
 * delete it. Expiry is decided at read time by the core; TTL is only garbage
 * collection. The margin keeps an item that is still wanted (clock skew between
 * Lambda and DynamoDB, a member's heartbeat racing its expiry, a dissolve push
 * still on its way to the members) from vanishing under a request.
 */
export const TTL_MARGIN_SECONDS = 60 * 60;

/**
 * API Gateway closes every WebSocket connection after two hours, so a
 * connection record is never needed longer than that (plus the margin).
 */
export const MAX_CONNECTION_SECONDS = 2 * 60 * 60;

export type Key = { pk: string; sk: string };

export function groupPk(key: GroupKey): string {
  return `G#${key.groupId}@${key.domain}`;
}
export function metaKey(key: GroupKey): Key {
  return { pk: groupPk(key), sk: SK_META };
}
export function nodeKey(key: GroupKey, nodeId: string): Key {
  return { pk: groupPk(key), sk: `${NODE_PREFIX}${nodeId}` };
}
export function subscriptionKey(key: GroupKey, connectionId: string): Key {
  return { pk: groupPk(key), sk: `${SUBSCRIPTION_PREFIX}${connectionId}` };
}
export function logHeadKey(key: GroupKey): Key {
  return { pk: groupPk(key), sk: SK_LOG_HEAD };
}
/** A sealed page's sort key; positions are below 10^15 for any group that lives hours. */
export function logPageSk(end: number): string {
  return `${LOG_PAGE_PREFIX}${String(end).padStart(15, '0')}`;
}
export function connectionKey(connectionId: string): Key {
  return { pk: `C#${connectionId}`, sk: SK_CONNECTION };
}
export function hostKey(domain: string, hostId: string): Key {
  return { pk: `H#${domain}#${hostId}`, sk: SK_HOST };
}
export function domainIndexPk(domain: string): string {
  return `D#${domain}`;
}
export function domainIndexSk(createdAt: number, groupId: string): string {
  return `${new Date(createdAt).toISOString()}#${groupId}`;
}
/** The byName partition of a name, or of a prefix of it: its first character (a whole code point). */
export function nameIndexPk(nameOrPrefix: string): string {
  return `N#${String.fromCodePoint(nameOrPrefix.codePointAt(0) ?? 0)}`;
}
export function nameIndexSk(name: string, createdAt: number, groupId: string): string {
  return `${name}#${new Date(createdAt).toISOString()}#${groupId}`;
}

/** FNV-1a of the group's partition key: a group always lands on the same one of `shards` index partitions. */
export function shardOf(key: GroupKey, shards: number): number {
  let hash = 0x811c9dc5;
  for (const char of groupPk(key)) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
  return hash % shards;
}

/**
 * The byDrop index (table.ts): a member node's time to be dropped, spread
 * over a few partitions so that no one partition takes every heartbeat. The
 * sort key starts with the time (zero-padded, so the index sorts by it) and
 * names the node in JSON (ids are free text).
 */
export const DROP_SHARDS = 4;
export function dropIndexPk(shard: number): string {
  return `X#${shard}`;
}
export function dropIndexSk(at: number, key: GroupKey & { nodeId: string }): string {
  return `${dropIndexBefore(at)}#${JSON.stringify([key.groupId, key.domain, key.nodeId])}`;
}
/** Below every sort key of a time at or after `at`, above every earlier one. */
export function dropIndexBefore(at: number): string {
  return String(Math.max(0, Math.floor(at))).padStart(15, '0');
}
/** The node a byDrop sort key names, and the time in it; undefined for a key this table never wrote. */
export function nodeOfDropIndexSk(sk: unknown): (GroupKey & { nodeId: string; dropAt: number }) | undefined {
  if (typeof sk !== 'string') return undefined;
  const at = sk.indexOf('#');
  try {
    const [groupId, domain, nodeId] = JSON.parse(sk.slice(at + 1)) as unknown[];
    const dropAt = Number(sk.slice(0, at));
    if (typeof groupId !== 'string' || typeof domain !== 'string' || typeof nodeId !== 'string') return undefined;
    return Number.isFinite(dropAt) ? { groupId, domain, nodeId, dropAt } : undefined;
  } catch {
    return undefined;
  }
}

/** The `ttl` attribute for an item whose logical expiry is `expiresAt` (epoch ms). */
export function ttlAt(expiresAt: number): number {
  return Math.ceil(expiresAt / 1000) + TTL_MARGIN_SECONDS;
}

// ---- item shapes ---------------------------------------------------------

export interface GroupItem extends Key, GroupRecord {
  gsi1pk: string;
  gsi1sk: string;
  gsi3pk: string;
  gsi3sk: string;
  ttl: number;
}

/** `connectionId` and `statusAt` are absent (not null) while unset, so conditions can test attribute_not_exists. */
export interface NodeItem extends Key, Omit<NodeRecord, 'connectionId' | 'statusAt' | 'dropAt'> {
  connectionId?: string;
  statusAt?: number;
  /**
   * byDrop's keys: members only (the index is sparse, the host never in it).
   * The node's dropAt is kept only in gsi4sk, so one SET moves it and its place in the index.
   */
  gsi4pk?: string;
  gsi4sk?: string;
  /** Never below the UTF-8 bytes of `data` as JSON (MeshStore's NodeChange.statusBytes). */
  statusBytes: number;
  ttl: number;
}

export interface SubscriptionItem extends Key, GroupKey {
  nodeId: string;
  expiresAt: number;
  ttl: number;
}

export interface ConnectionItem extends Key, GroupKey {
  nodeId: string;
  ttl: number;
}

export interface HostItem extends Key, GroupKey {
  hostId: string;
  ttl: number;
}

type Item = Record<string, unknown>;

function sameGroup(item: Item, key: GroupKey): boolean {
  return item.groupId === key.groupId && item.domain === key.domain;
}

// ---- records -> items ----------------------------------------------------

export function groupItem(group: GroupRecord): GroupItem {
  return {
    ...metaKey(group),
    gsi1pk: domainIndexPk(group.domain),
    gsi1sk: domainIndexSk(group.createdAt, group.groupId),
    gsi3pk: nameIndexPk(group.name),
    gsi3sk: nameIndexSk(group.name, group.createdAt, group.groupId),
    groupId: group.groupId,
    domain: group.domain,
    name: group.name,
    hostId: group.hostId,
    createdAt: group.createdAt,
    expiresAt: group.expiresAt,
    heartbeatAt: group.heartbeatAt,
    useWebSocket: group.useWebSocket,
    ttl: ttlAt(group.expiresAt),
  };
}

export function nodeItem(node: NodeRecord): NodeItem {
  return {
    ...nodeKey(node, node.nodeId),
    groupId: node.groupId,
    domain: node.domain,
    nodeId: node.nodeId,
    name: node.name,
    isHost: node.isHost,
    epoch: node.epoch,
    seq: node.seq,
    connectionId: node.connectionId ?? undefined,
    joinedAt: node.joinedAt,
    expiresAt: node.expiresAt,
    // Always a map, even empty: `SET data.#k = :v` fails on a missing map.
    data: storedStatus(node.data),
    statusAt: node.statusAt ?? undefined,
    statusBytes: utf8Bytes(JSON.stringify(node.data)),
    tokenHash: node.tokenHash,
    useWebSocket: node.useWebSocket,
    ...(node.dropAt === undefined
      ? {}
      : {
          gsi4pk: dropIndexPk(shardOf(node, DROP_SHARDS)),
          gsi4sk: dropIndexSk(node.dropAt, node),
        }),
    ttl: ttlAt(node.expiresAt),
  };
}

export function subscriptionItem(
  key: GroupKey,
  connectionId: string,
  nodeId: string,
  expiresAt: number,
): SubscriptionItem {
  return {
    ...subscriptionKey(key, connectionId),
    groupId: key.groupId,
    domain: key.domain,
    nodeId,
    expiresAt,
    ttl: ttlAt(expiresAt),
  };
}

export function connectionItem(record: ConnectionRecord, now: number): ConnectionItem {
  return {
    ...connectionKey(record.connectionId),
    groupId: record.groupId,
    domain: record.domain,
    nodeId: record.nodeId,
    ttl: ttlAt(now + MAX_CONNECTION_SECONDS * 1000),
  };
}

export function hostItem(group: GroupRecord): HostItem {
  return {
    ...hostKey(group.domain, group.hostId),
    groupId: group.groupId,
    domain: group.domain,
    hostId: group.hostId,
    ttl: ttlAt(group.expiresAt),
  };
}

// ---- items -> records (undefined when absent or not the one asked for) ----

export function toGroup(item: Item | undefined, key?: GroupKey): GroupRecord | undefined {
  if (item === undefined || item.sk !== SK_META) return undefined;
  if (key !== undefined && !sameGroup(item, key)) return undefined;
  return {
    groupId: item.groupId as string,
    domain: item.domain as string,
    name: item.name as string,
    hostId: item.hostId as string,
    createdAt: item.createdAt as number,
    expiresAt: item.expiresAt as number,
    heartbeatAt: item.heartbeatAt as number,
    useWebSocket: item.useWebSocket as boolean,
  };
}

export function toNode(item: Item | undefined, key: GroupKey, nodeId?: string): NodeRecord | undefined {
  if (item === undefined || !sameGroup(item, key)) return undefined;
  if (nodeId !== undefined && item.nodeId !== nodeId) return undefined;
  return {
    groupId: key.groupId,
    domain: key.domain,
    nodeId: item.nodeId as string,
    name: item.name as string,
    isHost: item.isHost as boolean,
    epoch: item.epoch as string,
    seq: item.seq as number,
    connectionId: (item.connectionId as string | undefined) ?? null,
    joinedAt: item.joinedAt as number,
    expiresAt: item.expiresAt as number,
    data: statusOfStored(item.data),
    statusAt: (item.statusAt as number | undefined) ?? null,
    // Absent on an item written before nodes had tokens: no token matches it.
    tokenHash: (item.tokenHash as string | undefined) ?? '',
    // Absent on an item written before the polling mode: every node then used its WebSocket.
    useWebSocket: (item.useWebSocket as boolean | undefined) ?? true,
    ...dropAtOf(item),
  };
}

/** A member's dropAt, from its byDrop sort key (a host's node may carry the sort key alone: not indexed, no dropAt). */
function dropAtOf(item: Item): Pick<NodeRecord, 'dropAt'> {
  if (typeof item.gsi4pk !== 'string') return {};
  const indexed = nodeOfDropIndexSk(item.gsi4sk);
  return indexed === undefined ? {} : { dropAt: indexed.dropAt };
}

export function toSubscriber(item: Item): Subscriber {
  return {
    connectionId: (item.sk as string).slice(SUBSCRIPTION_PREFIX.length),
    nodeId: item.nodeId as string,
    expiresAt: item.expiresAt as number,
  };
}

export function toConnection(item: Item | undefined, connectionId: string): ConnectionRecord | undefined {
  if (item === undefined) return undefined;
  return {
    connectionId,
    groupId: item.groupId as string,
    domain: item.domain as string,
    nodeId: item.nodeId as string,
  };
}

/** The group key a host record points at, if it is the host asked for. */
export function toHostGroupKey(item: Item | undefined, domain: string, hostId: string): GroupKey | undefined {
  if (item === undefined || item.domain !== domain || item.hostId !== hostId) return undefined;
  return { groupId: item.groupId as string, domain };
}
