/**
 * A group's flush: rounds of read, post, advance, each one window after the
 * last began, from the log's cursor until the cursor reaches the log's end.
 *
 * Exactly one invocation posts a group's rounds at a time. The append that
 * finds no flush requested sets a flush token and publishes a request naming
 * it; the invocation that gets the request claims the token (a second copy of
 * the request, SNS delivering twice, finds it claimed and stops), and every
 * round's advance is conditional on still owning it and refreshes the flush
 * mark. A flush that stops making progress (its invocation died, its request
 * was lost) leaves a mark that goes stale after FanoutSettings.staleFlushMs;
 * the next append or the sweeper then starts a new flush with a new token,
 * and the old invocation, should it wake, loses at its next advance. Pushes
 * are posted at least once: a flush that dies between posting and advancing
 * has its round posted again by the next one, and receivers drop the copies by
 * (from, epoch, seq).
 */
import type { GroupKey, Subscriber } from '../model';
import { isTokenBinding } from '../bindings';
import { isSubscriberLive } from '../liveness';
import type { FlushDeps, FlushRequest, LogHead } from '../ports';
import { framesByReceiver, inSenderOrder, roundPushOf, withLogPosition } from './frames';
import { postFrames } from './post';
import { RoundMonitor } from './round-monitor';
import { nextRate, windowFor } from './window';

export const FLUSH_LIMITS = {
  /** Pushes one round posts at most; a longer backlog goes in the next round at once. */
  maxPushesPerRound: 100,
  /**
   * The head's page is sealed once it holds this many bytes of posted pushes, so
   * the head item stays small: every append, claim and advance is billed (and
   * costs DynamoDB Local CPU) on its size. 2 KB keeps it near 2 WRU.
   */
  sealBytes: 2 * 1024,
} as const;

/** How one flush invocation went. */
export interface FlushOutcome {
  /** Rounds that posted something. */
  rounds: number;
  /** Pushes posted (each counted once, whatever the number of receivers). */
  pushes: number;
  /** Frames posted. */
  sent: number;
  /** Connections that answered 410: their subscriptions were dropped. */
  gone: number;
  /** Posts tried again after a failure. */
  retries: number;
  /** Frames given up for a connection after every try. */
  abandoned: number;
  /** Why the flush ended. */
  ended: 'caught-up' | 'not-ours' | 'lost' | 'handed-over' | 'no-log';
}

/** Runs one flush request; see the module comment. */
export async function flushGroup(request: FlushRequest, deps: FlushDeps): Promise<FlushOutcome> {
  const key: GroupKey = { groupId: request.groupId, domain: request.domain };
  const { clock, fanout } = deps;
  const outcome: FlushOutcome = {
    rounds: 0,
    pushes: 0,
    sent: 0,
    gone: 0,
    retries: 0,
    abandoned: 0,
    ended: 'caught-up',
  };
  const started = clock.now();
  if (!(await deps.log.claim(key, request.token, deps.owner, started, started - fanout.staleFlushMs))) {
    return { ...outcome, ended: 'not-ours' };
  }
  let due = request.at;
  for (;;) {
    // Never longer than the longest window: `due` may come from another machine's clock.
    const wait = Math.min(due - clock.now(), fanout.windowMaxMs);
    if (wait > 0) await deps.sleep(wait);
    const roundStart = clock.now();
    const { head, subscribers } = await deps.log.read(key);
    if (head === undefined) return { ...outcome, ended: 'no-log' };
    if (head.flushOwner !== deps.owner) return { ...outcome, ended: 'lost' };
    const texts = await unposted(key, head, deps);
    const to = head.cursor + texts.length;
    const now = clock.now();
    if (texts.length === 0) {
      const step = await deps.log.advance(key, {
        owner: deps.owner,
        from: head.cursor,
        to,
        now,
        roundAt: roundStart,
        rate: head.rate,
        release: true,
      });
      if (step === 'released') return outcome;
      if (step === 'lost') return { ...outcome, ended: 'lost' };
      due = now; // pushes came in between the read and the release
      continue;
    }
    const posted = await postRound(key, texts, head.cursor, subscribers, deps);
    outcome.rounds += 1;
    outcome.pushes += texts.length;
    outcome.sent += posted.sent;
    outcome.gone += posted.gone;
    outcome.retries += posted.retries;
    outcome.abandoned += posted.abandoned;
    const postedAt = clock.now();
    if (deps.monitor && RoundMonitor.watches(head, postedAt))
      await deps.monitor.report(key, { pushes: texts, ...posted }, postedAt);
    const rate = nextRate(head.rate, head.roundAt, roundStart, texts.length, fanout);
    const handOver = postedAt - started >= fanout.maxFlushMs;
    const step = await deps.log.advance(key, {
      owner: deps.owner,
      from: head.cursor,
      to,
      now: postedAt,
      roundAt: roundStart,
      rate,
      release: to === head.pos,
      disown: handOver,
    });
    if (step === 'lost') return { ...outcome, ended: 'lost' };
    await sealPosted(key, head, to, deps);
    if (step === 'released') return outcome;
    const backlog = head.pos - to > 0 && texts.length >= FLUSH_LIMITS.maxPushesPerRound;
    // The window runs from this round's start, its posts' time included (window.ts).
    due = backlog ? postedAt : roundStart + windowFor(rate, fanout);
    if (handOver) {
      // A long flush goes on in a new invocation (Lambda's timeout bounds this one).
      await deps.trigger.requestFlush({ type: 'flush', ...key, token: request.token, at: due });
      return { ...outcome, ended: 'handed-over' };
    }
  }
}

