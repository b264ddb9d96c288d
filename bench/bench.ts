/**
 * The bench: starts (or targets) the mesh, forks load workers that own whole
 * groups, runs the base phase and the steps, runs the same profile through the
 * baseline relay, reads the stack's counters around each measured window, and
 * writes bench/results/latest.json and latest.svg. bench/run.ts is the CLI.
 *
 * This file only orchestrates; the parts live beside it: target-run.ts (one
 * phase on one target), steps.ts (the order of phases), assemble.ts (the
 * result, cost and projection), summary.ts and picture.ts (the output).
 * Its former exports are re-exported so importers of './bench' keep working.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ReadyProcess, StackProcess } from '#local/stack-process';
import { assemble } from './assemble';
import { type BenchIo, consoleIo } from './bench-io';
import { loadProfileOf, type BenchOptions } from './options';
import { pictureOf } from './picture';
import { REPO_ROOT, startBaseline, startBenchStack } from './processes';
import type { BenchResult, HandlerThreads } from './result-types';
import { readStats } from './stack-stats';
import { drive } from './steps';
import { summaryText } from './summary';
import { TargetRun } from './target-run';

export type { BenchResult, HandlerThreads, PhaseSummary, PhaseTimings } from './result-types';
export { type BenchIo, consoleIo } from './bench-io';
export { highestClean } from './steps';
export { pictureOf } from './picture';
export { summaryText } from './summary';

export async function runBench(options: BenchOptions, io: BenchIo = consoleIo): Promise<BenchResult> {
  const outDir = path.resolve(REPO_ROOT, options.out);
  mkdirSync(outDir, { recursive: true });
  const runId = randomBytes(3).toString('hex');
  const profile = loadProfileOf(options);
  const children: ReadyProcess<unknown>[] = [];
  const runs: TargetRun[] = [];
  try {
    let wsUrl = options.url;
    let statsUrl = options.statsUrl;
    let timingsUrl: string | undefined;
    let stackChild: StackProcess | undefined;
    let stackPids: { stack: number; dynamodbLocal?: number } | undefined;
    if (!wsUrl) {
      const started = Date.now();
      const stack = await startBenchStack(options, outDir, runId);
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
    const relay = options.baseline ? await startBaseline(path.join(outDir, 'baseline.log')) : undefined;
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
      baselineRun = await drive(
        baseline,
        options,
        profile,
        meshRun.phases.slice(1).map((p) => p.multiplier),
      );
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
