/**
 * Replays received events with the spacing they were fired with. A batch holds
 * up to 250 ms (or more, after a reconnect) of one sender's events; emitting
 * them all at once would turn a melody into a chord. As the Mesh v2 extension
 * does, each batch is sorted by the events' timestamps (the sender's
 * `firedAt`) and each event is emitted after the previous one of the same
 * sender by the difference of their timestamps, carried across batches.
 * Spacing never makes the replay fall more than `maxLagMs` behind: beyond
 * that (a backlog after a reconnect, a sender's clock jump) events go out as
 * fast as they come, still in order. `raw` mode emits every event on arrival,
 * in batch order.
 */
import type { BatchEvent, MeshEvent } from '#shared/protocol/types';

export type ReplayMode = 'spaced' | 'raw';

export interface EventReplayerOptions {
  /** Default 'spaced'. */
  mode?: ReplayMode;
  /** Default 1,000 ms. */
  maxLagMs?: number;
  emit: (event: MeshEvent) => void;
}

export const REPLAY_DEFAULTS = { mode: 'spaced', maxLagMs: 1000 } as const;

interface Due {
  at: number;
  event: MeshEvent;
}

interface SenderTimeline {
  /** Local time the sender's last scheduled event is (was) emitted. */
  lastDue: number;
  /** Timestamp (ms) of that event. */
  lastRemote: number;
  queue: Due[];
  timer: ReturnType<typeof setTimeout> | null;
}

export class EventReplayer {
  private readonly mode: ReplayMode;
  private readonly maxLagMs: number;
  private readonly emit: (event: MeshEvent) => void;
  private readonly senders = new Map<string, SenderTimeline>();

  constructor(options: EventReplayerOptions) {
    this.mode = options.mode ?? REPLAY_DEFAULTS.mode;
    this.maxLagMs = options.maxLagMs ?? REPLAY_DEFAULTS.maxLagMs;
    this.emit = options.emit;
  }

  /** Events scheduled and not emitted yet. */
  pendingCount(): number {
    let count = 0;
    for (const sender of this.senders.values()) count += sender.queue.length;
    return count;
  }

  push(batch: BatchEvent): void {
    if (this.mode === 'raw') {
      for (const event of batch.events) this.emit(event);
      return;
    }
    const sender = this.timelineOf(batch.firedByNodeId);
    const now = Date.now();
    for (const event of sortByTimestamp(batch.events)) {
      const remote = timeOf(event, sender.lastRemote);
      let at: number;
      if (sender.lastRemote === -Infinity) {
        at = now;
      } else {
        const gap = Math.min(Math.max(remote - sender.lastRemote, 0), this.maxLagMs);
        at = Math.max(now, sender.lastDue + gap);
        if (at - now > this.maxLagMs) at = Math.max(now, sender.lastDue);
      }
      sender.lastDue = at;
      sender.lastRemote = remote;
      sender.queue.push({ at, event });
    }
    this.pump(sender);
  }

  /** Drops everything scheduled (leaving a group). */
  clear(): void {
    for (const sender of this.senders.values()) if (sender.timer) clearTimeout(sender.timer);
    this.senders.clear();
  }

  private timelineOf(nodeId: string): SenderTimeline {
    let sender = this.senders.get(nodeId);
    if (!sender) {
      sender = { lastDue: -Infinity, lastRemote: -Infinity, queue: [], timer: null };
      this.senders.set(nodeId, sender);
    }
    return sender;
  }

  /** Emits what is due, then waits for the next one. */
  private pump(sender: SenderTimeline): void {
    if (sender.timer) return;
    const now = Date.now();
    while (sender.queue.length > 0 && sender.queue[0].at <= now) {
      this.emit(sender.queue.shift()!.event);
    }
    if (sender.queue.length === 0) return;
    sender.timer = setTimeout(() => {
      sender.timer = null;
      this.pump(sender);
    }, sender.queue[0].at - now);
  }
}

/** Stable sort by timestamp (Array.prototype.sort is stable). */
function sortByTimestamp(events: readonly MeshEvent[]): MeshEvent[] {
  return [...events].sort((a, b) => timeOf(a, 0) - timeOf(b, 0));
}

function timeOf(event: MeshEvent, fallback: number): number {
  const time = Date.parse(event.timestamp);
  return Number.isNaN(time) ? fallback : time;
}
