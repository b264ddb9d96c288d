/**
 * A bench node that polls, as a pupil's browser does behind a school filter
 * that blocks WebSockets: it speaks the protocol over HTTPS through
 * `ProtocolHttp` (tools/protocol-http.ts), which sends the node's
 * `nodeToken` on every request after the join. It joins with
 * `useWebSocket: false`, calls `pollGroupData` at the interval the join's
 * reply gives, sends the member heartbeat at the interval the reply gives,
 * and sends its reports and events as requests of their own. What a poll
 * reads goes to the same listeners as a WebSocket node's pushes, so one tally
 * counts both kinds of receiver.
 */
import { MAX_EVENTS_PER_READ } from '#shared/core/event-log';
import { DEFAULT_SETTINGS } from '#shared/core/settings';
import type { Action, ArgsOf } from '#shared/protocol/args';
import type { ActionResults } from '#shared/protocol/results';
import type { PollGroupData } from '#shared/protocol/types';
import { ProtocolHttp } from '#tools/protocol-http';
import { EVENT_NAME, STATUS_KEY_PREFIX, type BenchNode, type Listeners } from './types';

/** What this node's polls read, summed: the cost model sizes DynamoDB reads by it. */
export interface PollReads {
  polls: number;
  events: number;
  /** JSON bytes of the polls' answers (events and statuses). */
  replyBytes: number;
  /** JSON bytes of the events alone: what Mesh v2's getEventsSince would have read. */
  eventBytes: number;
  /** Polls answered a full page, so the node read on at once instead of waiting an interval. */
  fullPages: number;
}

export class PollingNode implements BenchNode {
  /** Requests sent so far, by action (counted when sent, so a window's rate is what left in it). */
  readonly requests: Record<string, number> = {};
  /** Requests that failed (an error reply, a timeout or a refused connection), by action. */
  readonly errors: Record<string, number> = {};
  readonly reads: PollReads = { polls: 0, events: 0, replyBytes: 0, eventBytes: 0, fullPages: 0 };
  pollingIntervalMs = DEFAULT_SETTINGS.pollingIntervalSeconds * 1000;
  heartbeatIntervalMs = DEFAULT_SETTINGS.memberHeartbeatIntervalSeconds * 1000;
  private readonly http: ProtocolHttp;
  private groupId = '';
  /** The cursor to read on from: the last event read. "" (everything kept) until the first event. */
  private since = '';
  /** Reports and events leave one at a time, so they reach the log in the order they were made. */
  private writes: Promise<void> = Promise.resolve();
  private polling = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private inFlightPoll: Promise<void> = Promise.resolve();

  constructor(
    readonly nodeId: string,
    url: string,
    private readonly domain: string,
    private readonly listeners: Listeners,
  ) {
    this.http = new ProtocolHttp(url);
  }

  /** Joins the group as a polling member and takes the intervals its reply gives. */
  async join(groupId: string): Promise<void> {
    this.groupId = groupId;
    const node = await this.call('joinGroup', {
      groupId,
      domain: this.domain,
      nodeId: this.nodeId,
      useWebSocket: false,
    });
    if (node.pollingIntervalSeconds) this.pollingIntervalMs = node.pollingIntervalSeconds * 1000;
    this.heartbeatIntervalMs = node.heartbeatIntervalSeconds * 1000;
  }

  /**
   * Polls every interval from `firstDelayMs` on (a class's pollers do not all
   * poll in the same millisecond), and sends the member heartbeat every
   * heartbeat interval. Polls are slotted from the start, so a slow poll does
   * not push every later one back; one never overlaps the next.
   */
  start(firstDelayMs: number): void {
    this.polling = true;
    const startedAt = Date.now() + firstDelayMs;
    const schedule = (atMs: number) => {
      this.pollTimer = setTimeout(
        () => {
          this.inFlightPoll = this.poll().then((full) => {
            if (!this.polling) return;
            if (full) return schedule(Date.now());
            const slots = Math.floor((Date.now() - startedAt) / this.pollingIntervalMs) + 1;
            schedule(startedAt + slots * this.pollingIntervalMs);
          });
        },
        Math.max(0, atMs - Date.now()),
      );
    };
    schedule(startedAt);
    this.heartbeatTimer = setInterval(() => {
      void this.heartbeat();
    }, this.heartbeatIntervalMs);
  }

