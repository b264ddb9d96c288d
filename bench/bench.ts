/**
 * The bench: starts (or targets) the mesh, forks load workers that own whole
 * groups, runs the base phase and the steps, runs the same profile through the
 * baseline relay, reads the stack's counters around each measured window, and
 * writes bench/results/latest.json and latest.svg. bench/run.ts is the CLI.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Histogram } from 'hdr-histogram-js';
import { fanoutConcurrency } from '#shared/config';
import { DEFAULT_FANOUT } from '#shared/core/settings';
import { type AwsProjection, type ProjectionSettings, formatProjection, projectPush } from './aws-projection';
import { type CostSheet, type Traffic, appsyncCost, designRounds, formatCost, meshCost, modelledCalls, scaleTraffic, scaleWindow, withRounds } from './cost-model';
import type { GroupPlan } from './drivers/types';
import type { LoadProfile, PhaseResult, TargetKind } from './ipc';
import { type LatencySummary, addCounts, emptyCounts, mergeHistograms, summarize } from './ledger';
import { type CoresNeeded, coresNeededOf, formatCoresNeeded } from './cores';
import { type BenchOptions, profileMessagesPerSecond, workerCount } from './options';
import { DEFAULT_LAMBDA_MEMORY_MB, lambdaMemoryMb } from './prices';
import { type ProcessCpu, diffProcessCpu, readProcessesCpu } from './process-cpu';
import { type Child, REPO_ROOT, WorkerHandle, spawnReady } from './processes';
import { type PushWork, handlerCpuOf, pushWorkOf } from './push-work';
import { type ThreadCpu, diffThreadCpu, readThreadCpu } from './stack-cpu';
import { type WindowCalls, diffStats, perInboundMessage, readStats } from './stack-stats';
import { renderSvg } from './svg';
import type { StackTimings } from './profile-stack';

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

/** The JSON written to bench/results/latest.json (the issue's shape, plus details). */
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
  baseline: { delivered: number; lost: number; duplicates: number; outOfOrder: number; latencyMs: LatencySummary } | null;
  ratio: { p50: number; p99: number } | null;
  maxCleanMultiplier: number;
  steps: Omit<PhaseSummary, 'calls'>[];
  baselineSteps: Omit<PhaseSummary, 'calls'>[];
  /** Counted in the highest clean phase (else one that lost nothing: `fromMultiplier`), scaled to the base load with rounds capped by the window; modelled when none. */
  callsPerInboundMessage: ReturnType<typeof perInboundMessage> & { counted: boolean; fromMultiplier: number | null; durationsFromMultiplier: number | null };
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

export interface BenchIo {
  /** The live progress line (stderr). */
  progress: (line: string, final: boolean) => void;
  /** The human summary (stdout). */
  print: (text: string) => void;
}

export const consoleIo: BenchIo = {
  progress: (line, final) => {
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
    else if (final) process.stderr.write(`${line}\n`);
  },
  print: (text) => process.stdout.write(`${text}\n`),
};

const CDF_PERCENTILES = [
  0.1, 1, 2, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 92.5, 95, 97, 98, 99, 99.5, 99.9,
  99.99, 100,
];

function cdfOf(histogram: Histogram): [number, number][] {
  if (histogram.totalCount === 0) return [];
  return CDF_PERCENTILES.map((p) => [histogram.getValueAtPercentile(p) / 1000, p / 100]);
}

/** The groups of one target, spread over the workers round-robin (whole groups per worker). */
function planGroups(kind: TargetKind, options: BenchOptions, runId: string, workers: number): GroupPlan[][] {
  const domain = `bench-${runId}-${kind}`;
  const perWorker: GroupPlan[][] = Array.from({ length: workers }, () => []);
  for (let g = 0; g < options.groups; g++) {
    perWorker[g % workers].push({
      name: `bench group ${g}`,
      domain,
      nodeIds: Array.from({ length: options.nodes }, (_, n) => `${kind}-${runId}-g${g}-n${n}`),
    });
  }
  return perWorker;
}

/** One target (mesh or baseline) driven by its own workers through a list of phases. */
class TargetRun {
  private workers: WorkerHandle[] = [];
  private phaseNo = 0;

