/**
 * The local stack's counters (`GET /_local/stats`, local/stats.ts): the sums
 * of the handlers' metrics since the stack's last reset, the same numbers the
 * CloudWatch dashboard plots in AWS. Only the local stack serves them, so
 * the page polls them only when it is given a `statsUrl`.
 */
import { METRIC_NAMES } from '#shared/lambda/metric-names';

/** How often the page reads the stats. */
export const STATS_POLL_MS = 2000;

/** The metrics the console shows: every one the handlers emit (the dashboard's too). */
export const SHOWN_METRICS = METRIC_NAMES;

export type StackCounters = Record<keyof typeof SHOWN_METRICS, number>;

/** The shown counters of a stats answer, 0 for a metric it lacks; null for an answer of another shape. */
export function countersOf(stats: unknown): StackCounters | null {
  if (stats === null || typeof stats !== 'object') return null;
  const metrics = (stats as { metrics?: unknown }).metrics;
  if (metrics === null || typeof metrics !== 'object') return null;
  const sums = metrics as Record<string, unknown>;
  const read = (name: string) => (typeof sums[name] === 'number' ? (sums[name] as number) : 0);
  return Object.fromEntries(
    Object.entries(SHOWN_METRICS).map(([shown, metric]) => [shown, read(metric)]),
  ) as StackCounters;
}

export interface StatsPollOptions {
  url: string;
  onCounters: (counters: StackCounters) => void;
  onFailure: (reason: string) => void;
  everyMs?: number;
}

/**
 * Reads the stats now and then every `everyMs`, one read at a time (a slow
 * stack is not sent a second request before it answered the first).
 * Returns what stops it.
 */
export function pollStats(options: StatsPollOptions): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  async function readOnce(): Promise<void> {
    try {
      const response = await fetch(options.url, { cache: 'no-store' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const counters = countersOf(await response.json());
      if (counters === null) throw new Error('the answer has no metrics');
      if (!stopped) options.onCounters(counters);
    } catch (error) {
      if (!stopped) options.onFailure(error instanceof Error ? error.message : String(error));
    } finally {
      if (!stopped) timer = setTimeout(() => void readOnce(), options.everyMs ?? STATS_POLL_MS);
    }
  }

  void readOnce();
  return function stopPolling() {
    stopped = true;
    clearTimeout(timer);
  };
}
