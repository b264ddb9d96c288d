/**
 * Coalesced fan-out. Posting every push to every member costs one
 * PostToConnection (and one API Gateway message) per member per push, which
 * is what bounds the mesh's throughput and most of its bill. So requests do
 * not publish a push each: they append it to the group's outbox (one item in
 * the group's partition) and ask for a flush only when none is under way. The
 * flush reads the outbox and the subscribers in one query, posts each member
 * one frame with every push it did not send itself, trims what it posted, and
 * goes round again one window later while pushes keep coming. A push to a
 * group that had no round in the last window goes out at once (no added
 * latency when traffic is sparse); under load a group gets at most one frame
 * per member per window, whatever its message rate.
 *
 * Delivery stays at least once: a flush trims only after posting, so a flush
 * that dies is redone and posts some pushes twice; receivers drop the copies
 * by (from, epoch, seq) as they always have. Exactly one flush runs per group:
 * the flush mark in the outbox says one is under way, each round refreshes
 * it, and a mark that goes stale (the flush died, or its request was lost)
 * makes the next append ask for a new one. Two flushes that overlap find out
 * at the trim (it names the head it read) and the loser stops.
 *
 * Pushes too large for the outbox, or arriving when it is full, are published
 * alone as before (deliverPush); receivers order them with the rest by seq.
 */
import { LIMITS, utf8Bytes } from '../protocol/limits';
import type { Push } from '../protocol/messages';
import { forEachBounded } from './fanout';
import { isSubscriberLive } from './liveness';
import type { GroupKey, Subscriber } from './model';
import {
  type Clock,
  ConditionFailed,
  type CoalescingSettings,
  type FlushDeps,
  type FlushRequest,
  type FlushTrigger,
  OutboxFull,
  type PushOutbox,
  type PushPublisher,
} from './ports';

/** The mesh's default coalescing (see docs/performance.md for how the window was chosen). */
export const DEFAULT_COALESCING: CoalescingSettings = { windowMs: 150, staleFlushMs: 3000, maxFlushMs: 10_000 };

export const OUTBOX_LIMITS = {
  /** JSON bytes the outbox may hold (DynamoDB's item limit is 400 KB; the rest is room for its own encoding). */
  maxBytes: 256 * 1024,
  /** A push larger than this is published alone instead. */
  maxPushBytes: 32 * 1024,
  /** Pushes one round posts and trims at most (a trim names each index it removes, in a 4 KB expression). */
  maxPushesPerRound: 100,
  /** Times a round whose posts failed is tried again by a new flush before its pushes are given up for those connections. */
  maxRetries: 3,
} as const;

export interface OutboxPublisherDeps {
  outbox: PushOutbox;
  trigger: FlushTrigger;
  /** Publishes pushes one fan-out each (SNS): too large for the outbox, outbox full, or coalescing off. */
  direct: PushPublisher;
  clock: Clock;
  coalescing: CoalescingSettings;
}

/** The PushPublisher of the request handler when coalescing is on. */
export class OutboxPublisher implements PushPublisher {
  constructor(private readonly deps: OutboxPublisherDeps) {}

  async publish(pushes: Push[]): Promise<void> {
    if (this.deps.coalescing.windowMs <= 0) return this.deps.direct.publish(pushes);
    for (const [key, group] of byGroup(pushes)) await this.publishToGroup(key, group);
  }

  private async publishToGroup(key: GroupKey, pushes: Push[]): Promise<void> {
    const texts = pushes.map((push) => JSON.stringify(push));
    if (texts.some((text) => utf8Bytes(text) > OUTBOX_LIMITS.maxPushBytes)) return this.deps.direct.publish(pushes);
    const now = this.deps.clock.now();
    let appended: { flushMarkAt?: number; lastRoundAt?: number };
    try {
      appended = await this.deps.outbox.append(key, texts, now);
    } catch (error) {
      if (error instanceof OutboxFull) return this.deps.direct.publish(pushes);
      throw error;
    }
    const mark = appended.flushMarkAt;
    // A group that had no round for a window is posted to at once; a busy one a window after its last round.
    const windowMs = this.deps.coalescing.windowMs;
    const at = Math.min(now + windowMs, Math.max(now, (appended.lastRoundAt ?? 0) + windowMs));
    if (mark === undefined) {
      await this.deps.trigger.requestFlush({ type: 'flush', ...key, at });
    } else if (now - mark > this.deps.coalescing.staleFlushMs && (await this.deps.outbox.claim(key, mark, now))) {
      // The flush died or its request was lost: one append (the one that claims the mark) starts another.
      await this.deps.trigger.requestFlush({ type: 'flush', ...key, at });
    }
  }
}

