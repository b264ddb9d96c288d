/**
 * Presence: the pushes that tell a group's members who is in it. Each is sent
 * from the node it is about, with one of that node's own seqs, so it goes
 * through the same log and fan-out as the node's status and events and is
 * ordered with them: its join before its first status, its leave after its
 * last. A node joins when it is created (joinGroup); it leaves by leaveGroup,
 * or is dropped by the sweeper (drop-sweep.ts) when its heartbeat lapsed or
 * its connection closed and it did not come back within the grace.
 */
import type { Push } from '../protocol/messages';
import type { PresenceChange } from '../protocol/types';
import type { NodeRecord } from './model';
import { iso } from './presenters';
import { buildPush } from './pushes';
import type { MeshSettings } from './settings';

/** The push telling the others that `node` changed; `node.seq` is the seq allocated for it. */
export function presencePush(node: NodeRecord, change: PresenceChange, now: number): Push {
  const key = { groupId: node.groupId, domain: node.domain };
  const order = { from: node.nodeId, epoch: node.epoch, seq: node.seq, sentAt: iso(now) };
  return buildPush(key, order, { nodePresence: { ...key, nodeId: node.nodeId, change, timestamp: iso(now) } });
}

/** When a member whose connection closed at `now` is dropped, unless it comes back first. */
export function dropAtAfterDisconnect(now: number, settings: MeshSettings): number {
  return now + settings.disconnectGraceSeconds * 1000;
}

/**
 * Why the sweeper drops a due node: unbound, its connection closed and it
 * stayed away past the grace (its heartbeat may have lapsed since, too);
 * still bound, its heartbeat lapsed (a client that went quiet, or a polling
 * node that stopped polling).
 */
export function dropReason(node: NodeRecord): PresenceChange {
  return node.connectionId === null ? 'disconnected' : 'expired';
}
