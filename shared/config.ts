/**
 * Configuration of the Lambda handlers, read once from environment variables
 * that the Pulumi program (in AWS) or the local stack (on one machine) sets.
 * A getter throws on a missing or malformed value, so a handler built at module
 * scope fails on cold start rather than on its tenth request.
 *
 * Endpoints of DynamoDB and SNS are not configured here: the AWS SDK reads the
 * standard AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_SNS variables, which
 * are unset in AWS and point at the local engines in the local stack.
 */
import {
  DEFAULT_FANOUT,
  DEFAULT_FANOUT_CONCURRENCY,
  DEFAULT_SETTINGS,
  fanoutSettingsProblems,
  type FanoutSettings,
  type MeshSettings,
} from './core/settings';

/** Every variable the handlers read, with what it means. docs/architecture.md lists them too. */
export const ENV = {
  tableName: 'MESH_TABLE_NAME',
  topicArn: 'MESH_TOPIC_ARN',
  managementEndpoint: 'MESH_MANAGEMENT_ENDPOINT',
  fanoutConcurrency: 'MESH_FANOUT_CONCURRENCY',
  fanoutWindowMinMs: 'MESH_FANOUT_WINDOW_MIN_MS',
  fanoutWindowMaxMs: 'MESH_FANOUT_WINDOW_MAX_MS',
  fanoutStaleFlushMs: 'MESH_FANOUT_STALE_FLUSH_MS',
  fanoutMaxFlushMs: 'MESH_FANOUT_MAX_FLUSH_MS',
  hostHeartbeatIntervalSeconds: 'MESH_HOST_HEARTBEAT_INTERVAL_SECONDS',
  hostHeartbeatTtlSeconds: 'MESH_HOST_HEARTBEAT_TTL_SECONDS',
  memberHeartbeatIntervalSeconds: 'MESH_MEMBER_HEARTBEAT_INTERVAL_SECONDS',
  memberHeartbeatTtlSeconds: 'MESH_MEMBER_HEARTBEAT_TTL_SECONDS',
  maxConnectionTimeSeconds: 'MESH_MAX_CONNECTION_TIME_SECONDS',
  eventTtlSeconds: 'MESH_EVENT_TTL_SECONDS',
  pollingIntervalSeconds: 'MESH_POLLING_INTERVAL_SECONDS',
  maxMembersPerGroup: 'MESH_MAX_MEMBERS_PER_GROUP',
  maxGroupsPerDomain: 'MESH_MAX_GROUPS_PER_DOMAIN',
  connectionRequestsPerSecond: 'MESH_CONNECTION_REQUESTS_PER_SECOND',
  connectionRequestBurst: 'MESH_CONNECTION_REQUEST_BURST',
  connectionRefusalsBeforeClose: 'MESH_CONNECTION_REFUSALS_BEFORE_CLOSE',
  disconnectGraceSeconds: 'MESH_DISCONNECT_GRACE_SECONDS',
  domainSecret: 'MESH_DOMAIN_SECRET',
  adminToken: 'MESH_ADMIN_TOKEN',
  allowedOrigins: 'MESH_ALLOWED_ORIGINS',
  authApiKeys: 'MESH_AUTH_API_KEYS',
  authJwtSecret: 'MESH_AUTH_JWT_SECRET',
  authJwksUrl: 'MESH_AUTH_JWKS_URL',
  authJwtIssuer: 'MESH_AUTH_JWT_ISSUER',
  authJwtAudience: 'MESH_AUTH_JWT_AUDIENCE',
} as const;

/**
 * Powertools' variables of the functions' metrics: shared/lambda/metrics.ts
 * reads them (with defaults), the Pulumi program sets them (infra/metrics.ts).
 */
export const METRICS_ENV = {
  namespace: 'POWERTOOLS_METRICS_NAMESPACE',
  serviceName: 'POWERTOOLS_SERVICE_NAME',
} as const;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function required(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') throw new ConfigError(`${name} is not set`);
  return value;
}

function positiveNumber(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new ConfigError(`${name} must be a positive number, got "${raw}"`);
  return value;
}

