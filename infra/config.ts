/**
 * The deployment's settings: every key of the `mesh:` config namespace, its
 * default, and how it is read from a Pulumi stack. Pulumi.yaml documents the
 * same keys with the same defaults (test/infra/config.test.ts keeps the two in
 * step). The program itself takes a plain `MeshConfig`, so tests build one
 * without a stack.
 */
import * as pulumi from '@pulumi/pulumi';
import { allowedOrigins, authSettings, ENV, FANOUT_ENV, fanoutSettings, meshSettings } from '../shared/config';
import {
  DEFAULT_FANOUT,
  DEFAULT_FANOUT_CONCURRENCY,
  DEFAULT_SETTINGS,
  fanoutSettingsProblems,
  type FanoutSettings,
  type MeshSettings,
} from '../shared/core/settings';
import { FUNCTIONS, HTTP_ROUTE, routeFunctions, TRIGGERS } from '../shared/topology';
import { DEFAULT_BUNDLE_DIR, FUNCTION_NAMES, type FunctionName } from './bundles';

export { FUNCTION_NAMES, type FunctionName };

/** Memory (MB) and timeout (s) of one Lambda function. */
export interface FunctionSize {
  memoryMb: number;
  timeoutSeconds: number;
}

/** API Gateway throttling of a stage or a route: steady requests/s and burst. */
export interface Throttle {
  rateLimit: number;
  burstLimit: number;
}

export interface MeshConfig {
  /** API Gateway stage; part of the wss:// URL and of the ManageConnections ARN. */
  stageName: string;
  /** Retention of every log group the stack creates (Lambda and API access logs). */
  logRetentionDays: number;
  /** Default throttling of every route of the stage. */
  throttle: Throttle;
  /** Throttling of the hot routes (reportDataByNode, fireEventsByNode): each message fans out to the group. */
  hotRouteThrottle: Throttle;
  /** Throttling of the HTTPS endpoint's stage (polling nodes: one pollGroupData per node per interval). */
  httpThrottle: Throttle;
  connect: FunctionSize;
  disconnect: FunctionSize;
  request: FunctionSize;
  /** The HTTPS endpoint's function (polling nodes). */
  http: FunctionSize;
  fanout: FunctionSize;
  sweep: FunctionSize;
  /** The $connect authorizer (deployed always, invoked only when a credential is configured). */
  authorize: FunctionSize;
  /** MESH_FANOUT_CONCURRENCY: PostToConnection calls in flight per fan-out invocation. */
  fanoutConcurrency: number;
  /**
   * The MESH_FANOUT_* settings: the bounds of the window a group's pushes
   * gather in before each member gets one frame of them, when a flush counts
   * as dead, and how long one invocation flushes before it hands over.
   */
  fanoutSettings: FanoutSettings;
  /** The MESH_* time settings the handlers read (shared/config.ts); eventTtlSeconds is the group log's retention. */
  settings: MeshSettings;
  /**
   * MESH_ALLOWED_ORIGINS: the web origins $connect accepts, comma separated;
   * empty: any (Mesh v2's open model). The HTTPS endpoint's CORS allows the same.
   */
  allowedOrigins: string;
  /**
   * MESH_AUTH_JWKS_URL: where the identity provider publishes the RS256 keys
   * of the JWTs it signs; set, it turns the $connect authorizer on. (API keys
   * and an HS256 secret, the other two ways, are secrets: infra/secrets.ts.)
   */
  authJwksUrl: string;
  /** MESH_AUTH_JWT_ISSUER / MESH_AUTH_JWT_AUDIENCE: the `iss` and `aud` every JWT must carry; empty: not checked. */
  authJwtIssuer: string;
  authJwtAudience: string;
  /** Minutes between two runs of the sweeper, which restarts the flushes of groups whose flush died. */
  sweepIntervalMinutes: number;
  /** DynamoDB point-in-time recovery (continuous backups, billed per GB-month). */
  pointInTimeRecovery: boolean;
  /** Alarm mail goes to this address through an SNS topic; empty: alarms without notifications. */
  alarmEmail: string;
  /**
   * Set the account's API Gateway CloudWatch Logs role (one per account and
   * Region), which WebSocket access logging needs. Turn off when the account
   * already has one that another stack manages.
   */
  manageApiGatewayAccount: boolean;
  /**
   * Run the functions with NODE_OPTIONS=--enable-source-maps, so logged stack
   * traces point into the TypeScript sources. Costs cold-start time (Node
   * reads the map when it loads the bundle).
   */
  enableSourceMaps: boolean;
  /** Folder of the Lambda bundles (`npm run build:lambdas`), relative to the project root. */
  bundleDir: string;
}

