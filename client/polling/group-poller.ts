/**
 * What a polling node reads of its group, handed on as the pushes a
 * WebSocket member is sent: every interval one pollGroupData after the
 * last cursor, whose events become batchEvent pushes (one per run of one
 * sender's events) and whose statuses become nodeStatus pushes for the nodes
 * whose status changed, and whose presence changes become nodePresence
 * pushes, in log order with the events. The pushes carry ordering fields of the poller's own
 * (one epoch per poller, a seq per sender counting up), so MeshClient's
 * receiver takes them in log order, and the cursor never skips or repeats an
 * event. Reading starts at the log's end when the node enters: what was sent
 * before it came is not replayed, as on a WebSocket.
 *
 * A poll that fails is tried again at a growing interval; after
 * LOST_AFTER_FAILURES in a row the network counts as gone. A group that is
 * gone (GroupNotFound) ends as if dissolved; a cursor past the log's
 * retention starts again at the end (the statuses are whole every poll).
 */
import type { PushPayload, Reply } from '#shared/protocol/messages';
import type { NodePresence, NodeStatus, PolledEvent, PolledPresence, PollGroupData } from '#shared/protocol/types';

/** As the server's default (MESH_POLLING_INTERVAL_SECONDS), for a reply that names none (a host's group). */
export const DEFAULT_POLLING_INTERVAL_SECONDS = 2;
/** Polls failing in a row before the network counts as lost. */
export const LOST_AFTER_FAILURES = 3;
/** The longest wait between polls after failures. */
const MAX_BACKOFF_MS = 30_000;
/** Events one read answers at most (the server's page): a full page is read on at once. */
const FULL_PAGE = 100;

export interface PolledGroup {
  groupId: string;
  domain: string;
  pollingIntervalSeconds?: number;
}

export interface GroupPollerOptions {
  group: PolledGroup;
  /** Sends a request (the node's token added) and resolves with its reply; rejects when the network lost it. */
  post: (request: Record<string, unknown>) => Promise<Reply>;
  /** A frame for MeshClient, as the socket would have received it. */
  deliver: (frame: string) => void;
  lose: (why: string) => void;
}

