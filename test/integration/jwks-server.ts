/**
 * An identity provider's key endpoint for the authorizer's tests: an HTTP
 * server on loopback publishing one RS256 public key as a JWKS, counting how
 * often it is fetched, and signing tokens with the matching private key.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';

export interface JwksServer {
  /** `http://127.0.0.1:{port}/jwks.json` */
  url: string;
  /** Requests the JWKS answered so far. */
  fetches(): number;
  /** A JWT signed with the published key (or another one under the same key id, `forged`). */
  sign(claims: JWTPayload, options?: { forged?: boolean; expiresIn?: string }): Promise<string>;
  stop(): Promise<void>;
}

const KEY_ID = 'mesh-test-key-1';

export async function startJwksServer(): Promise<JwksServer> {
  const published = await generateKeyPair('RS256');
  const other = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(published.publicKey)), kid: KEY_ID, alg: 'RS256', use: 'sig' };
  let fetches = 0;
  const server = http.createServer((req, res) => {
    if (req.url !== '/jwks.json') return void res.writeHead(404).end();
    fetches += 1;
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    fetches: () => fetches,
    sign: (claims, options = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: KEY_ID })
        .setExpirationTime(options.expiresIn ?? '5m')
        .sign((options.forged ? other : published).privateKey),
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