  constructor(
    private readonly kind: TargetKind,
    private readonly url: string,
    private readonly statsUrl: string | undefined,
    private readonly timingsUrl: string | undefined,
    private readonly options: BenchOptions,
    private readonly io: BenchIo,
    private readonly logDir: string,
    /** The local stack's process and the DynamoDB Local it spawned, whose CPU is read around each window. */
    private readonly stackPids?: { stack: number; dynamodbLocal?: number },
  ) {}

  /** The processes whose CPU the window reads: the stack's and these workers'. */
  private benchPids() {
    if (!this.stackPids) return undefined;
    const loadWorkers = this.workers.map((worker) => worker.child.pid).filter((pid): pid is number => pid !== undefined);
    return { ...this.stackPids, loadWorkers };
  }

  async open(runId: string): Promise<void> {
    const count = workerCount(this.options);
    const plans = planGroups(this.kind, this.options, runId, count);
    this.workers = plans.map(() => WorkerHandle.start(path.join(this.logDir, `worker-${this.kind}.log`)));
    const started = Date.now();
    const opened = await Promise.all(
      this.workers.map((worker, workerIndex) =>
        worker.request({ type: 'open', target: this.kind, url: this.url, groups: plans[workerIndex], workerIndex }, 'opened'),
      ),
    );
    const nodes = opened.reduce((total, o) => total + o.nodes, 0);
    this.io.print(`${this.kind}: ${nodes} nodes in ${this.options.groups} groups joined in ${Date.now() - started} ms (${count} load worker${count > 1 ? 's' : ''})`);
  }

