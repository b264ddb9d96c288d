/**
 * The one posting loop of the fan-out and its one failure policy.
 *
 * A post that fails for any reason but 410 is tried again with exponential
 * backoff and full jitter (API Gateway answers 429 when the account's rate is
 * exceeded and 5xx when it has trouble; both pass). After POST_RETRY.attempts
 * tries the frame is given up for that connection and counted as abandoned:
 * the count reaches a metric and an alarm, never only a log line. A 410 means
 * the connection is gone: its subscription is dropped and nothing more is
 * posted to it.
 */
import type { GroupKey, Subscriber } from '../model';
import type { ConnectionNotifier, MeshStore } from '../ports';

/** Tries per frame and connection, and the backoff between them (full jitter up to 50, 100, 200, 400 ms: at most 0.75 s of waiting). */
export const POST_RETRY = { attempts: 5, baseDelayMs: 50 } as const;

/** How one round's posts went. */
export interface PostOutcome {
  /** Frames posted. */
  sent: number;
  /** Connections that answered 410: their subscriptions were dropped. */
  gone: number;
  /** Posts tried again after a failure. */
  retries: number;
  /** Frames given up for a connection after every try. */
  abandoned: number;
}

export interface PostDeps {
  store: MeshStore;
  notifier: Pick<ConnectionNotifier, 'post'>;
  concurrency: number;
  sleep(ms: number): Promise<void>;
  /** A number in [0, 1): the jitter of the backoff (Math.random in handlers). */
  random?: () => number;
}

/** Posts each subscriber its frames, at most `concurrency` posts at once; a connection's frames go in order. */
export async function postFrames(
  key: GroupKey,
  posts: { subscriber: Subscriber; frames: string[] }[],
  deps: PostDeps,
): Promise<PostOutcome> {
  const outcome: PostOutcome = { sent: 0, gone: 0, retries: 0, abandoned: 0 };
  await forEachBounded(posts, deps.concurrency, async function postToSubscriber({ subscriber, frames }) {
    for (const frame of frames) {
      const result = await postWithRetry(subscriber.connectionId, frame, deps, outcome);
      if (result === 'gone') {
        outcome.gone += 1;
        await dropStale(key, subscriber, deps);
        return;
      }
      if (result === 'sent') outcome.sent += 1;
      else outcome.abandoned += 1;
    }
  });
  return outcome;
}

async function postWithRetry(
  connectionId: string,
  frame: string,
  deps: PostDeps,
  outcome: PostOutcome,
): Promise<'sent' | 'gone' | 'abandoned'> {
  const random = deps.random ?? Math.random;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await deps.notifier.post(connectionId, frame);
    } catch {
      if (attempt >= POST_RETRY.attempts) return 'abandoned';
      outcome.retries += 1;
      await deps.sleep(random() * POST_RETRY.baseDelayMs * 2 ** (attempt - 1));
    }
  }
}

/** A 410: the stale connection's rows go (never the sender's: the sender is not posted to). */
async function dropStale(key: GroupKey, subscriber: Subscriber, deps: PostDeps): Promise<void> {
  try {
    await deps.store.dropSubscriber(key, subscriber);
  } catch {
    // Its TTL removes it; the next round meets the 410 again and retries this.
  }
}

/** Runs `work` on every item with at most `limit` in flight; `work` must not throw. */
export async function forEachBounded<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const item = items[next];
      next += 1;
      await work(item);
    }
  }
  const bound = limit >= 1 ? Math.floor(limit) : 1; // NaN or 0 must not mean "post nothing"
  const workers = Math.min(bound, items.length);
  await Promise.all(Array.from({ length: workers }, worker));
}
