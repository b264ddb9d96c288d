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

describe('the authorizer secrets', () => {
  const domain = { 'mesh:domainSecret': 'a-domain-secret-of-the-secrets-test' };

  it('are absent when unset: the authorizer is then off', async () => {
    const { authorizerConfigured } = await import('../../infra/secrets');
    const secrets = secretsFrom(domain);

    expect(secrets.authApiKeys).toBeUndefined();
    expect(secrets.authJwtSecret).toBeUndefined();
    expect(authorizerConfigured({ authJwksUrl: '' }, secrets)).toBe(false);
    expect(authorizerConfigured({ authJwksUrl: 'https://id.example/jwks.json' }, secrets)).toBe(true);
  });

  it('are read as secret outputs when set, and either one turns the authorizer on', async () => {
    const { authorizerConfigured } = await import('../../infra/secrets');
    const secrets = secretsFrom({ ...domain, 'mesh:authApiKeys': 'ops:an-api-key-of-the-secrets-test-01' });

    expect(await pulumi.isSecret(secrets.authApiKeys!)).toBe(true);
    expect(await valueOf(secrets.authApiKeys!)).toBe('ops:an-api-key-of-the-secrets-test-01');
    expect(authorizerConfigured({ authJwksUrl: '' }, secrets)).toBe(true);
  });

  it('are checked as the authorizer will check them', async () => {
    const { checkedAuthSecret } = await import('../../infra/secrets');

    expect(() => checkedAuthSecret('authJwtSecret', 'too-short')).toThrow(
      /mesh:authJwtSecret: .*at least 32 characters/,
    );
    expect(() => checkedAuthSecret('authApiKeys', 'no-colon-here-and-long-enough')).toThrow(
      /mesh:authApiKeys: .*name:key/,
    );
    expect(checkedAuthSecret('authApiKeys', 'ops:an-api-key-of-the-secrets-test-01')).toBe(
      'ops:an-api-key-of-the-secrets-test-01',
    );
  });
});

describe("the console's admin token", () => {
  const domain = { 'mesh:domainSecret': 'a-domain-secret-of-the-secrets-test' };

  it('is absent when unset: the console is then off', () => {
    expect(secretsFrom(domain).adminToken).toBeUndefined();
  });

  it('is read as a secret output when set', async () => {
    const secrets = secretsFrom({ ...domain, 'mesh:adminToken': 'an-admin-token-of-the-secrets-test' });

    expect(await pulumi.isSecret(secrets.adminToken!)).toBe(true);
    expect(await valueOf(secrets.adminToken!)).toBe('an-admin-token-of-the-secrets-test');
  });

  it('is checked as the request function will check it, naming the key', async () => {
    const { checkedAdminToken } = await import('../../infra/secrets');

    expect(() => checkedAdminToken('too-short')).toThrow(/mesh:adminToken: .*at least 22 characters/);
    expect(checkedAdminToken('an-admin-token-of-the-secrets-test')).toBe('an-admin-token-of-the-secrets-test');
  });
});