  async phase(multiplier: number, measuredSeconds: number, profile: LoadProfile): Promise<{ summary: PhaseSummary; histogram: Histogram }> {
    const phase = ++this.phaseNo;
    if (this.statsUrl) await this.settle(`[${this.kind} ×${multiplier}]`);
    const warmupMs = this.options.warmup * 1000;
    const measureMs = measuredSeconds * 1000;
    const startAt = Date.now() + 300;
    const label = `[${this.kind} ×${multiplier}]`;

    // Stats are read when the measured window opens and after every worker drained.
    let before: Promise<Awaited<ReturnType<typeof readStats>> | undefined> = Promise.resolve(undefined);
    let timingsBefore: Promise<StackTimings | undefined> = Promise.resolve(undefined);
    let cpuBefore = os.cpus();
    let stackCpuBefore: ThreadCpu | undefined;
    let processCpuBefore: ProcessCpu | undefined;
    const pids = this.benchPids();
    const statsTimer = setTimeout(() => {
      cpuBefore = os.cpus();
      if (this.stackPids) stackCpuBefore = readThreadCpu(this.stackPids.stack);
      if (pids) processCpuBefore = readProcessesCpu(pids);
      if (this.statsUrl) before = readStats(this.statsUrl).catch(() => undefined);
      if (this.timingsUrl) timingsBefore = readTimings(`${this.timingsUrl}?reset`);
    }, startAt + warmupMs - Date.now());

    const latest = new Map<number, { sent: number; expected: number; delivered: number; histogram: string }>();
    const offs = this.workers.map((worker, i) =>
      worker.on((message) => {
        if (message.type === 'progress' && message.phase === phase) latest.set(i, message);
      }),
    );
    const ticker = setInterval(() => {
      const parts = [...latest.values()];
      const recent = mergeHistograms(parts.map((p) => p.histogram));
      const s = summarize(recent);
      recent.destroy();
      const sum = (f: (p: (typeof parts)[number]) => number) => parts.reduce((t, p) => t + f(p), 0);
      const elapsed = Math.max(0, (Date.now() - startAt) / 1000);
      const phaseName = elapsed * 1000 < warmupMs ? 'warm-up' : elapsed * 1000 < warmupMs + measureMs ? 'measuring' : 'draining';
      this.io.progress(
        `${label} ${elapsed.toFixed(0)}/${(warmupMs + measureMs) / 1000}s ${phaseName}  sent ${sum((p) => p.sent)}  delivered ${sum((p) => p.delivered)}/${sum((p) => p.expected)}  last 1 s: p50 ${s.p50.toFixed(1)} ms p99 ${s.p99.toFixed(1)} ms`,
        false,
      );
    }, 1000);

    let results: PhaseResult[];
    try {
      results = (
        await Promise.all(
          this.workers.map((worker) =>
            worker.request(
              { type: 'phase', phase, multiplier, profile, startAt, warmupMs, measureMs, drainMs: this.options.drain * 1000 },
              'phaseDone',
            ),
          ),
        )
      ).map((reply) => reply.result);
    } finally {
      clearInterval(ticker);
      clearTimeout(statsTimer);
      offs.forEach((off) => off());
    }

    const machineCpuBusyPct = cpuBusyPct(cpuBefore, os.cpus());
    const processCpuAfter = pids ? readProcessesCpu(pids) : undefined;
    const processCpu = processCpuBefore && processCpuAfter ? diffProcessCpu(processCpuBefore, processCpuAfter) : undefined;
    let calls: WindowCalls | undefined;
    let stackCpu: PhaseSummary['stackCpu'];
    const first = await before;
    if (this.statsUrl && first) {
      const last = await readStats(this.statsUrl);
      calls = diffStats(first, last, measuredSeconds);
      const stackCpuAfter = this.stackPids ? readThreadCpu(this.stackPids.stack) : undefined;
      if (stackCpuBefore && stackCpuAfter) {
        // Both functions on a push's way in threads of their own: the main thread is the emulators'.
        const handlersInThreads = ['request', 'fanout'].every((name) => (last.workers[name]?.threads ?? 0) > 0);
        stackCpu = { ...diffThreadCpu(stackCpuBefore, stackCpuAfter), handlersInThreads };
      }
    }
    let timings: PhaseTimings | undefined;
    const firstTimings = await timingsBefore;
    if (this.timingsUrl && firstTimings) {
      const windowMs = Date.now() - (startAt + warmupMs);
      timings = diffTimings(firstTimings, (await readTimings(this.timingsUrl))!, windowMs);
    }

    const histogram = mergeHistograms(results.map((r) => r.histogram));
    const app = results.reduce((t, r) => addCounts(t, r.app), emptyCounts());
    const raw = results.reduce((t, r) => addCounts(t, r.raw), emptyCounts());
    const total = (f: (r: PhaseResult) => number) => results.reduce((t, r) => t + f(r), 0);
    const expectedDeliveries = total((r) => r.expectedDeliveries);
    const latencyMs = summarize(histogram);
    const lost = expectedDeliveries - app.delivered;
    const problems = [
      lost > 0 ? `${lost} lost` : '',
      app.duplicates > 0 ? `${app.duplicates} duplicated` : '',
      app.outOfOrder > 0 ? `${app.outOfOrder} out of order` : '',
      latencyMs.p99 > this.options.p99Bound ? `p99 ${latencyMs.p99} ms > ${this.options.p99Bound} ms` : '',
    ].filter(Boolean);
    const summary: PhaseSummary = {
      target: this.kind,
      multiplier,
      measuredSeconds,
      handed: total((r) => r.handed),
      sent: total((r) => r.sent),
      mergedAtSender: total((r) => r.handed - r.sent),
      statusReports: total((r) => r.statusReports),
      eventBatches: total((r) => r.eventBatches),
      events: total((r) => r.events),
      clientMessages: total((r) => r.clientMessages),
      expectedDeliveries,
      delivered: app.delivered,
      lost,
      duplicates: app.duplicates,
      outOfOrder: app.outOfOrder,
      stray: app.stray,
      rawDelivered: raw.delivered,
      rawDuplicates: raw.duplicates,
      rawOutOfOrder: raw.outOfOrder,
      latencyMs,
      deliveredPerSec: Math.round(app.delivered / measuredSeconds),
      expectedPerSec: Math.round(expectedDeliveries / measuredSeconds),
      drainedMs: Math.max(...results.map((r) => r.drainedMs)),
      clean: problems.length === 0,
      verdict: problems.length === 0 ? 'clean' : problems.join(', '),
      calls,
      machineCpuBusyPct,
      timings,
      stackCpu,
      processCpu,
    };
    this.io.progress(
      `${label} ${summary.verdict}: sent ${summary.sent} (merged at sender ${summary.mergedAtSender}), delivered ${summary.delivered}/${expectedDeliveries}, dupes ${summary.duplicates} (raw ${summary.rawDuplicates}), out of order ${summary.outOfOrder} (raw ${summary.rawOutOfOrder}), p50 ${latencyMs.p50} ms, p99 ${latencyMs.p99} ms, max ${latencyMs.max} ms`,
      true,
    );
    return { summary, histogram };
  }

