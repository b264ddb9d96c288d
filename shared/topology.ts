/**
 * The mesh's topology: its functions (the handler each runs, memory, timeout,
 * the variables it reads), which function serves each WebSocket route, and
 * what triggers the other two. Both deployments read this one description:
 * the Pulumi program (infra/program.ts) declares the AWS resources from it,
 * the local stack (local/wiring.ts) wires its emulators from it, and
 * test/infra/topology.test.ts fails when what the two build disagrees.
 *
 * No Pulumi and no Node APIs here, and relative imports only: Pulumi's
 * CommonJS loader (infra/tsconfig.json, which ignores tsconfig paths),
 * esbuild and tsx all load this file.
 */
import { ENV, FANOUT_ENV, METRICS_ENV } from './config';
import { DEFAULT_SETTINGS, type MeshSettings } from './core/settings';
import { CREDENTIAL_QUERY_PARAMETER } from './protocol/connect';
import { ACTIONS } from './protocol/requests';

/** The Lambda functions, one per file in handlers/ and one bundle each. */
export const FUNCTION_NAMES = ['connect', 'disconnect', 'request', 'http', 'fanout', 'sweep', 'authorize'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** A variable a handler reads: one of shared/config.ts's ENV, or Powertools' METRICS_ENV. */
export type EnvName = (typeof ENV)[keyof typeof ENV] | (typeof METRICS_ENV)[keyof typeof METRICS_ENV];

/**
 * The variables each deployment sets from its own resources. They have no
 * default: a handler that reads one fails on cold start without it.
 */
export const RESOURCE_ENV = {
  tableName: ENV.tableName,
  topicArn: ENV.topicArn,
  managementEndpoint: ENV.managementEndpoint,
} as const;
export type Resource = keyof typeof RESOURCE_ENV;

/**
 * The secrets each deployment sets from its own secret store (Pulumi secret
 * config in AWS; the local stack makes one at start unless its environment
 * has it). No default either, and only the functions that read a secret get it.
 */
export const SECRET_ENV = {
  domainSecret: ENV.domainSecret,
  adminToken: ENV.adminToken,
  authApiKeys: ENV.authApiKeys,
  authJwtSecret: ENV.authJwtSecret,
} as const;
export type Secret = keyof typeof SECRET_ENV;
/** The secrets a deployment must have; the others switch a feature on when set (the console's, the authorizer's). */
export const REQUIRED_SECRETS = ['domainSecret'] as const satisfies readonly Secret[];
const SECRET_NAMES: readonly EnvName[] = Object.values(SECRET_ENV);

/** The time settings (heartbeats, expiry, the log's retention); defaults in shared/core/settings.ts. */
const TIME_SETTINGS_ENV: EnvName[] = (Object.keys(DEFAULT_SETTINGS) as (keyof MeshSettings)[]).map((key) => ENV[key]);
/** The fan-out window bounds, the stale and the longest flush; defaults in shared/core/settings.ts. */
const FANOUT_SETTINGS_ENV: EnvName[] = Object.values(FANOUT_ENV).map((key) => ENV[key]);
/** Namespace and service of the EMF metrics; defaults in shared/lambda/metrics.ts. */
const METRICS_ENV_NAMES: EnvName[] = Object.values(METRICS_ENV);

export interface FunctionSpec {
  /** The handler module, from the repository root; it exports `handler`. */
  entry: string;
  /** Memory (MB): the deployed default (`mesh:{fn}MemoryMb`). */
  memoryMb: number;
  /** Timeout (s): the deployed default (`mesh:{fn}TimeoutSeconds`), and the local stack's. */
  timeoutSeconds: number;
  /** The variables its handler reads (the shared/config.ts getters it calls, Powertools' Metrics). */
  env: readonly EnvName[];
}

export const FUNCTIONS: Record<FunctionName, FunctionSpec> = {
  connect: { entry: 'handlers/connect.ts', memoryMb: 256, timeoutSeconds: 10, env: [ENV.allowedOrigins] },
  disconnect: {
    entry: 'handlers/disconnect.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    env: [ENV.tableName, ...TIME_SETTINGS_ENV],
  },
  // The request function answers inside API Gateway's 29 s integration timeout. It reaches the
  // Management API only to close a connection that floods far over its rate.
  request: {
    entry: 'handlers/request.ts',
    memoryMb: 512,
    timeoutSeconds: 10,
    env: [
      ENV.tableName,
      ENV.topicArn,
      ENV.managementEndpoint,
      ENV.domainSecret,
      ENV.adminToken,
      ...FANOUT_SETTINGS_ENV,
      ...TIME_SETTINGS_ENV,
    ],
  },
  // The HTTPS endpoint for polling nodes: the request function's core and table, no Management API.
  http: {
    entry: 'handlers/http.ts',
    memoryMb: 512,
    timeoutSeconds: 10,
    env: [
      ENV.tableName,
      ENV.topicArn,
      ENV.domainSecret,
      ENV.allowedOrigins,
      ...FANOUT_SETTINGS_ENV,
      ...TIME_SETTINGS_ENV,
    ],
  },
  // Memory buys CPU and network for many PostToConnection calls at once.
  fanout: {
    entry: 'handlers/fanout.ts',
    memoryMb: 512,
    timeoutSeconds: 30,
    env: [
      ENV.tableName,
      ENV.topicArn,
      ENV.managementEndpoint,
      ENV.fanoutConcurrency,
      ...FANOUT_SETTINGS_ENV,
      ...TIME_SETTINGS_ENV,
      ...METRICS_ENV_NAMES,
    ],
  },
  // A run is one index Query and a claim and a flush request per stalled
  // group, and one Query per shard and a few writes per node due to be
  // dropped; a minute (the schedule's interval) leaves room for many of them.
  sweep: {
    entry: 'handlers/sweep.ts',
    memoryMb: 256,
    timeoutSeconds: 60,
    env: [ENV.tableName, ENV.topicArn, ...FANOUT_SETTINGS_ENV, ...TIME_SETTINGS_ENV, ...METRICS_ENV_NAMES],
  },
  // The upgrade waits for it: a JWKS fetch is bounded well inside this (shared/adapters/auth/credentials.ts).
  authorize: {
    entry: 'handlers/authorize.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    env: [ENV.authApiKeys, ENV.authJwtSecret, ENV.authJwksUrl, ENV.authJwtIssuer, ENV.authJwtAudience],
  },
};

/**
 * The REQUEST authorizer of $connect, when a credential is configured
 * (shared/config.ts's authorizerEnabled): API Gateway reads the credential
 * from the `token` query parameter (browsers cannot set headers on a
 * WebSocket), refuses an upgrade without one with 401 before invoking
 * anything, and otherwise asks this function. Off, the function is deployed
 * but nothing invokes it.
 */
export const CONNECT_AUTHORIZER = {
  fn: 'authorize',
  routeKey: '$connect',
  queryParameter: CREDENTIAL_QUERY_PARAMETER,
} as const satisfies { fn: FunctionName; routeKey: string; queryParameter: string };

/**
 * The variables any function reads, secrets aside, in a stable order. In AWS
 * every function gets all of them (the program builds one environment for
 * the stack); the local stack sets RESOURCE_ENV and leaves the others to its
 * own environment, where an unset one takes the same default the Pulumi
 * program's config has.
 */
export const FUNCTION_ENV: readonly EnvName[] = [
  ...new Set(FUNCTION_NAMES.flatMap((fn) => FUNCTIONS[fn].env).filter((name) => !SECRET_NAMES.includes(name))),
];

/** The secret variables `fn` reads, given each secret's value (unset ones left out): a function gets only the secrets it needs. */
export function secretEnvironment<T>(fn: FunctionName, values: Partial<Record<Secret, T>>): Record<string, T> {
  const read = (Object.keys(SECRET_ENV) as Secret[]).filter(
    (key) => FUNCTIONS[fn].env.includes(SECRET_ENV[key]) && values[key] !== undefined,
  );
  return Object.fromEntries(read.map((key) => [SECRET_ENV[key], values[key] as T]));
}

export interface RouteSpec {
  /** `$connect`, `$disconnect`, `$default` or an action of wire protocol v1. */
  routeKey: string;
  fn: FunctionName;
  /** The route has a route response: the function's returned body goes back to the caller, with no PostToConnection. */
  twoWay: boolean;
}

/**
 * The WebSocket API's routes (selected on `$request.body.action`): every
 * action and `$default` (a frame that is not JSON or names no known action)
 * go to the request function, which answers the caller.
 */
export const ROUTES: readonly RouteSpec[] = [
  { routeKey: '$connect', fn: 'connect', twoWay: false },
  { routeKey: '$disconnect', fn: 'disconnect', twoWay: false },
  ...ACTIONS.map((action): RouteSpec => ({ routeKey: action, fn: 'request', twoWay: true })),
  { routeKey: '$default', fn: 'request', twoWay: true },
];

/** The functions behind the routes, each once, in the order of ROUTES. */
export function routeFunctions(routes: readonly RouteSpec[] = ROUTES): FunctionName[] {
  return [...new Set(routes.map((route) => route.fn))];
}

/**
 * The HTTPS endpoint (an HTTP API in AWS, MESH_HTTP_PORT locally): one route,
 * `POST /`, whose body is a request frame and whose response is its reply
 * (handlers/http.ts). The $connect authorizer, when on, guards it too, with
 * the credential in the same query parameter: otherwise HTTPS would be a way
 * around it.
 */
export const HTTP_ROUTE = {
  fn: 'http',
  method: 'POST',
  path: '/',
  routeKey: 'POST /',
  queryParameter: CREDENTIAL_QUERY_PARAMETER,
} as const satisfies { fn: FunctionName; method: string; path: string; routeKey: string; queryParameter: string };

/** What runs the two functions no route reaches. */
export const TRIGGERS = {
  /** The push topic's subscriber (SNS): it runs the flushes of group logs. */
  topic: { fn: 'fanout' },
  /**
   * Run on a schedule (an EventBridge rule in AWS, a timer locally): it
   * restarts flushes that died. Every minute, EventBridge's finest rate: a
   * dead flush waits for the sweeper only when no new push comes to claim
   * it, so a minute is the worst case, not the usual one.
   */
  schedule: { fn: 'sweep', intervalMinutes: 1 },
} as const satisfies { topic: { fn: FunctionName }; schedule: { fn: FunctionName; intervalMinutes: number } };

/** `{ MESH_TABLE_NAME: values.tableName, … }`: the resource variables, given each resource's value. */
export function resourceEnvironment<T>(values: Record<Resource, T>): Record<string, T> {
  return Object.fromEntries((Object.keys(RESOURCE_ENV) as Resource[]).map((key) => [RESOURCE_ENV[key], values[key]]));
}
