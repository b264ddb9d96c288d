/**
 * Counters of everything the local stack does on the handlers' behalf, served
 * as JSON at `GET /_local/stats` on the Management API port. Integration tests
 * and the bench reset them, run one action, and read how many DynamoDB, SNS and
 * Management API calls it made: measured, not estimated.
 */

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
  };
}

function emptyStats(connectionsCurrent = 0): StatsSnapshot {
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
    },
  };
}

/** The stack's mutable counters. Every part of the stack writes to one instance. */
export class LocalStats {
  private current: StatsSnapshot = emptyStats();

  /** The live counters; parts increment fields directly. */
  get counters(): StatsSnapshot {
    return this.current;
  }

  dynamodbCall(operation: string): void {
    const calls = this.current.dynamodb;
    calls.total += 1;
    calls.byOperation[operation] = (calls.byOperation[operation] ?? 0) + 1;
  }

  lambdaInvocation(functionName: string, durationMs: number, failed: boolean): void {
    const fn = (this.current.lambda[functionName] ??= { invocations: 0, errors: 0, totalMs: 0 });
    fn.invocations += 1;
    fn.totalMs += durationMs;
    if (failed) fn.errors += 1;
  }

  /** A deep copy, safe to serialise while the counters keep moving. */
  snapshot(): StatsSnapshot {
    return structuredClone(this.current);
  }

  /** Zeroes every counter; open connections stay counted as current. */
  reset(): void {
    this.current = emptyStats(this.current.ws.connectionsCurrent);
  }
}
