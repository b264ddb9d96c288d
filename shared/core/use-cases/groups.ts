/**
 * createDomain, createGroup and listGroupsByDomain: how a group comes to be
 * and how it is found.
 */
import { LIMITS } from '#shared/protocol/limits';
import type { RequestOf } from '#shared/protocol/requests';
import type { Group, NodeTokenGrant } from '#shared/protocol/types';
import { LimitExceeded, ValidationError } from '../errors';
import { isGroupLive } from '../liveness';
import type { Caller, ConnectionRecord, GroupRecord, NodeRecord } from '../model';
import { newNodeBinding } from '../bindings';
import { issueNodeToken, requireBoundOrToken } from '../node-tokens';
import type { MeshDeps } from '../ports';
import { assignedDomain, isDomainAllowed } from '../principals';
import { sourceDomain } from '../source-domains';
import { presentGroup } from '../presenters';
import { keyOf, requireFreeConnection, retryOnConflict } from './guards';

/**
 * The "auto" domain of Mesh v2, from the caller's source address, which it
 * does not reveal (source-domains.ts); or, for a credential that names its
 * domains, the first of them (principals.ts).
 */
export async function createDomain(
  _request: RequestOf<'createDomain'>,
  caller: Caller,
  deps: MeshDeps,
): Promise<string> {
  return assignedDomain(caller) ?? sourceDomain(caller.sourceIp, deps.domainSecret);
}

/**
 * Creates a group with the caller as its host node and hands out the host's
 * nodeToken; or, while the host's group (same hostId + domain) is live,
 * returns that one (Mesh v2's idempotent create). A connection other than the
 * host node's own takes the group over this way only with the host's
 * nodeToken (a host that reconnected); knowing the hostId is not enough. Two
 * racing creates cannot both win: the store's write is conditional on the
 * host record read, and the loser's next attempt finds and returns the winner.
 */
export async function createGroup(
  request: RequestOf<'createGroup'>,
  caller: Caller,
  deps: MeshDeps,
): Promise<Group & NodeTokenGrant> {
  const lifetimeSeconds = lifetimeOf(request.maxConnectionTimeSeconds, deps);
  return retryOnConflict(async function createOrTakeOver() {
    const [existing, connection] = await Promise.all([
      deps.store.findHostGroup(request.domain, request.hostId),
      deps.store.getConnection(caller.connectionId),
    ]);
    const now = deps.clock.now();
    if (existing?.group && isGroupLive(existing.group, now, deps.settings)) {
      const taken = await takeOver(deps, existing.group, caller, connection, request.nodeToken);
      if (taken !== undefined) return taken;
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
    await requireRoomForGroup(deps, request.domain);
    const { nodeToken, tokenHash } = issueNodeToken(deps.ids);
    await deps.store.createGroup(group, hostNode(group, caller, deps, tokenHash), existing?.groupId);
    return { ...presentGroup(group, deps.settings), nodeToken };
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

/**
 * How many candidates a search reads at most: the index skips groups past
 * their expiresAt, but heartbeat-lapsed ones and other domains' (for a
 * credential bound to some) are dropped here, so it reads more than it answers.
 */
const SEARCH_CANDIDATES = 100;

/**
 * Live groups of every domain whose name starts with `namePrefix`
 * (case-sensitive), by name: Mesh v2's successor's search, which lets pupils
 * find a group by the first characters of its host's name. At most
 * LIMITS.maxSearchResults (10), as there; a smaller `limit` gives fewer. A
 * credential bound to domains sees only their groups.
 */
export async function searchGroupsByNamePrefix(
  request: RequestOf<'searchGroupsByNamePrefix'>,
  caller: Caller,
  deps: MeshDeps,
): Promise<Group[]> {
  const now = deps.clock.now();
  const wanted = Math.min(request.limit ?? LIMITS.maxSearchResults, LIMITS.maxSearchResults);
  const candidates = await deps.store.searchGroups(request.namePrefix, { now, max: SEARCH_CANDIDATES });
  return candidates
    .filter((group) => isGroupLive(group, now, deps.settings) && isDomainAllowed(caller, group.domain))
    .slice(0, wanted)
    .map((group) => presentGroup(group, deps.settings));
}

/** A new group needs room in its domain: live groups below the cap. Two creates at once may both find the last place. */
async function requireRoomForGroup(deps: MeshDeps, domain: string): Promise<void> {
  const now = deps.clock.now();
  const max = deps.settings.maxGroupsPerDomain;
  const live = (await deps.store.listGroups(domain)).filter((group) => isGroupLive(group, now, deps.settings));
  if (live.length >= max) throw new LimitExceeded(`the domain is full: it has ${max} live groups, the most it takes`);
}

function lifetimeOf(requested: number | undefined, deps: MeshDeps): number {
  const max = deps.settings.maxConnectionTimeSeconds;
  if (requested !== undefined && requested > max) {
    throw new ValidationError(`maxConnectionTimeSeconds must be at most ${max}`);
  }
  return requested ?? max;
}

/** The host's node: it lives exactly as long as the group (renewHeartbeat keeps the group alive, not the node). */
function hostNode(group: GroupRecord, caller: Caller, deps: MeshDeps, tokenHash: string): NodeRecord {
  return {
    groupId: group.groupId,
    domain: group.domain,
    nodeId: group.hostId,
    name: group.hostId,
    isHost: true,
    epoch: deps.ids.epoch(),
    seq: 0,
    connectionId: newNodeBinding(caller, tokenHash),
    joinedAt: deps.clock.now(),
    expiresAt: group.expiresAt,
    data: {},
    statusAt: null,
    tokenHash,
    // Over HTTPS there is no socket to push to: the host polls, whatever its group's members do.
    useWebSocket: caller.overHttps ? false : group.useWebSocket,
  };
}

/**
 * Returns an existing live group, binding the caller as its host node if
 * another connection (or none) was and the caller holds the host's token.
 * Undefined when the group has no host node: only a group being deleted
 * lacks it, and the host gets a new group instead. A ConditionFailed from
 * putNode (the group dissolved, or the host node changed meanwhile) is left
 * to retryOnConflict.
 */
async function takeOver(
  deps: MeshDeps,
  group: GroupRecord,
  caller: Caller,
  connection: ConnectionRecord | undefined,
  nodeToken: string | undefined,
): Promise<Group | undefined> {
  const key = keyOf(group);
  const { node } = await deps.store.getGroupAndNode(key, group.hostId);
  if (node === undefined) return undefined;
  requireBoundOrToken(node, caller.connectionId, nodeToken);
  await requireFreeConnection(deps, caller, connection, { ...key, nodeId: group.hostId });
  if (node.connectionId !== caller.connectionId) {
    await deps.store.putNode({ ...node, connectionId: caller.connectionId }, node.connectionId);
  }
  return presentGroup(group, deps.settings);
}
