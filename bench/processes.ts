/**
 * The bench's child processes: the local stack (`tsx local/main.ts`),
 * the baseline relay (`tsx bench/baseline.ts`) and the load workers
 * (`bench/worker.ts`, forked with the tsx loader). The stack and the relay
 * are launched by local/stack-process.ts and announce themselves with one
 * `NAME_READY {json}` line on stdout (workers over IPC instead); all of their
 * output goes to a log file, and is always drained so a full pipe never
 * stalls them.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import {
  type ReadyProcess,
  type ReadyProcessOptions,
  type StackProcess,
  startReadyProcess,
  startStackProcess,
} from '#local/stack-process';
import { ENV } from '#shared/config';
import { LOCAL_ENV } from '#local/env';
import { BASELINE_MARKER, type BaselineReady } from './baseline';
import type { FromWorker, ToWorker } from './ipc';
import type { BenchOptions } from './options';

export const REPO_ROOT = path.resolve(__dirname, '..');
/** How long a child may take to announce itself. */
const READY_TIMEOUT_MS = 120_000;
/** How long a child may take to exit after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 5_000;

/** Every child still running, killed if the bench exits without stopping them (a crash, Ctrl-C). */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGTERM');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => process.exit(130));
}

function track(child: ChildProcess): ChildProcess {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const force = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      child.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      child.kill('SIGTERM');
    });
}

/** Appends a child's output to `logFile`. */
function logTo(logFile: string): (chunk: string) => void {
  const log = createWriteStream(logFile, { flags: 'a' });
  return (chunk) => log.write(chunk);
}

function launchOptions(logFile: string): ReadyProcessOptions {
  return { onSpawn: track, onOutput: logTo(logFile), readyTimeoutMs: READY_TIMEOUT_MS, stopGraceMs: STOP_GRACE_MS };
}

/**
 * Starts the local stack (`local/main.ts`, or `bench/profile-stack.ts` for
 * the SDK call timings) on free ports and resolves at its MESH_READY line.
 */
export function startStack(script: string, logFile: string, env: Record<string, string>): Promise<StackProcess> {
  return startStackProcess({ script, env, ...launchOptions(logFile) });
}

/**
 * Starts the stack the bench measures: its own table (`bench-{runId}`), and
 * the fan-out window and handler threads the options ask for;
 * `bench/profile-stack.ts` with --profile. Its output goes to stack.log.
 */
export function startBenchStack(
  options: Pick<BenchOptions, 'profile' | 'window' | 'handlerThreads'>,
  logDir: string,
  runId: string,
): Promise<StackProcess> {
  return startStack(options.profile ? 'bench/profile-stack.ts' : 'local/main.ts', path.join(logDir, 'stack.log'), {
    [ENV.tableName]: `bench-${runId}`,
    ...(options.window === undefined ? {} : { [ENV.fanoutWindowMaxMs]: String(options.window) }),
    ...(options.handlerThreads === undefined ? {} : { [LOCAL_ENV.localWorkers]: options.handlerThreads }),
  });
}

/** Starts the baseline relay (`bench/baseline.ts`) and resolves at its BASELINE_READY line. */
export function startBaseline(logFile: string): Promise<ReadyProcess<BaselineReady>> {
  return startReadyProcess<BaselineReady>('bench/baseline.ts', BASELINE_MARKER, {
    name: 'baseline relay',
    ...launchOptions(logFile),
  });
}

/** A forked load worker and a typed request/response channel to it. */
export class WorkerHandle {
  private readonly listeners = new Set<(message: FromWorker) => void>();

  private constructor(readonly child: ChildProcess) {
    child.on('message', (message: FromWorker) => {
      for (const listener of this.listeners) listener(message);
    });
  }

  static start(logFile: string): WorkerHandle {
    const child = track(
      fork(path.join(REPO_ROOT, 'bench', 'worker.ts'), [], {
        cwd: REPO_ROOT,
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      }),
    );
    const log = createWriteStream(logFile, { flags: 'a' });
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    return new WorkerHandle(child);
  }

  on(listener: (message: FromWorker) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sends a command and resolves with the first reply of type `expect` (rejects on `failed` or exit). */
  request<K extends FromWorker['type']>(command: ToWorker, expect: K): Promise<Extract<FromWorker, { type: K }>> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => {
        off();
        reject(new Error(`load worker exited (${code}) while waiting for ${expect}`));
      };
      const off = this.on((message) => {
        if (message.type === expect) {
          off();
          this.child.off('exit', onExit);
          resolve(message as Extract<FromWorker, { type: K }>);
        } else if (message.type === 'failed') {
          off();
          this.child.off('exit', onExit);
          reject(new Error(`load worker failed: ${message.message}`));
        }
      });
      this.child.once('exit', onExit);
      this.child.send(command);
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null || !this.child.connected) return;
    await Promise.race([
      this.request({ type: 'close' }, 'closed').catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, 5000)),
    ]);
    await stopper(this.child)();
  }
}
