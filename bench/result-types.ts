/**
 * The shapes the bench produces: one phase's summary and the JSON written to
 * bench/results/latest.json. Kept apart from the code that fills them so
 * bench/cost.ts and the tests can read a result without loading the runner.
 */
import type { AwsProjection, ProjectionSettings } from './aws-projection';
import type { CostSheet, Traffic } from './cost-model';
import type { CoresNeeded } from './cores';
import type { TargetKind } from './ipc';
import type { LatencySummary } from './ledger';
import type { ProcessCpu } from './process-cpu';
import type { StackTimings } from './profile-stack';
import type { PushWork } from './push-work';
import type { ThreadCpu } from './stack-cpu';
import type { WindowCalls, perInboundMessage } from './stack-stats';

export interface PhaseSummary {
  target: TargetKind;
  multiplier: number;
  measuredSeconds: number;
  /** Items the profile produced (status values set + events fired) in the measured window. */
  handed: number;
  /** Items that left the clients on the wire: what the mesh owes. */
  sent: number;
  /** handed − sent: status values the client library merged (latest value wins) before they left. */
  mergedAtSender: number;
  statusReports: number;
  eventBatches: number;
  events: number;
  clientMessages: number;
  expectedDeliveries: number;
  delivered: number;
  lost: number;
  duplicates: number;
  outOfOrder: number;
  stray: number;
  rawDelivered: number;
  rawDuplicates: number;
  rawOutOfOrder: number;
  latencyMs: LatencySummary;
  deliveredPerSec: number;
  expectedPerSec: number;
  drainedMs: number;
  clean: boolean;
  /** Why the phase is not clean. */
  verdict: string;
  calls?: WindowCalls;
  /** Busy share of all CPUs of the machine during the measured window (every process, not only the bench's). */
  machineCpuBusyPct: number;
  /** With --profile: mean time of each SDK call the handlers made, the stack's event loop delay and CPU. */
  timings?: PhaseTimings;
  /** CPU of the local stack's process from the window's opening to the last stats reading (Linux), and whether the handlers had threads of their own. */
  stackCpu?: ThreadCpu & { handlersInThreads: boolean };
  /** CPU of the stack, its DynamoDB Local and the load workers over the same span as stackCpu (Linux; a local stack only). */
  processCpu?: ProcessCpu;
}

export interface PhaseTimings {
  calls: Record<string, { calls: number; meanMs: number }>;
  eventLoop: StackTimings['eventLoop'];
  /** CPU time of the stack's Node process over the window, as % of one core. */
  stackCpuPct: number;
}

/** The JSON written to bench/results/latest.json (the shape, plus details). */
export interface BenchResult {
  version: 1;
  finishedAt: string;
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string; platform: string };
  target: { url: string; local: boolean; workers: number; handlerThreads: HandlerThreads };
  profile: {
    groups: number;
    nodes: number;
    statusPerSecPerGroup: number;
    batchesPerSecPerGroup: number;
    eventsPerBatch: { min: number; max: number };
    durationS: number;
    warmupS: number;
    multiplier: number;
    stepDurationS: number;
    p99BoundMs: number;
    /** The shortest fan-out window (MESH_FANOUT_WINDOW_MIN_MS), which the cost caps rounds with. */
    fanoutWindowMs: number;
  };
  mesh: Omit<PhaseSummary, 'target' | 'calls'>;
  baseline: {
    delivered: number;
    lost: number;
    duplicates: number;
    outOfOrder: number;
    latencyMs: LatencySummary;
  } | null;
  ratio: { p50: number; p99: number } | null;
  maxCleanMultiplier: number;
  steps: Omit<PhaseSummary, 'calls'>[];
  baselineSteps: Omit<PhaseSummary, 'calls'>[];
  /** Counted in the highest clean phase (else one that lost nothing: `fromMultiplier`), scaled to the base load with rounds capped by the window; modelled when none. */
  callsPerInboundMessage: ReturnType<typeof perInboundMessage> & {
    counted: boolean;
    fromMultiplier: number | null;
    durationsFromMultiplier: number | null;
  };
  /** The calls the cost is computed from (see callsPerInboundMessage). */
  calls: WindowCalls;
  /** What the stack actually did during the base window (diagnosis when it was not clean). */
  baseCalls: WindowCalls | null;
  /** At the base phase's load. */
  costPerHourUSD: { mesh: number; appsync: number; ratio: number };
  /** The same calls per message at the Mesh v2 profile (×1). */
  costPerHourUSDAtProfile: { mesh: number; appsync: number };
  cost: { traffic: Traffic; mesh: CostSheet; appsync: CostSheet; lambdaMemoryMb: Record<string, number> };
  /** Latency CDF points [ms, fraction] for the picture. */
  cdf: { mesh: [number, number][]; baseline: [number, number][] };
  /** One push's latency in AWS, hop by hop (aws-projection.ts), and the measured figures it was projected from. */
  awsLatency: AwsProjection & { work: PushWork; settings: ProjectionSettings };
  /** Cores the system needs at ×1 and at the base multiplier, from the base window's CPU per message (cores.ts); null without /proc or a local stack. */
  coresNeeded: CoresNeeded | null;
}

/** The handler threads of the stack, as asked and as it ran them. */
export interface HandlerThreads {
  /** --handler-threads (MESH_LOCAL_WORKERS of the stack the bench starts); null: the stack's default. */
  requested: string | null;
  /** Threads per function from the stack's stats (0 = in the stack's own thread); null without stats. */
  byFunction: Record<string, number> | null;
}
