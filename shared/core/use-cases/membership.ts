/**
 * joinGroup and leaveGroup: how a connection becomes, and stops being, a
 * member node of a group.
 */
import type { RequestOf } from '#shared/protocol/requests';
import type { LeaveGroupPayload, Node, NodeTokenGrant, SenderPositions, SenderSeq } from '#shared/protocol/types';
import { LimitExceeded, Unauthorized, ValidationError } from '../errors';
import { isNodeLive, isSubscriberLive, requireLiveGroup } from '../liveness';
import type { Caller, GroupKey, NodeRecord } from '../model';
import { newNodeBinding } from '../bindings';
import { issueNodeToken, requireBoundOrToken } from '../node-tokens';
import type { MeshDeps } from '../ports';
import { presentNode } from '../presenters';
import { allNodesOf } from '../paging';
import { isViewer } from '../viewers';
import { presencePush } from '../presence';
import { keyOf, loadActor, publishPushes, requireFreeConnection, retryOnConflict, updateOwnNode } from './guards';

/** The message of a LeaveGroupPayload. */
export const LEAVE_MESSAGE = 'Successfully left group';

/**
 * Joins the caller to a live group as `nodeId`. An absent or expired node is
 * created anew (new epoch, so receivers restart its sequence), announced to
 * the others (a `joined` presence push) and its nodeToken handed out. A node that is still live is rebound to this
 * connection, if the caller presents its nodeToken, and keeps its epoch, seq
 * and status, so a client that reconnected carries on where it was. Joining
 * counts as a member heartbeat.
 */
export async function joinGroup(
  request: RequestOf<'joinGroup'>,
  caller: Caller,
  deps: MeshDeps,
): Promise<Node & NodeTokenGrant & SenderPositions> {
  const key = keyOf(request);
  return retryOnConflict(async function readDecideWrite() {
    const [found, connection] = await Promise.all([
      deps.store.getGroupAndNode(key, request.nodeId),
      deps.store.getConnection(caller.connectionId),
    ]);
    const group = requireLiveGroup(found.group, deps.clock.now(), deps.settings);
    if (request.nodeId === group.hostId) {
      // The host node changes hands only through createGroup (the host's idempotent call).
      if (found.node?.connectionId !== caller.connectionId)
        throw new Unauthorized('only the host joins as the host id');
      return presentNode(found.node, group, deps.settings);
    }
    const live = found.node !== undefined && isNodeLive(found.node, deps.clock.now()) ? found.node : undefined;
    if (live !== undefined) requireBoundOrToken(live, caller.connectionId, request.nodeToken);
    await requireFreeConnection(deps, caller, connection, { ...key, nodeId: request.nodeId });
    if (live === undefined) await requireRoomForMember(deps, key);
    // A node says how it receives; one that does not takes the group's way (a rejoin keeps its own).
    // Over HTTPS there is no socket to push to: the node polls, whatever it says.
    const useWebSocket = caller.overHttps ? false : (request.useWebSocket ?? live?.useWebSocket ?? group.useWebSocket);
    const { node, previousConnectionId, nodeToken } = memberNode(key, request.nodeId, live, caller, deps);
    node.useWebSocket = useWebSocket;
    // ConditionFailed: the group went away or a concurrent write changed the node; read again.
    await deps.store.putNode(node, previousConnectionId);
    // Read after the write, which subscribed the connection: a push a sender makes after this read is
    // appended after the subscription, so every round that carries it posts it here. Read before the
    // write, a round between the two would carry it past the new node, which would then hold that
    // sender's next push for the gap timeout.
    const senders = live === undefined ? await sendersOf(deps, key, request.nodeId) : undefined;
    if (live === undefined) await announceJoin(deps, caller, node);
    const presented = presentNode(node, group, deps.settings);
    return { ...presented, ...(nodeToken === undefined ? {} : { nodeToken }), ...(senders ? { senders } : {}) };
  });
}

