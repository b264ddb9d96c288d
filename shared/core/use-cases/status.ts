/**
 * reportDataByNode: the hot path for status ("sensor data"). No read (the
 * group from KnownGroups), one conditional write (merge + seq, the status
 * size bounded by the store), one publish.
 */
import { LIMITS, utf8Bytes } from '#shared/protocol/limits';
import type { RequestOf } from '#shared/protocol/requests';
import type { MeshMessage, StatusEntry } from '#shared/protocol/types';
import { ValidationError } from '../errors';
import type { Caller } from '../model';
import type { MeshDeps } from '../ports';
import { iso, presentStatus } from '../presenters';
import { buildPush } from '../pushes';
import { keyOf, publishPushes, requireKnownLiveGroup, updateOwnNode } from './guards';

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
  await requireKnownLiveGroup(deps, key);
  const delta = lastValuePerKey(request.data);
  const now = deps.clock.now();
  const change = { data: delta, statusAt: now, seqCount: 1 };
  const node = await updateOwnNode(
    deps,
    key,
    request.nodeId,
    caller,
    { ...change, statusBytes: { grow: statusBytes(delta), limit: LIMITS.maxStatusBytesPerNode } },
    // The store's bound says the status might not fit: check its exact size on the node just read.
    (actor) => ({
      ...change,
      statusBytes: { exact: requireStatusFits({ ...actor.node.data, ...delta }), ifSeq: actor.node.seq },
    }),
  );
  const entries: StatusEntry[] = Object.entries(delta).map(([k, value]) => ({ key: k, value }));
  const nodeStatus = presentStatus(key, node.nodeId, entries, now);
  const order = { from: node.nodeId, epoch: node.epoch, seq: node.seq, sentAt: iso(now) };
  await publishPushes(deps, caller, [buildPush(key, order, { nodeStatus })]);
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

/** The size the status limit counts: UTF-8 bytes of the map as JSON. */
function statusBytes(status: Record<string, string>): number {
  return utf8Bytes(JSON.stringify(status));
}

/**
 * The merged status's bytes, if within the limit. The store's conditional
 * write (`ifSeq`) makes sure no other report merged in between, so the limit
 * holds exactly.
 */
function requireStatusFits(merged: Record<string, string>): number {
  const bytes = statusBytes(merged);
  if (bytes > LIMITS.maxStatusBytesPerNode) {
    throw new ValidationError(
      `the node's status would be ${bytes} bytes, over the limit of ${LIMITS.maxStatusBytesPerNode}: report fewer or shorter keys`,
    );
  }
  return bytes;
}
