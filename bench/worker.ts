/**
 * A load worker: a child process of the bench that owns whole groups. It opens
 * their nodes on the target (the mesh through MeshClient, or the baseline
 * relay through a raw socket), then, per phase, drives the profile on a fixed
 * schedule and counts every item each node receives. Sending is paced from
 * the elapsed time, not from timer ticks, so a late tick catches up instead of
 * lowering the rate.
 */
import type { BenchNode, Driver, GroupPlan, ItemListener, WireListener } from './drivers/types';
import type { FromWorker, PhaseCommand, PhaseResult, TargetKind, ToWorker } from './ipc';
import { DeliveryLedger, type ItemKind, decodeTag, encodeHistogram, encodeTag, nowMs } from './ledger';
import { seededRandom } from '#local/seeded-random';

const TICK_MS = 5;
const PROGRESS_MS = 1000;
/** Status keys rotate over this many keys so a report still queued in the client is never merged with the next. */
const STATUS_KEYS = 8;

function send(message: FromWorker): void {
  process.send?.(message);
}

async function driverFor(target: TargetKind, url: string): Promise<Driver> {
  if (target === 'baseline') return (await import('./drivers/raw')).rawDriver(url);
  return (await import('./drivers/mesh')).meshDriver(url);
}

interface OpenGroup {
  plan: GroupPlan;
  nodes: BenchNode[];
}

class Worker {
  private groups: OpenGroup[] = [];
  private app = new DeliveryLedger(-1, false);
  private raw = new DeliveryLedger(-1, false);
  private readonly counters = new Map<string, number>();
  /** Per sender and kind: counter → position in the order items left on the wire (this phase). */
  private readonly wire = new Map<string, Map<number, number>>();
  /** Other members of each node's group. */
  private readonly others = new Map<string, number>();
  private phase = -1;
  private result: PhaseResult | undefined;
  private workerIndex = 0;

  readonly onItem: ItemListener = (level, receiver, sender, kind, tag) => {
    (level === 'app' ? this.app : this.raw).record(receiver, sender, kind, tag, nowMs());
  };

  /** An item left its sender: the mesh now owes it to every other member. */
  readonly onWire: WireListener = (sender, kind, tagText) => {
    const tag = decodeTag(tagText);
    if (!tag || tag.phase !== this.phase) return;
    const key = `${sender}\u0000${kind}`;
    let order = this.wire.get(key);
    if (!order) this.wire.set(key, (order = new Map()));
    if (order.has(tag.counter)) return;
    order.set(tag.counter, order.size + 1);
    if (!tag.measured || !this.result) return;
    this.result.sent += 1;
    this.result.expectedDeliveries += this.others.get(sender) ?? 0;
  };

  private readonly wireOrder = (sender: string, kind: ItemKind, counter: number) =>
    this.wire.get(`${sender}\u0000${kind}`)?.get(counter);

  async open(target: TargetKind, url: string, plans: GroupPlan[], workerIndex: number): Promise<number> {
    this.workerIndex = workerIndex;
    const driver = await driverFor(target, url);
    // Groups open a few at a time: hundreds of simultaneous joins would only measure the join storm.
    const queue = [...plans];
    const opened: OpenGroup[] = [];
    await Promise.all(
      Array.from({ length: Math.min(3, queue.length) }, async () => {
        for (let plan = queue.shift(); plan; plan = queue.shift()) {
          for (const nodeId of plan.nodeIds) this.others.set(nodeId, plan.nodeIds.length - 1);
          opened.push({ plan, nodes: await driver.openGroup(plan, { onItem: this.onItem, onWire: this.onWire }) });
        }
      }),
    );
    this.groups = opened;
    return opened.reduce((total, g) => total + g.nodes.length, 0);
  }

  private nextCounter(nodeId: string, kind: ItemKind): number {
    const key = `${nodeId}\u0000${kind}`;
    const next = (this.counters.get(key) ?? 0) + 1;
    this.counters.set(key, next);
    return next;
  }

