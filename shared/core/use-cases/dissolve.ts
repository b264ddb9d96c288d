/**
 * dissolveGroup: the host ends the group; every other member gets exactly one
 * `groupDissolve` push.
 *
 * The push is appended to the group's log with the dissolve mark, in one
 * conditional write: of two dissolves racing (a host that sends it twice
 * without waiting), one appends and the other finds the mark and answers
 * GroupNotFound, so members get one push. Nothing is appended after the mark,
 * so no push follows the dissolve. The group's items are deleted after the
 * append; `MeshStore.deleteGroup` keeps the subscription items (C#) and the
 * log, so the fan-out still finds every recipient when it runs after the
 * delete; their TTL removes them. A dissolve that finds the mark set also
 * finishes the delete, in case the first stopped between its append and its
 * delete.
 */
import type { RequestOf } from '#shared/protocol/requests';
import type { GroupDissolvePayload, MeshMessage } from '#shared/protocol/types';
import type { Caller } from '../model';
import { GroupNotFound } from '../errors';
import { type MeshDeps } from '../ports';
import { GroupDissolved } from '../store-errors';
import { iso } from '../presenters';
import { buildPush } from '../pushes';
import { keyOf, loadHost, updateOwnNode } from './guards';

/** The message members receive, as Mesh v2 words it. */
export const DISSOLVE_MESSAGE = 'Group dissolved by host';

/** Host only. Returns the MeshMessage the members receive. */
export async function dissolveGroup(
  request: RequestOf<'dissolveGroup'>,
  caller: Caller,
  deps: MeshDeps,
): Promise<MeshMessage> {
  const key = keyOf(request);
  const host = await loadHost(deps, key, request.hostId, caller);
  // The seq comes from the store, not from host.node.seq + 1: a report racing
  // this dissolve would otherwise share its seq and receivers would drop one.
  const { seq } = await updateOwnNode(deps, key, host.node.nodeId, caller, { seqCount: 1 });
  const groupDissolve: GroupDissolvePayload = { ...key, message: DISSOLVE_MESSAGE };
  const order = { from: host.node.nodeId, epoch: host.node.epoch, seq, sentAt: iso(deps.clock.now()) };
  try {
    await deps.publisher.publish([buildPush(key, order, { groupDissolve })], { dissolve: true });
  } catch (error) {
    if (!(error instanceof GroupDissolved)) throw error;
    await deps.store.deleteGroup(host.group);
    throw new GroupNotFound();
  }
  await deps.store.deleteGroup(host.group);
  return { ...key, groupDissolve };
}
