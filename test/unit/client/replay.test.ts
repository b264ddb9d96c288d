import { EventReplayer } from '#client/replay';
import type { BatchEvent, MeshEvent } from '#shared/protocol/types';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

function batch(from: string, offsets: number[], names?: string[]): BatchEvent {
  return {
    firedByNodeId: from,
    groupId: 'g1',
    domain: 'd1',
    timestamp: new Date(T0).toISOString(),
    events: offsets.map((offset, i) => ({
      name: names?.[i] ?? `e${offset}`,
      firedByNodeId: from,
      groupId: 'g1',
      domain: 'd1',
      payload: null,
      timestamp: new Date(T0 + offset).toISOString(),
    })),
  };
}

describe('EventReplayer', () => {
  let emitted: { at: number; event: MeshEvent }[];

  beforeEach(() => {
    jest.useFakeTimers({ now: T0 + 300 });
    emitted = [];
  });

  afterEach(() => jest.useRealTimers());

  const replayer = (mode: 'spaced' | 'raw' = 'spaced', maxLagMs = 1000) =>
    new EventReplayer({ mode, maxLagMs, emit: (event) => emitted.push({ at: Date.now() - (T0 + 300), event }) });

  it('replays a batch with the spacing of its timestamps', async () => {
    replayer().push(batch('n1', [0, 40, 40, 200]));
    await jest.advanceTimersByTimeAsync(500);

    expect(emitted.map((e) => [e.event.name, e.at])).toEqual([
      ['e0', 0],
      ['e40', 40],
      ['e40', 40],
      ['e200', 200],
    ]);
  });

  it('sorts a batch by timestamp, keeping the order of equal ones', async () => {
    replayer().push(batch('n1', [100, 0, 100, 50], ['c', 'a', 'd', 'b']));
    await jest.advanceTimersByTimeAsync(500);

    expect(emitted.map((e) => e.event.name)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('carries the spacing across batches of one sender', async () => {
    const r = replayer();
    r.push(batch('n1', [0, 200]));
    await jest.advanceTimersByTimeAsync(50);
    r.push(batch('n1', [250, 300]));
    await jest.advanceTimersByTimeAsync(1000);

    expect(emitted.map((e) => [e.event.name, e.at])).toEqual([
      ['e0', 0],
      ['e200', 200],
      ['e250', 250],
      ['e300', 300],
    ]);
  });

  it('replays different senders independently', async () => {
    const r = replayer();
    r.push(batch('a', [0, 200]));
    r.push(batch('b', [0, 10]));
    await jest.advanceTimersByTimeAsync(500);

    expect(emitted.map((e) => [e.event.firedByNodeId, e.at])).toEqual([
      ['a', 0],
      ['b', 0],
      ['b', 10],
      ['a', 200],
    ]);
  });

  it('stops spacing beyond maxLagMs so a backlog does not fall behind', async () => {
    // Events fired over 10 s (queued during a reconnect) arrive in one batch.
    replayer('spaced', 1000).push(batch('n1', [0, 5000, 10000]));
    await jest.advanceTimersByTimeAsync(5000);

    expect(emitted.map((e) => e.event.name)).toEqual(['e0', 'e5000', 'e10000']);
    expect(Math.max(...emitted.map((e) => e.at))).toBeLessThanOrEqual(2000);
  });

  it('emits everything on arrival, in batch order, in raw mode', () => {
    replayer('raw').push(batch('n1', [100, 0, 50], ['x', 'y', 'z']));
    expect(emitted.map((e) => [e.event.name, e.at])).toEqual([
      ['x', 0],
      ['y', 0],
      ['z', 0],
    ]);
  });
});
