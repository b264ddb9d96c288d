/**
 * Reads the local stack's counters (GET {statsUrl}) and turns the difference
 * between two readings into the AWS-equivalent calls the measured window made.
 * Readings are diffed, never reset, so another reader of the same stack is
 * not disturbed.
 */
import type { StatsSnapshot } from '#local/stats';

/** DynamoDB operations that read; every other operation counted is a write. */
export const DYNAMODB_READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);
export const DYNAMODB_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

/** The calls of one measured window, as counts (not rates). */
export interface WindowCalls {
  seconds: number;
  dynamodbByOperation: Record<string, number>;
  dynamodbRead: number;
  dynamodbWrite: number;
  /** SNS API requests (Publish + PublishBatch calls) and the messages they carried. */
  snsPublishRequests: number;
  snsPublishedMessages: number;
  snsDeliveries: number;
  postToConnection: number;
  postToConnectionGone: number;
  lambda: Record<string, { invocations: number; errors: number; meanMs: number }>;
  lambdaInvocations: number;
  ws: { framesIn: number; bytesIn: number; framesOut: number; bytesOut: number; connections: number };
}

export async function readStats(statsUrl: string): Promise<StatsSnapshot> {
  const response = await fetch(statsUrl);
  if (!response.ok) throw new Error(`GET ${statsUrl} answered ${response.status}`);
  return (await response.json()) as StatsSnapshot;
}

/** What happened between two readings of the same stack. */
export function diffStats(before: StatsSnapshot, after: StatsSnapshot, seconds: number): WindowCalls {
  const dynamodbByOperation: Record<string, number> = {};
  for (const [operation, count] of Object.entries(after.dynamodb.byOperation)) {
    const delta = count - (before.dynamodb.byOperation[operation] ?? 0);
    if (delta > 0) dynamodbByOperation[operation] = delta;
  }
  const sum = (ops: Set<string>) =>
    Object.entries(dynamodbByOperation).reduce((total, [op, n]) => total + (ops.has(op) ? n : 0), 0);

  const lambda: WindowCalls['lambda'] = {};
  for (const [name, fn] of Object.entries(after.lambda)) {
    const prior = before.lambda[name] ?? { invocations: 0, errors: 0, totalMs: 0 };
    const invocations = fn.invocations - prior.invocations;
    if (invocations <= 0) continue;
    lambda[name] = {
      invocations,
      errors: fn.errors - prior.errors,
      meanMs: (fn.totalMs - prior.totalMs) / invocations,
    };
  }

  const sns = (s: StatsSnapshot) => s.sns.publish.calls + s.sns.publishBatch.calls;
  const snsEntries = (s: StatsSnapshot) => s.sns.publish.entries + s.sns.publishBatch.entries;
  return {
    seconds,
    dynamodbByOperation,
    dynamodbRead: sum(DYNAMODB_READS),
    dynamodbWrite: sum(DYNAMODB_WRITES),
    snsPublishRequests: sns(after) - sns(before),
    snsPublishedMessages: snsEntries(after) - snsEntries(before),
    snsDeliveries: after.sns.deliveries - before.sns.deliveries,
    postToConnection: after.management.postToConnection.calls - before.management.postToConnection.calls,
    postToConnectionGone: after.management.postToConnection.gone - before.management.postToConnection.gone,
    lambda,
    lambdaInvocations: Object.values(lambda).reduce((total, fn) => total + fn.invocations, 0),
    ws: {
      framesIn: after.ws.framesIn - before.ws.framesIn,
      bytesIn: after.ws.bytesIn - before.ws.bytesIn,
      framesOut: after.ws.framesOut - before.ws.framesOut,
      bytesOut: after.ws.bytesOut - before.ws.bytesOut,
      connections: after.ws.connectionsCurrent,
    },
  };
}

/** Calls per inbound client message (the ratio the issue asks for), rounded to 3 decimals. */
export function perInboundMessage(calls: WindowCalls) {
  const inbound = Math.max(1, calls.ws.framesIn);
  const per = (n: number) => Math.round((n / inbound) * 1000) / 1000;
  return {
    inboundMessages: calls.ws.framesIn,
    dynamodbRead: per(calls.dynamodbRead),
    dynamodbWrite: per(calls.dynamodbWrite),
    snsPublish: per(calls.snsPublishRequests),
    postToConnection: per(calls.postToConnection),
    lambdaInvocations: per(calls.lambdaInvocations),
    bytesIn: per(calls.ws.bytesIn),
    bytesOut: per(calls.ws.bytesOut),
    dynamodbByOperation: Object.fromEntries(Object.entries(calls.dynamodbByOperation).map(([op, n]) => [op, per(n)])),
  };
}

/** Calls the stack has made so far that a backlog would still be making: DynamoDB, posts, SNS deliveries. */
async function activity(statsUrl: string): Promise<number> {
  const s = await readStats(statsUrl);
  return s.dynamodb.total + s.management.postToConnection.calls + s.sns.deliveries;
}

/**
 * Waits until the stack has worked off what is queued: its call counters
 * move by at most 5 a second (the heartbeats of 400 idle nodes make a few a
 * second; more is a backlog), twice in a row. Gives up after `maxMs`;
 * `onWaiting` hears the seconds waited once the wait is longer than 3 s.
 */
export async function waitUntilQuiet(
  statsUrl: string,
  maxMs: number,
  onWaiting: (seconds: number) => void = () => undefined,
): Promise<void> {
  const started = Date.now();
  let last = await activity(statsUrl);
  let quiet = 0;
  while (quiet < 2 && Date.now() - started < maxMs) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now = await activity(statsUrl);
    quiet = now - last <= 5 ? quiet + 1 : 0;
    last = now;
    if (quiet === 0 && Date.now() - started > 3000) onWaiting(Math.round((Date.now() - started) / 1000));
  }
}