function defaultSize(fn: FunctionName): FunctionSize {
  return { memoryMb: FUNCTIONS[fn].memoryMb, timeoutSeconds: FUNCTIONS[fn].timeoutSeconds };
}

/** Defaults of every key; Pulumi.yaml repeats them for `pulumi config`. */
export const CONFIG_DEFAULTS: MeshConfig = {
  stageName: 'prod',
  logRetentionDays: 14,
  throttle: { rateLimit: 1000, burstLimit: 500 },
  hotRouteThrottle: { rateLimit: 300, burstLimit: 300 },
  httpThrottle: { rateLimit: 1000, burstLimit: 500 },
  // Memory and timeout of each function: the topology's (shared/topology.ts says why each).
  connect: defaultSize('connect'),
  disconnect: defaultSize('disconnect'),
  request: defaultSize('request'),
  http: defaultSize('http'),
  fanout: defaultSize('fanout'),
  sweep: defaultSize('sweep'),
  authorize: defaultSize('authorize'),
  fanoutConcurrency: DEFAULT_FANOUT_CONCURRENCY,
  fanoutSettings: DEFAULT_FANOUT,
  settings: DEFAULT_SETTINGS,
  allowedOrigins: '',
  authJwksUrl: '',
  authJwtIssuer: '',
  authJwtAudience: '',
  sweepIntervalMinutes: TRIGGERS.schedule.intervalMinutes,
  pointInTimeRecovery: true,
  alarmEmail: '',
  manageApiGatewayAccount: true,
  enableSourceMaps: false,
  bundleDir: DEFAULT_BUNDLE_DIR,
};

/** The `mesh:` key of each fan-out setting: the handlers read it from ENV under the same name (shared/config.ts). */
export const FANOUT_KEYS = FANOUT_ENV;

/** The shortest group log retention: a reconnecting client must find the pushes it missed. */
const MIN_EVENT_TTL_SECONDS = 60;

/** Retention values CloudWatch Logs accepts. */
const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

export class MeshConfigError extends Error {
  override name = 'MeshConfigError';
}

function positiveInteger(key: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0)
    throw new MeshConfigError(`mesh:${key} must be a positive integer, got ${value}`);
  return value;
}

/**
 * Checks a config the way AWS and the handlers will, so that `pulumi preview`
 * fails instead of a deployment or a cold start.
 */
