/**
 * Builds latest.json from the phases: picks the phase whose calls price the
 * run (and the one whose Lambda durations and CPU feed the AWS projection),
 * scales them to the base load with the design's fan-out rounds, and adds the
 * cost, the latency CDF and the cores needed. No I/O beyond the Lambda memory
 * settings read by prices.ts.
 */
import os from 'node:os';
import type { Histogram } from 'hdr-histogram-js';
import { fanoutConcurrency } from '#shared/config';
import { DEFAULT_FANOUT } from '#shared/core/settings';
import { type ProjectionSettings, projectPush } from './aws-projection';
import {
  type Traffic,
  appsyncCost,
  designRounds,
  meshCost,
  modelledCalls,
  scaleTraffic,
  scaleWindow,
  withRounds,
} from './cost-model';
import { coresNeededOf } from './cores';
import { type BenchOptions, profileMessagesPerSecond, workerCount } from './options';
import { DEFAULT_LAMBDA_MEMORY_MB, lambdaMemoryMb } from './prices';
import { handlerCpuOf, pushWorkOf } from './push-work';
import type { BenchResult, HandlerThreads, PhaseSummary } from './result-types';
import { type WindowCalls, perInboundMessage } from './stack-stats';
import { highestClean } from './steps';

const CDF_PERCENTILES = [
  0.1, 1, 2, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 92.5, 95, 97, 98, 99, 99.5, 99.9,
  99.99, 100,
];

function cdfOf(histogram: Histogram): [number, number][] {
  if (histogram.totalCount === 0) return [];
  return CDF_PERCENTILES.map((p) => [histogram.getValueAtPercentile(p) / 1000, p / 100]);
}

/** The same calls at `factor` times the rate, over `seconds`. */
function scaleCalls(calls: WindowCalls, factor: number, seconds: number): WindowCalls {
  const scaled = scaleWindow(calls, (factor * seconds) / calls.seconds);
  const whole = (n: number) => Math.round(n);
  return {
    ...scaled,
    seconds,
    dynamodbByOperation: Object.fromEntries(
      Object.entries(scaled.dynamodbByOperation).map(([op, n]) => [op, whole(n)]),
    ),
  };
}

/** `calls` with each function's mean duration taken from `durations` (when it has that function). */
function withDurationsOf(calls: WindowCalls, durations: WindowCalls | undefined): WindowCalls {
  if (durations === undefined) return calls;
  const lambda = Object.fromEntries(
    Object.entries(calls.lambda).map(([name, fn]) => [
      name,
      { ...fn, meanMs: durations.lambda[name]?.meanMs ?? fn.meanMs },
    ]),
  );
  return { ...calls, lambda };
}

const strip = <T extends { calls?: unknown }>(phase: T): Omit<T, 'calls'> => {
  const { calls: _calls, ...rest } = phase;
  return rest;
};

