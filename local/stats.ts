/**
 * Counters of everything the local stack does on the handlers' behalf, served
 * as JSON at `GET /_local/stats` on the Management API port. Integration tests
 * and the bench reset them, run one action, and read how many DynamoDB, SNS and
 * Management API calls it made: measured, not estimated.
 *
 * `metrics` sums the CloudWatch Embedded Metric Format lines the handlers
 * print (emf.ts), by metric name; `faults` counts the faults injected
 * (faults.ts); `workers` says how many threads run each function and how often
 * one was restarted (worker-pool.ts).
 */
import { METRIC_NAMES } from '#shared/lambda/metric-names';

/** The handlers' metrics (namespace Mesh), every one; listed at 0 so a reader finds them before the first one. */
export const KNOWN_METRICS: readonly string[] = Object.values(METRIC_NAMES);

export interface FunctionStats {
  invocations: number;
  errors: number;
  /** Sum of invocation durations, for a mean. */
  totalMs: number;
}

export interface StatsSnapshot {
  /** ISO time of the last reset (or of the start). */
  since: string;
  dynamodb: { total: number; byOperation: Record<string, number> };
  sns: {
    publish: { calls: number; entries: number };
    publishBatch: { calls: number; entries: number };
    failedEntries: number;
    deliveries: number;
    deliveryRetries: number;
    deliveryDropped: number;
  };
  management: {
    postToConnection: { calls: number; gone: number; tooLarge: number; bytes: number };
    getConnection: number;
    deleteConnection: number;
  };
  lambda: Record<string, FunctionStats>;
  ws: {
    framesIn: number;
    bytesIn: number;
    framesOut: number;
    bytesOut: number;
    connectionsCurrent: number;
    connectionsTotal: number;
    connectionsRefused: number;
    /** Connections dropped for holding over MAX_UNSENT_BYTES unsent (gateway.ts). */
    slowReadersDropped: number;
    /** The most bytes one connection held unsent (sent by the gateway, not yet taken by the kernel). */
    unsentBytesPeak: number;
  };
  /** Sum of each EMF metric the handlers printed, by name. */
  metrics: Record<string, number>;
  /** Faults injected, by name (`sns.drop`, `dynamodb.throttle`, …). */
  faults: Record<string, number>;
  /** Worker threads per function (0 = the stack's own thread) and restarts after a crash. */
  workers: Record<string, { threads: number; restarts: number }>;
  /** The stack process's resident memory when the snapshot was taken (its worker threads included). */
  rssBytes: number;
}

/** What a worker thread counted since its last report: the same counters, merged into the stack's. */
export interface CounterDelta {
  dynamodb?: Record<string, number>;
  metrics?: Record<string, number>;
  faults?: Record<string, number>;
}

/** The counters the stack's parts increment: a snapshot without what is read when it is taken. */
export type StatsCounters = Omit<StatsSnapshot, 'rssBytes'>;

function emptyStats(connectionsCurrent = 0, workers: StatsSnapshot['workers'] = {}): StatsCounters {
  return {
    since: new Date().toISOString(),
    dynamodb: { total: 0, byOperation: {} },
    sns: {
      publish: { calls: 0, entries: 0 },
      publishBatch: { calls: 0, entries: 0 },
      failedEntries: 0,
      deliveries: 0,
      deliveryRetries: 0,
      deliveryDropped: 0,
    },
    management: {
      postToConnection: { calls: 0, gone: 0, tooLarge: 0, bytes: 0 },
      getConnection: 0,
      deleteConnection: 0,
    },
    lambda: {},
    ws: {
      framesIn: 0,
      bytesIn: 0,
      framesOut: 0,
      bytesOut: 0,
      connectionsCurrent,
      connectionsTotal: 0,
      connectionsRefused: 0,
      slowReadersDropped: 0,
      unsentBytesPeak: 0,
    },
    metrics: Object.fromEntries(KNOWN_METRICS.map((name) => [name, 0])),
    faults: {},
    workers: Object.fromEntries(
      Object.entries(workers).map(([name, pool]) => [name, { threads: pool.threads, restarts: 0 }]),
    ),
  };
}

function addAll(into: Record<string, number>, delta: Record<string, number> | undefined): void {
  for (const [name, n] of Object.entries(delta ?? {})) into[name] = (into[name] ?? 0) + n;
}

/** The stack's mutable counters. Every part of the stack writes to one instance. */
export class LocalStats {
  private current: StatsCounters = emptyStats();

  /** The live counters; parts increment fields directly. */
  get counters(): StatsCounters {
    return this.current;
  }

  dynamodbCall(operation: string): void {
    const calls = this.current.dynamodb;
    calls.total += 1;
    calls.byOperation[operation] = (calls.byOperation[operation] ?? 0) + 1;
  }

  /** Merges what a worker thread counted. */
  add(delta: CounterDelta): void {
    for (const [operation, n] of Object.entries(delta.dynamodb ?? {})) {
      this.current.dynamodb.total += n;
      this.current.dynamodb.byOperation[operation] = (this.current.dynamodb.byOperation[operation] ?? 0) + n;
    }
    addAll(this.current.metrics, delta.metrics);
    addAll(this.current.faults, delta.faults);
  }

  fault(name: string): void {
    this.current.faults[name] = (this.current.faults[name] ?? 0) + 1;
  }

  lambdaInvocation(functionName: string, durationMs: number, failed: boolean): void {
    const fn = (this.current.lambda[functionName] ??= { invocations: 0, errors: 0, totalMs: 0 });
    fn.invocations += 1;
    fn.totalMs += durationMs;
    if (failed) fn.errors += 1;
  }

  /** A deep copy, safe to serialise while the counters keep moving. */
  snapshot(): StatsSnapshot {
    return { ...structuredClone(this.current), rssBytes: process.memoryUsage.rss() };
  }

  /** Zeroes every counter; open connections and worker threads stay counted as current. */
  reset(): void {
    this.current = emptyStats(this.current.ws.connectionsCurrent, this.current.workers);
  }
}
