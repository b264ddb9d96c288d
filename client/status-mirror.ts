/**
 * The remote side of the group, as this client sees it: every other node's
 * status (kept current from pushes and full snapshots) and the pushes
 * themselves, put in order and de-duplicated (receiver.ts), events replayed
 * with their spacing (replay.ts), re-sent batches dropped, and who is in the
 * group (roster.ts). It only listens: what it learns leaves through the
 * callbacks (status, event, dissolve, join, leave).
 */
import type { Push } from '#shared/protocol/messages';
import type {
  BatchEvent,
  GroupDissolvePayload,
  MeshEvent,
  NodePresence,
  NodeStatus,
  SenderSeq,
} from '#shared/protocol/types';
import { BatchDeduplicator, PushReceiver, RECEIVER_DEFAULTS } from './receiver';
import type { MeshClientStats } from './options';
import { type MemberChange, Roster } from './roster';
import { EventReplayer, REPLAY_DEFAULTS, type ReplayMode } from './replay';

export interface StatusMirrorOptions {
  /** This node: its own pushes are ignored. */
  nodeId: string;
  gapTimeoutMs?: number;
  eventReplay?: ReplayMode;
  maxReplayLagMs?: number;
  onStatus: (nodeId: string, changes: Record<string, string>, all: Record<string, string>) => void;
  onEvent: (event: MeshEvent) => void;
  onDissolve: (payload: GroupDissolvePayload) => void;
  onJoin: (change: MemberChange) => void;
  onLeave: (change: MemberChange) => void;
}

/** The group a push must be about to count. */
export interface GroupRef {
  groupId: string;
  domain: string;
}

/** Pushes kept for a join whose reply has not come: far more than a group sends in the reply's round trip. */
const MAX_EARLY_PUSHES = 1000;

export class StatusMirror {
  private readonly remote = new Map<string, Record<string, string>>();
  /** The timestamp of each node's newest status seen, so an old snapshot cannot undo a newer push. */
  private readonly remoteAt = new Map<string, number>();
  private readonly receiver: PushReceiver;
  private readonly copies = new BatchDeduplicator();
  private readonly replayer: EventReplayer;
  /** Who is in the group. */
  readonly roster: Roster;
  pushesReceived = 0;
  /** The highest log position among the pushes of the current group; null before the first. */
  lastPos: number | null = null;
  /** The log's end when the node entered the group (`anchor`): a catch-up never reads below it. */
  floorPos: number | null = null;
  /** Live pushes that came while a catch-up reads the log: let in after it, in order. */
  private held: Push[] | null = null;
  /** Pushes of the group a join is waiting on, come before its reply (`entering`). */
  private early: { group: GroupRef; pushes: Push[] } | null = null;

  constructor(private readonly options: StatusMirrorOptions) {
    this.receiver = new PushReceiver({
      gapTimeoutMs: options.gapTimeoutMs ?? RECEIVER_DEFAULTS.gapTimeoutMs,
      deliver: (push) => this.deliver(push),
    });
    this.roster = new Roster({
      nodeId: options.nodeId,
      onJoin: options.onJoin,
      onLeave: (change) => {
        this.forget(change.nodeId);
        options.onLeave(change);
      },
    });
    this.replayer = new EventReplayer({
      mode: options.eventReplay ?? REPLAY_DEFAULTS.mode,
      maxLagMs: options.maxReplayLagMs ?? REPLAY_DEFAULTS.maxLagMs,
      emit: options.onEvent,
    });
  }

  /** Every remote node's status, as `{ nodeId: { key: value } }` (a copy). */
  snapshot(): Record<string, Record<string, string>> {
    const copy: Record<string, Record<string, string>> = {};
    for (const [nodeId, data] of this.remote) copy[nodeId] = { ...data };
    return copy;
  }

  /** The mirror's part of MeshClient.stats(). */
  counters(): Pick<MeshClientStats, 'pushesReceived' | 'duplicatesDropped' | 'batchCopiesDropped' | 'seqsSkipped'> {
    return {
      pushesReceived: this.pushesReceived,
      duplicatesDropped: this.receiver.duplicatesDropped,
      batchCopiesDropped: this.copies.copiesDropped,
      seqsSkipped: this.receiver.seqsSkipped,
    };
  }

  /** A push from the server; counted always, used only when it is about `group` and not our own. */
  receive(push: Push, group: GroupRef | null): void {
    this.pushesReceived += 1;
    if (!group) return this.keepEarly(push);
    this.use(push, group);
  }