  /** Stops polling and heartbeats; resolves when the poll and the writes in flight are answered. */
  async stop(): Promise<void> {
    this.polling = false;
    clearTimeout(this.pollTimer);
    clearInterval(this.heartbeatTimer);
    await this.inFlightPoll;
    await this.writes;
  }

  /**
   * One pollGroupData: hands every bench event of another node and every
   * bench status value to the listeners, and moves the cursor to the last
   * event. True when the page was full: more may be waiting. (The page's
   * byte bound, 48 KB, holds more than its 100 events of the bench's size, so
   * the count is what fills it.)
   */
  async poll(): Promise<boolean> {
    let data: PollGroupData;
    try {
      data = await this.call('pollGroupData', { groupId: this.groupId, domain: this.domain, since: this.since });
    } catch {
      return false; // counted and logged by call(); the next slot reads on from the same cursor
    }
    const { onItem } = this.listeners;
    this.reads.polls += 1;
    this.reads.events += data.events.length;
    this.reads.replyBytes += Buffer.byteLength(JSON.stringify(data));
    this.reads.eventBytes += Buffer.byteLength(JSON.stringify(data.events));
    for (const event of data.events) {
      if (event.firedByNodeId === this.nodeId || event.name !== EVENT_NAME || event.payload == null) continue;
      onItem('app', this.nodeId, event.firedByNodeId, 'e', event.payload);
    }
    for (const status of data.nodeStatuses) {
      if (status.nodeId === this.nodeId) continue;
      for (const entry of status.data) {
        if (entry.key.startsWith(STATUS_KEY_PREFIX)) onItem('app', this.nodeId, status.nodeId, 's', entry.value);
      }
    }
    const last = data.events.at(-1);
    if (last) this.since = last.cursor;
    const full = data.events.length >= MAX_EVENTS_PER_READ;
    if (full) this.reads.fullPages += 1;
    return full;
  }

  report(key: string, tag: string): void {
    this.write('reportDataByNode', { ...this.where(), data: [{ key, value: tag }] }, () =>
      this.listeners.onWire(this.nodeId, 's', tag),
    );
  }

  /** Records the batch with recordEventsByNode, the polling client's way to fire (it answers the log's cursor). */
  fire(tags: string[]): void {
    const firedAt = new Date().toISOString();
    const events = tags.map((payload) => ({ eventName: EVENT_NAME, payload, firedAt }));
    this.write('recordEventsByNode', { ...this.where(), events }, () => {
      for (const tag of tags) this.listeners.onWire(this.nodeId, 'e', tag);
    });
  }

  messagesSent(): number {
    return (this.requests.reportDataByNode ?? 0) + (this.requests.recordEventsByNode ?? 0);
  }

  async close(): Promise<void> {
    await this.stop();
    try {
      await this.call('leaveGroup', this.where());
    } catch {
      // Leaving is courtesy here: the bench's groups expire anyway (and call() counted the failure).
    }
  }

  private where() {
    return { groupId: this.groupId, domain: this.domain, nodeId: this.nodeId };
  }

  private async heartbeat(): Promise<void> {
    try {
      await this.call('sendMemberHeartbeat', this.where());
    } catch {
      // Counted and logged by call(); a node that misses several expires, and its events then show as lost.
    }
  }

  /**
   * Queues a report or a batch behind the ones before it. What the mesh
   * accepted is handed to `accepted` (the tally then expects it at every
   * other node); a refused one is counted as an error and expected nowhere.
   */
  private write<A extends Action>(action: A, args: ArgsOf<A>, accepted: () => void): void {
    this.writes = this.writes.then(async () => {
      try {
        await this.call(action, args);
      } catch {
        return; // counted and logged by call()
      }
      accepted();
    });
  }

  /** One request, counted by action; a failure is counted, logged, and rethrown. */
  private async call<A extends Action>(action: A, args: ArgsOf<A>): Promise<ActionResults[A]> {
    this.requests[action] = (this.requests[action] ?? 0) + 1;
    try {
      return await this.http.call(action, args);
    } catch (error) {
      this.errors[action] = (this.errors[action] ?? 0) + 1;
      process.stderr.write(`[${this.nodeId}] ${action}: ${(error as Error).message}\n`);
      throw error;
    }
  }
}
