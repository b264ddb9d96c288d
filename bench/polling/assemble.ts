/**
 * Builds the polling profile's result (result.ts) from what the run
 * measured: the tally's deliveries, the pollers' request counts and reads,
 * the stack's counters around the window and the calibrated polls, priced by
 * cost.ts. No I/O beyond the Lambda memory settings read by prices.ts.
 */
import os from 'node:os';
import { priceOf, lambdaMemoryMb } from '../prices';
import type { BenchOptions } from '../options';
import type { LoadProfile } from '../ipc';
import { summarize } from '../ledger';
import type { WindowCalls } from '../stack-stats';
import { pollerWritePath } from './attribution';
import type { PollCalibration } from './calibrate';
import { type PollingCounts, appsyncPollingCost, meshPollingCost } from './cost';
import type { MixedGroup } from './group';
import type { DeliverySide, PollingResult } from './result';
import type { PollingTally, ReceiverKind } from './tally';

/** What the run measured around its window. */
export interface PollingMeasurements {
  target: PollingResult['target'];
  profile: LoadProfile;
  group: MixedGroup;
  tally: PollingTally;
  seconds: number;
  /** The pollers' requests in the window, by action. */
  requests: Record<string, number>;
  /** The WebSocket nodes' reports and batches in the window. */
  socketWrites: number;
  window: WindowCalls | undefined;
  calibration: PollCalibration | undefined;
  drainedMs: number;
}

const WRITE_ACTIONS = ['reportDataByNode', 'recordEventsByNode', 'sendMemberHeartbeat'];

function side(tally: PollingTally, kind: ReceiverKind): DeliverySide {
  const { counts, total } = tally.ledgers[kind];
  return {
    expected: tally.expected[kind],
    delivered: counts.delivered,
    lost: tally.expected[kind] - counts.delivered,
    duplicates: counts.duplicates,
    outOfOrder: counts.outOfOrder,
    stray: counts.stray,
    latencyMs: summarize(total),
  };
}

const sumOf = (records: Record<string, number>[]) => {
  const total: Record<string, number> = {};
  for (const record of records) for (const [key, n] of Object.entries(record)) total[key] = (total[key] ?? 0) + n;
  return total;
};

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

export async function assemblePolling(options: BenchOptions, m: PollingMeasurements): Promise<PollingResult> {
  const { tally, group, seconds } = m;
  const toPollers = side(tally, 'poller');
  const toSockets = side(tally, 'socket');
  const status = tally.statusConvergence();
  const errors = sumOf(group.pollers.map((p) => p.errors));
  const reads = group.pollers.map((p) => p.reads);
  const readTotal = (f: (r: (typeof reads)[number]) => number) => reads.reduce((t, r) => t + f(r), 0);
  const polls = readTotal((r) => r.polls);
  const requestCount = Object.values(m.requests).reduce((t, n) => t + n, 0);

  let costCounts: PollingCounts | null = null;
  let cost: PollingResult['cost'] = null;
  if (m.window && m.calibration) {
    const http = m.window.lambda.http ?? { invocations: 0, meanMs: 0 };
    costCounts = {
      seconds,
      membersPerGroup: group.nodes.length,
      requests: m.requests,
      pollerEvents: tally.sent.poller.events,
      http: { invocations: http.invocations, meanMs: http.meanMs },
      perPoll: m.calibration.perPoll,
      pollReplyBytes: polls > 0 ? readTotal((r) => r.replyBytes) / polls : 0,
      pollEventBytes: polls > 0 ? readTotal((r) => r.eventBytes) / polls : 0,
      writePath: pollerWritePath({
        window: m.window,
        polls: m.requests.pollGroupData ?? 0,
        perPoll: m.calibration.perPoll,
        pollerWrites: WRITE_ACTIONS.reduce((t, action) => t + (m.requests[action] ?? 0), 0),
        socketWrites: m.socketWrites,
      }),
    };
    const appsyncStatusQueries = priceOf('appsyncOperation', ((m.requests.pollGroupData ?? 0) * 3600) / seconds);
    cost = {
      mesh: meshPollingCost(costCounts, await lambdaMemoryMb()),
      appsync: appsyncPollingCost(costCounts),
      appsyncStatusQueriesUsdPerHour: round(appsyncStatusQueries, 5),
    };
  }

  const lost = toPollers.lost + toSockets.lost;
  const duplicates = toPollers.duplicates + toSockets.duplicates;
  const outOfOrder = toPollers.outOfOrder + toSockets.outOfOrder;
  const failed = Object.values(errors).reduce((t, n) => t + n, 0);
  const problems = [
    lost > 0 ? `${lost} events lost` : '',
    duplicates > 0 ? `${duplicates} duplicated` : '',
    outOfOrder > 0 ? `${outOfOrder} out of order` : '',
    status.converged < status.pairs ? `${status.pairs - status.converged} nodes' last status not seen` : '',
    failed > 0 ? `${failed} requests failed` : '',
  ].filter(Boolean);
  return {
    version: 1,
    profile: 'polling',
    finishedAt: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version },
    target: m.target,
    group: {
      pollers: group.pollers.length,
      socketNodes: group.sockets.length,
      pollingIntervalSeconds: group.pollingIntervalMs / 1000,
      heartbeatIntervalSeconds: group.heartbeatIntervalMs / 1000,
      statusPerSecPerGroup: m.profile.statusPerSecPerGroup,
      batchesPerSecPerGroup: m.profile.batchesPerSecPerGroup,
      eventsPerBatch: m.profile.eventsPerBatch,
      durationS: options.duration,
      warmupS: options.warmup,
    },
    sent: tally.sent,
    events: {
      expected: toPollers.expected + toSockets.expected,
      delivered: toPollers.delivered + toSockets.delivered,
      lost,
      duplicates,
      outOfOrder,
      toPollers,
      toSockets,
    },
    status,
    requests: {
      byAction: Object.fromEntries(
        Object.entries(m.requests).map(([action, count]) => [action, { count, perSecond: round(count / seconds) }]),
      ),
      perSecond: round(requestCount / seconds),
      errors,
      httpInvocationsPerSecond: m.window?.lambda.http ? round(m.window.lambda.http.invocations / seconds) : null,
    },
    polls: {
      count: polls,
      meanEvents: polls > 0 ? round(readTotal((r) => r.events) / polls) : 0,
      meanReplyBytes: polls > 0 ? Math.round(readTotal((r) => r.replyBytes) / polls) : 0,
      meanEventBytes: polls > 0 ? Math.round(readTotal((r) => r.eventBytes) / polls) : 0,
      fullPages: readTotal((r) => r.fullPages),
    },
    drainedMs: m.drainedMs,
    clean: problems.length === 0,
    verdict: problems.length === 0 ? 'clean' : problems.join(', '),
    calibration: m.calibration
      ? {
          polls: m.calibration.polls,
          perPoll: Object.fromEntries(Object.entries(m.calibration.perPoll).map(([op, n]) => [op, round(n, 3)])),
        }
      : null,
    window: m.window ?? null,
    costCounts,
    cost,
    costPerHourUSD: cost
      ? {
          mesh: round(cost.mesh.usdPerHour, 5),
          appsync: round(cost.appsync.usdPerHour, 5),
          ratio: round(cost.appsync.usdPerHour / Math.max(cost.mesh.usdPerHour, Number.EPSILON)),
        }
      : null,
  };
}