  /**
   * Waits until the stack has worked off what the previous phase left queued
   * (its call counters stop moving), so one phase's backlog does not land in
   * the next one's window. Gives up after five minutes.
   */
  private async settle(what: string): Promise<void> {
    const activity = async () => {
      const s = await readStats(this.statsUrl!);
      return s.dynamodb.total + s.management.postToConnection.calls + s.sns.deliveries;
    };
    const started = Date.now();
    let last = await activity();
    let quiet = 0;
    while (quiet < 2 && Date.now() - started < 300_000) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const now = await activity();
      // Heartbeats of 400 idle nodes make a few calls a second; more is a backlog.
      quiet = now - last <= 5 ? quiet + 1 : 0;
      last = now;
      if (quiet === 0 && Date.now() - started > 3000) this.io.progress(`${what} waiting for the stack to drain its backlog (${((Date.now() - started) / 1000).toFixed(0)} s)`, false);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.close()));
  }
}


function cpuBusyPct(before: os.CpuInfo[], after: os.CpuInfo[]): number {
  let busy = 0;
  let total = 0;
  after.forEach((cpu, i) => {
    const prior = before[i]?.times ?? { user: 0, nice: 0, sys: 0, idle: 0, irq: 0 };
    const d = (k: keyof os.CpuInfo['times']) => cpu.times[k] - prior[k];
    const all = d('user') + d('nice') + d('sys') + d('idle') + d('irq');
    busy += all - d('idle');
    total += all;
  });
  return total > 0 ? Math.round((busy / total) * 1000) / 10 : 0;
}

async function readTimings(url: string): Promise<StackTimings | undefined> {
  try {
    const response = await fetch(url);
    return response.ok ? ((await response.json()) as StackTimings) : undefined;
  } catch {
    return undefined;
  }
}

function diffTimings(before: StackTimings, after: StackTimings, windowMs: number): PhaseTimings {
  const calls: PhaseTimings['calls'] = {};
  for (const [name, t] of Object.entries(after.calls)) {
    const prior = before.calls[name] ?? { calls: 0, totalMs: 0, maxMs: 0 };
    const n = t.calls - prior.calls;
    if (n > 0) calls[name] = { calls: n, meanMs: Math.round(((t.totalMs - prior.totalMs) / n) * 10) / 10 };
  }
  const cpuMs = after.cpuUserMs + after.cpuSystemMs - before.cpuUserMs - before.cpuSystemMs;
  return { calls, eventLoop: after.eventLoop, stackCpuPct: Math.round((cpuMs / windowMs) * 1000) / 10 };
}

/** The same calls at `factor` times the rate, over `seconds`. */
function scaleCalls(calls: WindowCalls, factor: number, seconds: number): WindowCalls {
  const scaled = scaleWindow(calls, (factor * seconds) / calls.seconds);
  const whole = (n: number) => Math.round(n);
  return {
    ...scaled,
    seconds,
    dynamodbByOperation: Object.fromEntries(Object.entries(scaled.dynamodbByOperation).map(([op, n]) => [op, whole(n)])),
  };
}

/** `calls` with each function's mean duration taken from `durations` (when it has that function). */
function withDurationsOf(calls: WindowCalls, durations: WindowCalls | undefined): WindowCalls {
  if (durations === undefined) return calls;
  const lambda = Object.fromEntries(
    Object.entries(calls.lambda).map(([name, fn]) => [name, { ...fn, meanMs: durations.lambda[name]?.meanMs ?? fn.meanMs }]),
  );
  return { ...calls, lambda };
}

const strip = <T extends { calls?: unknown }>(phase: T): Omit<T, 'calls'> => {
  const { calls: _calls, ...rest } = phase;
  return rest;
};

/** Runs base phase and steps on one target; returns every phase and the base phase's histogram. */
/**
 * Runs the base phase, then steps: up (×2, ×4, …) while clean, or, when the
 * base phase is not clean, down (×½, ×¼, … to 1/64 of it) until one is, so the
 * result still says how much of the profile this machine carries.
 */
async function drive(run: TargetRun, options: BenchOptions, profile: LoadProfile, multipliers?: number[]) {
  const phases: PhaseSummary[] = [];
  const base = await run.phase(options.multiplier, options.duration, profile);
  phases.push(base.summary);
  const step = async (m: number) => {
    const result = await run.phase(m, options.stepDuration, profile);
    phases.push(result.summary);
    result.histogram.destroy();
    return result.summary.clean;
  };
  if (multipliers) {
    for (const m of multipliers) await step(m);
  } else if (options.step && base.summary.clean) {
    for (let m = options.multiplier * 2; m <= options.maxMultiplier; m *= 2) if (!(await step(m))) break;
  } else if (options.step) {
    for (let m = options.multiplier / 2; m >= options.multiplier / 64; m /= 2) if (await step(m)) break;
  }
  return { phases, baseHistogram: base.histogram };
}

