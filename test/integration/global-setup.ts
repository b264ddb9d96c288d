/**
 * Starts the local stacks the integration tests run against, once per jest
 * run, each as its own process (`tsx local/main.ts` through
 * local/stack-process.ts: the handlers read their env at module scope, so one
 * stack per process):
 *   main  — default settings; it spawns DynamoDB Local.
 *   short — heartbeat TTLs of seconds, for expiry tests; it shares the main
 *           stack's DynamoDB Local (MESH_DYNAMODB_ENDPOINT) with table mesh_short.
 * Both take free ports. The test workers read their URLs and tables from the
 * variables test-env.ts names (TEST_ENV.main, TEST_ENV.short); each stack's
 * output goes to a log file named in TEST_ENV.stackLogs.
 * global-teardown.ts stops them.
 *
 * jest loads this file outside its module map, so it imports by relative path.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type StackProcess, startStackProcess } from '../../local/stack-process';
import { SHORT_STACK_ALLOWED_ORIGIN, SHORT_STACK_DOMAIN_SECRET, TEST_ENV, stackEnv } from './test-env';

export interface StartedStack {
  name: string;
  process: StackProcess;
  logFile: string;
}

declare global {
  // Read by global-teardown.ts (same process as this setup).
  var __MESH_STACKS__: StartedStack[] | undefined;
}

async function startNamedStack(name: string, env: Record<string, string>): Promise<StartedStack> {
  const logFile = path.join(os.tmpdir(), `mesh-integration-${name}-${process.pid}.log`);
  const log = fs.createWriteStream(logFile);
  const stack = await startStackProcess({
    name: `${name} local stack`,
    env,
    onOutput: (chunk) => log.write(chunk),
  }).catch((error: Error) => {
    throw new Error(`${error.message}\n(all of it in ${logFile})`);
  });
  // From here on the stack should stay up; say so if it does not.
  void stack.exited.then(({ code, signal }) => {
    if (!stack.child.killed)
      process.stderr.write(`\n[integration] the ${name} local stack exited (${signal ?? code}); see ${logFile}\n`);
  });
  return { name, process: stack, logFile };
}

export default async function globalSetup(): Promise<void> {
  const stacks: StartedStack[] = [];
  globalThis.__MESH_STACKS__ = stacks;
  const started = Date.now();

  const main = await startNamedStack('main', { MESH_TABLE_NAME: 'mesh' });
  stacks.push(main);
  const short = await startNamedStack('short', {
    MESH_TABLE_NAME: 'mesh_short',
    MESH_DYNAMODB_ENDPOINT: main.process.ready.dynamodbUrl,
    MESH_HOST_HEARTBEAT_INTERVAL_SECONDS: '1',
    MESH_HOST_HEARTBEAT_TTL_SECONDS: '3',
    MESH_MEMBER_HEARTBEAT_INTERVAL_SECONDS: '1',
    MESH_MEMBER_HEARTBEAT_TTL_SECONDS: '3',
    // Drops (presence) within seconds: the sweeper every second, a grace of two.
    MESH_SWEEP_INTERVAL_SECONDS: '1',
    MESH_DISCONNECT_GRACE_SECONDS: '2',
    MESH_DOMAIN_SECRET: SHORT_STACK_DOMAIN_SECRET,
    MESH_ALLOWED_ORIGINS: SHORT_STACK_ALLOWED_ORIGIN,
  });
  stacks.push(short);

  const logs = stacks.map((s) => s.logFile).join(' ');
  Object.assign(process.env, {
    ...stackEnv(TEST_ENV.main, main.process.ready),
    ...stackEnv(TEST_ENV.short, short.process.ready),
    [TEST_ENV.stackLogs]: logs,
  });
  process.stderr.write(
    `\n[integration] local stacks ready in ${Date.now() - started} ms: main ${main.process.ready.wsUrl}, short ${short.process.ready.wsUrl} (logs: ${logs})\n`,
  );
}
