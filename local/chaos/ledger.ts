/**
 * The books of a chaos run: every event each sender fired (numbered 0, 1, 2,
 * … per sender), how many of them the server accepted (a `fireEventsByNode`
 * that got a `result` reply; MeshClient sends batches one at a time, in
 * order, so the accepted ones are the first `accepted` fired), every copy
 * that reached a member's socket (raw) and every event MeshClient emitted.
 * From those it says whether delivery is complete and gives the figures:
 * lost, duplicated (raw and after MeshClient), out of order, unexpected,
 * latency from firing to emission.
 */

/** What a run delivered, against what it should have. */
export interface ChaosFigures {
  fired: number;
  /** Events the server accepted. */
  accepted: number;
  /** Accepted events × the other members of their group. */
  expected: number;
  /** Expected deliveries MeshClient emitted (each counted once). */
  received: number;
  lost: number;
  /** Copies beyond the first that reached a socket. */
  duplicatedRaw: number;
  /** Events MeshClient emitted more than once (should be 0). */
  duplicatedEmitted: number;
  /** Copies that reached a socket after a later event of the same sender. */
  outOfOrderRaw: number;
  /** Emissions after a later event of the same sender (should be 0). */
  outOfOrderEmitted: number;
  /** Emissions of events the server never accepted, or never fired (should be 0). */
  unexpected: number;
  /** Firing → emission, over every emitted delivery, ms. */
  latencyMs: { p50: number; p99: number; max: number };
}

interface Sender {
  group: string;
  firedAt: number[];
  accepted: number;
}

/** Per (receiver, sender): what arrived and what was emitted. */
interface Stream {
  raw: Map<number, number>;
  rawHighest: number;
  /** First copies that arrived after a later event had. */
  rawOutOfOrder: number;
  emitted: Map<number, number>;
  emittedHighest: number;
  emittedOutOfOrder: number;
  latencies: number[];
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export class DeliveryLedger {
  private readonly members = new Map<string, string[]>();
  private readonly senders = new Map<string, Sender>();
  private readonly streams = new Map<string, Stream>();
  /** Emissions no sender or number explains. */
  private strays = 0;

  /** Declares a group and its members (node ids); every member sends and receives. */
  addGroup(group: string, nodeIds: string[]): void {
    this.members.set(group, [...nodeIds]);
    for (const nodeId of nodeIds) this.senders.set(nodeId, { group, firedAt: [], accepted: 0 });
  }

  /** A sender fired its next event; returns its number. */
  fired(sender: string, at = Date.now()): number {
    const record = this.sender(sender);
    record.firedAt.push(at);
    return record.firedAt.length - 1;
  }

  /** How many of `sender`'s events the server has accepted so far. */
  setAccepted(sender: string, count: number): void {
    this.sender(sender).accepted = count;
  }

  /** A copy of event `n` of `sender` reached `receiver`'s socket. */
  arrivedRaw(receiver: string, sender: string, n: number): void {
    const stream = this.stream(receiver, sender);
    const copies = stream.raw.get(n) ?? 0;
    if (copies === 0 && n < stream.rawHighest) stream.rawOutOfOrder += 1;
    stream.raw.set(n, copies + 1);
    stream.rawHighest = Math.max(stream.rawHighest, n);
  }

  /** MeshClient at `receiver` emitted event `n` of `sender`. */
  emitted(receiver: string, sender: string, n: number, at = Date.now()): void {
    const record = this.senders.get(sender);
    if (!record || !Number.isInteger(n) || n < 0 || n >= record.firedAt.length) {
      this.strays += 1;
      return;
    }
    const stream = this.stream(receiver, sender);
    stream.emitted.set(n, (stream.emitted.get(n) ?? 0) + 1);
    if (n < stream.emittedHighest) stream.emittedOutOfOrder += 1;
    stream.emittedHighest = Math.max(stream.emittedHighest, n);
    stream.latencies.push(at - record.firedAt[n]);
  }

  /** Every accepted event has been emitted at every other member of its group. */
  complete(): boolean {
    for (const [sender, record] of this.senders) {
      for (const receiver of this.members.get(record.group) ?? []) {
        if (receiver === sender) continue;
        const emitted = this.streams.get(`${receiver}\n${sender}`)?.emitted;
        for (let n = 0; n < record.accepted; n += 1) if (!emitted?.has(n)) return false;
      }
    }
    return true;
  }

  figures(): ChaosFigures {
    let fired = 0;
    let accepted = 0;
    let expected = 0;
    let received = 0;
    let duplicatedRaw = 0;
    let duplicatedEmitted = 0;
    let outOfOrderRaw = 0;
    let outOfOrderEmitted = 0;
    let unexpected = this.strays;
    const latencies: number[] = [];
    for (const [sender, record] of this.senders) {
      fired += record.firedAt.length;
      accepted += record.accepted;
      for (const receiver of this.members.get(record.group) ?? []) {
        if (receiver === sender) continue;
        expected += record.accepted;
        const stream = this.streams.get(`${receiver}\n${sender}`);
        if (!stream) continue;
        for (const [n, copies] of stream.emitted) {
          if (n < record.accepted) received += 1;
          else unexpected += 1;
          duplicatedEmitted += copies - 1;
        }
        for (const copies of stream.raw.values()) duplicatedRaw += copies - 1;
        outOfOrderRaw += stream.rawOutOfOrder;
        outOfOrderEmitted += stream.emittedOutOfOrder;
        latencies.push(...stream.latencies);
      }
    }
    latencies.sort((a, b) => a - b);
    return {
      fired,
      accepted,
      expected,
      received,
      lost: expected - received,
      duplicatedRaw,
      duplicatedEmitted,
      outOfOrderRaw,
      outOfOrderEmitted,
      unexpected,
      latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? 0 },
    };
  }

  private sender(nodeId: string): Sender {
    const record = this.senders.get(nodeId);
    if (!record) throw new Error(`unknown sender ${nodeId}: declare its group first`);
    return record;
  }

  private stream(receiver: string, sender: string): Stream {
    const key = `${receiver}\n${sender}`;
    let stream = this.streams.get(key);
    if (!stream) {
      stream = {
        raw: new Map(),
        rawHighest: -1,
        rawOutOfOrder: 0,
        emitted: new Map(),
        emittedHighest: -1,
        emittedOutOfOrder: 0,
        latencies: [],
      };
      this.streams.set(key, stream);
    }
    return stream;
  }
}
