/**
 * getNodeStatus, listGroupStatuses and listNodesInGroup: reads open to any
 * connection, as in Mesh v2. Expired nodes are left out whether or not the
 * store has deleted them yet.
 */
import type { RequestOf } from '#shared/protocol/requests';
import type { Node, NodeStatus } from '#shared/protocol/types';
import { ValidationError } from '../errors';
import { isNodeLive, requireLiveGroup } from '../liveness';
import type { Caller, GroupKey } from '../model';
import type { MeshDeps } from '../ports';
import { pageNodes, type Page } from '../paging';
import { presentNode, presentNodeStatus } from '../presenters';
import { keyOf } from './guards';

/**
 * The node's full merged status (entries sorted by key), or null when the node
 * is missing, expired or has never reported. Without groupId and domain, the
 * caller's own group is meant (Mesh v2's getNodeStatus takes only a nodeId).
 */
export async function getNodeStatus(
  request: RequestOf<'getNodeStatus'>,
  caller: Caller,
  deps: MeshDeps,
): Promise<NodeStatus | null> {
  const key = await statusGroupOf(request, caller, deps);
  const { group, node } = await deps.store.getGroupAndNode(key, request.nodeId);
  const now = deps.clock.now();
  requireLiveGroup(group, now, deps.settings);
  if (node === undefined || !isNodeLive(node, now)) return null;
  return presentNodeStatus(node);
}

/** Full merged statuses of the live nodes that have reported, paged by bytes. */
export async function listGroupStatuses(
  request: RequestOf<'listGroupStatuses'>,
  _caller: Caller,
  deps: MeshDeps,
): Promise<Page<NodeStatus>> {
  const key = keyOf(request);
  const now = deps.clock.now();
  requireLiveGroup(await deps.store.getGroup(key), now, deps.settings);
  return pageNodes(deps.store, key, request.nextToken, (node) =>
    isNodeLive(node, now) ? (presentNodeStatus(node) ?? undefined) : undefined,
  );
}

/** The live nodes of a group (the host included), paged by bytes. */
export async function listNodesInGroup(
  request: RequestOf<'listNodesInGroup'>,
  _caller: Caller,
  deps: MeshDeps,
): Promise<Page<Node>> {
  const key = keyOf(request);
  const now = deps.clock.now();
  const group = requireLiveGroup(await deps.store.getGroup(key), now, deps.settings);
  return pageNodes(deps.store, key, request.nextToken, (node) =>
    isNodeLive(node, now) ? presentNode(node, group, deps.settings) : undefined,
  );
}

/** Both groupId and domain, or neither (then the group the caller's connection is a node of). */
async function statusGroupOf(request: RequestOf<'getNodeStatus'>, caller: Caller, deps: MeshDeps): Promise<GroupKey> {
  const { groupId, domain } = request;
  if (groupId !== undefined && domain !== undefined) return { groupId, domain };
  if (groupId !== undefined || domain !== undefined) {
    throw new ValidationError('give both groupId and domain, or neither to mean your own group');
  }
  const connection = await deps.store.getConnection(caller.connectionId);
  if (connection === undefined) {
    throw new ValidationError('groupId and domain are required: this connection is not a node of any group');
  }
  return keyOf(connection);
}
