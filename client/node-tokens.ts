/**
 * This node's secrets: the nodeToken the server handed out when the node was
 * created, kept so that a rejoin from a new socket (a reconnect) or a new
 * page (a reload, with `storage`) can act as the same node. The server needs
 * the token for that; the node's id alone is public.
 *
 * Kept in memory always, and in `storage` when the program gives one (a Web
 * Storage such as `sessionStorage`, or anything with the same three methods).
 * A storage that throws (a full quota, a browser that forbids it) only loses
 * the reload; the client goes on from memory.
 */

/** The part of the Web Storage API the client uses (`sessionStorage`, `localStorage`). */
export interface TokenStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * Which node a token is for. A host's is found by domain and host id, as
 * `createGroup` finds its group; a member's by its group.
 */
export type TokenSlot =
  | { role: 'host'; domain: string; nodeId: string }
  | { role: 'member'; domain: string; groupId: string; nodeId: string };

/** Every key the client writes starts with this. */
export const STORAGE_PREFIX = 'mesh-ws:';
const NODE_ID_KEY = `${STORAGE_PREFIX}nodeId`;

function keyOf(slot: TokenSlot): string {
  const parts = slot.role === 'host' ? [slot.domain, slot.nodeId] : [slot.domain, slot.groupId, slot.nodeId];
  return `${STORAGE_PREFIX}${slot.role}:${JSON.stringify(parts)}`;
}

export class NodeTokens {
  private readonly memory = new Map<string, string>();

  constructor(private readonly storage?: TokenStorage) {}

  /** The token kept for `slot`, if any. */
  get(slot: TokenSlot): string | undefined {
    const key = keyOf(slot);
    return this.memory.get(key) ?? this.read(key);
  }

  keep(slot: TokenSlot, token: string): void {
    const key = keyOf(slot);
    this.memory.set(key, token);
    this.attempt(() => this.storage?.setItem(key, token));
  }

  /** The node is gone for good (left, dissolved, expired, refused): its token is worth nothing. */
  forget(slot: TokenSlot): void {
    const key = keyOf(slot);
    this.memory.delete(key);
    this.attempt(() => this.storage?.removeItem(key));
  }

  /**
   * The node id an earlier page kept in `storage`, or else `fresh()`, kept
   * for the next page. Without storage, `fresh()`.
   */
  nodeId(fresh: () => string): string {
    const kept = this.read(NODE_ID_KEY);
    if (kept) return kept;
    const id = fresh();
    this.attempt(() => this.storage?.setItem(NODE_ID_KEY, id));
    return id;
  }

  private read(key: string): string | undefined {
    let value: string | null | undefined;
    this.attempt(() => (value = this.storage?.getItem(key)));
    return value ?? undefined;
  }

  private attempt(use: () => unknown): void {
    try {
      use();
    } catch {
      // See the header: memory still holds what matters for this page.
    }
  }
}
