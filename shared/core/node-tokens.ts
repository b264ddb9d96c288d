/**
 * Node tokens: the secret that makes a node someone's. Ids are public (the
 * list queries hand them out), so knowing one must not be enough to act as
 * that node. createGroup and joinGroup hand the creator of a node its token
 * once; the store keeps only its SHA-256. Acting as a live node from any
 * connection other than the one it is bound to (taking it over, a host's
 * createGroup repeat, a rejoin after a reconnect) needs the token.
 *
 * A plain hash, without salt or stretching, is enough: the token is 256
 * random bits, so nothing short of guessing it finds it from its hash, and a
 * leaked table gives no way to act as a node.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Unauthorized } from './errors';
import type { NodeRecord } from './model';
import type { IdGenerator } from './ports';

/** A token handed out now and the hash the node keeps. */
export interface IssuedNodeToken {
  nodeToken: string;
  tokenHash: string;
}

/** The hash stored for `token` (SHA-256, base64url). */
export function hashNodeToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

/** A new token for a node being created. */
export function issueNodeToken(ids: IdGenerator): IssuedNodeToken {
  const nodeToken = ids.nodeToken();
  return { nodeToken, tokenHash: hashNodeToken(nodeToken) };
}

/** Whether `presented` is `node`'s token; a node stored without a hash matches none. */
export function nodeTokenMatches(node: NodeRecord, presented: string | undefined): boolean {
  if (presented === undefined || node.tokenHash === '') return false;
  const expected = Buffer.from(node.tokenHash, 'base64url');
  const actual = createHash('sha256').update(presented, 'utf8').digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * The caller may act as `node` from its connection: it is bound to it, or it
 * presents the node's token (a takeover, a rejoin from a new connection).
 * Else Unauthorized, before anything is written.
 */
export function requireBoundOrToken(node: NodeRecord, connectionId: string, presented: string | undefined): void {
  if (node.connectionId === connectionId) return;
  if (nodeTokenMatches(node, presented)) return;
  throw new Unauthorized(
    presented === undefined
      ? `node "${node.nodeId}" is bound to another connection: acting as it from here needs its nodeToken`
      : `the nodeToken is not node "${node.nodeId}"'s`,
  );
}
