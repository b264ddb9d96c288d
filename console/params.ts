/**
 * Where the console connects and with which token: read from the page's
 * `location.hash` (`#wsUrl=…&adminToken=…&statsUrl=…`, each value
 * URL-encoded), else from what the connect form saved in sessionStorage.
 * The hash and not the query, so the token is never sent to the server that
 * serves the page, nor written to its access log.
 */

export interface ConsoleParams {
  /** The WebSocket endpoint, e.g. `wss://…/prod` or `ws://127.0.0.1:3001`. */
  wsUrl: string;
  /** The deployment's admin token (MESH_ADMIN_TOKEN). */
  adminToken: string;
  /** The local stack's `GET /_local/stats`; absent in AWS. */
  statsUrl?: string;
}

/** The sessionStorage key of what the connect form saved. */
export const STORAGE_KEY = 'mesh-console';

/** What a hash names, each field absent when empty. */
export function parseHash(hash: string): Partial<ConsoleParams> {
  const query = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  const found: Partial<ConsoleParams> = {};
  for (const name of ['wsUrl', 'adminToken', 'statsUrl'] as const) {
    const value = query.get(name)?.trim();
    if (value) found[name] = value;
  }
  return found;
}

/** A hash naming the parameters, the inverse of parseHash. */
export function hashOf(params: Partial<ConsoleParams>): string {
  const query = new URLSearchParams();
  for (const name of ['wsUrl', 'adminToken', 'statsUrl'] as const) {
    const value = params[name];
    if (value) query.set(name, value);
  }
  return `#${query.toString()}`;
}

/** What sessionStorage holds, or nothing when it holds something unreadable. */
export function parseStored(text: string | null): Partial<ConsoleParams> {
  if (text === null) return {};
  try {
    const stored = JSON.parse(text) as Record<string, unknown>;
    const found: Partial<ConsoleParams> = {};
    for (const name of ['wsUrl', 'adminToken', 'statsUrl'] as const) {
      const value = stored[name];
      if (typeof value === 'string' && value !== '') found[name] = value;
    }
    return found;
  } catch {
    return {};
  }
}

/**
 * The parameters to start with: the hash's, each one it leaves out taken
 * from storage, provided storage's are for the same WebSocket URL (a token
 * saved for one deployment is not tried on another). Null when there is
 * still no WebSocket URL or token: the page then asks for them.
 */
export function resolveParams(
  fromHash: Partial<ConsoleParams>,
  fromStorage: Partial<ConsoleParams>,
): ConsoleParams | null {
  const sameDeployment = fromHash.wsUrl === undefined || fromHash.wsUrl === fromStorage.wsUrl;
  const merged = sameDeployment ? { ...fromStorage, ...fromHash } : fromHash;
  if (!merged.wsUrl || !merged.adminToken) return null;
  return merged.statsUrl
    ? { wsUrl: merged.wsUrl, adminToken: merged.adminToken, statsUrl: merged.statsUrl }
    : { wsUrl: merged.wsUrl, adminToken: merged.adminToken };
}
