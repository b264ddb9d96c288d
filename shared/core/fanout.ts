/**
 * The fan-out: delivers one push to the group's other member connections.
 * Run by the SNS subscriber, so it may see the same push twice (at-least-once
 * delivery); receivers drop the copy by `seq`, so delivering again is safe
 * and a partial failure is simply retried whole.
 */
import type { Push } from '../protocol/messages';
import { isSubscriberLive } from './liveness';
import type { GroupKey, Subscriber } from './model';
import type { FanoutDeps } from './ports';

/** How one push went. */
export interface FanoutOutcome {
  sent: number;
  /** Connections that answered 410: their subscriptions were dropped. */
  gone: number;
  /** The sender's own connections and expired subscriptions, not posted to. */
  skipped: number;
}

/**
 * Thrown after every post has been tried when some failed for a reason other
 * than 410, so that SNS retries the push. Those subscriptions are kept: a
 * throttled or failing call says nothing about the connection being gone.
 */
export class FanoutFailed extends AggregateError {
  override name = 'FanoutFailed';
  constructor(
    errors: unknown[],
    readonly attempted: number,
  ) {
    super(errors, `${errors.length} of ${attempted} deliveries failed`);
  }
}

/**
 * Posts the push to every live subscriber except the sender's node, at most
 * `deps.concurrency` at a time. A 410 drops that stale subscription only
 * (never the sender's: the sender is not posted to).
 */
export async function deliverPush(push: Push, deps: FanoutDeps): Promise<FanoutOutcome> {
  const key: GroupKey = { groupId: push.groupId, domain: push.domain };
  const now = deps.clock.now();
  const subscribers = await deps.store.listSubscribers(key);
  const targets = subscribers.filter((s) => s.nodeId !== push.from && isSubscriberLive(s, now));
  const frame = JSON.stringify(push);
  const outcome: FanoutOutcome = { sent: 0, gone: 0, skipped: subscribers.length - targets.length };
  const failures: unknown[] = [];
  await forEachBounded(targets, deps.concurrency, async function deliverOne(subscriber: Subscriber) {
    try {
      if ((await deps.notifier.post(subscriber.connectionId, frame)) === 'gone') {
        await deps.store.dropSubscriber(key, subscriber);
        outcome.gone += 1;
      } else {
        outcome.sent += 1;
      }
    } catch (error) {
      failures.push(error);
    }
  });
  if (failures.length > 0) throw new FanoutFailed(failures, targets.length);
  return outcome;
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
