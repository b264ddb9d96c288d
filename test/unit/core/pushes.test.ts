import { buildPush, splitBatchEvent } from '#shared/core/pushes';
import { ValidationError } from '#shared/core/errors';
import { utf8Bytes } from '#shared/protocol/limits';
import type { BatchEvent, MeshEvent } from '#shared/protocol/types';

const key = { groupId: 'g-1', domain: 'school-1' };
const envelope = { from: 'node-1', epoch: 'e-1', sentAt: '2026-01-05T09:00:00.000Z' };

function batch(events: MeshEvent[]): BatchEvent {
  return { events, firedByNodeId: 'node-1', ...key, timestamp: '2026-01-05T09:00:00.000Z' };
}

function event(name: string, payload: string | null = null): MeshEvent {
  return { name, firedByNodeId: 'node-1', ...key, payload, timestamp: '2026-01-05T09:00:00.000Z' };
}

describe('buildPush', () => {
  it('puts the envelope, the ordering fields and one payload in the frame', () => {
    // Act
    const push = buildPush(key, { ...envelope, seq: 7 }, { groupDissolve: { ...key, message: 'bye' } });

    // Assess
    expect(push).toEqual({ type: 'message', ...key, ...envelope, seq: 7, groupDissolve: { ...key, message: 'bye' } });
  });
});

describe('splitBatchEvent', () => {
  it('keeps a batch that fits whole', () => {
    // Prepare
    const whole = batch([event('a'), event('b', '絵文字🎉')]);

    // Act
    const parts = splitBatchEvent(key, envelope, whole, 10_000);

    // Assess
    expect(parts).toEqual([whole]);
  });

  it('cuts where the next event would pass the limit, sizing the frame with the widest seq', () => {
    // Prepare
    const events = Array.from({ length: 30 }, (_, i) => event(`e${i}`, 'ü'.repeat(100)));
    const limit = 2_000;

    // Act
    const parts = splitBatchEvent(key, envelope, batch(events), limit);

    // Assess
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.flatMap((p) => p.events)).toEqual(events);
    for (const [i, part] of parts.entries()) {
      const frame = buildPush(key, { ...envelope, seq: Number.MAX_SAFE_INTEGER }, { batchEvent: part });
      const bytes = utf8Bytes(JSON.stringify(frame));
      expect(bytes).toBeLessThanOrEqual(limit);
      if (i < parts.length - 1) {
        const withNext = { ...part, events: [...part.events, parts[i + 1].events[0]] };
        const grown = buildPush(key, { ...envelope, seq: Number.MAX_SAFE_INTEGER }, { batchEvent: withNext });
        expect(utf8Bytes(JSON.stringify(grown))).toBeGreaterThan(limit);
      }
    }
  });

  it('refuses an event that cannot fit in any push', () => {
    expect(() => splitBatchEvent(key, envelope, batch([event('huge', 'x'.repeat(5_000))]), 2_000)).toThrow(
      ValidationError,
    );
  });
});