  /**
   * Runs a join's request to `group`. The server subscribes the node before it
   * answers, and pushes take another path than the reply, so the first pushes
   * of the others can come before it: they are kept and returned with the
   * reply, for `admitEarly` once the reply's `senders` have primed the
   * receiver. Dropping them would leave the receiver waiting the gap timeout
   * for each sender's next push.
   */
  async entering<T>(group: GroupRef, join: () => Promise<T>): Promise<{ reply: T; early: Push[] }> {
    const early = { group, pushes: [] as Push[] };
    this.early = early;
    try {
      return { reply: await join(), early: early.pushes };
    } finally {
      if (this.early === early) this.early = null;
    }
  }

  /** Uses the pushes `entering` kept, in the order they came. */
  admitEarly(pushes: Push[], group: GroupRef): void {
    for (const push of pushes) this.use(push, group);
  }

  private keepEarly(push: Push): void {
    const early = this.early;
    if (!early || push.groupId !== early.group.groupId || push.domain !== early.group.domain) return;
    if (early.pushes.length < MAX_EARLY_PUSHES) early.pushes.push(push);
  }

  private use(push: Push, group: GroupRef): void {
    // Stragglers of a group we are no longer in, and our own messages, are ignored.
    if (push.groupId !== group.groupId || push.domain !== group.domain) return;
    if (typeof push.pos === 'number') this.lastPos = Math.max(this.lastPos ?? push.pos, push.pos);
    if (push.from === this.options.nodeId) return;
    if (this.held) this.held.push(push);
    else this.receiver.receive(push);
  }

  /** Where each sender's pushes begin for this node, as joinGroup told it (`senders`). */
  prime(senders: SenderSeq[]): void {
    for (const sender of senders) this.receiver.prime(sender.nodeId, sender.epoch, sender.seq);
  }

  /** The log's end when the node entered the group: what came before is not this node's to catch up on. */
  anchor(pos: number): void {
    this.floorPos = pos;
  }

  /** Holds live pushes back (from a drop until the catch-up has read the log). */
  hold(): void {
    this.held ??= [];
  }

  /** A push read back from the log: in order with the others, a duplicate of one already delivered dropped. */
  receiveMissed(push: Push): void {
    if (push.from === this.options.nodeId) return;
    this.receiver.receive(push);
  }

  /** Lets the held pushes in, in the order they came. */
  release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const push of held) this.receiver.receive(push);
  }

  /**
   * Takes a full snapshot of the group (on join and after a reconnect): nodes
   * not in it are forgotten, the others replaced unless a newer push came first.
   */
  load(statuses: NodeStatus[]): void {
    const present = new Set(statuses.map((status) => status.nodeId));
    for (const nodeId of [...this.remote.keys()]) if (!present.has(nodeId)) this.forget(nodeId);
    for (const status of statuses) this.apply(status, true);
  }

  /** Forgets everything: statuses, held pushes, scheduled events (entering or leaving a group). */
  reset(): void {
    this.lastPos = null;
    this.floorPos = null;
    this.held = null;
    this.receiver.reset();
    this.replayer.clear();
    this.copies.reset();
    this.remote.clear();
    this.remoteAt.clear();
    this.roster.reset();
  }

  /** A push in its sender's order, duplicates removed. */
  private deliver(push: Push): void {
    if ('nodeStatus' in push) {
      this.apply(push.nodeStatus, false);
    } else if ('batchEvent' in push) {
      const batch: BatchEvent = push.batchEvent;
      if (batch.events.length === 0 || this.copies.isCopy(push.from, batch.events)) return;
      this.replayer.push(batch);
    } else if ('groupDissolve' in push) {
      this.options.onDissolve(push.groupDissolve);
    } else if ('nodePresence' in push) {
      this.roster.apply(push.nodePresence as NodePresence);
    }
  }

  /** A node that left takes its status with it. */
  private forget(nodeId: string): void {
    this.remote.delete(nodeId);
    this.remoteAt.delete(nodeId);
  }

  /**
   * Merges a status (a push carries only the reported keys) or, for a full
   * snapshot, replaces it unless a newer push came first.
   */
  private apply(status: NodeStatus, snapshot: boolean): void {
    if (status.nodeId === this.options.nodeId) return;
    const at = Date.parse(status.timestamp);
    const knownAt = this.remoteAt.get(status.nodeId) ?? -Infinity;
    const previous = this.remote.get(status.nodeId) ?? {};
    const replace = snapshot && !(knownAt > at);
    const next: Record<string, string> = replace ? {} : { ...previous };
    const changes: Record<string, string> = {};
    for (const { key, value } of status.data) {
      if (snapshot && !replace && key in next) continue;
      if (previous[key] !== value) changes[key] = value;
      next[key] = value;
    }
    this.remote.set(status.nodeId, next);
    if (!(knownAt > at)) this.remoteAt.set(status.nodeId, at);
    if (Object.keys(changes).length > 0) this.options.onStatus(status.nodeId, changes, { ...next });
  }
}
