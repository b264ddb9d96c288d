/**
 * fireEventsByNode: the hot path for broadcast events. No read (the group
 * from KnownGroups), one conditional write (allocating one seq per push), one
 * publish of every push. recordEventsByNode (polling.ts) sends the same way.
 */
import type { RequestOf } from '#shared/protocol/requests';
import type { BatchEvent, MeshEvent, MeshMessage } from '#shared/protocol/types';
import { ValidationError } from '../errors';
import type { Caller, GroupKey } from '../model';
import type { MeshDeps } from '../ports';
import { iso } from '../presenters';
import { buildPush, splitBatchEvent } from '../pushes';
import { keyOf, publishPushes, requireKnownLiveGroup, updateOwnNode } from './guards';

type EventInput = RequestOf<'fireEventsByNode'>['events'][number];

/**
 * Sends a batch of events to the other members. A batch whose push would be
 * too large for one message goes as several pushes with consecutive seqs, in
 * order; the reply holds the whole batch.
 */
export async function fireEventsByNode(
  request: RequestOf<'fireEventsByNode'>,
  caller: Caller,
  deps: MeshDeps,
): Promise<MeshMessage> {
  const { key, batchEvent, parts } = await sendEvents(request, caller, deps);
  return { ...key, batchEvent: parts.length === 1 ? batchEvent : parts[0] };
}

/** What sending a batch did: the batch, the pushes it went as, and the log position of the first. */
export interface SentEvents {
  key: GroupKey;
  batchEvent: BatchEvent;
  parts: BatchEvent[];
  first: number;
}

/** fireEventsByNode's work, shared with recordEventsByNode (polling.ts), which answers with the log position. */
export async function sendEvents(
  request: Omit<RequestOf<'fireEventsByNode'>, 'action' | 'requestId'>,
  caller: Caller,
  deps: MeshDeps,
): Promise<SentEvents> {
  const key = keyOf(request);
  await requireKnownLiveGroup(deps, key);
  const now = deps.clock.now();
  const batchEvent: BatchEvent = {
    events: request.events.map((event) => meshEvent(event, request.nodeId, key)),
    firedByNodeId: request.nodeId,
    ...key,
    timestamp: iso(now),
  };
  const parts = splitBatchEvent(key, { from: request.nodeId, sentAt: iso(now) }, batchEvent);
  const node = await updateOwnNode(deps, key, request.nodeId, caller, { seqCount: parts.length });
  const envelope = { from: node.nodeId, epoch: node.epoch, sentAt: iso(now) };
  const firstSeq = node.seq - parts.length + 1;
  const first = await publishPushes(
    deps,
    caller,
    parts.map((part, i) => buildPush(key, { ...envelope, seq: firstSeq + i }, { batchEvent: part })),
  );
  return { key, batchEvent, parts, first: first ?? 0 };
}

/**
 * Mesh v2's Event: its timestamp is the sender's firedAt (normalised to UTC
 * ms), payload null when absent, and the sender's orderKey echoed when given.
 */
function meshEvent(event: EventInput, firedByNodeId: string, key: GroupKey): MeshEvent {
  const firedAt = Date.parse(event.firedAt);
  // The request schema admits only valid date-times; this keeps a bad one from becoming an InternalError.
  if (Number.isNaN(firedAt)) throw new ValidationError(`firedAt of "${event.eventName}" is not a date-time`);
  return {
    name: event.eventName,
    firedByNodeId,
    ...key,
    payload: event.payload ?? null,
    timestamp: iso(firedAt),
    ...(event.orderKey === undefined ? {} : { orderKey: event.orderKey }),
  };
}
