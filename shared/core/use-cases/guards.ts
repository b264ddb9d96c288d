/**
 * Checks shared by the use cases: who may act as which node, and whether a
 * connection is free to become a node. Each returns the records it read, so a
 * use case reads the store once for its checks and its work. The hot path
 * (status, events) reads nothing: its group comes from KnownGroups and its
 * node is proven by updateOwnNode's conditional write.
 */
import { GroupNotFound, Unauthorized, ValidationError } from '../errors';
import { isGroupLive, isNodeLive, requireLiveGroup, requireLiveNode, requireOwnNode } from '../liveness';
import type { Caller, ConnectionRecord, GroupKey, GroupRecord, NodeRecord } from '../model';
import type { Push } from '../../protocol/messages';
import { isViewerConnection } from '../viewers';
import { type MeshDeps, type NodeChange } from '../ports';
import { ConditionFailed, GroupDissolved, WriteNotApplied } from '../store-errors';

/** A live group and the live node the caller acts as. */
export interface Actor {
  group: GroupRecord;
  node: NodeRecord;
}

/** The group key of a request, without its other fields (stores index by it). */
export function keyOf(request: GroupKey): GroupKey {
  return { groupId: request.groupId, domain: request.domain };
}

/**
 * One read (the group and the node together), then GroupNotFound,
 * NodeNotFound or Unauthorized in that order: a client leaves on each, and the
 * group's fate is the most useful thing to tell it.
 */
export async function loadActor(deps: MeshDeps, key: GroupKey, nodeId: string, caller: Caller): Promise<Actor> {
  const now = deps.clock.now();
  const found = await deps.store.getGroupAndNode(key, nodeId);
  const group = requireLiveGroup(found.group, now, deps.settings);
  const node = requireLiveNode(found.node, now);
  requireOwnNode(node, caller);
  return { group, node };
}

/** As loadActor, for host-only actions: the named id must be the group's host, and the caller that host. */
export async function loadHost(deps: MeshDeps, key: GroupKey, hostId: string, caller: Caller): Promise<Actor> {
  const found = await deps.store.getGroupAndNode(key, hostId);
  const group = requireLiveGroup(found.group, deps.clock.now(), deps.settings);
  if (hostId !== group.hostId) throw new Unauthorized(`"${hostId}" is not the host of this group`);
  // The host node lives exactly as long as the group, so a missing one is not a NodeNotFound case.
  if (found.node === undefined) throw new Unauthorized(`this connection is not the host "${hostId}"`);
  requireOwnNode(found.node, caller);
  return { group, node: found.node };
}

/**
 * The group of a hot-path request, if live, judged from KnownGroups when it
 * can be (see there why that is sound) and read otherwise.
 */
export async function requireKnownLiveGroup(deps: MeshDeps, key: GroupKey): Promise<GroupRecord> {
  const now = deps.clock.now();
  const known = deps.knownGroups.get(key);
  if (known !== undefined && isGroupLive(known, now, deps.settings)) return known;
  deps.knownGroups.forget(key);
  const group = requireLiveGroup(await deps.store.getGroup(key), now, deps.settings);
  deps.knownGroups.remember(group);
  return group;
}

/** A node change as a use case states it; the write adds the time it must still be live at. */
export type OwnNodeChange = Omit<NodeChange, 'now'>;

/**
 * Allocates push seqs (and merges status) on the caller's node in one write,
 * its liveness and binding proven by the write's own condition instead of a
 * read first. A failed condition is explained by a fresh read: GroupNotFound,
 * NodeNotFound or Unauthorized when the node is lost. If the read finds the
 * node well, `retryWith` gives the next attempt's change (status: after the
 * exact size check); without it the node was rebound meanwhile (a rejoin
 * elsewhere), so Unauthorized.
 */