export function validateConfig(config: MeshConfig): MeshConfig {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(config.stageName)) {
    throw new MeshConfigError(`mesh:stageName must be 1-128 letters, digits, - or _, got "${config.stageName}"`);
  }
  if (!RETENTION_DAYS.includes(config.logRetentionDays)) {
    throw new MeshConfigError(
      `mesh:logRetentionDays must be one of ${RETENTION_DAYS.join(', ')}, got ${config.logRetentionDays}`,
    );
  }
  for (const fn of FUNCTION_NAMES) {
    const { memoryMb, timeoutSeconds } = config[fn];
    if (positiveInteger(`${fn}MemoryMb`, memoryMb) < 128 || memoryMb > 10240) {
      throw new MeshConfigError(`mesh:${fn}MemoryMb must be between 128 and 10240, got ${memoryMb}`);
    }
    if (positiveInteger(`${fn}TimeoutSeconds`, timeoutSeconds) > 900) {
      throw new MeshConfigError(`mesh:${fn}TimeoutSeconds must be at most 900, got ${timeoutSeconds}`);
    }
  }
  // API Gateway gives up on an integration after 29 s (WebSocket) or 30 s (HTTP API); a longer Lambda timeout only hides the failure.
  for (const fn of [...routeFunctions(), HTTP_ROUTE.fn]) {
    if (config[fn].timeoutSeconds > 29) {
      throw new MeshConfigError(`mesh:${fn}TimeoutSeconds must be at most 29 (API Gateway's integration timeout)`);
    }
  }
  positiveInteger('fanoutConcurrency', config.fanoutConcurrency);
  validateFanout(config.fanoutSettings, config.fanout.timeoutSeconds);
  if (config.settings.eventTtlSeconds < MIN_EVENT_TTL_SECONDS) {
    throw new MeshConfigError(
      `mesh:eventTtlSeconds (the group log's retention) must be at least ${MIN_EVENT_TTL_SECONDS}, got ${config.settings.eventTtlSeconds}`,
    );
  }
  positiveInteger('sweepIntervalMinutes', config.sweepIntervalMinutes);
  for (const [key, throttle] of [
    ['throttle', config.throttle],
    ['hotRouteThrottle', config.hotRouteThrottle],
    ['httpThrottle', config.httpThrottle],
  ] as const) {
    if (!(throttle.rateLimit > 0) || !Number.isInteger(throttle.burstLimit) || throttle.burstLimit <= 0) {
      throw new MeshConfigError(`mesh:${key} limits must be positive (burst an integer)`);
    }
  }
  // The same checks the handlers run on cold start (shared/config.ts).
  try {
    const env = settingsEnvironment(config);
    meshSettings(env);
    fanoutSettings(env);
    allowedOrigins(env);
    authSettings(env);
  } catch (error) {
    throw new MeshConfigError(`mesh settings: ${(error as Error).message}`);
  }
  return config;
}

/**
 * The fan-out's settings against each other and against the fanout
 * function's timeout. An invocation waits up to one window before its first
 * round and finishes the round in flight when it hands over (posts the SDK
 * may retry for seconds), so the flush may use at most half of the timeout.
 */
function validateFanout(fanout: FanoutSettings, fanoutTimeoutSeconds: number): void {
  for (const key of Object.keys(FANOUT_KEYS) as (keyof FanoutSettings)[])
    positiveInteger(FANOUT_KEYS[key], fanout[key]);
  const [problem] = fanoutSettingsProblems(fanout, (key) => `mesh:${FANOUT_KEYS[key]}`);
  if (problem !== undefined) throw new MeshConfigError(problem);
  const { maxFlushMs } = fanout;
  const maxFlushLimit = fanoutTimeoutSeconds * 500;
  if (maxFlushMs > maxFlushLimit) {
    throw new MeshConfigError(
      `mesh:fanoutMaxFlushMs (${maxFlushMs}) must be at most half of mesh:fanoutTimeoutSeconds (${maxFlushLimit} ms), so the flush hands over well before the timeout`,
    );
  }
}

/** The MESH_* variables of the time settings and the fan-out's settings, as the handlers read them. */
export function settingsEnvironment(
  config: Pick<
    MeshConfig,
    | 'settings'
    | 'fanoutConcurrency'
    | 'fanoutSettings'
    | 'allowedOrigins'
    | 'authJwksUrl'
    | 'authJwtIssuer'
    | 'authJwtAudience'
  >,
): Record<string, string> {
  const env: Record<string, string> = {
    [ENV.fanoutConcurrency]: String(config.fanoutConcurrency),
    [ENV.allowedOrigins]: config.allowedOrigins,
    [ENV.authJwksUrl]: config.authJwksUrl,
    [ENV.authJwtIssuer]: config.authJwtIssuer,
    [ENV.authJwtAudience]: config.authJwtAudience,
  };
  for (const key of Object.keys(FANOUT_KEYS) as (keyof FanoutSettings)[]) {
    env[ENV[FANOUT_KEYS[key]]] = String(config.fanoutSettings[key]);
  }
  for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof MeshSettings)[]) {
    env[ENV[key]] = String(config.settings[key]);
  }
  return env;
}

