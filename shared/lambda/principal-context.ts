/**
 * How a connection's principal travels from the $connect authorizer to every
 * later event of the connection. API Gateway keeps the authorizer's answer
 * for the connection's life and puts it in each event's
 * `requestContext.authorizer`: the policy's `principalId`, beside the
 * `context` map, whose values can only be strings, numbers or booleans. So
 * the domains go as one JSON string, empty when the credential allows any.
 * One definition for both ends: handlers/authorize.ts writes it,
 * events.ts's callerOf reads it.
 */
import type { Principal } from '#shared/core/model';

/**
 * The authorizer's `context` map of a principal. Its `principalId` is the
 * subject; the subject is in the map too, since an HTTP API hands a Lambda
 * integration the map alone (`requestContext.authorizer.lambda`).
 */
export function principalContext(principal: Principal): { subject: string; domains: string } {
  return { subject: principal.subject, domains: principal.domains === null ? '' : JSON.stringify(principal.domains) };
}

/** The principal of `requestContext.authorizer`, or undefined when no authorizer ran; throws on a malformed one. */
export function principalOf(authorizer: unknown): Principal | undefined {
  if (authorizer === undefined || authorizer === null) return undefined;
  const { principalId, domains } = authorizer as { principalId?: unknown; domains?: unknown };
  if (typeof principalId !== 'string' || typeof domains !== 'string') {
    throw new TypeError('requestContext.authorizer lacks the principalId and domains its authorizer sets');
  }
  if (domains === '') return { subject: principalId, domains: null };
  const parsed: unknown = JSON.parse(domains);
  if (!Array.isArray(parsed) || !parsed.every((domain) => typeof domain === 'string')) {
    throw new TypeError('requestContext.authorizer.domains is not a JSON array of strings');
  }
  return { subject: principalId, domains: parsed };
}
