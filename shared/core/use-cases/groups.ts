/**
 * createDomain, createGroup and listGroupsByDomain: how a group comes to be
 * and how it is found.
 */
import type { RequestOf } from '#shared/protocol/requests';
import type { Group } from '#shared/protocol/types';
import { ValidationError } from '../errors';
import { isGroupLive } from '../liveness';
import type { Caller, ConnectionRecord, GroupRecord, NodeRecord } from '../model';
import type { MeshDeps } from '../ports';
import { presentGroup } from '../presenters';
import { keyOf, requireFreeConnection, retryOnConflict } from './guards';

/** The caller's public source IP: the "auto" domain of Mesh v2. */
export async function createDomain(_request: RequestOf<'createDomain'>, caller: Caller): Promise<string> {
  return caller.sourceIp;
}

/**
 * Creates a group with the caller as its host node, or, while the host's group
 * (same hostId + domain) is live, returns that one and binds the caller as its
 * host (Mesh v2's idempotent create; a host that reconnected takes its group
 * back this way). Two racing creates cannot both win: the store's write is
 * conditional on the host record read, and the loser's next attempt finds and
 * returns the winner.
 */
export async function createGroup(request: RequestOf<'createGroup'>, caller: Caller, deps: MeshDeps): Promise<Group> {
  const lifetimeSeconds = lifetimeOf(request.maxConnectionTimeSeconds, deps);
  return retryOnConflict(async function createOrTakeOver() {
    const [existing, connection] = await Promise.all([
      deps.store.findHostGroup(request.domain, request.hostId),
      deps.store.getConnection(caller.connectionId),
    ]);
    const now = deps.clock.now();
    if (existing?.group && isGroupLive(existing.group, now, deps.settings)) {
      return takeOver(deps, existing.group, caller, connection);
    }
    const group: GroupRecord = {
      groupId: deps.ids.groupId(),
      domain: request.domain,
      name: request.name,
      hostId: request.hostId,
      createdAt: now,
      expiresAt: now + lifetimeSeconds * 1000,
      heartbeatAt: now,
      useWebSocket: request.useWebSocket ?? true,
    };
    await requireFreeConnection(deps, caller, connection, { ...keyOf(group), nodeId: group.hostId });
    await deps.store.createGroup(group, hostNode(group, caller, deps), existing?.groupId);
    return presentGroup(group, deps.settings);
  });
}

/** Live groups of a domain, oldest first. */
export async function listGroupsByDomain(
  request: RequestOf<'listGroupsByDomain'>,
  _caller: Caller,
  deps: MeshDeps,
): Promise<Group[]> {
  const now = deps.clock.now();
  const groups = await deps.store.listGroups(request.domain);
  return groups
    .filter((group) => isGroupLive(group, now, deps.settings))
    .map((group) => presentGroup(group, deps.settings));
}

function lifetimeOf(requested: number | undefined, deps: MeshDeps): number {
  const max = deps.settings.maxConnectionTimeSeconds;
  if (requested !== undefined && requested > max) {
    throw new ValidationError(`maxConnectionTimeSeconds must be at most ${max}`);
  }
  return requested ?? max;
}

/** The host's node: it lives exactly as long as the group (renewHeartbeat keeps the group alive, not the node). */
function hostNode(group: GroupRecord, caller: Caller, deps: MeshDeps): NodeRecord {
  return {
    groupId: group.groupId,
    domain: group.domain,
    nodeId: group.hostId,
    name: group.hostId,
    isHost: true,
    epoch: deps.ids.epoch(),
    seq: 0,
    connectionId: caller.connectionId,
    joinedAt: deps.clock.now(),
    expiresAt: group.expiresAt,
    data: {},
    statusAt: null,
  };
}

/**
 * Returns an existing live group, binding the caller as its host node if
 * another connection (or none) was. A ConditionFailed from putNode (the group
 * dissolved, or the host node changed meanwhile) is left to retryOnConflict.
 */
async function takeOver(
  deps: MeshDeps,
  group: GroupRecord,
  caller: Caller,
  connection: ConnectionRecord | undefined,
): Promise<Group> {
  const key = keyOf(group);
  await requireFreeConnection(deps, caller, connection, { ...key, nodeId: group.hostId });
  const { node } = await deps.store.getGroupAndNode(key, group.hostId);
  if (node === undefined) {
    // Only a half-deleted group lacks its host node; give it one rather than fail the host.
    await deps.store.putNode(hostNode(group, caller, deps), null);
  } else if (node.connectionId !== caller.connectionId) {
    await deps.store.putNode({ ...node, connectionId: caller.connectionId }, node.connectionId);
  }
  return presentGroup(group, deps.settings);
}
