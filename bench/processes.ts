/**
 * The bench's child processes: the local stack (`tsx local/main.ts`),
 * the baseline relay (`tsx bench/baseline.ts`) and the load workers
 * (`bench/worker.ts`, forked with the tsx loader). Each announces itself with
 * one `NAME_READY {json}` line on stdout (workers over IPC instead); the rest
 * of their output goes to a log file so a full pipe never stalls them.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { FromWorker, ToWorker } from './ipc';

export const REPO_ROOT = path.resolve(__dirname, '..');
const TSX = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');

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

export interface Child<T> {
  ready: T;
  process: ChildProcess;
  stop(): Promise<void>;
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const force = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      child.kill('SIGTERM');
    });
}

/**
 * Spawns `tsx <script>` and resolves with the JSON of its first `<marker> {json}`
 * line. Output is appended to `logFile`.
 */
export async function spawnReady<T>(
  script: string,
  marker: string,
  logFile: string,
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 120_000,
): Promise<Child<T>> {
  const child = track(
    spawn(TSX, [script], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const log = createWriteStream(logFile, { flags: 'a' });
  child.stderr!.pipe(log, { end: false });
  const ready = await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not print ${marker} within ${timeoutMs} ms (see ${logFile})`)), timeoutMs);
    const lines = createInterface({ input: child.stdout! });
    let announced = false;
    lines.on('line', (line) => {
      log.write(`${line}\n`);
      if (announced || !line.startsWith(`${marker} `)) return;
      announced = true;
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line.slice(marker.length + 1)) as T);
      } catch (error) {
        reject(error);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (!announced) reject(new Error(`${script} exited (${code ?? signal}) before ${marker} (see ${logFile})`));
    });
  });
  return { ready, process: child, stop: stopper(child) };
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