export async function assemble(
  options: BenchOptions,
  target: { url: string; local: boolean; handlerThreads: HandlerThreads },
  meshRun: { phases: PhaseSummary[]; baseHistogram: Histogram },
  baselineRun: { phases: PhaseSummary[]; baseHistogram: Histogram } | undefined,
): Promise<BenchResult> {
  const base = meshRun.phases[0];
  const baseBaseline = baselineRun?.phases[0];
  const maxCleanMultiplier = highestClean(meshRun.phases);
  const traffic: Traffic = {
    seconds: base.measuredSeconds,
    connections: options.groups * options.nodes,
    membersPerGroup: options.nodes,
    statusReports: base.statusReports,
    eventBatches: base.eventBatches,
  };
  // Price the profile's traffic with the calls per message of the phase
  // nearest the base load that delivered everything exactly once and in order
  // (the base one when it did): its calls are what the design does at that
  // load even when its p99 is over the bound. With an adaptive window the
  // posts per message depend on the load, so a lighter phase scaled up would
  // overstate them. Its Lambda durations include this machine's queues, so
  // they come from the heaviest clean phase when there is one.
  const rate = (p: PhaseSummary) => (p.statusReports + p.eventBatches) / p.measuredSeconds;
  const complete = (p: PhaseSummary) => p.lost === 0 && p.duplicates === 0 && p.outOfOrder === 0 && p.delivered > 0;
  const distanceFromBase = (p: PhaseSummary) => Math.abs(Math.log(p.multiplier / base.multiplier));
  const costPhase = meshRun.phases
    .filter((p) => complete(p) && p.calls)
    .sort((a, b) => distanceFromBase(a) - distanceFromBase(b))[0];
  const durationPhase =
    meshRun.phases.filter((p) => p.clean && p.calls).sort((a, b) => b.multiplier - a.multiplier)[0] ?? costPhase;
  // The rounds are those the design makes in AWS at the base rate (one per
  // group per adaptive window), not this machine's: a stack that lags makes
  // fewer, larger rounds, a lighter phase scaled up too many.
  const atDesignRounds = (counted: WindowCalls, messages: number) =>
    withRounds(
      counted,
      designRounds(options.groups, counted.seconds, messages / counted.seconds / options.groups, DEFAULT_FANOUT),
    );
  const calls = costPhase?.calls
    ? atDesignRounds(
        withDurationsOf(
          scaleCalls(costPhase.calls, rate(base) / Math.max(rate(costPhase), Number.EPSILON), base.measuredSeconds),
          durationPhase?.calls,
        ),
        base.statusReports + base.eventBatches,
      )
    : modelledCalls(traffic, undefined, DEFAULT_FANOUT.windowMinMs);
  const memory = await lambdaMemoryMb();
  const meshSheet = meshCost(calls, traffic, memory);
  // The projection takes the same phase's calls as counted (per push, so not
  // rescaled) and its CPU; without such a phase, the modelled calls.
  const work = pushWorkOf(
    durationPhase?.calls ?? calls,
    durationPhase?.stackCpu
      ? handlerCpuOf(durationPhase.stackCpu, durationPhase.stackCpu.handlersInThreads)
      : undefined,
    durationPhase !== undefined,
  );
  const projectionSettings: ProjectionSettings = {
    memoryMb: {
      request: memory.request ?? DEFAULT_LAMBDA_MEMORY_MB.request,
      fanout: memory.fanout ?? DEFAULT_LAMBDA_MEMORY_MB.fanout,
    },
    postConcurrency: fanoutConcurrency(),
    fanout: DEFAULT_FANOUT,
  };
  const appsyncSheet = appsyncCost(traffic);
  // The same design at the Mesh v2 profile itself (×1): calls scale with messages.
  const toProfile = 1 / options.multiplier;
  const meshAtProfile = meshCost(
    atDesignRounds(scaleWindow(calls, toProfile), (base.statusReports + base.eventBatches) * toProfile),
    scaleTraffic(traffic, toProfile),
    memory,
  ).usdPerHour;
  const appsyncAtProfile = appsyncCost(scaleTraffic(traffic, toProfile)).usdPerHour;
  const round = (n: number, digits = 4) => Math.round(n * 10 ** digits) / 10 ** digits;
  return {
    version: 1,
    finishedAt: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      platform: `${os.platform()} ${os.arch()}`,
    },
    target: { ...target, workers: workerCount(options) },
    profile: {
      groups: options.groups,
      nodes: options.nodes,
      statusPerSecPerGroup: options.statusRate,
      batchesPerSecPerGroup: options.batchRate,
      eventsPerBatch: { min: 1, max: 5 },
      durationS: options.duration,
      warmupS: options.warmup,
      multiplier: options.multiplier,
      stepDurationS: options.stepDuration,
      p99BoundMs: options.p99Bound,
      fanoutWindowMs: DEFAULT_FANOUT.windowMinMs,
    },
    mesh: (({ target: _t, ...rest }) => rest)(strip(base)),
    baseline: baseBaseline
      ? {
          delivered: baseBaseline.delivered,
          lost: baseBaseline.lost,
          duplicates: baseBaseline.duplicates,
          outOfOrder: baseBaseline.outOfOrder,
          latencyMs: baseBaseline.latencyMs,
        }
      : null,
    ratio: baseBaseline
      ? {
          p50: round(base.latencyMs.p50 / Math.max(baseBaseline.latencyMs.p50, 0.001), 2),
          p99: round(base.latencyMs.p99 / Math.max(baseBaseline.latencyMs.p99, 0.001), 2),
        }
      : null,
    maxCleanMultiplier,
    steps: meshRun.phases.map(strip),
    baselineSteps: (baselineRun?.phases ?? []).map(strip),
    callsPerInboundMessage: {
      ...perInboundMessage(calls),
      counted: costPhase !== undefined,
      fromMultiplier: costPhase?.multiplier ?? null,
      durationsFromMultiplier: durationPhase?.multiplier ?? null,
    },
    calls,
    baseCalls: base.calls ?? null,
    costPerHourUSD: {
      mesh: round(meshSheet.usdPerHour),
      appsync: round(appsyncSheet.usdPerHour),
      ratio: round(appsyncSheet.usdPerHour / Math.max(meshSheet.usdPerHour, Number.EPSILON), 2),
    },
    costPerHourUSDAtProfile: { mesh: round(meshAtProfile), appsync: round(appsyncAtProfile) },
    cost: { traffic, mesh: meshSheet, appsync: appsyncSheet, lambdaMemoryMb: memory },
    cdf: { mesh: cdfOf(meshRun.baseHistogram), baseline: baselineRun ? cdfOf(baselineRun.baseHistogram) : [] },
    awsLatency: { ...projectPush(work, projectionSettings), work, settings: projectionSettings },
    coresNeeded:
      base.processCpu && base.statusReports + base.eventBatches > 0
        ? coresNeededOf(
            base.processCpu,
            base.statusReports + base.eventBatches,
            profileMessagesPerSecond(options),
            options.multiplier,
          )
        : null,
  };
}