  async runPhase(command: PhaseCommand): Promise<PhaseResult> {
    const { phase, multiplier, profile, startAt, warmupMs, measureMs, drainMs } = command;
    this.counters.clear();
    this.wire.clear();
    this.phase = phase;
    this.app = new DeliveryLedger(phase, true, this.wireOrder);
    this.raw = new DeliveryLedger(phase, false, this.wireOrder);
    const draw = seededRandom(phase * 7919 + this.workerIndex * 104729 + 1);
    const statusRate = profile.statusPerSecPerGroup * multiplier;
    const batchRate = profile.batchesPerSecPerGroup * multiplier;
    const clientMessagesBefore = this.clientMessages();
    const state = this.groups.map(() => ({ statuses: 0, batches: 0, offset: draw() }));
    const result: PhaseResult = {
      phase,
      multiplier,
      handed: 0,
      sent: 0,
      statusReports: 0,
      eventBatches: 0,
      events: 0,
      clientMessages: 0,
      expectedDeliveries: 0,
      app: this.app.counts,
      raw: this.raw.counts,
      histogram: '',
      drainedMs: 0,
    };
    this.result = result;
    const endAt = startAt + warmupMs + measureMs;

    const tick = () => {
      const now = Date.now();
      const elapsedS = (Math.min(now, endAt) - startAt) / 1000;
      if (elapsedS < 0) return;
      const measured = now >= startAt + warmupMs && now < endAt;
      this.groups.forEach(({ nodes }, index) => {
        const g = state[index];
        const statusDue = Math.floor(elapsedS * statusRate + g.offset);
        while (g.statuses < statusDue) {
          const node = nodes[g.statuses % nodes.length];
          const counter = this.nextCounter(node.nodeId, 's');
          g.statuses += 1;
          node.report(`bench${counter % STATUS_KEYS}`, encodeTag({ phase, measured, counter, sentAtMs: nowMs() }));
          if (!measured) continue;
          result.handed += 1;
          result.statusReports += 1;
        }
        const batchDue = Math.floor(elapsedS * batchRate + g.offset);
        while (g.batches < batchDue) {
          // Batches start from the other end of the group, so status and events come from different nodes.
          const node = nodes[nodes.length - 1 - (g.batches % nodes.length)];
          g.batches += 1;
          const { min, max } = profile.eventsPerBatch;
          const count = min + Math.floor(draw() * (max - min + 1));
          const sentAtMs = nowMs();
          const tags = Array.from({ length: count }, () =>
            encodeTag({ phase, measured, counter: this.nextCounter(node.nodeId, 'e'), sentAtMs }),
          );
          node.fire(tags);
          if (!measured) continue;
          result.handed += count;
          result.events += count;
          result.eventBatches += 1;
        }
      });
    };

    const progress = setInterval(() => {
      send({
        type: 'progress',
        phase,
        sent: result.sent,
        expected: result.expectedDeliveries,
        delivered: this.app.counts.delivered,
        histogram: encodeHistogram(this.app.interval),
      });
      this.app.interval.reset();
    }, PROGRESS_MS);

    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        tick();
        if (Date.now() >= endAt) {
          clearInterval(timer);
          resolve();
        }
      }, TICK_MS);
    });
    const sendingEnded = Date.now();
    // Done when everything that left was delivered, twice in a row 300 ms apart
    // (a client may still hold a report or batch that has not left yet).
    let settled = 0;
    while (settled < 2 && Date.now() - sendingEnded < drainMs) {
      await new Promise((resolve) => setTimeout(resolve, settled > 0 ? 300 : 50));
      settled = this.app.counts.delivered >= result.expectedDeliveries ? settled + 1 : 0;
    }
    // A short grace period after the last expected delivery, so late duplicates are counted too.
    await new Promise((resolve) => setTimeout(resolve, 250));
    clearInterval(progress);
    result.drainedMs = Date.now() - sendingEnded;
    this.result = undefined;
    result.clientMessages = this.clientMessages() - clientMessagesBefore;
    result.histogram = encodeHistogram(this.app.total);
    return result;
  }

  private clientMessages(): number {
    return this.groups.reduce((total, g) => total + g.nodes.reduce((n, node) => n + node.messagesSent(), 0), 0);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.groups.flatMap((g) => g.nodes.map((node) => node.close())));
  }
}

const worker = new Worker();

process.on('message', (message: ToWorker) => {
  const fail = (error: unknown) =>
    send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  switch (message.type) {
    case 'open':
      worker
        .open(message.target, message.url, message.groups, message.workerIndex)
        .then((nodes) => send({ type: 'opened', nodes }), fail);
      break;
    case 'phase':
      worker.runPhase(message).then((result) => send({ type: 'phaseDone', result }), fail);
      break;
    case 'close':
      worker
        .close()
        .catch(() => undefined)
        .then(() => {
          send({ type: 'closed' });
          process.disconnect?.();
          setTimeout(() => process.exit(0), 100).unref();
        });
      break;
  }
});

process.on('disconnect', () => process.exit(0));
