/**
 * What the $connect authorizer's claims allow a connection. With the
 * authorizer off a caller has no principal and may use any domain, as in
 * Mesh v2. A principal whose credential names domains (a teacher's token for
 * one class) may use only those: every request naming another domain is
 * refused before it reads or writes anything, and createDomain answers the
 * first of them, so a program that asks the mesh for its domain lands in the
 * class's without being told.
 */
import { Unauthorized } from './errors';
import type { Caller } from './model';

/** Whether the caller's credential allows `domain` (any, with the authorizer off). */
export function isDomainAllowed(caller: Caller, domain: string): boolean {
  const allowed = caller.principal?.domains;
  return allowed === null || allowed === undefined || allowed.includes(domain);
}

/** Throws Unauthorized when the caller's credential does not allow `domain`. */
export function requireDomainAllowed(caller: Caller, domain: string): void {
  if (isDomainAllowed(caller, domain)) return;
  throw new Unauthorized(`this connection's credential does not allow domain "${domain}"`);
}

/** The domain a restricted credential puts its holder in, or undefined when it allows any. */
export function assignedDomain(caller: Caller): string | undefined {
  return caller.principal?.domains?.[0];
}
