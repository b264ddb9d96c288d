/**
 * Starts the local stacks the integration tests run against, once per jest
 * run, each as its own process (`tsx local/main.ts`: the handlers read
 * their env at module scope, so one stack per process):
 *   main  — default settings; it spawns DynamoDB Local.
 *   short — heartbeat TTLs of seconds, for expiry tests; it shares the main
 *           stack's DynamoDB Local (MESH_DYNAMODB_ENDPOINT) with table mesh_short.
 * Both take free ports. The test workers read:
 *   MESH_TEST_WS_URL, MESH_TEST_STATS_URL, MESH_TEST_MANAGEMENT_URL,
 *   MESH_TEST_DYNAMODB_URL, MESH_TEST_TABLE_NAME          (main)
 *   MESH_TEST_SHORT_WS_URL, MESH_TEST_SHORT_STATS_URL,
 *   MESH_TEST_SHORT_MANAGEMENT_URL, MESH_TEST_SHORT_TABLE_NAME (short)
 * Each stack's output goes to a log file named in MESH_TEST_STACK_LOGS.
 * global-teardown.ts stops them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const READY_TIMEOUT_MS = 90_000;

/** What local/main.ts prints on its MESH_READY line. */
export interface ReadyLine {
  wsUrl: string;
  managementUrl: string;
  statsUrl: string;
  snsUrl: string;
  dynamodbUrl: string;
  tableName: string;
  pid: number;
}

export interface StartedStack {
  name: string;
  child: ChildProcess;
  ready: ReadyLine;
  logFile: string;
}

declare global {
  // Read by global-teardown.ts (same process as this setup).
  var __MESH_STACKS__: StartedStack[] | undefined;
}

function startStackProcess(name: string, env: Record<string, string>): Promise<StartedStack> {
  const logFile = path.join(os.tmpdir(), `mesh-integration-${name}-${process.pid}.log`);
  const log = fs.createWriteStream(logFile);
  const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['local/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, MESH_WS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so teardown can end the whole tree.
    detached: true,
  });
  let recent = '';
  const keep = (chunk: Buffer) => {
    log.write(chunk);
    recent = (recent + chunk.toString('utf8')).slice(-6000);
  };
  // Always drained: a child writing to a full pipe would block.
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);

  return new Promise((resolve, reject) => {
    let buffered = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      if (child.exitCode === null && child.pid) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      reject(new Error(`The ${name} local stack ${why}. Its output (also in ${logFile}):\n${recent}`));
    };
    const timer = setTimeout(() => fail(`was not ready within ${READY_TIMEOUT_MS / 1000} s`), READY_TIMEOUT_MS);
    child.once('error', (error) => fail(`could not be spawned (${error.message})`));
    child.once('exit', (code, signal) => fail(`exited before it was ready (${signal ?? `exit ${code}`})`));
    child.stdout!.on('data', function findReady(chunk: Buffer) {
      buffered += chunk.toString('utf8');
      const line = buffered.split('\n').find((l) => l.startsWith('MESH_READY '));
      if (!line) return;
      child.stdout!.off('data', findReady);
      child.removeAllListeners('exit');
      clearTimeout(timer);
      // From here on the stack should stay up; say so if it does not.
      child.once('exit', (code, signal) => {
        if (!child.killed) process.stderr.write(`\n[integration] the ${name} local stack exited (${signal ?? code}); see ${logFile}\n`);
      });
      resolve({ name, child, ready: JSON.parse(line.slice('MESH_READY '.length)) as ReadyLine, logFile });
    });
  });
}

export default async function globalSetup(): Promise<void> {
  const stacks: StartedStack[] = [];
  globalThis.__MESH_STACKS__ = stacks;
  const started = Date.now();

  const main = await startStackProcess('main', { MESH_TABLE_NAME: 'mesh' });
  stacks.push(main);
  const short = await startStackProcess('short', {
    MESH_TABLE_NAME: 'mesh_short',
    MESH_DYNAMODB_ENDPOINT: main.ready.dynamodbUrl,
    MESH_HOST_HEARTBEAT_INTERVAL_SECONDS: '1',
    MESH_HOST_HEARTBEAT_TTL_SECONDS: '3',
    MESH_MEMBER_HEARTBEAT_INTERVAL_SECONDS: '1',
    MESH_MEMBER_HEARTBEAT_TTL_SECONDS: '3',
  });
  stacks.push(short);

  Object.assign(process.env, {
    MESH_TEST_WS_URL: main.ready.wsUrl,
    MESH_TEST_STATS_URL: main.ready.statsUrl,
    MESH_TEST_MANAGEMENT_URL: main.ready.managementUrl,
    MESH_TEST_DYNAMODB_URL: main.ready.dynamodbUrl,
    MESH_TEST_TABLE_NAME: main.ready.tableName,
    MESH_TEST_SHORT_WS_URL: short.ready.wsUrl,
    MESH_TEST_SHORT_STATS_URL: short.ready.statsUrl,
    MESH_TEST_SHORT_MANAGEMENT_URL: short.ready.managementUrl,
    MESH_TEST_SHORT_TABLE_NAME: short.ready.tableName,
    MESH_TEST_STACK_LOGS: stacks.map((s) => s.logFile).join(' '),
  });
  process.stderr.write(
    `\n[integration] local stacks ready in ${Date.now() - started} ms: main ${main.ready.wsUrl}, short ${short.ready.wsUrl} (logs: ${process.env.MESH_TEST_STACK_LOGS})\n`,
  );
}
