/** Per-second bucketing of fan-out rounds (console/rates.ts): what the rate and latency charts plot. */
import type { MeshRound } from '#shared/protocol/console';
import { groupKeyOf, percentile, RoundBuckets } from '../../../console/rates';

const BASE = Date.parse('2026-03-02T10:00:00.000Z') / 1000;
const A = { groupId: 'ga', domain: 'school-1' };
const B = { groupId: 'gb', domain: 'school-1' };

function round(
  group: { groupId: string; domain: string },
  atSecond: number,
  fields: Partial<MeshRound> = {},
): MeshRound {
  return {
    ...group,
    pushes: 1,
    frames: 1,
    gone: 0,
    abandoned: 0,
    latencyMs: 10,
    at: new Date(atSecond * 1000 + 250).toISOString(),
    ...fields,
  };
}

describe('RoundBuckets', () => {
  it('sums pushes and frames of a group per second, with 0 in seconds without rounds', () => {
    const buckets = new RoundBuckets(4);
    buckets.add(round(A, BASE, { pushes: 3, frames: 6 }));
    buckets.add(round(A, BASE, { pushes: 2, frames: 4 }));
    buckets.add(round(A, BASE + 2, { pushes: 1, frames: 2 }));
    buckets.add(round(B, BASE, { pushes: 9, frames: 9 }));

    const rates = buckets.groupRates(groupKeyOf(A), BASE + 3);

    expect(rates).toEqual({
      seconds: [BASE, BASE + 1, BASE + 2, BASE + 3],
      pushes: [5, 0, 1, 0],
      frames: [10, 0, 2, 0],
    });
  });

  it('gives a group it never saw a window of zeros', () => {
    const buckets = new RoundBuckets(2);

    expect(buckets.groupRates('nobody@nowhere', BASE)).toEqual({
      seconds: [BASE - 1, BASE],
      pushes: [0, 0],
      frames: [0, 0],
    });
  });

  it('plots the median and the worst latency of each second over every group, null where none', () => {
    const buckets = new RoundBuckets(3);
    for (const latencyMs of [40, 10, 30]) buckets.add(round(A, BASE, { latencyMs }));
    buckets.add(round(B, BASE, { latencyMs: 20 }));
    buckets.add(round(B, BASE + 2, { latencyMs: 7 }));

    expect(buckets.latency(BASE + 2)).toEqual({
      seconds: [BASE, BASE + 1, BASE + 2],
      p50: [20, null, 7],
      max: [40, null, 7],
    });
  });

  it('keeps totals of every round, gone and abandoned posts included, past the window', () => {
    const buckets = new RoundBuckets(2);
    buckets.add(round(A, BASE, { pushes: 2, frames: 5, gone: 1, abandoned: 2 }));
    buckets.add(round(B, BASE + 10, { pushes: 1, frames: 3, gone: 0, abandoned: 1 }));
    buckets.prune(BASE + 10);

    expect(buckets.totals()).toEqual({ rounds: 2, pushes: 3, frames: 8, gone: 1, abandoned: 3 });
    expect(buckets.groupRates(groupKeyOf(A), BASE + 1).pushes).toEqual([0, 0]);
  });

  it('refuses a round whose time does not parse, counting nothing', () => {
    const buckets = new RoundBuckets(2);

    expect(buckets.add(round(A, BASE, { at: 'soon' }))).toBe(false);
    expect(buckets.totals().rounds).toBe(0);
  });

  it('buckets by the second the round ended on the server, however late it arrives', () => {
    const buckets = new RoundBuckets(3);
    buckets.add(round(A, BASE + 2, { pushes: 4 }));
    buckets.add(round(A, BASE, { pushes: 1 }));

    expect(buckets.groupRates(groupKeyOf(A), BASE + 2).pushes).toEqual([1, 0, 4]);
  });
});

describe('percentile', () => {
  it('takes the nearest rank', () => {
    expect(percentile([5], 0.5)).toBe(5);
    expect(percentile([4, 1, 3, 2], 0.5)).toBe(2);
    expect(percentile([4, 1, 3, 2], 1)).toBe(4);
  });
});