/** Reads the `mesh:` namespace of the current stack; unset keys take their default (configKeyDefaults). */
export function readConfig(config: pulumi.Config = new pulumi.Config('mesh')): MeshConfig {
  const defaults = configKeyDefaults();
  const fallback = <T extends string | number | boolean>(key: string): T => {
    if (!(key in defaults)) throw new MeshConfigError(`mesh:${key} has no default`);
    return defaults[key] as T;
  };
  const num = (key: string) => config.getNumber(key) ?? fallback<number>(key);
  const bool = (key: string) => config.getBoolean(key) ?? fallback<boolean>(key);
  const str = (key: string) => config.get(key) ?? fallback<string>(key);
  const size = (fn: FunctionName): FunctionSize => ({
    memoryMb: num(`${fn}MemoryMb`),
    timeoutSeconds: num(`${fn}TimeoutSeconds`),
  });
  const settings = {} as MeshSettings;
  for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof MeshSettings)[]) settings[key] = num(key);
  const fanoutSettings = {} as FanoutSettings;
  for (const key of Object.keys(FANOUT_KEYS) as (keyof FanoutSettings)[]) fanoutSettings[key] = num(FANOUT_KEYS[key]);
  return validateConfig({
    stageName: str('stageName'),
    logRetentionDays: num('logRetentionDays'),
    throttle: { rateLimit: num('throttlingRateLimit'), burstLimit: num('throttlingBurstLimit') },
    hotRouteThrottle: {
      rateLimit: num('hotRouteThrottlingRateLimit'),
      burstLimit: num('hotRouteThrottlingBurstLimit'),
    },
    httpThrottle: { rateLimit: num('httpThrottlingRateLimit'), burstLimit: num('httpThrottlingBurstLimit') },
    connect: size('connect'),
    disconnect: size('disconnect'),
    request: size('request'),
    http: size('http'),
    fanout: size('fanout'),
    sweep: size('sweep'),
    authorize: size('authorize'),
    fanoutConcurrency: num('fanoutConcurrency'),
    fanoutSettings,
    settings,
    allowedOrigins: str('allowedOrigins'),
    authJwksUrl: str('authJwksUrl'),
    authJwtIssuer: str('authJwtIssuer'),
    authJwtAudience: str('authJwtAudience'),
    sweepIntervalMinutes: num('sweepIntervalMinutes'),
    pointInTimeRecovery: bool('pointInTimeRecovery'),
    alarmEmail: str('alarmEmail'),
    manageApiGatewayAccount: bool('manageApiGatewayAccount'),
    enableSourceMaps: bool('enableSourceMaps'),
    bundleDir: str('bundleDir'),
  });
}

/** Every `mesh:` key, with its default (from CONFIG_DEFAULTS) as `pulumi config set` takes it. */
export function configKeyDefaults(): Record<string, string | number | boolean> {
  const d = CONFIG_DEFAULTS;
  const keys: Record<string, string | number | boolean> = {
    stageName: d.stageName,
    logRetentionDays: d.logRetentionDays,
    throttlingRateLimit: d.throttle.rateLimit,
    throttlingBurstLimit: d.throttle.burstLimit,
    hotRouteThrottlingRateLimit: d.hotRouteThrottle.rateLimit,
    hotRouteThrottlingBurstLimit: d.hotRouteThrottle.burstLimit,
    httpThrottlingRateLimit: d.httpThrottle.rateLimit,
    httpThrottlingBurstLimit: d.httpThrottle.burstLimit,
  };
  for (const fn of FUNCTION_NAMES) {
    keys[`${fn}MemoryMb`] = d[fn].memoryMb;
    keys[`${fn}TimeoutSeconds`] = d[fn].timeoutSeconds;
  }
  keys.fanoutConcurrency = d.fanoutConcurrency;
  for (const key of Object.keys(FANOUT_KEYS) as (keyof FanoutSettings)[])
    keys[FANOUT_KEYS[key]] = d.fanoutSettings[key];
  for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof MeshSettings)[]) keys[key] = d.settings[key];
  keys.allowedOrigins = d.allowedOrigins;
  keys.authJwksUrl = d.authJwksUrl;
  keys.authJwtIssuer = d.authJwtIssuer;
  keys.authJwtAudience = d.authJwtAudience;
  keys.sweepIntervalMinutes = d.sweepIntervalMinutes;
  keys.pointInTimeRecovery = d.pointInTimeRecovery;
  keys.alarmEmail = d.alarmEmail;
  keys.manageApiGatewayAccount = d.manageApiGatewayAccount;
  keys.enableSourceMaps = d.enableSourceMaps;
  keys.bundleDir = d.bundleDir;
  return keys;
}
