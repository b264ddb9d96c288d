/**
 * How a client connects, when the deployment checks credentials at
 * $connect: the credential (an API key or a JWT) travels as one query
 * parameter of the WebSocket URL, since browsers cannot set headers on a
 * WebSocket. API Gateway's authorizer reads it from there (shared/topology.ts).
 */
export const CREDENTIAL_QUERY_PARAMETER = 'token';

/** `url` with `credential` as its credential parameter (replacing one already there). */
export function withCredential(url: string, credential: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set(CREDENTIAL_QUERY_PARAMETER, credential);
  return parsed.toString();
}
