/**
 * The deployment's secrets: `mesh:` keys set with `pulumi config set --secret`,
 * read as secret outputs so they stay encrypted in the stack's state and
 * masked in the CLI's output.
 *
 *   domainSecret   required: the key of createDomain's hash of a caller's
 *                  address (MESH_DOMAIN_SECRET); at least 22 characters, e.g.
 *                  `openssl rand -base64 32`. Changing it moves every school
 *                  to a new domain (docs/security.md says when to rotate).
 *   authApiKeys    optional: `name:key,...`, the API keys the $connect
 *                  authorizer accepts (MESH_AUTH_API_KEYS).
 *   authJwtSecret  optional: the HS256 key of the JWTs it accepts
 *                  (MESH_AUTH_JWT_SECRET).
 * Either optional one set turns the authorizer on (authorizerConfigured).
 */
import * as pulumi from '@pulumi/pulumi';
import { authSettings, ENV, MIN_DOMAIN_SECRET_LENGTH } from '../shared/config';
import type { Secret } from '../shared/topology';
import { MeshConfigError, type MeshConfig } from './config';

/** The required secret, and the optional ones the stack has (unset ones absent). */
export type MeshSecrets = { domainSecret: pulumi.Output<string> } & Partial<Record<Secret, pulumi.Output<string>>>;

/** The `mesh:` key of each secret. */
export const SECRET_KEYS = {
  domainSecret: 'domainSecret',
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
  return secrets;
}

/** Whether the $connect authorizer is on: a JWKS URL, API keys or an HS256 secret is configured. */
export function authorizerConfigured(config: Pick<MeshConfig, 'authJwksUrl'>, secrets: MeshSecrets): boolean {
  return config.authJwksUrl !== '' || secrets.authApiKeys !== undefined || secrets.authJwtSecret !== undefined;
}
