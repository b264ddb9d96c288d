/**
 * The local stack: DynamoDB Local, the API Gateway WebSocket emulator with its
 * Management API, an SNS endpoint, and the real handlers invoked in-process,
 * wired as the Pulumi program wires them in AWS:
 *   $connect → handlers/connect, $disconnect → handlers/disconnect,
 *   every action and $default → handlers/request (two-way: its body is the reply),
 *   the SNS topic → handlers/fanout.
 * The handlers reach DynamoDB, SNS and the Management API through the real
 * AWS SDK clients, pointed here by the same env vars they read in AWS
 * (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SNS, MESH_MANAGEMENT_ENDPOINT).
 *
 * Those env vars are process-wide and the handlers read them at module scope,
 * so run one stack with the real handlers per process (the integration
 * harness starts each stack as its own process).
 */
import { ACTIONS } from '#shared/protocol/requests';
import { type LocalDynamoDb, startDynamoDb } from './dynamodb';
import { type Connections, Gateway, type RouteTable } from './gateway';
import { type LambdaHandler, LocalLambda } from './lambda';
import { type Log, consoleLog } from './log';
import { type ManagementApi, startManagementApi } from './management';
import { portFromEnv } from './net';
import { type LocalSns, startSns } from './sns';
import { LocalStats } from './stats';

/** The four functions of the mesh, by the name the stats and logs use. */
export interface StackHandlers {
  connect: LambdaHandler;
  disconnect: LambdaHandler;
  request: LambdaHandler;
  fanout: LambdaHandler;
}

const HANDLER_MODULES: Record<keyof StackHandlers, string> = {
  connect: '#handlers/connect',
  disconnect: '#handlers/disconnect',
  request: '#handlers/request',
  fanout: '#handlers/fanout',
};

/** Every option falls back to its env var, then to the default shown. */
export interface StackOptions {
  /** Handlers to run instead of the modules in handlers/ (tests). */
  handlers?: Partial<StackHandlers>;
  /** MESH_WS_PORT, 3001; 0 = any free port. */
  wsPort?: number;
  /** MESH_MANAGEMENT_PORT, any free port. */
  managementPort?: number;
  /** MESH_SNS_PORT, any free port. */
  snsPort?: number;
  /** MESH_STAGE, 'local'. */
  stage?: string;
  /** MESH_TABLE_NAME, 'mesh'. */
  tableName?: string;
  /** MESH_TOPIC_ARN, arn:aws:sns:{region}:000000000000:mesh-local. */
  topicArn?: string;
  /** AWS_REGION, us-east-1. */
  region?: string;
  /** MESH_DYNAMODB_ENDPOINT: share a running DynamoDB Local instead of spawning one. */
  dynamodbEndpoint?: string;
  /** MESH_DYNAMODB_PORT, any free port. */
  dynamodbPort?: number;
  /** MESH_DATA_DIR: persist DynamoDB Local there; in memory when unset. */
  dataDir?: string;
  /** MESH_WS_IDLE_TIMEOUT_SECONDS, 600. */
  idleTimeoutSeconds?: number;
  /** MESH_WS_MAX_CONNECTION_SECONDS, 7200. */
  maxConnectionSeconds?: number;
  /** MESH_SNS_DELIVERY_ATTEMPTS, 4 (the first included). */
  snsDeliveryAttempts?: number;
  /** MESH_SNS_RETRY_BASE_MS, 200. */
  snsRetryBaseDelayMs?: number;
  /** Where env defaults come from and where the handlers' settings are written: process.env. */
  env?: NodeJS.ProcessEnv;
  log?: Log;
}

/** A part of the stack as started, for the CLI's summary. */
export interface StartedPart {
  name: string;
  url: string;
  ms: number;
  note?: string;
}

