/**
 * Exact delivery accounting. Every item the bench sends (a status report or
 * one event of a batch) carries a tag: phase, whether it falls in the measured
 * window, a counter per (sender, kind) starting at 1, and the send time. Each
 * receiver records every tag it sees; the ledger counts, per receiver and
 * sender, first deliveries, duplicates and deliveries that arrive after a
 * higher counter (out of order).
 */
import { type Histogram, build, decodeFromCompressedBase64, encodeIntoCompressedBase64 } from 'hdr-histogram-js';

export type ItemKind = 's' | 'e';

export interface ItemTag {
  phase: number;
  measured: boolean;
  counter: number;
  /** Sender's clock when sent, ms since the epoch with sub-ms precision. */
  sentAtMs: number;
}

/** `phase.measured.counter.sentAtMs`, e.g. `2.1.37.1767312000123.456`. */
export function encodeTag(tag: ItemTag): string {
  return `${tag.phase}.${tag.measured ? 1 : 0}.${tag.counter}.${tag.sentAtMs.toFixed(3)}`;
}

export function decodeTag(text: string): ItemTag | undefined {
  const match = /^(\d+)\.([01])\.(\d+)\.(\d+(?:\.\d+)?)$/.exec(text);
  if (!match) return undefined;
  return { phase: Number(match[1]), measured: match[2] === '1', counter: Number(match[3]), sentAtMs: Number(match[4]) };
}

/** Wall-clock ms with sub-ms precision, comparable across processes of one machine. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Latencies are recorded in microseconds, up to 10 minutes. */
export function newHistogram(): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
}

export function encodeHistogram(histogram: Histogram): string {
  return encodeIntoCompressedBase64(histogram);
}

/** Adds encoded histograms (from the workers) into one. */
export function mergeHistograms(encoded: string[]): Histogram {
  const merged = newHistogram();
  for (const text of encoded) {
    if (!text) continue;
    const part = decodeFromCompressedBase64(text);
    merged.add(part);
    part.destroy();
  }
  return merged;
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  count: number;
}

const ms = (us: number) => Math.round(us) / 1000;

export function summarize(histogram: Histogram): LatencySummary {
  if (histogram.totalCount === 0) return { p50: 0, p90: 0, p99: 0, max: 0, mean: 0, count: 0 };
  return {
    p50: ms(histogram.getValueAtPercentile(50)),
    p90: ms(histogram.getValueAtPercentile(90)),
    p99: ms(histogram.getValueAtPercentile(99)),
    max: ms(histogram.maxValue),
    mean: ms(histogram.mean),
    count: histogram.totalCount,
  };
}

export interface DeliveryCounts {
  /** First deliveries of measured items. */
  delivered: number;
  duplicates: number;
  /** Deliveries of a measured item after a higher counter of the same sender and kind. */
  outOfOrder: number;
  /** Tags of another phase, or unreadable: should stay 0. */
  stray: number;
}

export function emptyCounts(): DeliveryCounts {
  return { delivered: 0, duplicates: 0, outOfOrder: 0, stray: 0 };
}

export function addCounts(into: DeliveryCounts, more: DeliveryCounts): DeliveryCounts {
  into.delivered += more.delivered;
  into.duplicates += more.duplicates;
  into.outOfOrder += more.outOfOrder;
  into.stray += more.stray;
  return into;
}

/** Counters seen by one receiver from one sender of one kind: a growable bitmap plus the highest. */
class Track {
  private seen = new Uint8Array(256);
  highest = 0;

  /** True when the counter was not seen before. */
  mark(counter: number): boolean {
    if (counter >= this.seen.length * 8) {
      let size = this.seen.length;
      while (counter >= size * 8) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.seen);
      this.seen = grown;
    }
    const byte = counter >> 3;
    const bit = 1 << (counter & 7);
    if (this.seen[byte] & bit) return false;
    this.seen[byte] |= bit;
    return true;
  }
}

/** Where an item stands in its sender's wire order (per sender and kind); undefined if unknown. */
export type WireOrder = (sender: string, kind: ItemKind, counter: number) => number | undefined;

/**
 * One ledger per observation point (application level, raw socket level).
 * Order is judged against the order items left the sender on the wire (when
 * known), so a client library that merged status values before sending is
 * not counted as the mesh reordering them.
 */
export class DeliveryLedger {
  readonly counts = emptyCounts();
  /** Latency of first deliveries of measured items (µs); reset each progress interval. */
  readonly interval = newHistogram();
  readonly total = newHistogram();
  private readonly tracks = new Map<string, Track>();

  constructor(
    private readonly phase: number,
    private readonly recordLatency: boolean,
    private readonly wireOrder: WireOrder = () => undefined,
  ) {}

  /** Records that `receiver` got the item `tagText` from `sender`. */
  record(receiver: string, sender: string, kind: ItemKind, tagText: string, receivedAtMs: number): void {
    const tag = decodeTag(tagText);
    if (!tag || tag.phase !== this.phase) {
      this.counts.stray += 1;
      return;
    }
    const key = `${receiver}\u0000${sender}\u0000${kind}`;
    let track = this.tracks.get(key);
    if (!track) this.tracks.set(key, (track = new Track()));
    const first = track.mark(tag.counter);
    const order = this.wireOrder(sender, kind, tag.counter) ?? tag.counter;
    const late = order < track.highest;
    if (order > track.highest) track.highest = order;
    if (!tag.measured) return;
    if (!first) {
      this.counts.duplicates += 1;
      return;
    }
    this.counts.delivered += 1;
    if (late) this.counts.outOfOrder += 1;
    if (this.recordLatency) {
      const us = Math.max(1, Math.round((receivedAtMs - tag.sentAtMs) * 1000));
      this.interval.recordValue(us);
      this.total.recordValue(us);
    }
  }
}
