/**
 * Who is in the group, as this client knows it: loaded whole
 * (listNodesInGroup) on entering and after a reconnect, and kept current by
 * presence pushes in between. A node is announced once when it comes and once
 * when it goes, however the client learnt it: a push, or a reload that found
 * it came or went while the client was away (`resynced`). The first load
 * announces nobody: `members()` has them.
 */
import type { NodePresence, PresenceChange } from '#shared/protocol/types';

/** How a member came or went: a presence push's change, or `resynced` when a reload of the member list showed it. */
export type MemberChange = Omit<NodePresence, 'change'> & { change: PresenceChange | 'resynced' };

export interface RosterOptions {
  /** This node: it is a member, never announced to itself. */
  nodeId: string;
  onJoin: (change: MemberChange) => void;
  onLeave: (change: MemberChange) => void;
}

export interface RosterGroup {
  groupId: string;
  domain: string;
}

export class Roster {
  private members = new Set<string>();
  private loaded = false;
  /** Presence changes that came while a load was on its way: they are newer than its answer may be. */
  private sinceLoad: NodePresence[] | null = null;

  constructor(private readonly options: RosterOptions) {}

  /** Every node of the group, this one included (a host that just created it has no list loaded), by id. */
  list(): string[] {
    return [...new Set([...this.members, this.options.nodeId])].sort();
  }

  /** A load of the member list starts: changes from now on are replayed over its answer. */
  beginLoad(): void {
    this.sinceLoad = [];
  }

  /** The load failed: nothing to replay. */
  abortLoad(): void {
    this.sinceLoad = null;
  }

  /** The member list as loaded; the changes pushed meanwhile win over it. */
  load(nodeIds: string[], group: RosterGroup): void {
    const next = new Set(nodeIds);
    for (const change of this.sinceLoad ?? []) {
      if (change.change === 'joined') next.add(change.nodeId);
      else next.delete(change.nodeId);
    }
    this.sinceLoad = null;
    const announce = this.loaded;
    const previous = this.members;
    this.members = next;
    this.loaded = true;
    if (!announce) return;
    const resynced = (nodeId: string): MemberChange => ({
      ...group,
      nodeId,
      change: 'resynced',
      timestamp: new Date().toISOString(),
    });
    for (const nodeId of previous) if (!next.has(nodeId)) this.options.onLeave(resynced(nodeId));
    for (const nodeId of next)
      if (!previous.has(nodeId) && nodeId !== this.options.nodeId) this.options.onJoin(resynced(nodeId));
  }

  /** A presence push, in its sender's order. */
  apply(change: NodePresence): void {
    this.sinceLoad?.push(change);
    if (change.nodeId === this.options.nodeId) return;
    if (change.change === 'joined') {
      if (this.members.has(change.nodeId)) return;
      this.members.add(change.nodeId);
      this.options.onJoin(change);
    } else if (this.members.delete(change.nodeId)) {
      this.options.onLeave(change);
    }
  }

  /** Forgets the group (entering or leaving one). */
  reset(): void {
    this.members = new Set();
    this.loaded = false;
    this.sinceLoad = null;
  }
}