export interface Stack {
  /** Where WebSocket clients connect. */
  wsUrl: string;
  /** The handlers' MESH_MANAGEMENT_ENDPOINT: `http://127.0.0.1:{port}/{stage}`. */
  managementUrl: string;
  snsUrl: string;
  /** The DynamoDB Local engine (give it to another stack as MESH_DYNAMODB_ENDPOINT). */
  dynamodbUrl: string;
  /** The counting proxy the handlers use (AWS_ENDPOINT_URL_DYNAMODB). */
  dynamodbProxyUrl: string;
  /** GET: the counters as JSON; POST {statsUrl}/reset zeroes them. */
  statsUrl: string;
  tableName: string;
  topicArn: string;
  stage: string;
  stats: LocalStats;
  gateway: Gateway;
  sns: LocalSns;
  parts: StartedPart[];
  /** Milliseconds from the call to ready. */
  startupMs: number;
  /** Closes connections (their $disconnect runs), stops the servers, kills DynamoDB Local. Idempotent. */
  stop(): Promise<void>;
}

function numberFromEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

async function loadHandler(name: keyof StackHandlers): Promise<LambdaHandler> {
  const specifier = HANDLER_MODULES[name];
  const module = (await import(specifier)) as { handler?: unknown };
  if (typeof module.handler !== 'function') throw new Error(`${specifier} does not export a handler function`);
  return module.handler as LambdaHandler;
}

