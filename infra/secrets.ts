/**
 * The deployment's secrets: `mesh:` keys set with `pulumi config set --secret`,
 * read as secret outputs so they stay encrypted in the stack's state and
 * masked in the CLI's output.
 *
 *   domainSecret   required: the key of createDomain's hash of a caller's
 *                  address (MESH_DOMAIN_SECRET); at least 22 characters, e.g.
 *                  `openssl rand -base64 32`. Changing it moves every school
 *                  to a new domain (docs/security.md says when to rotate).
 *   adminToken     optional: the operator console's credential
 *                  (MESH_ADMIN_TOKEN), at least 22 characters; unset, the
 *                  console's actions answer Unauthorized (docs/console.md).
 *   authApiKeys    optional: `name:key,...`, the API keys the $connect
 *                  authorizer accepts (MESH_AUTH_API_KEYS).
 *   authJwtSecret  optional: the HS256 key of the JWTs it accepts
 *                  (MESH_AUTH_JWT_SECRET).
 * Either optional one set turns the authorizer on (authorizerConfigured).
 */
import * as pulumi from '@pulumi/pulumi';
import { adminToken, authSettings, ENV, MIN_DOMAIN_SECRET_LENGTH } from '../shared/config';
import type { Secret } from '../shared/topology';
import { MeshConfigError, type MeshConfig } from './config';

/** The required secret, and the optional ones the stack has (unset ones absent). */
export type MeshSecrets = { domainSecret: pulumi.Output<string> } & Partial<Record<Secret, pulumi.Output<string>>>;

/** The `mesh:` key of each secret. */
export const SECRET_KEYS = {
  domainSecret: 'domainSecret',
  adminToken: 'adminToken',
  authApiKeys: 'authApiKeys',
  authJwtSecret: 'authJwtSecret',
} as const satisfies Record<Secret, string>;

/** A secret as the handler will check it on cold start, so a bad one fails the preview instead. */
function checkedDomainSecret(value: string): string {
  if (value.length < MIN_DOMAIN_SECRET_LENGTH) {
    throw new MeshConfigError(
      `mesh:${SECRET_KEYS.domainSecret} must be at least ${MIN_DOMAIN_SECRET_LENGTH} characters`,
    );
  }
  return value;
}

/** The console's admin token, checked as the request function will on cold start. */
export function checkedAdminToken(value: string): string {
  try {
    adminToken({ [ENV.adminToken]: value });
  } catch (error) {
    throw new MeshConfigError(`mesh:${SECRET_KEYS.adminToken}: ${(error as Error).message}`);
  }
  return value;
}

/** An authorizer secret, checked by the authorizer's own settings reader. */
export function checkedAuthSecret(key: 'authApiKeys' | 'authJwtSecret', value: string): string {
  try {
    authSettings({ [ENV[key]]: value });
  } catch (error) {
    throw new MeshConfigError(`mesh:${SECRET_KEYS[key]}: ${(error as Error).message}`);
  }
  return value;
}

/** Reads the stack's secrets (secret outputs); a missing domainSecret fails with Pulumi's "missing required configuration". */
export function readSecrets(config: pulumi.Config = new pulumi.Config('mesh')): MeshSecrets {
  const secrets: MeshSecrets = {
    domainSecret: config.requireSecret(SECRET_KEYS.domainSecret).apply(checkedDomainSecret),
  };
  for (const key of ['authApiKeys', 'authJwtSecret'] as const) {
    const value = config.getSecret(SECRET_KEYS[key]);
    if (value !== undefined) secrets[key] = value.apply((text) => checkedAuthSecret(key, text));
  }
  const admin = config.getSecret(SECRET_KEYS.adminToken);
  if (admin !== undefined) secrets.adminToken = admin.apply(checkedAdminToken);
  return secrets;
}

/** Whether the $connect authorizer is on: a JWKS URL, API keys or an HS256 secret is configured. */
export function authorizerConfigured(config: Pick<MeshConfig, 'authJwksUrl'>, secrets: MeshSecrets): boolean {
  return config.authJwksUrl !== '' || secrets.authApiKeys !== undefined || secrets.authJwtSecret !== undefined;
}
