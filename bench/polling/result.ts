/**
 * The shape of bench/results/polling/latest.json, the polling profile's
 * result. Kept apart from the code that fills it, so the tests and other
 * readers can load a result without the runner.
 */
import type { CostSheet } from '../cost-model';
import type { LatencySummary } from '../ledger';
import type { WindowCalls } from '../stack-stats';
import type { PollingCounts } from './cost';
import type { ReceiverKind } from './tally';

/** Event deliveries to one kind of receiver. */
export interface DeliverySide {
  expected: number;
  delivered: number;
  lost: number;
  duplicates: number;
  outOfOrder: number;
  /** Tags of no phase of this run, or unreadable: should stay 0. */
  stray: number;
  /** Fire → seen, first deliveries of measured events. A poller's includes its wait for the next poll. */
  latencyMs: LatencySummary;
}

export interface PollingResult {
  version: 1;
  profile: 'polling';
  finishedAt: string;
  machine: { cpus: number; cpuModel: string; node: string };
  target: { wsUrl: string; httpUrl: string; local: boolean };
  group: {
    pollers: number;
    /** WebSocket nodes, the host included. */
    socketNodes: number;
    /** As the joins' replies gave it (the server's MESH_POLLING_INTERVAL_SECONDS). */
    pollingIntervalSeconds: number;
    heartbeatIntervalSeconds: number;
    statusPerSecPerGroup: number;
    batchesPerSecPerGroup: number;
    eventsPerBatch: { min: number; max: number };
    durationS: number;
    warmupS: number;
  };
  /** Measured items that left, by the kind of sender. */
  sent: Record<ReceiverKind, { statusReports: number; events: number }>;
  events: {
    expected: number;
    delivered: number;
    lost: number;
    duplicates: number;
    outOfOrder: number;
    toPollers: DeliverySide;
    toSockets: DeliverySide;
  };
  /** Pairs (receiver, node that reported) where the receiver saw the node's last report, of all pairs. */
  status: { pairs: number; converged: number };
  requests: {
    /** The pollers' HTTP requests in the measured window, by action. */
    byAction: Record<string, { count: number; perSecond: number }>;
    perSecond: number;
    /** Failed requests over the whole run, by action. */
    errors: Record<string, number>;
    /** The http function's invocations a second in the window, from the stack's stats; null without stats. */
    httpInvocationsPerSecond: number | null;
  };
  /** What the polls read, over the whole run. */
  polls: { count: number; meanEvents: number; meanReplyBytes: number; meanEventBytes: number; fullPages: number };
  /** From the end of sending until every event was delivered and every last report seen (or the drain gave up). */
  drainedMs: number;
  clean: boolean;
  verdict: string;
  /** pollGroupData's own DynamoDB calls, counted in a quiet spell after the window; null without stats. */
  calibration: { polls: number; perPoll: Record<string, number> } | null;
  /** What the stack did in the measured window (every node's traffic); null without stats. */
  window: WindowCalls | null;
  /** The pollers' part of it, as priced; null without stats. */
  costCounts: PollingCounts | null;
  cost: {
    mesh: CostSheet;
    appsync: CostSheet;
    /** What Mesh v2 would add if its pollers also read the statuses each interval (a listGroupStatuses query). */
    appsyncStatusQueriesUsdPerHour: number;
  } | null;
  costPerHourUSD: { mesh: number; appsync: number; ratio: number } | null;
}