/** The highest multiplier that was clean, counting up from the base (or the clean one found below it). */
export function highestClean(phases: { multiplier: number; clean: boolean }[]): number {
  const [base, ...steps] = phases;
  if (!base) return 0;
  if (!base.clean) return Math.max(0, ...steps.filter((p) => p.clean).map((p) => p.multiplier));
  let highest = base.multiplier;
  for (const p of steps) {
    if (!p.clean || p.multiplier < highest) break;
    highest = p.multiplier;
  }
  return highest;
}

export async function runBench(options: BenchOptions, io: BenchIo = consoleIo): Promise<BenchResult> {
  const outDir = path.resolve(REPO_ROOT, options.out);
  mkdirSync(outDir, { recursive: true });
  const runId = randomBytes(3).toString('hex');
  const profile: LoadProfile = {
    statusPerSecPerGroup: options.statusRate,
    batchesPerSecPerGroup: options.batchRate,
    eventsPerBatch: { min: 1, max: 5 },
  };
  const children: Child<unknown>[] = [];
  const runs: TargetRun[] = [];
  try {
    let wsUrl = options.url;
    let statsUrl = options.statsUrl;
    let timingsUrl: string | undefined;
    let stackChild: Child<unknown> | undefined;
    let stackPids: { stack: number; dynamodbLocal?: number } | undefined;
    if (!wsUrl) {
      const started = Date.now();
      const stack = await spawnReady<{ wsUrl: string; statsUrl: string; timingsUrl?: string; pid?: number; dynamodbPid?: number | null }>(
        options.profile ? 'bench/profile-stack.ts' : 'infra/local/main.ts',
        'MESH_READY',
        path.join(outDir, 'stack.log'),
        {
          MESH_WS_PORT: '0',
          MESH_TABLE_NAME: `bench-${runId}`,
          ...(options.window === undefined ? {} : { MESH_FANOUT_WINDOW_MAX_MS: String(options.window) }),
          ...(options.handlerThreads === undefined ? {} : { MESH_LOCAL_WORKERS: options.handlerThreads }),
        },
      );
      children.push(stack);
      stackChild = stack;
      if (stack.ready.pid) stackPids = { stack: stack.ready.pid, dynamodbLocal: stack.ready.dynamodbPid ?? undefined };
      wsUrl = stack.ready.wsUrl;
      statsUrl = stack.ready.statsUrl;
      timingsUrl = stack.ready.timingsUrl;
      io.print(`local stack ready in ${Date.now() - started} ms: ${wsUrl}`);
    }
    const handlerThreads: HandlerThreads = {
      requested: options.handlerThreads ?? null,
      byFunction: statsUrl ? await readHandlerThreads(statsUrl) : null,
    };
    const relay = options.baseline
      ? await spawnReady<{ url: string }>('bench/baseline.ts', 'BASELINE_READY', path.join(outDir, 'baseline.log'))
      : undefined;
    if (relay) children.push(relay);

    const mesh = new TargetRun('mesh', wsUrl, statsUrl, timingsUrl, options, io, outDir, stackPids);
    runs.push(mesh);
    await mesh.open(runId);
    const meshRun = await drive(mesh, options, profile);
    await mesh.close();
    // A stack still working off a backlog would take the baseline's CPU: stop it first.
    await stackChild?.stop();

    let baselineRun: Awaited<ReturnType<typeof drive>> | undefined;
    if (relay) {
      const baseline = new TargetRun('baseline', relay.ready.url, undefined, undefined, options, io, outDir);
      runs.push(baseline);
      await baseline.open(runId);
      // The baseline runs the multipliers the mesh ran, for the picture.
      baselineRun = await drive(baseline, options, profile, meshRun.phases.slice(1).map((p) => p.multiplier));
      await baseline.close();
    }

    const result = await assemble(options, { url: wsUrl, local: !options.url, handlerThreads }, meshRun, baselineRun);
    writeFileSync(path.join(outDir, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(path.join(outDir, 'latest.svg'), pictureOf(result));
    io.print(summaryText(result, outDir));
    meshRun.baseHistogram.destroy();
    baselineRun?.baseHistogram.destroy();
    return result;
  } finally {
    await Promise.allSettled(runs.map((run) => run.close()));
    await Promise.allSettled(children.map((child) => child.stop()));
  }
}

/** Threads per function as the stack runs them; null when its stats cannot be read. */
async function readHandlerThreads(statsUrl: string): Promise<Record<string, number> | null> {
  try {
    const stats = await readStats(statsUrl);
    return Object.fromEntries(Object.entries(stats.workers).map(([name, pool]) => [name, pool.threads]));
  } catch {
    return null;
  }
}

async function assemble(
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
  const costPhase = meshRun.phases.filter((p) => complete(p) && p.calls).sort((a, b) => distanceFromBase(a) - distanceFromBase(b))[0];
  const durationPhase = meshRun.phases.filter((p) => p.clean && p.calls).sort((a, b) => b.multiplier - a.multiplier)[0] ?? costPhase;
  // The rounds are those the design makes in AWS at the base rate (one per
  // group per adaptive window), not this machine's: a stack that lags makes
  // fewer, larger rounds, a lighter phase scaled up too many.
  const atDesignRounds = (counted: WindowCalls, messages: number) =>
    withRounds(counted, designRounds(options.groups, counted.seconds, messages / counted.seconds / options.groups, DEFAULT_FANOUT));
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
    durationPhase?.stackCpu ? handlerCpuOf(durationPhase.stackCpu, durationPhase.stackCpu.handlersInThreads) : undefined,
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
        ? coresNeededOf(base.processCpu, base.statusReports + base.eventBatches, profileMessagesPerSecond(options), options.multiplier)
        : null,
  };
}

export function pictureOf(result: BenchResult): string {
  const p = result.profile;
  const rateSeries = (phases: BenchResult['steps'], label: string, color: string) => ({
    label,
    color,
    points: phases
      .map((s) => ({ multiplier: s.multiplier, delivered: s.deliveredPerSec, expected: s.expectedPerSec, clean: s.clean }))
      .sort((a, b) => a.multiplier - b.multiplier),
  });
  return renderSvg({
    title: `Mesh bench: ${p.groups} groups × ${p.nodes} nodes, ${p.statusPerSecPerGroup} status + ${p.batchesPerSecPerGroup} event batches /s/group`,
    subtitle: `${result.machine.cpus} CPUs (${result.machine.cpuModel}), Node ${result.machine.node}, ${result.target.local ? 'local stack' : result.target.url}, ${result.finishedAt.slice(0, 16).replace('T', ' ')} UTC — highest clean multiplier ×${result.maxCleanMultiplier}`,
    p99BoundMs: p.p99BoundMs,
    cdf: [
      { label: `mesh ×${p.multiplier} (p50 ${result.mesh.latencyMs.p50} ms, p99 ${result.mesh.latencyMs.p99} ms)`, color: '#1f77b4', points: result.cdf.mesh },
      ...(result.baseline
        ? [{ label: `baseline ws relay (p50 ${result.baseline.latencyMs.p50} ms, p99 ${result.baseline.latencyMs.p99} ms)`, color: '#ff7f0e', points: result.cdf.baseline }]
        : []),
    ],
    rates: [
      rateSeries(result.steps, 'mesh delivered / s', '#1f77b4'),
      ...(result.baselineSteps.length > 0 ? [rateSeries(result.baselineSteps, 'baseline delivered / s', '#ff7f0e')] : []),
    ],
  });
}

/** `handler threads: request 2, fanout 2, … (--handler-threads request:2,fanout:2)`. */
function handlerThreadsLine(threads: HandlerThreads): string {
  const asked = threads.requested === null ? 'no --handler-threads' : `--handler-threads ${threads.requested}`;
  const ran = threads.byFunction
    ? Object.entries(threads.byFunction)
        .map(([name, n]) => `${name} ${n === 0 ? 'in the stack thread' : n}`)
        .join(', ')
    : 'not read (no stats)';
  return `handler threads: ${ran} (${asked})`;
}

export function summaryText(result: BenchResult, outDir: string): string {
  const m = result.mesh;
  const lat = (l: LatencySummary) => `p50 ${l.p50} ms, p90 ${l.p90} ms, p99 ${l.p99} ms, max ${l.max} ms`;
  const c = result.callsPerInboundMessage;
  const lines = [
    '',
    `== Mesh bench (${result.profile.groups} groups × ${result.profile.nodes} nodes, ×${result.profile.multiplier}, ${result.profile.durationS} s measured) ==`,
    handlerThreadsLine(result.target.handlerThreads),
    `mesh:      sent ${m.sent} items (profile: ${m.statusReports} status reports, ${m.eventBatches} batches / ${m.events} events; ${m.mergedAtSender} status values merged by the client before sending; ${m.clientMessages} client messages)`,
    `           expected ${m.expectedDeliveries}, delivered ${m.delivered}, lost ${m.lost}, duplicates ${m.duplicates}, out of order ${m.outOfOrder}`,
    `           raw at the socket: duplicates ${m.rawDuplicates}, out of order ${m.rawOutOfOrder}`,
    `           latency ${lat(m.latencyMs)}`,
    result.baseline
      ? `baseline:  delivered ${result.baseline.delivered}, lost ${result.baseline.lost}, latency ${lat(result.baseline.latencyMs)}`
      : 'baseline:  not run',
    result.ratio ? `ratio mesh/baseline: p50 ×${result.ratio.p50}, p99 ×${result.ratio.p99}` : '',
    'steps:',
    ...result.steps.map(
      (s) =>
        `  ×${String(s.multiplier).padEnd(3)} ${String(s.deliveredPerSec).padStart(7)} deliveries/s of ${String(s.expectedPerSec).padStart(7)}  p50 ${s.latencyMs.p50} ms  p99 ${s.latencyMs.p99} ms  ${s.verdict}`,
    ),
    `highest clean multiplier: ×${result.maxCleanMultiplier}`,
    `machine CPU busy during the base window: ${m.machineCpuBusyPct}% of ${result.machine.cpus} cores (all processes)`,
    result.coresNeeded ? formatCoresNeeded(result.coresNeeded) : 'cores needed: not measured (no local stack started, or no /proc)',
    ...(m.timings
      ? [
          `where the stack's time goes (mean per SDK call over the base window; stack process CPU ${m.timings.stackCpuPct}% of a core, event loop delay mean ${m.timings.eventLoop.meanMs.toFixed(1)} ms, p99 ${m.timings.eventLoop.p99Ms.toFixed(1)} ms):`,
          ...Object.entries(m.timings.calls)
            .sort((a, b) => b[1].calls * b[1].meanMs - a[1].calls * a[1].meanMs)
            .map(([name, t]) => `  ${name.padEnd(28)} ${String(t.calls).padStart(7)} calls  mean ${t.meanMs} ms`),
        ]
      : []),
    `calls per inbound message (${c.counted ? `counted in the ×${c.fromMultiplier} phase, scaled to ×${result.profile.multiplier}, Lambda durations of the ×${c.durationsFromMultiplier} phase, fan-out rounds as the design makes them in AWS: one per group per adaptive window` : 'modelled: no phase without loss had stats'}): ` +
      `DynamoDB read ${c.dynamodbRead}, write ${c.dynamodbWrite}, SNS publish ${c.snsPublish}, PostToConnection ${c.postToConnection}, Lambda ${c.lambdaInvocations}, bytes in ${c.bytesIn} / out ${c.bytesOut}`,
    `  DynamoDB by operation: ${Object.entries(c.dynamodbByOperation).map(([op, n]) => `${op} ${n}`).join(', ')}`,
    formatProjection(result.awsLatency),
    '',
    `Cost per hour at this load (${result.cost.traffic.statusReports + result.cost.traffic.eventBatches} messages in ${result.cost.traffic.seconds} s):`,
    formatCost(result.cost.mesh, result.cost.appsync),
    `At the Mesh v2 profile (×1, ${profileMessagesPerSecond({ groups: result.profile.groups, statusRate: result.profile.statusPerSecPerGroup, batchRate: result.profile.batchesPerSecPerGroup })} messages/s): mesh $${result.costPerHourUSDAtProfile.mesh}/h, AppSync $${result.costPerHourUSDAtProfile.appsync}/h.`,
    '',
    `wrote ${path.join(outDir, 'latest.json')} and ${path.join(outDir, 'latest.svg')}`,
  ];
  return lines
    .filter((l) => l !== '')
    .join('\n')
    .replace('\nProjected AWS latency', '\n\nProjected AWS latency')
    .replace('\nCost per hour', '\n\nCost per hour');
}