/** The pushes from the cursor on, at most FLUSH_LIMITS.maxPushesPerRound, from sealed pages and the head. */
async function unposted(key: GroupKey, head: LogHead, deps: FlushDeps): Promise<string[]> {
  const limit = FLUSH_LIMITS.maxPushesPerRound;
  const fromHead = (from: number, count: number) =>
    head.page.slice(from - head.pageStart, from - head.pageStart + count);
  if (head.cursor >= head.pageStart) return fromHead(head.cursor, Math.min(limit, head.pos - head.cursor));
  // The flush fell behind and appends sealed pushes it had not posted yet.
  const sealed = (await deps.log.readSealed(key, head.cursor, head.pageStart)).slice(0, limit);
  if (head.cursor + sealed.length < head.pageStart) return sealed;
  return [...sealed, ...fromHead(head.pageStart, limit - sealed.length)];
}

/** Posts the round (its first push at log position `first`): each live subscriber its frames, in as few frames as fit. */
async function postRound(key: GroupKey, texts: string[], first: number, subscribers: Subscriber[], deps: FlushDeps) {
  const pushes = inSenderOrder(texts.map((text, i) => roundPushOf(withLogPosition(text, first + i))));
  const framesFor = framesByReceiver(key, pushes);
  const now = deps.clock.now();
  const posts = subscribers
    // A polling node (bound to its token) has no connection: it reads the log instead.
    .filter((subscriber) => isSubscriberLive(subscriber, now) && !isTokenBinding(subscriber.connectionId))
    .map((subscriber) => ({ subscriber, frames: framesFor(subscriber.nodeId) }))
    .filter((post) => post.frames.length > 0);
  return postFrames(key, posts, deps);
}

/**
 * Moves posted pushes out of the head into a sealed page once they fill
 * FLUSH_LIMITS.sealBytes, keeping the head (read every round, written by every
 * append) small. A failed seal is harmless: the next round tries again.
 */
async function sealPosted(key: GroupKey, head: LogHead, cursor: number, deps: FlushDeps): Promise<void> {
  const postedInHead = head.page.slice(0, Math.max(0, cursor - head.pageStart));
  const bytes = postedInHead.reduce((total, text) => total + text.length, 0);
  if (bytes < FLUSH_LIMITS.sealBytes) return;
  try {
    await deps.log.seal(key, head.pageStart, postedInHead, deps.clock.now());
  } catch {
    // The pushes stay in the head; nothing is lost.
  }
}
