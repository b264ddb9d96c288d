/**
 * The sweeper's schedule: in AWS an EventBridge rule invokes the sweep
 * function every `sweepIntervalMinutes` (the Pulumi program, at least one
 * minute); here a timer invokes it every MESH_SWEEP_INTERVAL_SECONDS (60 by
 * default; tests use 1 s) with the event EventBridge sends. A run that is
 * still going when the next is due makes that one skip: the sweep is
 * idempotent, and piling runs up on a slow engine would only add load.
 */
import type { LocalLambda } from './lambda';
import { requestId } from './net';

export interface ScheduleOptions {
  fn: LocalLambda;
  intervalSeconds: number;
  region: string;
  ruleName?: string;
}

/** An EventBridge "Scheduled Event", as a scheduled Lambda receives it. */
export function scheduledEvent(region: string, ruleName: string, now = new Date()) {
  return {
    version: '0',
    id: requestId(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [`arn:aws:events:${region}:000000000000:rule/${ruleName}`],
    detail: {},
  };
}

/** Starts invoking `fn` on schedule; the first run comes one interval after the start. */
export function startSchedule(options: ScheduleOptions): { stop(): Promise<void> } {
  const { fn, intervalSeconds, region, ruleName = 'mesh-sweep' } = options;
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    // A failure is logged by the invoker; the next tick tries again, as EventBridge would.
    running = fn
      .invoke(scheduledEvent(region, ruleName))
      .catch(() => undefined)
      .finally(() => (running = undefined));
  }, intervalSeconds * 1000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
