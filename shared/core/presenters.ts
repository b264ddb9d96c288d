/**
 * Records → the Mesh v2 shapes of wire protocol v1. Records keep epoch
 * milliseconds; the protocol shows ISO 8601 with milliseconds.
 */
import type { Group, Node, NodeStatus, StatusEntry } from '../protocol/types';
import type { GroupKey, GroupRecord, NodeRecord } from './model';
import type { MeshSettings } from './settings';

/** ISO 8601 with milliseconds, UTC (e.g. 2026-01-02T03:04:05.678Z). */
export function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/** A group as clients see it; `pollingIntervalSeconds` only in polling mode. */
export function presentGroup(group: GroupRecord, settings: MeshSettings): Group {
  return {
    id: group.groupId,
    domain: group.domain,
    fullId: `${group.groupId}@${group.domain}`,
    name: group.name,
    hostId: group.hostId,
    createdAt: iso(group.createdAt),
    expiresAt: iso(group.expiresAt),
    heartbeatIntervalSeconds: settings.hostHeartbeatIntervalSeconds,
    useWebSocket: group.useWebSocket,
    ...(group.useWebSocket ? {} : { pollingIntervalSeconds: settings.pollingIntervalSeconds }),
  };
}

/**
 * A node as clients see it. As in Mesh v2, `expiresAt` is the group's (when
 * the group ends), not the member's heartbeat deadline; the interval is the
 * one this node must beat at.
 */
export function presentNode(node: NodeRecord, group: GroupRecord, settings: MeshSettings): Node {
  return {
    id: node.nodeId,
    name: node.name,
    groupId: node.groupId,
    domain: node.domain,
    expiresAt: iso(group.expiresAt),
    heartbeatIntervalSeconds: node.isHost
      ? settings.hostHeartbeatIntervalSeconds
      : settings.memberHeartbeatIntervalSeconds,
    useWebSocket: node.useWebSocket,
    ...(node.useWebSocket ? {} : { pollingIntervalSeconds: settings.pollingIntervalSeconds }),
  };
}

/** Status entries sorted by key, so a full map reads the same on every call. */
export function statusEntries(data: Record<string, string>): StatusEntry[] {
  return Object.entries(data)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => ({ key, value }));
}

/** A status with the given entries (a report's delta, or a full map). */
export function presentStatus(key: GroupKey, nodeId: string, data: StatusEntry[], at: number): NodeStatus {
  return { nodeId, groupId: key.groupId, domain: key.domain, data, timestamp: iso(at) };
}

/** A node's full merged status, or null if it never reported. */
export function presentNodeStatus(node: NodeRecord): NodeStatus | null {
  if (node.statusAt === null) return null;
  return presentStatus(node, node.nodeId, statusEntries(node.data), node.statusAt);
}
