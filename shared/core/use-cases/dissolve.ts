/**
 * dissolveGroup: the host ends the group; every other member gets one
 * `groupDissolve` push.
 *
 * Order matters because the fan-out runs later (SNS → Lambda, tens of ms) and
 * reads the group's subscriptions from the store when it runs. So the push is
 * published first and the group deleted after, and `MeshStore.deleteGroup`
 * keeps the group's subscription items (C#): the fan-out of this push still
 * finds every recipient even when it runs after the delete. Nothing else can
 * be published to a deleted group (every action answers GroupNotFound), so the
 * kept subscriptions receive nothing more; their TTL removes them within the
 * member heartbeat TTL. A failed publish leaves the group intact (the host
 * may retry); a failed delete after a publish leaves members told of an end
 * that the host's retry completes.
 */
import type { RequestOf } from '#shared/protocol/requests';
import type { GroupDissolvePayload, MeshMessage } from '#shared/protocol/types';
import type { Caller } from '../model';
import type { MeshDeps } from '../ports';
import { iso } from '../presenters';
import { buildPush } from '../pushes';
import { keyOf, loadHost, updateOwnNode } from './guards';

/** The message members receive, as Mesh v2 words it. */
export const DISSOLVE_MESSAGE = 'Group dissolved by host';

/** Host only. Returns the MeshMessage the members receive. */
export async function dissolveGroup(request: RequestOf<'dissolveGroup'>, caller: Caller, deps: MeshDeps): Promise<MeshMessage> {
  const key = keyOf(request);
  const host = await loadHost(deps, key, request.hostId, caller);
  // The seq comes from the store, not from host.node.seq + 1: a report racing
  // this dissolve would otherwise share its seq and receivers would drop one.
  const seq = await updateOwnNode(deps, host, caller, { seqCount: 1 });
  const groupDissolve: GroupDissolvePayload = { ...key, message: DISSOLVE_MESSAGE };
  const order = { from: host.node.nodeId, epoch: host.node.epoch, seq, sentAt: iso(deps.clock.now()) };
  await deps.publisher.publish([buildPush(key, order, { groupDissolve })]);
  await deps.store.deleteGroup(host.group);
  return { ...key, groupDissolve };
}
