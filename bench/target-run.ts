/**
 * One target (the mesh or the baseline relay) driven through phases by its own
 * load workers: opening the nodes, pacing one phase, reading the stack around
 * its measured window and summing the workers' counts into a PhaseSummary.
 * The order of phases is decided in steps.ts.
 */
import os from 'node:os';
import path from 'node:path';
import type { Histogram } from 'hdr-histogram-js';
import type { BenchIo } from './bench-io';
import type { GroupPlan } from './drivers/types';
import type { LoadProfile, PhaseResult, TargetKind } from './ipc';
import { addCounts, emptyCounts, mergeHistograms, summarize } from './ledger';
import { type BenchOptions, workerCount } from './options';
import { type ProcessCpu, diffProcessCpu, readProcessesCpu } from './process-cpu';
import { WorkerHandle } from './processes';
import type { StackTimings } from './profile-stack';
import type { PhaseSummary, PhaseTimings } from './result-types';
import { type ThreadCpu, diffThreadCpu, readThreadCpu } from './stack-cpu';
import { type WindowCalls, diffStats, readStats, waitUntilQuiet } from './stack-stats';
import { cpuBusyPct, diffTimings, readTimings } from './window-readings';

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
export class TargetRun {
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
    const loadWorkers = this.workers
      .map((worker) => worker.child.pid)
      .filter((pid): pid is number => pid !== undefined);
    return { ...this.stackPids, loadWorkers };
  }

  async open(runId: string): Promise<void> {
    const count = workerCount(this.options);
    const plans = planGroups(this.kind, this.options, runId, count);
    this.workers = plans.map(() => WorkerHandle.start(path.join(this.logDir, `worker-${this.kind}.log`)));
    const started = Date.now();
    const opened = await Promise.all(
      this.workers.map((worker, workerIndex) =>
        worker.request(
          { type: 'open', target: this.kind, url: this.url, groups: plans[workerIndex], workerIndex },
          'opened',
        ),
      ),
    );
    const nodes = opened.reduce((total, o) => total + o.nodes, 0);
    this.io.print(
      `${this.kind}: ${nodes} nodes in ${this.options.groups} groups joined in ${Date.now() - started} ms (${count} load worker${count > 1 ? 's' : ''})`,
    );
  }

  async phase(
    multiplier: number,
    measuredSeconds: number,
    profile: LoadProfile,
  ): Promise<{ summary: PhaseSummary; histogram: Histogram }> {
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
    const statsTimer = setTimeout(
      () => {
        cpuBefore = os.cpus();
        if (this.stackPids) stackCpuBefore = readThreadCpu(this.stackPids.stack);
        if (pids) processCpuBefore = readProcessesCpu(pids);
        if (this.statsUrl) before = readStats(this.statsUrl).catch(() => undefined);
        if (this.timingsUrl) timingsBefore = readTimings(`${this.timingsUrl}?reset`);
      },
      startAt + warmupMs - Date.now(),
    );

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
      const phaseName =
        elapsed * 1000 < warmupMs ? 'warm-up' : elapsed * 1000 < warmupMs + measureMs ? 'measuring' : 'draining';
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
              {
                type: 'phase',
                phase,
                multiplier,
                profile,
                startAt,
                warmupMs,
                measureMs,
                drainMs: this.options.drain * 1000,
              },
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
    const processCpu =
      processCpuBefore && processCpuAfter ? diffProcessCpu(processCpuBefore, processCpuAfter) : undefined;
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
   * Waits until the stack has worked off what the previous phase left queued,
   * so one phase's backlog does not land in the next one's window. Gives up
   * after five minutes.
   */
  private async settle(what: string): Promise<void> {
    await waitUntilQuiet(this.statsUrl!, 300_000, (seconds) =>
      this.io.progress(`${what} waiting for the stack to drain its backlog (${seconds} s)`, false),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.close()));
  }
}
