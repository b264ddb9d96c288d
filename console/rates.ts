/**
 * Per-second buckets of the fan-out's rounds (MeshRound): what the charts
 * plot. Rounds are bucketed by the second they ended in, on the server's
 * clock (`at`), so a burst that reaches the page late still lands in the
 * second it happened. Pure: the caller says what "now" is.
 */
import type { MeshRound } from '#shared/protocol/console';

/** How many seconds the charts show, and so how long a bucket is kept. */
export const DEFAULT_WINDOW_SECONDS = 120;

/** One group's rates over the window, as uPlot's aligned arrays: x in unix seconds. */
export interface GroupRates {
  seconds: number[];
  pushes: number[];
  frames: number[];
}

/** Fan-out latency over the window; null in a second with no round (uPlot draws a gap). */
export interface LatencySeries {
  seconds: number[];
  p50: (number | null)[];
  max: (number | null)[];
}

/** Sums over every round seen since the page opened (not only the window). */
export interface RoundTotals {
  rounds: number;
  pushes: number;
  frames: number;
  gone: number;
  abandoned: number;
}

interface Bucket {
  pushes: number;
  frames: number;
}

/** `groupId@domain`, as the protocol writes a group's full id. */
export function groupKeyOf(group: { groupId: string; domain: string }): string {
  return `${group.groupId}@${group.domain}`;
}

/** The unix second a round ended in; null for a date that does not parse. */
export function secondOf(at: string): number | null {
  const ms = Date.parse(at);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
}

/** The nearest-rank percentile of a non-empty list (`q` in (0, 1]). */
export function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1];
}

export class RoundBuckets {
  private readonly byGroup = new Map<string, Map<number, Bucket>>();
  private readonly latencies = new Map<number, number[]>();
  private readonly sums: RoundTotals = { rounds: 0, pushes: 0, frames: 0, gone: 0, abandoned: 0 };

  constructor(readonly windowSeconds = DEFAULT_WINDOW_SECONDS) {}

  /** Counts one round; returns false (and counts nothing) for a round whose `at` does not parse. */
  add(round: MeshRound): boolean {
    const second = secondOf(round.at);
    if (second === null) return false;
    this.sums.rounds += 1;
    this.sums.pushes += round.pushes;
    this.sums.frames += round.frames;
    this.sums.gone += round.gone;
    this.sums.abandoned += round.abandoned;

    const key = groupKeyOf(round);
    let buckets = this.byGroup.get(key);
    if (buckets === undefined) this.byGroup.set(key, (buckets = new Map()));
    const bucket = buckets.get(second) ?? { pushes: 0, frames: 0 };
    bucket.pushes += round.pushes;
    bucket.frames += round.frames;
    buckets.set(second, bucket);

    const latencies = this.latencies.get(second) ?? [];
    latencies.push(round.latencyMs);
    this.latencies.set(second, latencies);
    return true;
  }

  /** A copy of the sums since the start. */
  totals(): RoundTotals {
    return { ...this.sums };
  }

  /** The group's pushes/s and frames/s for every second of the window ending at `nowSecond`, 0 where none. */
  groupRates(key: string, nowSecond: number): GroupRates {
    const seconds = this.window(nowSecond);
    const buckets = this.byGroup.get(key);
    return {
      seconds,
      pushes: seconds.map((second) => buckets?.get(second)?.pushes ?? 0),
      frames: seconds.map((second) => buckets?.get(second)?.frames ?? 0),
    };
  }

  /** The median and the worst fan-out latency of each second of the window, over every group's rounds. */
  latency(nowSecond: number): LatencySeries {
    const seconds = this.window(nowSecond);
    const of = (second: number) => this.latencies.get(second);
    return {
      seconds,
      p50: seconds.map((second) => {
        const values = of(second);
        return values === undefined ? null : percentile(values, 0.5);
      }),
      max: seconds.map((second) => {
        const values = of(second);
        return values === undefined ? null : Math.max(...values);
      }),
    };
  }

  /** Forgets the buckets that fell out of the window, and the groups left with none. */
  prune(nowSecond: number): void {
    const oldest = nowSecond - this.windowSeconds + 1;
    for (const [key, buckets] of this.byGroup) {
      for (const second of buckets.keys()) if (second < oldest) buckets.delete(second);
      if (buckets.size === 0) this.byGroup.delete(key);
    }
    for (const second of this.latencies.keys()) if (second < oldest) this.latencies.delete(second);
  }

  private window(nowSecond: number): number[] {
    const first = nowSecond - this.windowSeconds + 1;
    return Array.from({ length: this.windowSeconds }, (_, i) => first + i);
  }
}
