/**
 * Building push frames, and cutting an event batch into pushes that each stay
 * under LIMITS.maxPushPayloadBytes (API Gateway's 128 KB message limit, with
 * room to spare). The order of events is kept: part i holds events that come
 * before those of part i + 1, and parts get consecutive seqs.
 */
import { LIMITS, utf8Bytes } from '../protocol/limits';
import type { Push, PushOrder, PushPayload } from '../protocol/messages';
import type { BatchEvent } from '../protocol/types';
import { ValidationError } from './errors';
import type { GroupKey } from './model';

/** One push frame: envelope, ordering fields, and exactly one payload. */
export function buildPush(key: GroupKey, order: PushOrder, payload: PushPayload): Push {
  return { type: 'message', groupId: key.groupId, domain: key.domain, ...order, ...payload } as Push;
}

/**
 * What every part of a batch shares; `seq` and `epoch` are not known yet when
 * splitting (the store's write that allocates the seqs returns them).
 */
export type PushEnvelope = Omit<PushOrder, 'seq' | 'epoch'>;

/**
 * The largest seq a push can carry and the longest epoch (IdGenerator.epoch
 * promises no more), so that sizing with them gives an upper bound whatever
 * the store returns later.
 */
const WIDEST_SEQ = Number.MAX_SAFE_INTEGER;
export const MAX_EPOCH_LENGTH = 32;
const WIDEST_EPOCH = 'e'.repeat(MAX_EPOCH_LENGTH);

/**
 * Splits a batch into BatchEvents whose push frames (as JSON, UTF-8) are each at
 * most `limit` bytes. Sizes are computed per event once (not by re-serialising
 * growing batches), which is exact because JSON.stringify of an array is `[` +
 * items joined by `,` + `]`.
 */
export function splitBatchEvent(
  key: GroupKey,
  envelope: PushEnvelope,
  batch: BatchEvent,
  limit: number = LIMITS.maxPushPayloadBytes,
): BatchEvent[] {
  const empty = buildPush(
    key,
    { ...envelope, epoch: WIDEST_EPOCH, seq: WIDEST_SEQ },
    { batchEvent: { ...batch, events: [] } },
  );
  const base = utf8Bytes(JSON.stringify(empty));
  const parts: BatchEvent[] = [];
  let events: BatchEvent['events'] = [];
  let bytes = base;
  for (const event of batch.events) {
    const size = utf8Bytes(JSON.stringify(event));
    if (base + size > limit) throw new ValidationError(`event "${event.name}" is too large to push`);
    const next = bytes + size + (events.length > 0 ? 1 : 0);
    if (next > limit) {
      parts.push({ ...batch, events });
      events = [];
      bytes = base + size;
    } else {
      bytes = next;
    }
    events.push(event);
  }
  parts.push({ ...batch, events });
  return parts;
}
