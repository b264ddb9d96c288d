/**
 * reportDataByNode: the hot path for status ("sensor data"). One read (group
 * and node together), one conditional write (merge + seq), one publish.
 */
import { LIMITS, utf8Bytes } from '#shared/protocol/limits';
import type { RequestOf } from '#shared/protocol/requests';
import type { MeshMessage, StatusEntry } from '#shared/protocol/types';
import { ValidationError } from '../errors';
import type { Caller } from '../model';
import type { MeshDeps } from '../ports';
import { iso, presentStatus } from '../presenters';
import { buildPush } from '../pushes';
import { keyOf, loadActor, publishPushes, updateOwnNode } from './guards';

/**
 * Merges the reported keys into the node's status (latest value per key) and
 * pushes only those keys (a delta) to the other members. A report that would
 * take the merged status over LIMITS.maxStatusBytesPerNode is refused whole.
 */
export async function reportDataByNode(
  request: RequestOf<'reportDataByNode'>,
  caller: Caller,
  deps: MeshDeps,
): Promise<MeshMessage> {
  const key = keyOf(request);
  const actor = await loadActor(deps, key, request.nodeId, caller);
  const delta = lastValuePerKey(request.data);
  requireStatusFits({ ...actor.node.data, ...delta });
  const now = deps.clock.now();
  const seq = await updateOwnNode(deps, actor, caller, { data: delta, statusAt: now, seqCount: 1 });
  const entries: StatusEntry[] = Object.entries(delta).map(([k, value]) => ({ key: k, value }));
  const nodeStatus = presentStatus(key, actor.node.nodeId, entries, now);
  const order = { from: actor.node.nodeId, epoch: actor.node.epoch, seq, sentAt: iso(now) };
  await publishPushes(deps, [buildPush(key, order, { nodeStatus })]);
  return { ...key, nodeStatus };
}

/**
 * A report's entries as a map; a key given twice keeps its last value.
 * Object.fromEntries defines own properties, so a key such as "__proto__" is
 * data like any other.
 */
export function lastValuePerKey(entries: StatusEntry[]): Record<string, string> {
  return Object.fromEntries(new Map(entries.map((entry) => [entry.key, entry.value])));
}

/**
 * The check is made on the status read just before the write; two reports
 * racing from the same connection could pass it together and overshoot by at
 * most one report (≤ 32 KB frame), which the item size limit (400 KB) absorbs.
 */
function requireStatusFits(merged: Record<string, string>): void {
  const bytes = utf8Bytes(JSON.stringify(merged));
  if (bytes > LIMITS.maxStatusBytesPerNode) {
    throw new ValidationError(
      `the node's status would be ${bytes} bytes, over the limit of ${LIMITS.maxStatusBytesPerNode}: report fewer or shorter keys`,
    );
  }
}
