/**
 * A local stack as a child process (`tsx local/main.ts`), for the integration
 * setup, tests and tools that need a stack of their own (its own env, faults,
 * timings) without sharing the caller's event loop, and for the bench: it
 * starts the process on free ports, waits for its MESH_READY line
 * (ready-line.ts), keeps its output, and stops it with SIGTERM (its whole
 * process group with SIGKILL if it lingers).
 *
 * `startReadyProcess` underneath runs any script that announces itself the
 * same way with a marker of its own (the bench's baseline relay).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { LOCAL_ENV } from './env';
import { type ReadyPayload, READY_MARKER, parseMarkedLine } from './ready-line';

const ROOT = path.resolve(__dirname, '..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

export interface ReadyProcess<T> {
  /** The JSON of the process's ready line. */
  ready: T;
  child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr, last 200 KB). */
  output(): string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL to the process group after `graceMs` (default: the options' `stopGraceMs`). */
  stop(graceMs?: number): Promise<void>;
}

export type StackProcess = ReadyProcess<ReadyPayload>;

export interface ReadyProcessOptions {
  /** Added to the caller's env. */
  env?: Record<string, string>;
  /** Default 90 s. */
  readyTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL; default 15 s. */
  stopGraceMs?: number;
  /** Each chunk of output, as it comes (e.g. to a log file). */
  onOutput?: (chunk: string) => void;
  /** Names the process in errors; default the script. */
  name?: string;
  /** Called with the child as soon as it is spawned (e.g. to stop it if the caller exits before it is ready). */
  onSpawn?: (child: ChildProcess) => void;
}

export interface StackProcessOptions extends ReadyProcessOptions {
  /** A script that starts a stack and prints the same MESH_READY line (default local/main.ts). */
  script?: string;
}

function killGroup(child: ChildProcess): void {
  if (!child.pid) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Starts a stack process on free ports (unless `env` sets them) and resolves once it is ready. */
export function startStackProcess(options: StackProcessOptions = {}): Promise<StackProcess> {
  const { script = 'local/main.ts', ...rest } = options;
  return startReadyProcess<ReadyPayload>(script, READY_MARKER, {
    name: 'local stack',
    ...rest,
    env: { [LOCAL_ENV.wsPort]: '0', [LOCAL_ENV.httpPort]: '0', ...options.env },
  });
}

/**
 * Spawns `tsx <script>` (from the repository root, in a process group of its
 * own) and resolves at its first stdout line `<marker> {json}`; rejects with
 * the end of its output if it exits, fails to spawn or stays silent first.
 */
export function startReadyProcess<T>(
  script: string,
  marker: string,
  options: ReadyProcessOptions = {},
): Promise<ReadyProcess<T>> {
  const name = options.name ?? script;
  const child = spawn(TSX, [script], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so stop() can end the whole tree.
    detached: true,
  });
  options.onSpawn?.(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    output = (output + text).slice(-200_000);
    options.onOutput?.(text);
  };
  // Always drained: a child writing to a full pipe would block.
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const stop = async (graceMs = options.stopGraceMs ?? 15_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const force = setTimeout(() => killGroup(child), graceMs);
    child.kill('SIGTERM');
    await exited;
    clearTimeout(force);
  };

  return new Promise((resolve, reject) => {
    const timeoutMs = options.readyTimeoutMs ?? 90_000;
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      killGroup(child);
      reject(new Error(`The ${name} ${why}. Its output:\n${output.slice(-6000)}`));
    };
    const timer = setTimeout(() => fail(`was not ready within ${timeoutMs / 1000} s`), timeoutMs);
    child.once('error', (error) => fail(`could not be spawned (${error.message})`));
    void exited.then(({ code, signal }) => fail(`exited before it was ready (${signal ?? `exit ${code}`})`));
    let partial = '';
    child.stdout!.on('data', function findReady(chunk: Buffer) {
      // Only complete lines: a chunk may end in the middle of the ready line.
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        let ready: T | undefined;
        try {
          ready = parseMarkedLine<T>(marker, line);
        } catch (error) {
          return fail(`printed a ${marker} line that is not JSON (${(error as Error).message})`);
        }
        if (ready === undefined) continue;
        child.stdout!.off('data', findReady);
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        return resolve({ ready, child, output: () => output, exited, stop });
      }
    });
  });
}
