/**
 * The opened group's members as the console shows them: each node's status
 * (full answers of watchGroup, merged with the `nodeStatus` deltas pushed
 * between them), whether it is still in the group, and the last events it
 * fired. Pure: it is fed answers and pushes and says what to show.
 *
 * Pushes come at least once and, across senders, in no fixed order, and a
 * renewal's full answer may have been read before a push that arrives ahead
 * of it. So each key remembers the time of the value shown, and an older
 * value (a late delta, or a snapshot read before it) never replaces a newer.
 */
import type { Push } from '#shared/protocol/messages';
import type { BatchEvent, NodePresence, NodeStatus, PresenceChange } from '#shared/protocol/types';
import { DEPARTURES } from '#shared/protocol/types';

/** The group the board shows. */
export interface GroupRef {
  groupId: string;
  domain: string;
}

/** One member as shown: `presence` is 'present' until a departure is pushed. */
export interface MemberStatus {
  nodeId: string;
  values: Record<string, string>;
  /** The newest status time shown (ISO 8601), null before any status. */
  updatedAt: string | null;
  presence: 'present' | Exclude<PresenceChange, 'joined'>;
  /** When the presence last changed (ISO 8601), null if never pushed. */
  presenceAt: string | null;
  /** The last event batch the node fired while the board was open. */
  lastEvents: string[];
  lastEventsAt: string | null;
}

interface Member {
  nodeId: string;
  values: Map<string, { value: string; at: number }>;
  updatedAt: number | null;
  presence: MemberStatus['presence'];
  presenceAt: number | null;
  lastEvents: string[];
  lastEventsAt: number | null;
}

function timeOf(iso: string): number {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : 0;
}

function isoOf(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export class StatusBoard {
  private readonly members = new Map<string, Member>();
  /** The dissolve message, once the group is dissolved. */
  dissolved: string | null = null;

  constructor(readonly group: GroupRef) {}

  /** Whether a push (or answer) is about this board's group. */
  isAbout(ref: GroupRef): boolean {
    return ref.groupId === this.group.groupId && ref.domain === this.group.domain;
  }

  /**
   * A watchGroup answer: every live node's full status. A node departed and
   * absent from it is gone for good and leaves the board; a present node
   * absent from it has only reported nothing yet, and stays.
   */
  applySnapshot(statuses: readonly NodeStatus[]): void {
    const listed = new Set<string>();
    for (const status of statuses) {
      if (!this.isAbout(status)) continue;
      listed.add(status.nodeId);
      const member = this.merge(status);
      // Listed with a status newer than its departure: it came back before the answer was read.
      if (member.presence !== 'present' && (member.presenceAt ?? 0) < timeOf(status.timestamp)) {
        member.presence = 'present';
      }
    }
    this.forgetDepartedExcept(listed);
  }

  /** The mesh snapshot's node list for this group: live nodes, with or without a status. */
  applyNodes(nodeIds: readonly string[]): void {
    const listed = new Set(nodeIds);
    for (const nodeId of nodeIds) this.member(nodeId);
    this.forgetDepartedExcept(listed);
  }

  /** One pushed frame's push; returns whether it changed the board. */
  applyPush(push: Push): boolean {
    if (!this.isAbout(push)) return false;
    if ('nodeStatus' in push) {
      this.merge(push.nodeStatus);
      return true;
    }
    if ('nodePresence' in push) {
      this.presence(push.nodePresence);
      return true;
    }
    if ('batchEvent' in push) {
      this.events(push.batchEvent);
      return true;
    }
    if ('groupDissolve' in push) {
      this.dissolved = push.groupDissolve.message;
      return true;
    }
    return false;
  }

  /** Every member, by node id. */
  list(): MemberStatus[] {
    return [...this.members.values()]
      .sort((a, b) => a.nodeId.localeCompare(b.nodeId))
      .map((member) => ({
        nodeId: member.nodeId,
        values: Object.fromEntries([...member.values].map(([key, entry]) => [key, entry.value])),
        updatedAt: isoOf(member.updatedAt),
        presence: member.presence,
        presenceAt: isoOf(member.presenceAt),
        lastEvents: [...member.lastEvents],
        lastEventsAt: isoOf(member.lastEventsAt),
      }));
  }

  private member(nodeId: string): Member {
    let member = this.members.get(nodeId);
    if (member === undefined) {
      member = {
        nodeId,
        values: new Map(),
        updatedAt: null,
        presence: 'present',
        presenceAt: null,
        lastEvents: [],
        lastEventsAt: null,
      };
      this.members.set(nodeId, member);
    }
    return member;
  }

  /** Merges a status's keys, each only over an older value; a full status and a delta merge alike. */
  private merge(status: NodeStatus): Member {
    const member = this.member(status.nodeId);
    const at = timeOf(status.timestamp);
    for (const { key, value } of status.data) {
      const shown = member.values.get(key);
      if (shown === undefined || shown.at <= at) member.values.set(key, { value, at });
    }
    member.updatedAt = Math.max(member.updatedAt ?? 0, at);
    return member;
  }

  private presence(change: NodePresence): void {
    const member = this.member(change.nodeId);
    const at = timeOf(change.timestamp);
    if (member.presenceAt !== null && member.presenceAt > at) return;
    member.presenceAt = at;
    if (change.change === 'joined') {
      // A node that joins anew starts with an empty status: what it had before it left is not its status now.
      for (const [key, entry] of member.values) if (entry.at < at) member.values.delete(key);
      member.presence = 'present';
    } else if (DEPARTURES.includes(change.change)) {
      member.presence = change.change;
    }
  }

  private events(batch: BatchEvent): void {
    const member = this.member(batch.firedByNodeId);
    member.lastEvents = batch.events.map((event) => event.name);
    member.lastEventsAt = timeOf(batch.timestamp);
  }

  private forgetDepartedExcept(listed: Set<string>): void {
    for (const [nodeId, member] of this.members) {
      if (member.presence !== 'present' && !listed.has(nodeId)) this.members.delete(nodeId);
    }
  }
}
