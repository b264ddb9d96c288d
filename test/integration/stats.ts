/**
 * Reads and resets the local stack's counters (`GET {statsUrl}`,
 * `POST {statsUrl}/reset`, served by local/management.ts), so a test
 * can count the DynamoDB, SNS and Management API calls an action makes.
 */
import type { StatsSnapshot } from '#local/stats';
import { TEST_ENV, testEnv } from './test-env';

export type { StatsSnapshot };

/** `url`, by default the main stack's. */
function statsUrl(url: string | undefined): string {
  return (url ?? testEnv(TEST_ENV.main.statsUrl)).replace(/\/+$/, '');
}

/** The counters now. */
export async function readStats(url?: string): Promise<StatsSnapshot> {
  const response = await fetch(statsUrl(url));
  if (!response.ok) throw new Error(`GET stats answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as StatsSnapshot;
}

/** Zeroes the counters; resolves with the fresh snapshot. */
export async function resetStats(url?: string): Promise<StatsSnapshot> {
  const response = await fetch(`${statsUrl(url)}/reset`, { method: 'POST' });
  if (!response.ok) throw new Error(`POST stats/reset answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as StatsSnapshot;
}

/**
 * Reads the counters once they have stopped moving: SNS delivers to the
 * fan-out asynchronously, so the PostToConnection count settles a little after
 * the reply. Resolves when `quietMs` pass with no change in the DynamoDB, SNS,
 * Management API and Lambda counters (or after `timeoutMs`, with a last read).
 */
export async function settledStats(
  options: { url?: string; quietMs?: number; timeoutMs?: number } = {},
): Promise<StatsSnapshot> {
  const quietMs = options.quietMs ?? 300;
  const deadline = Date.now() + (options.timeoutMs ?? 5_000);
  let last = await readStats(options.url);
  let stableSince = Date.now();
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const next = await readStats(options.url);
    if (fingerprint(next) !== fingerprint(last)) {
      last = next;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= quietMs) {
      return next;
    }
  }
  return last;
}

function fingerprint(stats: StatsSnapshot): string {
  return JSON.stringify([stats.dynamodb, stats.sns, stats.management, stats.lambda]);
}

/** The calls an action made, in the terms the docs use. */
export interface CallCounts {
  dynamodb: Record<string, number>;
  dynamodbTotal: number;
  snsRequests: number;
  snsEntries: number;
  postToConnection: number;
  gone: number;
  invocations: Record<string, number>;
}

export function callCounts(stats: StatsSnapshot): CallCounts {
  return {
    dynamodb: { ...stats.dynamodb.byOperation },
    dynamodbTotal: stats.dynamodb.total,
    snsRequests: stats.sns.publish.calls + stats.sns.publishBatch.calls,
    snsEntries: stats.sns.publish.entries + stats.sns.publishBatch.entries,
    postToConnection: stats.management.postToConnection.calls,
    gone: stats.management.postToConnection.gone,
    invocations: Object.fromEntries(Object.entries(stats.lambda).map(([name, fn]) => [name, fn.invocations])),
  };
}
