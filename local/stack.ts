/**
 * The local stack: DynamoDB Local, the API Gateway WebSocket emulator with its
 * Management API, an SNS endpoint, and the real handlers in worker threads
 * (functions.ts), wired from the topology the Pulumi program reads too
 * (shared/topology.ts, through wiring.ts):
 *   $connect → handlers/connect, $disconnect → handlers/disconnect,
 *   the $connect authorizer → handlers/authorize, when a credential is set,
 *   every action and $default → handlers/request (two-way: its body is the reply),
 *   POST / of the HTTPS endpoint's stand-in → handlers/http (through the authorizer, when on),
 *   the SNS topic → handlers/fanout,
 *   a timer (EventBridge's schedule in AWS) → handlers/sweep.
 * The handlers reach DynamoDB, SNS and the Management API through the real
 * AWS SDK clients, pointed here by the same env vars they read in AWS
 * (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SNS, MESH_MANAGEMENT_ENDPOINT).
 *
 * The stack watches the parts that can die on their own: if DynamoDB Local
 * exits unexpectedly, or a handler thread dies and cannot be restarted, it
 * logs why, stops, and resolves `failed` (main.ts then exits non-zero).
 *
 * Those env vars are process-wide and handlers in the stack's own thread read
 * them at module scope, so run one stack with the real handlers per process
 * (the integration harness starts each stack as its own process).
 */
import { randomBytes } from 'node:crypto';
import { allowedOrigins, authorizerEnabled, authSettings, ENV } from '#shared/config';
import { type LocalDynamoDb, startDynamoDb } from './dynamodb';
import { describeExit } from './dynamodb-engine';
import { type FaultConfig, FaultInjector, faultsFromEnv } from './faults';
import { type Functions, type StackHandlers, startFunctions, workerCountsFromEnv } from './functions';
import { type Connections, Gateway, type RouteTable } from './gateway';
import { consoleSite, consoleUrlOf } from './console-site';
import { startHttpApi } from './http-api';
import { type Log, consoleLog } from './log';
import { startManagementApi } from './management';
import { portFromEnv } from './net';
import { startSchedule } from './schedule';
import { type LocalSns, startSns } from './sns';
import { LocalStats } from './stats';
import { LOCAL_ENV } from './env';
import {
  authorizerBinding,
  DEFAULT_SCHEDULE_SECONDS,
  httpBinding,
  resourceEnvironment,
  routeBindings,
  SCHEDULED_FUNCTION,
  TOPIC_SUBSCRIBER,
} from './wiring';

export type { StackHandlers } from './functions';

/** Every option falls back to its env var, then to the default shown. */
export interface StackOptions {
  /** Handlers to run instead of the modules in handlers/ (tests). */
  handlers?: Partial<StackHandlers>;
  /** MESH_WS_PORT, 3001; 0 = any free port. */
  wsPort?: number;
  /** MESH_HTTP_PORT, 3002; 0 = any free port. */
  httpPort?: number;
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
  /** MESH_LOCAL_WORKERS: threads per function (0 = in the stack's thread); one each by default. */
  workers?: Partial<Record<keyof StackHandlers, number>>;
  /** MESH_SWEEP_INTERVAL_SECONDS, 60: how often the sweeper runs. */
  sweepIntervalSeconds?: number;
  /** MESH_FAULTS: faults to inject from the start (faults.ts); none by default. */
  faults?: FaultConfig;
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
  /** Where polling clients POST their requests (the HTTPS endpoint's stand-in). */
  httpUrl: string;
  /** The handlers' MESH_MANAGEMENT_ENDPOINT: `http://127.0.0.1:{port}/{stage}`. */
  managementUrl: string;
  snsUrl: string;
  /** The DynamoDB Local engine, the handlers' AWS_ENDPOINT_URL_DYNAMODB (give it to another stack as MESH_DYNAMODB_ENDPOINT). */
  dynamodbUrl: string;
  /** The engine's process id when this stack spawned it. */
  dynamodbPid?: number;
  /** GET: the counters as JSON; POST {statsUrl}/reset zeroes them. */
  statsUrl: string;
  /** Opens the operator console on this stack (its admin token in the fragment). */
  consoleUrl: string;
  /** GET/PUT/DELETE: the faults in force (faults.ts). */
  faultsUrl: string;
  faults: FaultInjector;
  functions: Functions;
  tableName: string;
  topicArn: string;
  stage: string;
  stats: LocalStats;
  gateway: Gateway;
  sns: LocalSns;
  parts: StartedPart[];
  /** Milliseconds from the call to ready. */
  startupMs: number;
  /** Resolves, once the stack has stopped, if a part died on its own; never resolves otherwise. */
  failed: Promise<StackFailure>;
  /** Closes connections (their $disconnect runs), stops the servers, kills DynamoDB Local. Idempotent. */
  stop(): Promise<void>;
}

