/**
 * The safety net under the fan-out: a scheduled pass over the groups whose
 * log holds pushes not yet posted. A group whose flush has made no progress
 * for FanoutSettings.staleFlushMs (its request was lost, its invocation died,
 * a DynamoDB stall outlasted it) gets a new flush. Busy groups also appear in
 * the list; their restart fails on its condition (the flush is alive), so the
 * pass changes nothing for them.
 *
 * With it, every accepted push is posted within staleFlushMs + the sweep
 * interval + one round after the fault clears, even in a group that has gone
 * quiet (no append left to notice the stale mark): the bound docs/architecture.md
 * states.
 */
import type { Clock, FlushTrigger, GroupLog, IdGenerator } from '../ports';
import type { FanoutSettings } from '../settings';

export interface SweepDeps {
  log: GroupLog;
  trigger: FlushTrigger;
  clock: Clock;
  ids: IdGenerator;
  fanout: FanoutSettings;
}

export interface SweepOutcome {
  /** Groups with unposted pushes older than the stale time. */
  pending: number;
  /** Flushes started anew. */
  restarted: number;
  /** Restarts whose flush request failed (the next pass tries again). */
  failed: number;
}

/** One pass; see the module comment. */
export async function sweepStalledFlushes(deps: SweepDeps): Promise<SweepOutcome> {
  const now = deps.clock.now();
  const staleBefore = now - deps.fanout.staleFlushMs;
  const pending = await deps.log.listPending(staleBefore);
  const outcome: SweepOutcome = { pending: pending.length, restarted: 0, failed: 0 };
  for (const key of pending) {
    const token = deps.ids.token();
    try {
      if (!(await deps.log.restart(key, token, { now, staleBefore }))) continue;
      await deps.trigger.requestFlush({ type: 'flush', ...key, token, at: now });
      outcome.restarted += 1;
    } catch {
      outcome.failed += 1;
    }
  }
  return outcome;
}
