/**
 * Pages of `listGroupStatuses` and `listNodesInGroup`. A page is cut by bytes,
 * not by count, because a node's status can be anything from a few bytes to
 * 16 KB: the reply must stay under API Gateway's 128 KB message limit. The
 * `nextToken` is the base64url of the last node id examined, so the next page
 * resumes right after it; clients treat it as opaque.
 */
import { LIMITS, utf8Bytes } from '../protocol/limits';
import { ValidationError } from './errors';
import type { GroupKey, NodeRecord } from './model';
import type { MeshStore } from './ports';

/** One page of a list reply. */
export interface Page<T> {
  data: T[];
  /** Present when more may follow: pass it back to read the next page. */
  nextToken?: string;
}

/** Nodes read from the store per call; a page usually needs one call (40 nodes per group). */
const STORE_PAGE = 100;

/** The opaque token that resumes a listing after `nodeId`. */
export function encodeToken(nodeId: string): string {
  return Buffer.from(nodeId, 'utf8').toString('base64url');
}

/**
 * The node id a token resumes after. ValidationError when the token is not one
 * this module made (a client must not craft them, and a bad one must not reach
 * the store).
 */
export function decodeToken(token: string): string {
  const nodeId = /^[A-Za-z0-9_-]+$/.test(token) ? Buffer.from(token, 'base64url').toString('utf8') : '';
  const valid = nodeId.length > 0 && nodeId.length <= LIMITS.maxNodeIdLength && encodeToken(nodeId) === token;
  if (!valid) throw new ValidationError('nextToken is not valid');
  return nodeId;
}

/**
 * Reads the group's nodes in id order from `nextToken` on and presents each;
 * `present` returns undefined for a node the list leaves out (expired, no
 * status). Items are added while the JSON array stays within `maxBytes`; a page
 * always holds at least one item so that a listing always moves on.
 */
export async function pageNodes<T>(
  store: MeshStore,
  key: GroupKey,
  nextToken: string | undefined,
  present: (node: NodeRecord) => T | undefined,
  maxBytes: number = LIMITS.maxListPageBytes,
): Promise<Page<T>> {
  let after = nextToken === undefined ? undefined : decodeToken(nextToken);
  const data: T[] = [];
  let bytes = 2; // "[]"
  for (;;) {
    const { nodes, more } = await store.listNodes(key, { after, limit: STORE_PAGE });
    for (const node of nodes) {
      const item = present(node);
      if (item !== undefined) {
        const size = utf8Bytes(JSON.stringify(item)) + (data.length > 0 ? 1 : 0);
        // `after` is defined here: a full page has at least one item before this node.
        if (data.length > 0 && bytes + size > maxBytes) return { data, nextToken: encodeToken(after as string) };
        data.push(item);
        bytes += size;
      }
      after = node.nodeId;
    }
    if (!more || nodes.length === 0) return { data };
  }
}

/** Every node of the group, in node id order (stored, live or not: the caller filters). */
export async function allNodesOf(store: MeshStore, key: GroupKey): Promise<NodeRecord[]> {
  const nodes: NodeRecord[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.listNodes(key, { after, limit: STORE_PAGE });
    nodes.push(...page.nodes);
    if (!page.more || page.nodes.length === 0) return nodes;
    after = page.nodes[page.nodes.length - 1].nodeId;
  }
}
