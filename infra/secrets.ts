/**
 * The deployment's secrets: `mesh:` keys set with `pulumi config set --secret`,
 * read as secret outputs so they stay encrypted in the stack's state and
 * masked in the CLI's output. They have no default: `pulumi preview` fails
 * until the stack has them.
 *
 *   domainSecret  the key of createDomain's hash of a caller's address
 *                 (MESH_DOMAIN_SECRET); at least 22 characters, e.g.
 *                 `openssl rand -base64 32`. Changing it moves every school
 *                 to a new domain (docs/security.md says when to rotate).
 */
import * as pulumi from '@pulumi/pulumi';
import { MIN_DOMAIN_SECRET_LENGTH } from '../shared/config';
import type { Secret } from '../shared/topology';
import { MeshConfigError } from './config';

export type MeshSecrets = Record<Secret, pulumi.Output<string>>;

/** The `mesh:` key of each secret. */
export const SECRET_KEYS = { domainSecret: 'domainSecret' } as const satisfies Record<Secret, string>;

/** A secret as the handler will check it on cold start, so a bad one fails the preview instead. */
function checkedDomainSecret(value: string): string {
  if (value.length < MIN_DOMAIN_SECRET_LENGTH) {
    throw new MeshConfigError(
      `mesh:${SECRET_KEYS.domainSecret} must be at least ${MIN_DOMAIN_SECRET_LENGTH} characters`,
    );
  }
  return value;
}

/** Reads the stack's secrets (secret outputs); a missing one fails with Pulumi's "missing required configuration". */
export function readSecrets(config: pulumi.Config = new pulumi.Config('mesh')): MeshSecrets {
  return { domainSecret: config.requireSecret(SECRET_KEYS.domainSecret).apply(checkedDomainSecret) };
}
