/**
 * Checks the credential a client gives at $connect (the `token` query
 * parameter: browsers cannot set headers on a WebSocket) and says whom it
 * names. Three kinds, each on when configured (shared/config.ts's
 * AuthSettings):
 *   - an API key, for an operator's own programs: its name is the subject;
 *   - a JWT signed with the deployment's HS256 secret, for an operator who
 *     signs its schools' tokens itself;
 *   - a JWT signed RS256 by an identity provider, whose public keys are read
 *     from its JWKS URL. jose keeps them (10 minutes, and a key it does not
 *     know yet is looked up at most every 30 s), so a connection costs no
 *     fetch; the cache lives as long as the Lambda container.
 * A JWT needs `sub` and `exp`, and `iss` / `aud` when those are set; its
 * optional `mesh_domains` (an array of domains) restricts the connection to
 * them (shared/core/principals.ts).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import type { ApiKey, AuthSettings } from '#shared/config';
import type { Principal } from '#shared/core/model';
import { domainField } from '#shared/protocol/requests';

/** The JWT claim listing the domains a token allows. */
export const DOMAINS_CLAIM = 'mesh_domains';
/** The longest subject kept: it is logged and passed along with every event. */
const MAX_SUBJECT_LENGTH = 256;
/** Clock skew forgiven on `exp` and `nbf`. */
const CLOCK_TOLERANCE_SECONDS = 5;
/** How long one fetch of the JWKS may take: the upgrade waits for it. */
const JWKS_TIMEOUT_MS = 3_000;

/** The credential is missing, malformed, expired, or signed by nobody trusted: the client is refused (401). */
export class InvalidCredential extends Error {
  override name = 'InvalidCredential';
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

export class CredentialVerifier {
  private readonly keys: { name: string; hash: Buffer }[];
  private readonly hmacKey?: Uint8Array;
  private readonly jwks?: ReturnType<typeof createRemoteJWKSet>;

  constructor(private readonly settings: AuthSettings) {
    this.keys = settings.apiKeys.map((apiKey: ApiKey) => ({ name: apiKey.name, hash: sha256(apiKey.key) }));
    if (settings.jwtSecret !== undefined) this.hmacKey = new TextEncoder().encode(settings.jwtSecret);
    if (settings.jwksUrl !== undefined) {
      this.jwks = createRemoteJWKSet(new URL(settings.jwksUrl), { timeoutDuration: JWKS_TIMEOUT_MS });
    }
  }

  /** Whom the credential names; throws InvalidCredential when it names nobody, anything else when a key server fails. */
  async verify(token: string): Promise<Principal> {
    return isJwtShaped(token) ? this.verifyJwt(token) : this.verifyApiKey(token);
  }

  private verifyApiKey(token: string): Principal {
    // Hashes compared in constant time, every key every time: the answer's timing tells nothing of a key.
    const hash = sha256(token);
    let match: string | undefined;
    for (const key of this.keys) if (timingSafeEqual(key.hash, hash)) match ??= key.name;
    if (match === undefined) throw new InvalidCredential('not a key of this deployment');
    return { subject: match, domains: null };
  }

  private async verifyJwt(token: string): Promise<Principal> {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw new InvalidCredential('the JWT header is not readable');
    }
    const options = {
      issuer: this.settings.issuer,
      audience: this.settings.audience,
      requiredClaims: ['sub', 'exp'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    };
    let payload: JWTPayload;
    try {
      if (alg === 'HS256' && this.hmacKey !== undefined) {
        ({ payload } = await jwtVerify(token, this.hmacKey, { ...options, algorithms: ['HS256'] }));
      } else if (alg === 'RS256' && this.jwks !== undefined) {
        ({ payload } = await jwtVerify(token, this.jwks, { ...options, algorithms: ['RS256'] }));
      } else {
        throw new InvalidCredential(`JWTs signed ${String(alg)} are not accepted here`);
      }
    } catch (error) {
      throw refusal(error);
    }
    return principalOfClaims(payload);
  }
}

/** Three base64url parts: a JWS in compact form. API keys are one part (config.ts allows no dot in them). */
function isJwtShaped(token: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token);
}

/**
 * A verification failure as the client's refusal, or as it is when the key
 * server failed (a timeout, a network error): that is no fault of the
 * credential, and API Gateway answers it with 500, not 401.
 */
function refusal(error: unknown): Error {
  if (error instanceof InvalidCredential) return error;
  if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError)) return error as Error;
  return new InvalidCredential(`${error.code}: ${error.message}`);
}

function principalOfClaims(payload: JWTPayload): Principal {
  const subject = payload.sub!;
  if (subject === '' || subject.length > MAX_SUBJECT_LENGTH) {
    throw new InvalidCredential(`sub must have 1 to ${MAX_SUBJECT_LENGTH} characters`);
  }
  const claim = payload[DOMAINS_CLAIM];
  if (claim === undefined) return { subject, domains: null };
  const valid =
    Array.isArray(claim) && claim.length > 0 && claim.every((domain) => domainField.safeParse(domain).success);
  if (!valid) throw new InvalidCredential(`${DOMAINS_CLAIM} must be a non-empty array of domains`);
  return { subject, domains: claim as string[] };
}