/** Every other live node's `(epoch, seq)`, so the joiner's receiver starts each sender where its pushes begin for it. */
async function sendersOf(deps: MeshDeps, key: GroupKey, joiner: string): Promise<SenderSeq[]> {
  const now = deps.clock.now();
  return (await allNodesOf(deps.store, key))
    .filter((node) => node.nodeId !== joiner && isNodeLive(node, now))
    .map((node) => ({ nodeId: node.nodeId, epoch: node.epoch, seq: node.seq }));
}

/**
 * Removes the caller's own node and its status, after a `left` presence push
 * to the others. The host cannot leave: its
 * group would live on without anyone able to renew or dissolve it.
 */
export async function leaveGroup(
  request: RequestOf<'leaveGroup'>,
  caller: Caller,
  deps: MeshDeps,
): Promise<LeaveGroupPayload> {
  const key = keyOf(request);
  const { node } = await loadActor(deps, key, request.nodeId, caller);
  if (node.isHost) throw new ValidationError('the host cannot leave its group: dissolve it instead');
  // The leave's seq comes from the store, after every push the node had sent.
  const leaving = await updateOwnNode(deps, key, node.nodeId, caller, { seqCount: 1 });
  await publishPushes(deps, caller, [presencePush(leaving, 'left', deps.clock.now())]);
  await deps.store.removeNode(leaving);
  return { peerId: node.nodeId, ...key, message: LEAVE_MESSAGE };
}

/**
 * Tells the others a node was created: its first push (seq 1). If the push
 * cannot be appended the node is taken out again and the join fails, so the
 * client's retry creates it anew and announces it then: no member is ever in
 * the group unannounced.
 */
async function announceJoin(deps: MeshDeps, caller: Caller, node: NodeRecord): Promise<void> {
  try {
    await publishPushes(deps, caller, [presencePush(node, 'joined', deps.clock.now())]);
  } catch (error) {
    await deps.store.removeNode(node).catch(() => undefined);
    throw error;
  }
}

/**
 * A new node needs room: the group's connected members (its live
 * subscriptions, the host's included) below the cap. A rejoin takes a place
 * its node held already. Two joins at once may both find the last place.
 */
async function requireRoomForMember(deps: MeshDeps, key: GroupKey): Promise<void> {
  const now = deps.clock.now();
  const max = deps.settings.maxMembersPerGroup;
  const members = (await deps.store.listSubscribers(key)).filter(
    (subscriber) => isSubscriberLive(subscriber, now) && !isViewer(subscriber),
  );
  if (members.length >= max) throw new LimitExceeded(`the group is full: it has ${max} members, the most it takes`);
}

/**
 * The node to write for a join, the connection it takes the node from (null
 * when none or the caller), and the token of a node created anew.
 */
function memberNode(
  key: GroupKey,
  nodeId: string,
  live: NodeRecord | undefined,
  caller: Caller,
  deps: MeshDeps,
): { node: NodeRecord; previousConnectionId: string | null; nodeToken?: string } {
  const now = deps.clock.now();
  const expiresAt = now + deps.settings.memberHeartbeatTtlSeconds * 1000;
  if (live !== undefined) {
    const previous = live.connectionId === caller.connectionId ? null : live.connectionId;
    const node = { ...live, connectionId: caller.connectionId, expiresAt, dropAt: expiresAt };
    return { node, previousConnectionId: previous };
  }
  // An expired node's old subscription has expired with it (the fan-out skips
  // it, TTL removes it); its connection may be a node elsewhere by now, so it
  // is not touched.
  const { nodeToken, tokenHash } = issueNodeToken(deps.ids);
  const node: NodeRecord = {
    ...key,
    nodeId,
    name: nodeId,
    isHost: false,
    epoch: deps.ids.epoch(),
    // Seq 1 is its join's presence push (announceJoin).
    seq: 1,
    connectionId: newNodeBinding(caller, tokenHash),
    joinedAt: now,
    expiresAt,
    data: {},
    statusAt: null,
    tokenHash,
    useWebSocket: true,
    dropAt: expiresAt,
  };
  return { node, previousConnectionId: null, nodeToken };
}