/** Name of the DynamoDB table holding groups, nodes, status and connections. */
export function tableName(env: Env = process.env): string {
  return required(env, ENV.tableName);
}

/** Characters a domain secret needs at least: 128 bits of base64. */
export const MIN_DOMAIN_SECRET_LENGTH = 22;

/**
 * The key of createDomain's hash of the caller's address (a deployment
 * secret: Pulumi secret config in AWS, generated at start by the local stack).
 */
export function domainSecret(env: Env = process.env): string {
  const value = required(env, ENV.domainSecret);
  if (value.length < MIN_DOMAIN_SECRET_LENGTH) {
    throw new ConfigError(`${ENV.domainSecret} must be at least ${MIN_DOMAIN_SECRET_LENGTH} characters`);
  }
  return value;
}

/**
 * The operator console's admin token (MESH_ADMIN_TOKEN), at least 22
 * characters; unset, the console is off (its actions answer Unauthorized).
 */
export function adminToken(env: Env = process.env): string | undefined {
  const value = env[ENV.adminToken];
  if (value === undefined || value === '') return undefined;
  if (value.length < MIN_DOMAIN_SECRET_LENGTH) {
    throw new ConfigError(`${ENV.adminToken} must be at least ${MIN_DOMAIN_SECRET_LENGTH} characters`);
  }
  return value;
}

/**
 * The web origins allowed to connect (`https://school.example`, comma
 * separated), lowercased; empty: any. A malformed entry fails the cold start.
 */
export function allowedOrigins(env: Env = process.env): string[] {
  const raw = env[ENV.allowedOrigins] ?? '';
  const origins = raw
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== '');
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || parsed.origin !== origin) {
      throw new ConfigError(`${ENV.allowedOrigins}: "${origin}" is not an origin such as https://school.example`);
    }
  }
  return origins;
}

/** Characters an API key or an HS256 secret of the authorizer needs at least (128 bits of base64; 256 for HS256, RFC 7518 §3.2). */
export const MIN_API_KEY_LENGTH = 22;
export const MIN_JWT_SECRET_LENGTH = 32;

/** One API key of the authorizer: its holder's name (the connection's `sub`) and the key. */
export interface ApiKey {
  name: string;
  key: string;
}

/**
 * How the $connect authorizer checks a connection's credential (the `token`
 * query parameter). It is on when at least one way is set; all unset, the
 * mesh is open, as Mesh v2 is.
 */
export interface AuthSettings {
  /** MESH_AUTH_API_KEYS: `name:key` pairs, comma separated (a secret). */
  apiKeys: ApiKey[];
  /** MESH_AUTH_JWT_SECRET: the HS256 key of the JWTs an operator signs itself (a secret). */
  jwtSecret?: string;
  /** MESH_AUTH_JWKS_URL: where the RS256 public keys of an identity provider are published. */
  jwksUrl?: string;
  /** MESH_AUTH_JWT_ISSUER / MESH_AUTH_JWT_AUDIENCE: the `iss` and `aud` a JWT must carry, when set. */
  issuer?: string;
  audience?: string;
}

/** The authorizer's settings; a malformed one fails the cold start. */
export function authSettings(env: Env = process.env): AuthSettings {
  const optional = (name: string) => env[name]?.trim() || undefined;
  const apiKeys = (env[ENV.authApiKeys] ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry): ApiKey => {
      const colon = entry.indexOf(':');
      const name = entry.slice(0, colon).trim();
      const key = entry.slice(colon + 1).trim();
      // base64url only: the key travels in a query string, and a dot would make it look like a JWT.
      if (colon <= 0 || key.length < MIN_API_KEY_LENGTH || !/^[\w-]+$/.test(key)) {
        throw new ConfigError(
          `${ENV.authApiKeys}: each entry is name:key, the key at least ${MIN_API_KEY_LENGTH} base64url characters`,
        );
      }
      return { name, key };
    });
  const names = apiKeys.map((apiKey) => apiKey.name);
  if (new Set(names).size !== names.length) throw new ConfigError(`${ENV.authApiKeys}: a name is given twice`);
  const jwtSecret = optional(ENV.authJwtSecret);
  if (jwtSecret !== undefined && jwtSecret.length < MIN_JWT_SECRET_LENGTH) {
    throw new ConfigError(`${ENV.authJwtSecret} must be at least ${MIN_JWT_SECRET_LENGTH} characters`);
  }
  const jwksUrl = optional(ENV.authJwksUrl);
  if (jwksUrl !== undefined && !isJwksUrl(jwksUrl)) {
    throw new ConfigError(
      `${ENV.authJwksUrl} must be an https:// URL (http:// only for a server on the same machine), got "${jwksUrl}"`,
    );
  }
  return {
    apiKeys,
    jwtSecret,
    jwksUrl,
    issuer: optional(ENV.authJwtIssuer),
    audience: optional(ENV.authJwtAudience),
  };
}

