import { EventQueue, splitIntoBatches, type EventInput } from '#client/event-queue';
import type { SendOutcome } from '#client/limiter';
import { MeshError } from '#client/errors';
import { LIMITS, utf8Bytes } from '#shared/protocol/limits';

/** The message MeshClient sends for a batch, so sizes are checked on the real JSON. */
function message(events: EventInput[]): string {
  return JSON.stringify({
    action: 'fireEventsByNode',
    requestId: 'x'.repeat(24),
    groupId: 'g'.repeat(36),
    domain: 'school-1',
    nodeId: 'node-1',
    events,
  });
}
const envelopeBytes = utf8Bytes(message([]));

function events(count: number, payload: (i: number) => string | null = () => null): EventInput[] {
  return Array.from({ length: count }, (_, i) => ({
    eventName: `e${i}`,
    payload: payload(i),
    firedAt: new Date(Date.parse('2026-01-01T00:00:00Z') + i).toISOString(),
  }));
}

describe('splitIntoBatches', () => {
  it('cuts by count: 2,500 small events go as 1,000 + 1,000 + 500, in order', () => {
    const input = events(2500);
    const batches = splitIntoBatches(input, { envelopeBytes: 0, maxMessageBytes: Infinity });

    expect(batches.map((b) => b.length)).toEqual([1000, 1000, 500]);
    expect(batches.flat()).toEqual(input);
  });

  it('cuts by size: every message is at most 32 KB and the order is kept', () => {
    // Multibyte payloads of varying size: 300 events of up to ~6 KB each.
    const input = events(300, (i) => 'あ🎵x'.repeat((i * 37) % 700));
    const batches = splitIntoBatches(input, { envelopeBytes });

    expect(batches.length).toBeGreaterThan(1);
    for (const batch of batches) {
      expect(utf8Bytes(message(batch))).toBeLessThanOrEqual(LIMITS.maxClientMessageBytes);
    }
    expect(batches.flat()).toEqual(input);
  });

  it('fills each message as far as the next event allows', () => {
    const input = events(100, () => 'p'.repeat(1000));
    const batches = splitIntoBatches(input, { envelopeBytes });

    for (let i = 0; i < batches.length - 1; i += 1) {
      const withNext = [...batches[i], batches[i + 1][0]];
      expect(utf8Bytes(message(withNext))).toBeGreaterThan(LIMITS.maxClientMessageBytes);
    }
  });

  it('throws a clear error for an event that cannot fit in one message', () => {
    const huge = events(1, () => '"'.repeat(8192 * 2));
    expect(() => splitIntoBatches(huge, { envelopeBytes })).toThrow(/at most 32768 bytes/);
  });
});

describe('EventQueue', () => {
  let sent: EventInput[][];
  let outcomes: SendOutcome[];
  let queue: EventQueue;

  beforeEach(() => {
    jest.useFakeTimers({ now: Date.parse('2026-01-01T00:00:00Z') });
    sent = [];
    outcomes = [];
    queue = new EventQueue({
      flushIntervalMs: 250,
      envelopeBytes: () => envelopeBytes,
      send: async (batch) => {
        sent.push(batch);
        return outcomes.shift() ?? 'sent';
      },
    });
    queue.start();
  });

  afterEach(() => {
    queue.stop();
    jest.useRealTimers();
  });

  it('sends the events of a 250 ms tick as one batch, stamped with their firing time', async () => {
    queue.push('a', '1');
    await jest.advanceTimersByTimeAsync(100);
    queue.push('b');
    await jest.advanceTimersByTimeAsync(149);
    expect(sent).toHaveLength(0);

    await jest.advanceTimersByTimeAsync(1);

    expect(sent).toEqual([
      [
        { eventName: 'a', payload: '1', firedAt: '2026-01-01T00:00:00.000Z' },
        { eventName: 'b', payload: null, firedAt: '2026-01-01T00:00:00.100Z' },
      ],
    ]);
  });

  it('sends 1,000 events fired over one second in about 4 messages', async () => {
    for (let i = 0; i < 1000; i += 1) {
      queue.push(`e${i}`);
      await jest.advanceTimersByTimeAsync(1);
    }
    await jest.advanceTimersByTimeAsync(250);

    expect(sent.length).toBeGreaterThanOrEqual(4);
    expect(sent.length).toBeLessThanOrEqual(5);
    expect(sent.flat().map((e) => e.eventName)).toEqual(Array.from({ length: 1000 }, (_, i) => `e${i}`));
  });

  it('splits a large queue into messages of at most 32 KB, in order', async () => {
    for (let i = 0; i < 400; i += 1) queue.push(`e${i}`, 'z'.repeat(500));
    await jest.advanceTimersByTimeAsync(250);

    expect(sent.length).toBeGreaterThan(5);
    for (const batch of sent) expect(utf8Bytes(message(batch))).toBeLessThanOrEqual(LIMITS.maxClientMessageBytes);
    expect(sent.flat().map((e) => e.eventName)).toEqual(Array.from({ length: 400 }, (_, i) => `e${i}`));
    expect(queue.length).toBe(0);
  });

  it('refuses an event that can never fit, and a payload over 8,192 characters', () => {
    expect(() => queue.push('big', 'x'.repeat(8193))).toThrow(MeshError);
    // 8,192 quotes escape to 16 KB of JSON: that still fits.
    expect(() => queue.push('quotes', '"'.repeat(8192))).not.toThrow();
    // 8,192 control characters escape to 48 KB (\u0001 each): that never can.
    expect(() => queue.push('control', '\u0001'.repeat(8192))).toThrow(/at most 32768 bytes/);
  });

  it('refuses a name or payload with a lone surrogate', () => {
    expect(() => queue.push('x\ud800')).toThrow(/well-formed Unicode/);
    expect(() => queue.push('ok', 'p\udfff')).toThrow(/well-formed Unicode/);
    expect(() => queue.push('😀', '\ud83d\ude00')).not.toThrow();
  });

  it('re-sends an unconfirmed batch unchanged before newer events, and never in two batches', async () => {
    queue.push('a');
    queue.push('b');
    outcomes = ['retry'];
    await jest.advanceTimersByTimeAsync(250);
    queue.stop(); // the connection is down
    queue.push('c');
    queue.start();
    await jest.advanceTimersByTimeAsync(250);

    expect(sent.map((b) => b.map((e) => e.eventName))).toEqual([['a', 'b'], ['a', 'b'], ['c']]);
    expect(sent[1]).toEqual(sent[0]);
    expect(queue.length).toBe(0);
  });

  it('keeps everything while stopped and sends it once started', async () => {
    queue.stop();
    queue.push('a');
    await jest.advanceTimersByTimeAsync(1000);
    expect(sent).toHaveLength(0);
    expect(queue.length).toBe(1);

    queue.start();
    await jest.advanceTimersByTimeAsync(250);
    expect(sent).toHaveLength(1);
  });

  it('drops a batch the server refused and goes on with the next', async () => {
    for (let i = 0; i < 1500; i += 1) queue.push(`e${i}`);
    outcomes = ['dropped'];
    await jest.advanceTimersByTimeAsync(250);

    expect(sent.length).toBeGreaterThan(1);
    expect(sent.flat().map((e) => e.eventName)).toEqual(Array.from({ length: 1500 }, (_, i) => `e${i}`));
    expect(queue.eventsConfirmed).toBe(1500 - sent[0].length);
    expect(queue.length).toBe(0);
  });
});
