/**
 * renewHeartbeat (the host keeps its group alive) and sendMemberHeartbeat (a
 * member keeps its node alive).
 */
import type { RequestOf } from '#shared/protocol/requests';
import type { HeartbeatPayload, MemberHeartbeatPayload } from '#shared/protocol/types';
import { GroupNotFound } from '../errors';
import type { Caller } from '../model';
import { type MeshDeps } from '../ports';
import { ConditionFailed } from '../store-errors';
import { iso } from '../presenters';
import { explainLostNode, keyOf, loadActor, loadHost } from './guards';

/**
 * Host only. Refreshes the host heartbeat; `expiresAt` does not move (Mesh
 * v2: a group's lifetime is fixed at creation).
 */
export async function renewHeartbeat(
  request: RequestOf<'renewHeartbeat'>,
  caller: Caller,
  deps: MeshDeps,
): Promise<HeartbeatPayload> {
  const key = keyOf(request);
  const { group } = await loadHost(deps, key, request.hostId, caller);
  try {
    await deps.store.setHostHeartbeat(key, deps.clock.now());
  } catch (error) {
    // The group item went away after the read: dissolved meanwhile.
    throw error instanceof ConditionFailed ? new GroupNotFound() : error;
  }
  return {
    ...key,
    expiresAt: iso(group.expiresAt),
    heartbeatIntervalSeconds: deps.settings.hostHeartbeatIntervalSeconds,
  };
}

/**
 * Extends the caller's node by the member heartbeat TTL. The host's node lives
 * as long as its group, so for the host this only answers (renewHeartbeat is
 * what keeps a group alive).
 */
export async function sendMemberHeartbeat(
  request: RequestOf<'sendMemberHeartbeat'>,
  caller: Caller,
  deps: MeshDeps,
): Promise<MemberHeartbeatPayload> {
  const key = keyOf(request);
  const { group, node } = await loadActor(deps, key, request.nodeId, caller);
  if (!node.isHost) {
    const expiresAt = deps.clock.now() + deps.settings.memberHeartbeatTtlSeconds * 1000;
    try {
      await deps.store.setNodeExpiry(node, expiresAt);
    } catch (error) {
      if (!(error instanceof ConditionFailed)) throw error;
      await explainLostNode(deps, key, node.nodeId, caller);
    }
  }
  return {
    nodeId: node.nodeId,
    ...key,
    expiresAt: iso(group.expiresAt),
    heartbeatIntervalSeconds: deps.settings.memberHeartbeatIntervalSeconds,
  };
}