export async function updateOwnNode(
  deps: MeshDeps,
  key: GroupKey,
  nodeId: string,
  caller: Caller,
  change: OwnNodeChange,
  retryWith?: (actor: Actor) => OwnNodeChange,
): Promise<NodeRecord> {
  let attempt = change;
  for (let tried = 1; ; tried += 1) {
    try {
      return await deps.store.updateNode(key, nodeId, caller.connectionId, { ...attempt, now: deps.clock.now() });
    } catch (error) {
      if (!(error instanceof ConditionFailed)) throw error;
      const actor = await loadActor(deps, key, nodeId, caller);
      if (retryWith === undefined) throw new Unauthorized(`this connection is no longer node "${nodeId}"`);
      if (tried >= CONFLICT_ATTEMPTS) throw error;
      attempt = retryWith(actor);
    }
  }
}

/**
 * After a write conditional on the caller's node failed: a fresh read throws
 * GroupNotFound or NodeNotFound if that is why; otherwise the node was bound
 * to another connection meanwhile (a rejoin elsewhere), so Unauthorized.
 */
export async function explainLostNode(deps: MeshDeps, key: GroupKey, nodeId: string, caller: Caller): Promise<never> {
  await loadActor(deps, key, nodeId, caller);
  throw new Unauthorized(`this connection is no longer node "${nodeId}"`);
}

/** Attempts of a read-decide-write that lost a race (ConditionFailed) before giving up. */
const CONFLICT_ATTEMPTS = 3;

/**
 * Runs a read-decide-write again when its conditional write lost a race: the
 * next read sees what won (a group dissolved meanwhile, a node changed by a
 * concurrent report) and decides afresh. Rare, so a few immediate attempts do.
 */
export async function retryOnConflict<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tried = 1; ; tried += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof ConditionFailed) || tried >= CONFLICT_ATTEMPTS) throw error;
    }
  }
}

/**
 * One node per connection: the connection may become `target` only if it is
 * not already bound to another live node (of this group or another). A
 * connection record pointing at a dead group or node, or at a node since bound
 * elsewhere, is stale and does not count.
 */
export async function requireFreeConnection(
  deps: MeshDeps,
  caller: Caller,
  connection: ConnectionRecord | undefined,
  target: GroupKey & { nodeId: string },
): Promise<void> {
  if (connection === undefined || sameNode(connection, target)) return;
  if (isViewerConnection(connection)) {
    throw new ValidationError('this connection watches the console: a node needs a connection of its own');
  }
  const { group, node } = await deps.store.getGroupAndNode(keyOf(connection), connection.nodeId);
  const now = deps.clock.now();
  const bound =
    group !== undefined &&
    node !== undefined &&
    isGroupLive(group, now, deps.settings) &&
    isNodeLive(node, now) &&
    node.connectionId === caller.connectionId;
  if (bound) {
    throw new ValidationError(
      `this connection is already node "${connection.nodeId}" of group ${connection.groupId}@${connection.domain}: leave it first`,
    );
  }
}

function sameNode(a: GroupKey & { nodeId: string }, b: GroupKey & { nodeId: string }): boolean {
  return a.groupId === b.groupId && a.domain === b.domain && a.nodeId === b.nodeId;
}

/**
 * Hands a request's pushes to the fan-out. A group dissolved since the
 * request's read (its dissolve push is in the log) takes no more pushes: the
 * request answers GroupNotFound, as it would have a moment later. When the
 * log refused the pushes as a whole (throttled), their seqs are given back
 * first, so the sender's next pushes take them and receivers wait for no gap;
 * the request still fails, and the client sends it again. Resolves with the
 * log position of the first push.
 */
export async function publishPushes(deps: MeshDeps, caller: Caller, pushes: Push[]): Promise<number | undefined> {
  try {
    return await deps.publisher.publish(pushes);
  } catch (error) {
    if (error instanceof GroupDissolved) throw new GroupNotFound();
    if (error instanceof WriteNotApplied && pushes.length > 0) await releaseSeqsOf(deps, caller, pushes);
    throw error;
  }
}

/** Gives back the seqs of one sender's pushes (consecutive, the last one the node's seq); best effort. */
async function releaseSeqsOf(deps: MeshDeps, caller: Caller, pushes: Push[]): Promise<void> {
  const last = pushes[pushes.length - 1];
  const seqs = { seq: last.seq, count: pushes.length };
  // A failure here leaves the gap, which receivers skip after their gap timeout.
  await deps.store.releaseSeqs(keyOf(last), last.from, caller.connectionId, seqs).catch(() => undefined);
}
