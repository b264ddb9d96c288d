/**
 * In-order, de-duplicated delivery of pushes. SNS delivers at least once and
 * in no order, and concurrent PostToConnection calls race, so every push
 * carries `from`, `epoch` and `seq` (1, 2, 3, … per sender node). Per
 * `(from, epoch)` the receiver delivers seqs in order, drops any seq it has
 * delivered or holds already, and holds an early push until the gap fills or
 * `gapTimeoutMs` passes (a publish that failed after its seq was allocated, or
 * pushes missed while this client was reconnecting, leave gaps that never
 * fill), then skips the gap.
 *
 * A stream seen for the first time starts at seq 1, or where `prime` put it:
 * a client that joins is told each sender's seq as it stood just before
 * (joinGroup's `senders`), so it waits for none of the pushes made before it
 * came. A sender it was not told of, seen first at a higher seq, waits the
 * gap timeout once.
 */
import type { Push } from '#shared/protocol/messages';

export interface PushReceiverOptions {
  /** How long an early push waits for the ones before it. Default 1,000 ms. */
  gapTimeoutMs?: number;
  /** Called with each push, in order. */
  deliver: (push: Push) => void;
}

export const RECEIVER_DEFAULTS = { gapTimeoutMs: 1000 } as const;

interface Stream {
  /** Highest seq delivered; 0 before any. */
  delivered: number;
  held: Map<number, Push>;
  timer: ReturnType<typeof setTimeout> | null;
}

export class PushReceiver {
  private readonly gapTimeoutMs: number;
  private readonly deliver: (push: Push) => void;
  private readonly streams = new Map<string, Stream>();
  /** Pushes dropped as already delivered or already held. */
  duplicatesDropped = 0;
  /** Seqs given up on after the gap timeout. */
  seqsSkipped = 0;

  constructor(options: PushReceiverOptions) {
    this.gapTimeoutMs = options.gapTimeoutMs ?? RECEIVER_DEFAULTS.gapTimeoutMs;
    this.deliver = options.deliver;
  }

  receive(push: Push): void {
    const stream = this.stream(`${push.from}\n${push.epoch}`);
    if (push.seq <= stream.delivered || stream.held.has(push.seq)) {
      this.duplicatesDropped += 1;
      return;
    }
    stream.held.set(push.seq, push);
    if ('groupDissolve' in push) {
      // The group is over: waiting for a gap to fill would only delay the news.
      this.release(stream, Infinity);
      return;
    }
    this.drain(stream);
    if (stream.held.size > 0 && !stream.timer) this.armTimer(stream);
  }

  /** Starts the stream `(from, epoch)` after `seq`: pushes up to it came before this client and are not its to wait for. */
  prime(from: string, epoch: string, seq: number): void {
    const stream = this.stream(`${from}\n${epoch}`);
    if (seq <= stream.delivered) return;
    stream.delivered = seq;
    for (const held of [...stream.held.keys()]) if (held <= seq) stream.held.delete(held);
    this.drain(stream);
  }

  /** Pushes held, waiting for a gap to fill. */
  heldCount(): number {
    let count = 0;
    for (const stream of this.streams.values()) count += stream.held.size;
    return count;
  }

  /** Forgets every stream (leaving a group). */
  reset(): void {
    for (const stream of this.streams.values()) if (stream.timer) clearTimeout(stream.timer);
    this.streams.clear();
  }

  private stream(key: string): Stream {
    let stream = this.streams.get(key);
    if (!stream) {
      stream = { delivered: 0, held: new Map(), timer: null };
      this.streams.set(key, stream);
    }
    return stream;
  }

  /** Delivers held pushes while they are the next expected seq. */
  private drain(stream: Stream): void {
    for (;;) {
      const next = stream.held.get(stream.delivered + 1);
      if (!next) return;
      stream.held.delete(next.seq);
      stream.delivered = next.seq;
      this.deliver(next);
    }
  }

  /** Gives up on the gaps below `upTo` (inclusive): delivers what is held there, in order. */
  private release(stream: Stream, upTo: number): void {
    const seqs = [...stream.held.keys()].filter((seq) => seq <= upTo).sort((a, b) => a - b);
    for (const seq of seqs) {
      const push = stream.held.get(seq)!;
      stream.held.delete(seq);
      this.seqsSkipped += seq - stream.delivered - 1;
      stream.delivered = seq;
      this.deliver(push);
    }
    this.drain(stream);
    if (stream.held.size === 0 && stream.timer) {
      clearTimeout(stream.timer);
      stream.timer = null;
    }
  }

  private armTimer(stream: Stream): void {
    stream.timer = setTimeout(() => {
      stream.timer = null;
      if (stream.held.size === 0) return;
      // Skip to the lowest held seq; later gaps get a timeout of their own.
      this.release(stream, Math.min(...stream.held.keys()));
      if (stream.held.size > 0) this.armTimer(stream);
    }, this.gapTimeoutMs);
  }
}

/**
 * Recognises a batch a sender sent twice: the copy that EventQueue sends when
 * the reply to the first was lost with the connection. A copy has the same
 * sender and the same events with the same `firedAt` (to the millisecond), but
 * a new seq, so seq-based de-duplication cannot see it. Keeps the last few
 * batches of each sender.
 */
export class BatchDeduplicator {
  private readonly recent = new Map<string, string[]>();
  /** Batches dropped as copies. */
  copiesDropped = 0;

  constructor(private readonly keep = 32) {}

  /** True if this batch was seen already (and records it otherwise). */
  isCopy(from: string, events: readonly { name: string; payload: string | null; timestamp: string }[]): boolean {
    const fingerprint = fingerprintOf(events);
    const seen = this.recent.get(from) ?? [];
    if (seen.includes(fingerprint)) {
      this.copiesDropped += 1;
      return true;
    }
    seen.push(fingerprint);
    if (seen.length > this.keep) seen.shift();
    this.recent.set(from, seen);
    return false;
  }

  reset(): void {
    this.recent.clear();
  }
}

function fingerprintOf(events: readonly { name: string; payload: string | null; timestamp: string }[]): string {
  const text = JSON.stringify(events.map((e) => [e.name, e.payload, e.timestamp]));
  // FNV-1a, 32 bits, plus count and time range: enough to tell batches apart.
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  const first = events[0]?.timestamp ?? '';
  const last = events[events.length - 1]?.timestamp ?? '';
  return `${events.length}|${first}|${last}|${text.length}|${hash.toString(16)}`;
}