/** Why the stack stopped by itself. */
export interface StackFailure {
  part: string;
  message: string;
}

function numberFromEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

/** Starts a local stack; see the module comment. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const startedAt = Date.now();
  const env = options.env ?? process.env;
  const log = options.log ?? consoleLog;
  const stats = new LocalStats();
  const region = options.region ?? env.AWS_REGION ?? 'us-east-1';
  const stage = options.stage ?? env[LOCAL_ENV.stage] ?? 'local';
  const tableName = options.tableName ?? env[ENV.tableName] ?? 'mesh';
  const topicArn = options.topicArn ?? env[ENV.topicArn] ?? `arn:aws:sns:${region}:000000000000:mesh-local`;
  const parts: StartedPart[] = [];
  const stoppers: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stopPart of stoppers.splice(0).reverse()) {
      await stopPart().catch((error) => log('stack', `stop failed: ${String(error)}`));
    }
  };
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= stopAll());
  let reportFailure!: (failure: StackFailure) => void;
  const failed = new Promise<StackFailure>((resolve) => (reportFailure = resolve));
  const fail = (part: string, message: string) => {
    if (stopping) return;
    log(part, `${message}; the stack stops`);
    void stop().then(() => reportFailure({ part, message }));
  };
  const faults = new FaultInjector(options.faults ?? faultsFromEnv(env), 'main', (name) => stats.fault(name));

  try {
    const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
      const t = Date.now();
      const value = await work();
      return [value, Date.now() - t];
    };

    // DynamoDB Local takes seconds to boot; the HTTP endpoints start meanwhile.
    const dynamodbStart = startDynamoDb({
      tableNames: [tableName],
      endpoint: options.dynamodbEndpoint ?? (env[LOCAL_ENV.dynamodbEndpoint] || undefined),
      port: options.dynamodbPort ?? portFromEnv(LOCAL_ENV.dynamodbPort, env),
      dataDir: options.dataDir ?? (env[LOCAL_ENV.dataDir] || undefined),
      region,
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
    const [management, managementMs] = await timed(async () =>
      startManagementApi({
        port: options.managementPort ?? portFromEnv(LOCAL_ENV.managementPort, env) ?? 0,
        stage,
        connections,
        stats,
        faults,
        site: await consoleSite(),
        log,
      }),
    );
    stoppers.push(() => management.stop());
    // The handler threads stop after SNS (which drains its deliveries into them) and before the Management API.
    let functions: Functions | undefined;
    stoppers.push(async () => functions?.stop());
    const [sns, snsMs] = await timed(() =>
      startSns({
        port: options.snsPort ?? portFromEnv(LOCAL_ENV.snsPort, env) ?? 0,
        region,
        maxDeliveryAttempts: options.snsDeliveryAttempts ?? numberFromEnv(env, LOCAL_ENV.snsDeliveryAttempts),
        retryBaseDelayMs: options.snsRetryBaseDelayMs ?? numberFromEnv(env, LOCAL_ENV.snsRetryBaseMs),
        stats,
        faults,
        log,
      }),
    );
    stoppers.push(() => sns.stop());
    sns.createTopic(topicArn);

    const dynamodb: LocalDynamoDb = await dynamodbStart;
    void dynamodb.exited.then((exit) => {
      if (!exit.expected) fail('dynamodb', `DynamoDB Local exited unexpectedly (${describeExit(exit)})`);
    });
    parts.push({
      name: 'DynamoDB Local',
      url: dynamodb.engineUrl,
      ms: dynamodb.startupMs,
      note: `${dynamodb.spawned ? `spawned, pid ${dynamodb.pid}` : 'shared'}, table ${tableName}`,
    });
    const managementUrl = `${management.baseUrl}/${stage}`;
    parts.push({ name: 'Management API', url: managementUrl, ms: managementMs });
    parts.push({ name: 'SNS', url: sns.url, ms: snsMs, note: `topic ${topicArn}` });

    // The handlers read these at module scope: set them before importing.
    Object.assign(env, {
      ...resourceEnvironment({ tableName, topicArn, managementEndpoint: managementUrl }),
      // A new secret each start unless the environment sets one (then domains stay the same across restarts).
      [ENV.domainSecret]: env[ENV.domainSecret] || randomBytes(32).toString('base64url'),
      // The console's admin token likewise: the consoleUrl carries it.
      [ENV.adminToken]: env[ENV.adminToken] || randomBytes(24).toString('base64url'),
      [LOCAL_ENV.stage]: stage,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.engineUrl,
      AWS_ENDPOINT_URL_SNS: sns.url,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    });
    delete env.AWS_SESSION_TOKEN;

    const [started, handlersMs] = await timed(() =>
      startFunctions({
        handlers: options.handlers,
        threads: { ...workerCountsFromEnv(env), ...options.workers },
        env,
        region,
        faults,
        stats,
        log,
        onFatal: (message) => fail('lambda', message),
      }),
    );
    functions = started;
    parts.push({
      name: 'Handlers',
      url: Object.keys(started.pools).length > 0 ? 'worker threads' : 'in-process',
      ms: handlersMs,
      note: started.where,
    });

    const { lambdas } = started;
    const routes: RouteTable = routeBindings(lambdas);
    sns.subscribe(topicArn, lambdas[TOPIC_SUBSCRIBER]);
    const sweepIntervalSeconds =
      options.sweepIntervalSeconds ?? numberFromEnv(env, LOCAL_ENV.sweepIntervalSeconds) ?? DEFAULT_SCHEDULE_SECONDS;
    const schedule = startSchedule({ fn: lambdas[SCHEDULED_FUNCTION], intervalSeconds: sweepIntervalSeconds, region });
    // Stopped right after the gateway: no sweep starts while the functions stop.
    stoppers.push(() => schedule.stop());
    parts.push({ name: 'Schedule', url: `every ${sweepIntervalSeconds} s`, ms: 0, note: SCHEDULED_FUNCTION });

    gateway = new Gateway({
      port: options.wsPort ?? portFromEnv(LOCAL_ENV.wsPort, env) ?? 3001,
      host: env[LOCAL_ENV.wsHost] || undefined,
      stage,
      apiId: 'meshlocal0',
      routes,
      connectAuthorizer: authorizerBinding(lambdas, env),
      region,
      idleTimeoutSeconds: options.idleTimeoutSeconds ?? numberFromEnv(env, LOCAL_ENV.wsIdleTimeoutSeconds),
      maxConnectionSeconds: options.maxConnectionSeconds ?? numberFromEnv(env, LOCAL_ENV.wsMaxConnectionSeconds),
      stats,
      log,
    });
    const ws = gateway;
    const [, gatewayMs] = await timed(() => ws.start());
    // Stopped first (pushed last): its $disconnect invocations still reach DynamoDB.
    stoppers.push(() => ws.stop());
    parts.push({
      name: 'WebSocket API',
      url: ws.url,
      ms: gatewayMs,
      note: `stage ${stage}, ${Object.keys(routes).length} routes, ${authorizerEnabled(authSettings(env)) ? 'authorizer on' : 'open'}`,
    });

    const [httpApi, httpMs] = await timed(() =>
      startHttpApi({
        port: options.httpPort ?? portFromEnv(LOCAL_ENV.httpPort, env) ?? 3002,
        host: env[LOCAL_ENV.wsHost] || undefined,
        ...httpBinding(lambdas, env),
        allowedOrigins: allowedOrigins(env),
        region,
        log,
      }),
    );
    // Stopped before the gateway: no request reaches a stopping function.
    stoppers.push(() => httpApi.stop());
    parts.push({ name: 'HTTPS endpoint', url: httpApi.url, ms: httpMs, note: 'POST /, for polling clients' });
    const statsUrl = `${management.baseUrl}/_local/stats`;
    const consoleUrl = consoleUrlOf(management.baseUrl, { wsUrl: ws.url, adminToken: env[ENV.adminToken]!, statsUrl });
    parts.push({
      name: 'Console',
      url: `${management.baseUrl}/console/`,
      ms: 0,
      note: 'the admin token is in consoleUrl',
    });

    return {
      wsUrl: ws.url,
      httpUrl: httpApi.url,
      managementUrl,
      snsUrl: sns.url,
      dynamodbUrl: dynamodb.engineUrl,
      dynamodbPid: dynamodb.pid,
      statsUrl,
      consoleUrl,
      faultsUrl: `${management.baseUrl}/_local/faults`,
      faults,
      functions: started,
      tableName,
      topicArn,
      stage,
      stats,
      gateway: ws,
      sns,
      parts,
      startupMs: Date.now() - startedAt,
      failed,
      stop,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