/** Whether the authorizer checks connections: some way of checking is set. */
export function authorizerEnabled(settings: AuthSettings): boolean {
  return settings.apiKeys.length > 0 || settings.jwtSecret !== undefined || settings.jwksUrl !== undefined;
}

/** https, or http to this machine (a test's key server): keys fetched in the clear could be swapped on the way. */
function isJwksUrl(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.includes(url.hostname));
}
const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/** ARN of the SNS topic every push is published to. */
export function topicArn(env: Env = process.env): string {
  return required(env, ENV.topicArn);
}

/** `https://{apiId}.execute-api.{region}.amazonaws.com/{stage}` in AWS. */
export function managementEndpoint(env: Env = process.env): string {
  const value = required(env, ENV.managementEndpoint);
  try {
    new URL(value);
  } catch {
    throw new ConfigError(`${ENV.managementEndpoint} must be a URL, got "${value}"`);
  }
  return value;
}

/** The ENV key of each fan-out setting; the Pulumi program's `mesh:` keys have the same names. */
export const FANOUT_ENV = {
  windowMinMs: 'fanoutWindowMinMs',
  windowMaxMs: 'fanoutWindowMaxMs',
  staleFlushMs: 'fanoutStaleFlushMs',
  maxFlushMs: 'fanoutMaxFlushMs',
} as const satisfies Record<keyof FanoutSettings, keyof typeof ENV>;

/** How many PostToConnection calls the fan-out runs at once. */
export function fanoutConcurrency(env: Env = process.env): number {
  return Math.floor(positiveNumber(env, ENV.fanoutConcurrency, DEFAULT_FANOUT_CONCURRENCY));
}

/** How the fan-out gathers a group's pushes into rounds (shared/core/fanout/window.ts). */
export function fanoutSettings(env: Env = process.env): FanoutSettings {
  const settings = Object.fromEntries(
    (Object.keys(FANOUT_ENV) as (keyof FanoutSettings)[]).map((key) => [
      key,
      positiveNumber(env, ENV[FANOUT_ENV[key]], DEFAULT_FANOUT[key]),
    ]),
  ) as unknown as FanoutSettings;
  const [problem] = fanoutSettingsProblems(settings, (key) => ENV[FANOUT_ENV[key]]);
  if (problem !== undefined) throw new ConfigError(problem);
  return settings;
}

/** The MESH_* time settings, Mesh v2's defaults where unset. */
export function meshSettings(env: Env = process.env): MeshSettings {
  const settings = {} as MeshSettings;
  for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof MeshSettings)[]) {
    settings[key] = positiveNumber(env, ENV[key], DEFAULT_SETTINGS[key]);
  }
  if (settings.hostHeartbeatTtlSeconds < settings.hostHeartbeatIntervalSeconds) {
    throw new ConfigError(`${ENV.hostHeartbeatTtlSeconds} must not be below ${ENV.hostHeartbeatIntervalSeconds}`);
  }
  if (settings.memberHeartbeatTtlSeconds < settings.memberHeartbeatIntervalSeconds) {
    throw new ConfigError(`${ENV.memberHeartbeatTtlSeconds} must not be below ${ENV.memberHeartbeatIntervalSeconds}`);
  }
  return settings;
}