/** How one flush went. */
export interface FlushOutcome {
  /** Rounds that posted something. */
  rounds: number;
  /** Pushes posted and trimmed. */
  pushes: number;
  /** Frames posted. */
  sent: number;
  /** Connections that answered 410: their subscriptions were dropped. */
  gone: number;
  /** Posts that failed otherwise (the round is retried by a new flush, up to OUTBOX_LIMITS.maxRetries, then given up for those connections). */
  failed: number;
  /** Why the flush ended. */
  ended: 'empty' | 'gone' | 'handed-over' | 'overtaken' | 'retrying';
}

/**
 * Runs one group's flush: rounds of read, post, trim, one window apart, until
 * the outbox is empty (the mark is cleared), another flush is found to have
 * trimmed first, or `maxFlushMs` has passed (a new flush is requested).
 */
export async function flushOutbox(request: FlushRequest, deps: FlushDeps): Promise<FlushOutcome> {
  const key: GroupKey = { groupId: request.groupId, domain: request.domain };
  const { windowMs, maxFlushMs } = deps.coalescing;
  const started = deps.clock.now();
  const outcome: FlushOutcome = { rounds: 0, pushes: 0, sent: 0, gone: 0, failed: 0, ended: 'empty' };
  let due = request.at;
  // Flushes before this one that failed to post a round; back to 0 after a round that posted.
  let retries = request.retries ?? 0;
  for (;;) {
    // Never more than a window: `at` comes from another function's clock.
    const wait = Math.min(due - deps.clock.now(), windowMs);
    if (wait > 0) await deps.sleep(wait);
    const readAt = deps.clock.now();
    const { outbox, subscribers } = await deps.outbox.read(key);
    if (outbox === undefined) return { ...outcome, ended: 'gone' };
    due = readAt + windowMs;
    if (outbox.pushes.length === 0) {
      if (await deps.outbox.release(key)) return outcome;
      continue; // pushes arrived between the read and the release
    }
    outcome.rounds += 1;
    const texts = outbox.pushes.slice(0, OUTBOX_LIMITS.maxPushesPerRound);
    if (texts.length < outbox.pushes.length) due = readAt; // a backlog: the next round goes at once
    const round = await postRound(key, texts, subscribers, deps);
    outcome.sent += round.sent;
    outcome.gone += round.gone;
    outcome.failed += round.failures.length;
    if (round.failures.length > 0 && retries < OUTBOX_LIMITS.maxRetries) {
      // Not trimmed: a new flush posts the round again (to everyone; receivers drop the copies).
      await deps.trigger.requestFlush({ type: 'flush', ...key, at: deps.clock.now() + windowMs, retries: retries + 1 });
      return { ...outcome, ended: 'retrying' };
    }
    const bytes = bytesOf(texts);
    if (round.failures.length === 0 && texts.length === outbox.pushes.length) {
      // The usual end of a burst: trim and clear the mark in one write.
      if (await deps.outbox.trimAndRelease(key, outbox.head, texts.length, bytes, deps.clock.now())) {
        outcome.pushes += texts.length;
        return outcome;
      }
    }
    try {
      await deps.outbox.trim(key, outbox.head, texts.length, bytes, deps.clock.now());
    } catch (error) {
      if (error instanceof ConditionFailed) return { ...outcome, ended: 'overtaken' };
      throw error;
    }
    outcome.pushes += texts.length;
    // After maxRetries the round is given up for the connections that kept failing (outcome.failed
    // says how many posts; the handler logs it) and the flush goes on with the next round.
    retries = 0;
    if (deps.clock.now() - started >= maxFlushMs) {
      await deps.trigger.requestFlush({ type: 'flush', ...key, at: due });
      return { ...outcome, ended: 'handed-over' };
    }
  }
}

