/**
 * A local stack as a child process (`tsx local/main.ts`), for tests and
 * tools that need a stack of their own (its own env, faults, timings) without
 * sharing the caller's event loop: it starts the process on free ports, waits
 * for its MESH_READY line, keeps its output, and stops it with SIGTERM (its
 * whole process group with SIGKILL if it lingers).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { LOCAL_ENV } from './env';

const ROOT = path.resolve(__dirname, '..');

/** What main.ts prints on its MESH_READY line. */
export interface ReadyLine {
  wsUrl: string;
  managementUrl: string;
  statsUrl: string;
  snsUrl: string;
  dynamodbUrl: string;
  tableName: string;
  pid: number;
  faultsUrl: string;
  dynamodbPid: number | null;
}

export interface StackProcess {
  ready: ReadyLine;
  child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr, last 200 KB). */
  output(): string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL to the process group after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface StackProcessOptions {
  /** Added to the caller's env (ports are free ones unless set here). */
  env?: Record<string, string>;
  readyTimeoutMs?: number;
  /** Each chunk of output, as it comes (e.g. to a log file). */
  onOutput?: (chunk: string) => void;
}

function killGroup(child: ChildProcess): void {
  if (!child.pid) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Starts a stack process and resolves once it is ready; rejects with its output if it is not. */
export function startStackProcess(options: StackProcessOptions = {}): Promise<StackProcess> {
  const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['local/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, [LOCAL_ENV.wsPort]: '0', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so stop() can end the whole tree.
    detached: true,
  });
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
  const stop = async (graceMs = 15_000) => {
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
      reject(new Error(`The local stack ${why}. Its output:\n${output.slice(-6000)}`));
    };
    const timer = setTimeout(() => fail(`was not ready within ${timeoutMs / 1000} s`), timeoutMs);
    child.once('error', (error) => fail(`could not be spawned (${error.message})`));
    void exited.then(({ code, signal }) => fail(`exited before it was ready (${signal ?? `exit ${code}`})`));
    let buffered = '';
    child.stdout!.on('data', function findReady(chunk: Buffer) {
      buffered += chunk.toString('utf8');
      const line = buffered.split('\n').find((l) => l.startsWith('MESH_READY '));
      if (!line) return;
      child.stdout!.off('data', findReady);
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const ready = JSON.parse(line.slice('MESH_READY '.length)) as ReadyLine;
      resolve({ ready, child, output: () => output, exited, stop });
    });
  });
}