/** Starts a local stack; see the module comment. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const startedAt = Date.now();
  const env = options.env ?? process.env;
  const log = options.log ?? consoleLog;
  const stats = new LocalStats();
  const region = options.region ?? env.AWS_REGION ?? 'us-east-1';
  const stage = options.stage ?? env.MESH_STAGE ?? 'local';
  const tableName = options.tableName ?? env.MESH_TABLE_NAME ?? 'mesh';
  const topicArn = options.topicArn ?? env.MESH_TOPIC_ARN ?? `arn:aws:sns:${region}:000000000000:mesh-local`;
  const parts: StartedPart[] = [];
  const stoppers: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stoppers.splice(0).reverse()) {
      await stop().catch((error) => log('stack', `stop failed: ${String(error)}`));
    }
  };

  try {
    const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
      const t = Date.now();
      const value = await work();
      return [value, Date.now() - t];
    };

    // DynamoDB Local takes seconds to boot; the HTTP endpoints start meanwhile.
    const dynamodbStart = startDynamoDb({
      tableNames: [tableName],
      endpoint: options.dynamodbEndpoint ?? (env.MESH_DYNAMODB_ENDPOINT || undefined),
      port: options.dynamodbPort ?? portFromEnv('MESH_DYNAMODB_PORT', env),
      dataDir: options.dataDir ?? (env.MESH_DATA_DIR || undefined),
      region,
      stats,
      log,
    });
    // Handled here so a failure is not reported as unhandled while the endpoints start;
    // the `await` below still throws it. Stopped even if something below fails first.
    dynamodbStart.catch(() => {});
    stoppers.push(async () => (await dynamodbStart.catch(() => undefined))?.stop());

    // The Management API reaches the gateway, which exists once the handlers are loaded.
    let gateway: Gateway | undefined;
    const connections: Connections = {
      postToConnection: (id, data) => gateway?.postToConnection(id, data) ?? 'gone',
      getConnection: (id) => gateway?.getConnection(id),
      deleteConnection: (id) => gateway?.deleteConnection(id) ?? false,
    };
    const [management, managementMs] = await timed(() =>
      startManagementApi({ port: options.managementPort ?? portFromEnv('MESH_MANAGEMENT_PORT', env) ?? 0, stage, connections, stats, log }),
    );
    stoppers.push(() => management.stop());
    const [sns, snsMs] = await timed(() =>
      startSns({
        port: options.snsPort ?? portFromEnv('MESH_SNS_PORT', env) ?? 0,
        region,
        maxDeliveryAttempts: options.snsDeliveryAttempts ?? numberFromEnv(env, 'MESH_SNS_DELIVERY_ATTEMPTS'),
        retryBaseDelayMs: options.snsRetryBaseDelayMs ?? numberFromEnv(env, 'MESH_SNS_RETRY_BASE_MS'),
        stats,
        log,
      }),
    );
    stoppers.push(() => sns.stop());
    sns.createTopic(topicArn);

    const dynamodb: LocalDynamoDb = await dynamodbStart;
    parts.push({
      name: 'DynamoDB Local',
      url: dynamodb.engineUrl,
      ms: dynamodb.startupMs,
      note: `${dynamodb.spawned ? 'spawned' : 'shared'}, table ${tableName}, counting proxy ${dynamodb.proxyUrl}`,
    });
    const managementUrl = `${management.baseUrl}/${stage}`;
    parts.push({ name: 'Management API', url: managementUrl, ms: managementMs });
    parts.push({ name: 'SNS', url: sns.url, ms: snsMs, note: `topic ${topicArn}` });

    // The handlers read these at module scope: set them before importing.
    Object.assign(env, {
      MESH_TABLE_NAME: tableName,
      MESH_TOPIC_ARN: topicArn,
      MESH_MANAGEMENT_ENDPOINT: managementUrl,
      MESH_STAGE: stage,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.proxyUrl,
      AWS_ENDPOINT_URL_SNS: sns.url,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    });
    delete env.AWS_SESSION_TOKEN;

    const [handlers, handlersMs] = await timed(async () => {
      const loaded = {} as StackHandlers;
      for (const name of Object.keys(HANDLER_MODULES) as (keyof StackHandlers)[]) {
        loaded[name] = options.handlers?.[name] ?? (await loadHandler(name));
      }
      return loaded;
    });
    parts.push({ name: 'Handlers', url: 'in-process', ms: handlersMs, note: Object.keys(handlers).join(', ') });

    const fn = (name: keyof StackHandlers, timeoutSeconds: number) =>
      new LocalLambda({ name, handler: handlers[name], timeoutSeconds, region, stats, log });
    // API Gateway's integration timeout is 29 s.
    const request = fn('request', 29);
    const routes: RouteTable = {
      $connect: { fn: fn('connect', 29) },
      $disconnect: { fn: fn('disconnect', 29) },
      $default: { fn: request, twoWay: true },
    };
    for (const action of ACTIONS) routes[action] = { fn: request, twoWay: true };
    sns.subscribe(topicArn, fn('fanout', 60));

    gateway = new Gateway({
      port: options.wsPort ?? portFromEnv('MESH_WS_PORT', env) ?? 3001,
      host: env.MESH_WS_HOST || undefined,
      stage,
      apiId: 'meshlocal0',
      routes,
      idleTimeoutSeconds: options.idleTimeoutSeconds ?? numberFromEnv(env, 'MESH_WS_IDLE_TIMEOUT_SECONDS'),
      maxConnectionSeconds: options.maxConnectionSeconds ?? numberFromEnv(env, 'MESH_WS_MAX_CONNECTION_SECONDS'),
      stats,
      log,
    });
    const ws = gateway;
    const [, gatewayMs] = await timed(() => ws.start());
    // Stopped first (pushed last): its $disconnect invocations still reach DynamoDB.
    stoppers.push(() => ws.stop());
    parts.push({ name: 'WebSocket API', url: ws.url, ms: gatewayMs, note: `stage ${stage}, ${Object.keys(routes).length} routes` });

    let stopping: Promise<void> | undefined;
    return {
      wsUrl: ws.url,
      managementUrl,
      snsUrl: sns.url,
      dynamodbUrl: dynamodb.engineUrl,
      dynamodbProxyUrl: dynamodb.proxyUrl,
      statsUrl: `${management.baseUrl}/_local/stats`,
      tableName,
      topicArn,
      stage,
      stats,
      gateway: ws,
      sns,
      parts,
      startupMs: Date.now() - startedAt,
      stop: () => (stopping ??= stopAll()),
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
