/**
 * When a group, a node or a subscription still counts. DynamoDB's TTL deletes
 * expired items lazily (hours or days later), so every read checks expiry
 * itself: an expired record is treated exactly like a missing one.
 */
import { GroupNotFound, NodeNotFound, Unauthorized } from './errors';
import type { Caller, GroupRecord, NodeRecord, Subscriber } from './model';
import type { MeshSettings } from './settings';

/**
 * A group is live until its `expiresAt` and while its host's last heartbeat is
 * at most the host heartbeat TTL old (Mesh v2's two ways a group ends).
 */
export function isGroupLive(group: GroupRecord, now: number, settings: MeshSettings): boolean {
  return now <= group.expiresAt && now - group.heartbeatAt <= settings.hostHeartbeatTtlSeconds * 1000;
}

/** A node is live until its `expiresAt` (a member's last heartbeat + TTL; the host's is the group's). */
export function isNodeLive(node: NodeRecord, now: number): boolean {
  return now <= node.expiresAt;
}

/** A subscription mirrors its node's expiry, so the fan-out can skip expired members without reading nodes. */
export function isSubscriberLive(subscriber: Subscriber, now: number): boolean {
  return now <= subscriber.expiresAt;
}

/** The group, if live; else GroupNotFound (missing, dissolved, expired and heartbeat-lapsed look the same). */
export function requireLiveGroup(group: GroupRecord | undefined, now: number, settings: MeshSettings): GroupRecord {
  if (group === undefined || !isGroupLive(group, now, settings)) throw new GroupNotFound();
  return group;
}

/** The node, if live; else NodeNotFound. */
export function requireLiveNode(node: NodeRecord | undefined, now: number): NodeRecord {
  if (node === undefined || !isNodeLive(node, now)) throw new NodeNotFound();
  return node;
}

/** A request that names a node must come from the connection acting as that node. */
export function requireOwnNode(node: NodeRecord, caller: Caller): void {
  if (node.connectionId !== caller.connectionId) {
    throw new Unauthorized(`this connection is not node "${node.nodeId}"`);
  }
}
