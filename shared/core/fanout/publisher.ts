/**
 * The request side of the fan-out. A request does not publish its pushes: it
 * appends them to its group's log (durable, ordered) and asks for a flush only
 * when none is requested. Once the append has succeeded the pushes are
 * accepted, whatever happens next: a flush request that fails, or never
 * arrives, leaves a flush mark that goes stale, and the next append or the
 * sweeper (sweep.ts) starts the flush again. So a request never answers an
 * error for a push that will still be delivered.
 */
import type { Push } from '../../protocol/messages';
import type { GroupKey } from '../model';
import type { Clock, FlushTrigger, GroupLog, IdGenerator, PushPublisher } from '../ports';
import type { FanoutSettings } from '../settings';
import { firstRoundAt } from './window';

export interface LogPublisherDeps {
  log: GroupLog;
  trigger: FlushTrigger;
  clock: Clock;
  ids: IdGenerator;
  fanout: FanoutSettings;
  /** Told when a flush request failed after the pushes were appended (the handler logs it; the sweeper recovers it). */
  onFlushRequestFailed?: (key: GroupKey, error: unknown) => void;
}

/** The PushPublisher of the request handler. */
export class LogPublisher implements PushPublisher {
  constructor(private readonly deps: LogPublisherDeps) {}

  async publish(pushes: Push[], options: { dissolve?: boolean } = {}): Promise<number | undefined> {
    if (pushes.length === 0) return undefined;
    const key: GroupKey = { groupId: pushes[0].groupId, domain: pushes[0].domain };
    if (pushes.some((push) => push.groupId !== key.groupId || push.domain !== key.domain)) {
      throw new Error('one publish carries the pushes of one group');
    }
    const { log, clock, ids, fanout } = this.deps;
    const now = clock.now();
    const token = ids.token();
    const texts = pushes.map((push) => JSON.stringify(push));
    const appended = await log.append(key, texts, { now, token, dissolve: options.dissolve });
    // Accepted from here on: a failure below delays the pushes, it does not lose them.
    try {
      if (appended.flushToken === token) {
        await this.deps.trigger.requestFlush({
          type: 'flush',
          ...key,
          token,
          at: firstRoundAt(now, appended.roundAt, appended.rate, fanout),
        });
      } else if (now - appended.flushAt > fanout.staleFlushMs) {
        // The flush died or its request was lost: the one append that restarts it asks again.
        const fresh = ids.token();
        if (
          await log.restart(key, fresh, { now, staleBefore: now - fanout.staleFlushMs, expected: appended.flushToken })
        ) {
          await this.deps.trigger.requestFlush({ type: 'flush', ...key, token: fresh, at: now });
        }
      }
    } catch (error) {
      this.deps.onFlushRequestFailed?.(key, error);
    }
    return appended.first;
  }
}
