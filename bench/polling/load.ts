/**
 * The polling profile's load on its one group: status reports and event
 * batches at the profile's rates per group, taken in turn by every node, so
 * pollers and WebSocket nodes send in proportion to their numbers. As in the
 * load workers (worker.ts), sending is paced from the elapsed time, not from
 * timer ticks, so a late tick catches up instead of lowering the rate.
 */
import { seededRandom } from '#local/seeded-random';
import type { BenchNode } from '../drivers/types';
import type { LoadProfile } from '../ipc';
import { type ItemKind, encodeTag, nowMs } from '../ledger';
import { POLLING_PHASE } from './tally';

const TICK_MS = 5;
/** Status keys rotate so a report still queued in MeshClient is never merged with the next (drivers/mesh.ts). */
const STATUS_KEYS = 8;

export interface LoadWindow {
  /** Epoch ms at which sending starts. */
  startAt: number;
  /** Epoch ms at which the measured window opens; items before it are sent but not counted. */
  measureFrom: number;
  /** Epoch ms at which sending stops. */
  endAt: number;
}

/** Sends the profile from `nodes` over `window`; resolves when sending stops. */
export async function runLoad(nodes: BenchNode[], profile: LoadProfile, window: LoadWindow): Promise<void> {
  const draw = seededRandom(7919);
  const counters = new Map<string, number>();
  const next = (nodeId: string, kind: ItemKind) => {
    const key = `${nodeId}\u0000${kind}`;
    const counter = (counters.get(key) ?? 0) + 1;
    counters.set(key, counter);
    return counter;
  };
  let statuses = 0;
  let batches = 0;
  const offset = draw();
  const tick = () => {
    const now = Date.now();
    const elapsedS = (Math.min(now, window.endAt) - window.startAt) / 1000;
    if (elapsedS < 0) return;
    const measured = now >= window.measureFrom && now < window.endAt;
    while (statuses < Math.floor(elapsedS * profile.statusPerSecPerGroup + offset)) {
      const node = nodes[statuses % nodes.length];
      statuses += 1;
      const counter = next(node.nodeId, 's');
      node.report(
        `bench${counter % STATUS_KEYS}`,
        encodeTag({ phase: POLLING_PHASE, measured, counter, sentAtMs: nowMs() }),
      );
    }
    while (batches < Math.floor(elapsedS * profile.batchesPerSecPerGroup + offset)) {
      // Batches start from the other end of the group, so status and events come from different nodes.
      const node = nodes[nodes.length - 1 - (batches % nodes.length)];
      batches += 1;
      const { min, max } = profile.eventsPerBatch;
      const count = min + Math.floor(draw() * (max - min + 1));
      const sentAtMs = nowMs();
      node.fire(
        Array.from({ length: count }, () =>
          encodeTag({ phase: POLLING_PHASE, measured, counter: next(node.nodeId, 'e'), sentAtMs }),
        ),
      );
    }
  };
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      tick();
      if (Date.now() >= window.endAt) {
        clearInterval(timer);
        resolve();
      }
    }, TICK_MS);
  });
}
