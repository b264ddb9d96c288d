/**
 * The stack's secrets: read as secret outputs, required (no default), and
 * checked as the handler will check them.
 */
import * as pulumi from '@pulumi/pulumi';
import { readSecrets } from '../../infra/secrets';
import { valueOf } from './mocks';

function secretsFrom(values: Record<string, string>) {
  pulumi.runtime.setAllConfig(values, Object.keys(values));
  return readSecrets(new pulumi.Config('mesh'));
}

describe('mesh secrets', () => {
  it('reads mesh:domainSecret as a secret output', async () => {
    const secrets = secretsFrom({ 'mesh:domainSecret': 'a-domain-secret-of-the-secrets-test' });

    expect(await pulumi.isSecret(secrets.domainSecret)).toBe(true);
    expect(await valueOf(secrets.domainSecret)).toBe('a-domain-secret-of-the-secrets-test');
  });

  it('refuses a stack without mesh:domainSecret, naming the key', () => {
    expect(() => secretsFrom({})).toThrow(/domainSecret/);
  });
});