export class GroupPoller {
  private readonly intervalMs: number;
  private readonly epoch = `poll-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  private readonly seqs = new Map<string, number>();
  /** Each node's status as last handed on, so only changes become pushes. */
  private readonly statuses = new Map<string, string>();
  private cursor: string | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private failures = 0;
  private stopped = false;

  constructor(private readonly options: GroupPollerOptions) {
    this.intervalMs = (options.group.pollingIntervalSeconds ?? DEFAULT_POLLING_INTERVAL_SECONDS) * 1000;
  }

  start(): void {
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.pollOnce(), delayMs);
  }

  private async pollOnce(): Promise<void> {
    let again: number;
    try {
      again = await this.read();
      this.failures = 0;
    } catch {
      this.failures += 1;
      if (this.failures >= LOST_AFTER_FAILURES) {
        this.options.lose(`${this.failures} polls in a row could not reach the HTTPS endpoint`);
        return;
      }
      again = Math.min(this.intervalMs * 2 ** this.failures, MAX_BACKOFF_MS);
    }
    this.schedule(again);
  }

  /** One poll; resolves with the wait before the next. */
  private async read(): Promise<number> {
    const { groupId, domain } = this.options.group;
    if (this.cursor === null) {
      this.cursor = await this.endOfLog();
      if (this.cursor === null) return this.intervalMs;
    }
    const reply = await this.options.post({ action: 'pollGroupData', groupId, domain, since: this.cursor });
    if (this.stopped) return this.intervalMs;
    if (reply.type === 'error') return this.refused(reply.errorType);
    // A server before presence answers neither `presence` nor `nextSince`: read on after the last event.
    const { events, nodeStatuses, presence = [], nextSince } = reply.data as Partial<PollGroupData> & PollGroupDataV2;
    this.handOnStatuses(nodeStatuses);
    for (const run of inLogOrder(events, presence)) {
      if (Array.isArray(run)) this.handOnEvents(run);
      else this.push(run.nodeId, { nodePresence: withoutCursor(run) });
    }
    this.cursor = nextSince ?? events[events.length - 1]?.cursor ?? this.cursor;
    return events.length + presence.length >= FULL_PAGE ? 0 : this.intervalMs;
  }

  /** The cursor after the last event the log keeps: where a node that just entered starts reading. */
  private async endOfLog(): Promise<string | null> {
    const { groupId, domain } = this.options.group;
    let since = '';
    for (;;) {
      const reply = await this.options.post({ action: 'getEventsSince', groupId, domain, since });
      if (reply.type === 'error') {
        this.refused(reply.errorType);
        return null;
      }
      const page = reply.data as PolledEvent[];
      if (page.length === 0) return since;
      since = page[page.length - 1].cursor;
    }
  }

  private refused(errorType: string): number {
    if (errorType === 'CursorExpired') {
      // Missed events are gone for good; the statuses come whole with every poll.
      this.cursor = null;
      return 0;
    }
    if (errorType === 'GroupNotFound') {
      const { groupId, domain } = this.options.group;
      this.stop();
      this.push('', { groupDissolve: { groupId, domain, message: 'group not found, dissolved or expired' } });
    }
    return this.intervalMs;
  }

  private handOnStatuses(statuses: NodeStatus[]): void {
    for (const status of statuses) {
      const seen = JSON.stringify(status.data);
      if (this.statuses.get(status.nodeId) === seen) continue;
      this.statuses.set(status.nodeId, seen);
      this.push(status.nodeId, { nodeStatus: status });
    }
  }

  /** Each run of one sender's events as one batch, in log order. */
  private handOnEvents(events: PolledEvent[]): void {
    const { groupId, domain } = this.options.group;
    for (let start = 0; start < events.length;) {
      const from = events[start].firedByNodeId;
      let end = start;
      while (end < events.length && events[end].firedByNodeId === from) end += 1;
      const run = events.slice(start, end).map(({ cursor: _cursor, ...event }) => event);
      const timestamp = run[run.length - 1].timestamp;
      this.push(from, { batchEvent: { events: run, firedByNodeId: from, groupId, domain, timestamp } });
      start = end;
    }
  }

  private push(from: string, payload: PushPayload) {
    const seq = (this.seqs.get(from) ?? 0) + 1;
    this.seqs.set(from, seq);
    const { groupId, domain } = this.options.group;
    const push = { type: 'message', groupId, domain, from, epoch: this.epoch, seq, sentAt: new Date().toISOString() };
    this.options.deliver(JSON.stringify({ ...push, ...payload }));
  }
}

/** pollGroupData's answer as Mesh v2's successor gives it. */
type PollGroupDataV2 = Pick<PollGroupData, 'events' | 'nodeStatuses'>;

/** A log cursor ("{pos}.{index}") as a number pair, to compare two items' places in the log. */
function placeOf(cursor: string): [number, number] {
  const [pos, index] = cursor.split('.').map(Number);
  return [pos, index];
}
function isBefore(a: string, b: string): boolean {
  const [posA, indexA] = placeOf(a);
  const [posB, indexB] = placeOf(b);
  return posA < posB || (posA === posB && indexA < indexB);
}

/** Events (in runs between presence changes) and presence changes, merged into log order. */
function inLogOrder(events: PolledEvent[], presence: PolledPresence[]): (PolledEvent[] | PolledPresence)[] {
  const out: (PolledEvent[] | PolledPresence)[] = [];
  let run: PolledEvent[] = [];
  let next = 0;
  for (const event of events) {
    while (next < presence.length && isBefore(presence[next].cursor, event.cursor)) {
      if (run.length > 0) out.push(run);
      run = [];
      out.push(presence[next++]);
    }
    run.push(event);
  }
  if (run.length > 0) out.push(run);
  out.push(...presence.slice(next));
  return out;
}

function withoutCursor({ cursor: _cursor, ...change }: PolledPresence): NodePresence {
  return change;
}