interface RoundResult {
  sent: number;
  gone: number;
  attempted: number;
  failures: unknown[];
}

/** Posts each live subscriber the round's pushes it did not send, in as few frames as fit. */
async function postRound(key: GroupKey, texts: string[], subscribers: Subscriber[], deps: FlushDeps): Promise<RoundResult> {
  const pushes = texts.map((text) => ({ text, bytes: utf8Bytes(text), from: senderOf(text) }));
  const senders = new Set(pushes.map((push) => push.from));
  const now = deps.clock.now();
  // Every subscriber whose node sent none of the pushes gets the same frames: build them once.
  const framesFor = new Map<string, string[]>();
  const frames = (nodeId: string): string[] => {
    const cacheKey = senders.has(nodeId) ? nodeId : '';
    let built = framesFor.get(cacheKey);
    if (built === undefined) {
      built = buildFrames(key, pushes.filter((push) => push.from !== nodeId));
      framesFor.set(cacheKey, built);
    }
    return built;
  };
  const posts: { subscriber: Subscriber; frame: string }[] = [];
  for (const subscriber of subscribers) {
    if (!isSubscriberLive(subscriber, now)) continue;
    for (const frame of frames(subscriber.nodeId)) posts.push({ subscriber, frame });
  }
  const result: RoundResult = { sent: 0, gone: 0, attempted: posts.length, failures: [] };
  const dropped = new Set<string>();
  await forEachBounded(posts, deps.concurrency, async ({ subscriber, frame }) => {
    if (dropped.has(subscriber.connectionId)) return;
    try {
      if ((await deps.notifier.post(subscriber.connectionId, frame)) === 'gone') {
        if (dropped.has(subscriber.connectionId)) return;
        dropped.add(subscriber.connectionId);
        await deps.store.dropSubscriber(key, subscriber);
        result.gone += 1;
      } else {
        result.sent += 1;
      }
    } catch (error) {
      result.failures.push(error);
    }
  });
  return result;
}

/**
 * Frames of at most LIMITS.maxPushPayloadBytes each, pushes in order: a single
 * push goes as its own `message` frame, several as one `messages` frame.
 */
export function buildFrames(key: GroupKey, pushes: { text: string; bytes: number }[]): string[] {
  const head = `{"type":"messages","groupId":${JSON.stringify(key.groupId)},"domain":${JSON.stringify(key.domain)},"messages":[`;
  const overhead = utf8Bytes(head) + 2;
  const frames: string[] = [];
  let part: string[] = [];
  let bytes = overhead;
  const flush = () => {
    if (part.length === 1) frames.push(part[0]);
    else if (part.length > 1) frames.push(`${head}${part.join(',')}]}`);
    part = [];
    bytes = overhead;
  };
  for (const push of pushes) {
    if (part.length > 0 && bytes + 1 + push.bytes > LIMITS.maxPushPayloadBytes) flush();
    bytes += push.bytes + (part.length > 0 ? 1 : 0);
    part.push(push.text);
  }
  flush();
  return frames;
}

function senderOf(text: string): string {
  try {
    const from = (JSON.parse(text) as Partial<Push>).from;
    return typeof from === 'string' ? from : '';
  } catch {
    return '';
  }
}

function bytesOf(texts: string[]): number {
  return texts.reduce((total, text) => total + utf8Bytes(text), 0);
}

/** The pushes of each group, in order. */
function byGroup(pushes: Push[]): Map<GroupKey, Push[]> {
  const groups = new Map<string, { key: GroupKey; pushes: Push[] }>();
  for (const push of pushes) {
    const id = JSON.stringify([push.groupId, push.domain]);
    let entry = groups.get(id);
    if (!entry) {
      entry = { key: { groupId: push.groupId, domain: push.domain }, pushes: [] };
      groups.set(id, entry);
    }
    entry.pushes.push(push);
  }
  return new Map([...groups.values()].map((entry) => [entry.key, entry.pushes]));
}
