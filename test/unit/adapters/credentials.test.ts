/**
 * The credential check of the $connect authorizer without a key server: API
 * keys and HS256 JWTs, the claims they must carry, and what counts as a
 * refusal (InvalidCredential, a 401) rather than a failure (a 500). RS256
 * with a JWKS server is tested against a real one on the local stack
 * (test/integration/acceptance/authorizer.test.ts).
 */
import { SignJWT, UnsecuredJWT } from 'jose';
import { CredentialVerifier, InvalidCredential } from '#shared/adapters/auth/credentials';
import type { AuthSettings } from '#shared/config';

const SECRET = 'an-hs256-secret-of-the-credential-tests-0123';
const KEY = 'a-key-of-the-credential-tests-0123456789';
const settings: AuthSettings = { apiKeys: [{ name: 'ops', key: KEY }], jwtSecret: SECRET };
const verifier = new CredentialVerifier(settings);

function jwt(claims: Record<string, unknown> = {}) {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' });
}
const sign = (token: SignJWT, secret = SECRET) => token.sign(new TextEncoder().encode(secret));
const valid = () => jwt().setSubject('teacher-7').setExpirationTime('5m');

describe('API keys', () => {
  it("name the key's holder, with any domain", async () => {
    await expect(verifier.verify(KEY)).resolves.toEqual({ subject: 'ops', domains: null });
  });

  it('refuse any other key', async () => {
    await expect(verifier.verify(`${KEY}x`)).rejects.toBeInstanceOf(InvalidCredential);
    await expect(verifier.verify('short')).rejects.toBeInstanceOf(InvalidCredential);
  });
});

describe('HS256 JWTs', () => {
  it('name their sub, with any domain when they list none', async () => {
    await expect(verifier.verify(await sign(valid()))).resolves.toEqual({ subject: 'teacher-7', domains: null });
  });

  it('restrict the connection to the domains of mesh_domains', async () => {
    const token = await sign(
      jwt({ mesh_domains: ['class-5b', 'class-5c'] })
        .setSubject('t')
        .setExpirationTime('5m'),
    );

    await expect(verifier.verify(token)).resolves.toEqual({ subject: 't', domains: ['class-5b', 'class-5c'] });
  });

  it.each([
    ['an empty list', []],
    ['not a list', 'class-5b'],
    ['a domain that is no string', [5]],
    ['a domain longer than the protocol takes', ['d'.repeat(300)]],
  ])('refuse mesh_domains that is %s', async (_what, domains) => {
    const token = await sign(jwt({ mesh_domains: domains }).setSubject('t').setExpirationTime('5m'));

    await expect(verifier.verify(token)).rejects.toBeInstanceOf(InvalidCredential);
  });

  it('refuse a token signed with another secret', async () => {
    const token = await sign(valid(), 'another-secret-of-the-credential-tests-000');

    await expect(verifier.verify(token)).rejects.toThrow(InvalidCredential);
  });

  it('refuse an expired token, and one without exp or sub', async () => {
    const expired = await sign(
      jwt()
        .setSubject('t')
        .setExpirationTime(Math.floor(Date.now() / 1000) - 60),
    );
    const forever = await sign(jwt().setSubject('t'));
    const nobody = await sign(jwt().setExpirationTime('5m'));

    for (const token of [expired, forever, nobody]) {
      await expect(verifier.verify(token)).rejects.toBeInstanceOf(InvalidCredential);
    }
  });

  it('refuse an unsigned token (alg "none") and an RS256 one when no JWKS URL is set', async () => {
    const unsigned = new UnsecuredJWT({ sub: 't' }).setExpirationTime('5m').encode();
    const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT' })).toString('base64url');
    const rs256 = `${header}.${(await sign(valid())).split('.').slice(1).join('.')}`;

    await expect(verifier.verify(unsigned)).rejects.toThrow(/JWTs signed none are not accepted/);
    await expect(verifier.verify(rs256)).rejects.toThrow(/JWTs signed RS256 are not accepted/);
  });

  it('check iss and aud when the deployment sets them', async () => {
    const strict = new CredentialVerifier({ ...settings, issuer: 'https://id.example/', audience: 'mesh' });
    const right = await sign(valid().setIssuer('https://id.example/').setAudience('mesh'));
    const wrong = await sign(valid().setIssuer('https://evil.example/').setAudience('mesh'));

    await expect(strict.verify(right)).resolves.toMatchObject({ subject: 'teacher-7' });
    await expect(strict.verify(wrong)).rejects.toBeInstanceOf(InvalidCredential);
    await expect(strict.verify(await sign(valid()))).rejects.toBeInstanceOf(InvalidCredential);
  });

  it('are not accepted when the deployment has only API keys', async () => {
    const keysOnly = new CredentialVerifier({ apiKeys: settings.apiKeys });

    await expect(keysOnly.verify(await sign(valid()))).rejects.toThrow(/JWTs signed HS256 are not accepted/);
  });
});

it('refuses garbage that looks like a JWT', async () => {
  await expect(verifier.verify('a.b.c')).rejects.toBeInstanceOf(InvalidCredential);
});
