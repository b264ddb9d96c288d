/**
 * The ports the core needs. Adapters implement them for AWS (DynamoDB, SNS,
 * API Gateway Management API); unit tests implement them in memory.
 */
import type { Push } from '../protocol/messages';
import type { ConnectionRecord, GroupKey, GroupRecord, HostRecord, NodeRecord, Subscriber } from './model';
import type { MeshSettings } from './settings';

/** Thrown by a store when a conditional write lost a race; the use case decides what it means. */
export class ConditionFailed extends Error {
  override name = 'ConditionFailed';
}

/** Persistence of groups, nodes, status and connections. */
export interface MeshStore {
  getGroup(key: GroupKey): Promise<GroupRecord | undefined>;
  /** The hot path's one read: the group and one of its nodes. */
  getGroupAndNode(key: GroupKey, nodeId: string): Promise<{ group?: GroupRecord; node?: NodeRecord }>;
  /**
   * The host's idempotency record, with the group it points at (maybe expired:
   * the caller checks; absent when that group's item is gone). Undefined when
   * there is no host record. Its `groupId` is what createGroup's `replaces`
   * must name to take the record over.
   */
  findHostGroup(domain: string, hostId: string): Promise<HostRecord | undefined>;
  /** Groups of a domain, oldest first, expired ones included (the caller filters). */
  listGroups(domain: string): Promise<GroupRecord[]>;
  getConnection(connectionId: string): Promise<ConnectionRecord | undefined>;

  /**
   * Creates the group, the host's idempotency record, the host node and its
   * subscription at once. `replaces` is the group id the host record held when
   * it was read (undefined if none); ConditionFailed if it changed meanwhile.
   */
  createGroup(group: GroupRecord, host: NodeRecord, replaces: string | undefined): Promise<void>;
  /**
   * Writes the node (new, or bound to a new connection), its subscription and
   * its connection record at once, and drops the subscription and connection
   * record of `previousConnectionId` (null when the node had no other
   * connection). ConditionFailed if the group is gone, or if the stored node
   * has the same epoch but another seq than `node` (a write since it was read,
   * which this put must not undo): read again and decide afresh.
   */
  putNode(node: NodeRecord, previousConnectionId: string | null): Promise<void>;
  /** Deletes the node, its status, its subscription and its connection record. */
  removeNode(node: NodeRecord): Promise<void>;
  /**
   * dissolveGroup: deletes the group item, its nodes (with their status) and
   * the host's idempotency record (only while it still points at this group).
   * It keeps the group's C# subscription items and the members' connection
   * records: the groupDissolve push published just before is fanned out from
   * those subscriptions, possibly after this delete. Their TTL removes them;
   * reads find the group gone, so they deliver and allow nothing else.
   */
  deleteGroup(group: GroupRecord): Promise<void>;
  /** ConditionFailed if the group item is gone. */
  setHostHeartbeat(key: GroupKey, at: number): Promise<void>;
  /**
   * Moves a member's expiry (node and subscription). ConditionFailed if the
   * node is gone or no longer bound to `node.connectionId`.
   */
  setNodeExpiry(node: NodeRecord, expiresAt: number): Promise<void>;
  /**
   * Merges `data` into the node's status (when given) and allocates `seqCount`
   * push sequence numbers, only while the node is bound to `connectionId`
   * (else ConditionFailed). Returns the last allocated seq.
   */
  updateNode(
    key: GroupKey,
    nodeId: string,
    connectionId: string,
    change: { data?: Record<string, string>; statusAt?: number; seqCount: number },
  ): Promise<{ seq: number }>;
  /** Nodes in node id order, after `after` when given, at most `limit`. */
  listNodes(key: GroupKey, page: { after?: string; limit: number }): Promise<{ nodes: NodeRecord[]; more: boolean }>;
  /** Every connection subscribed to the group. */
  listSubscribers(key: GroupKey): Promise<Subscriber[]>;
  /** $disconnect: drops the connection record and subscription, and unbinds the node if still bound to it. */
  dropConnection(connectionId: string): Promise<void>;
  /** A 410 from the Management API: drops that stale subscription and its connection record. */
  dropSubscriber(key: GroupKey, subscriber: Subscriber): Promise<void>;
}

/** Publishes pushes to the fan-out (SNS in AWS). Resolves only when every push was accepted. */
export interface PushPublisher {
  publish(pushes: Push[]): Promise<void>;
}

/** What a group's outbox holds: the pushes not yet fanned out, oldest first. */
export interface OutboxState {
  /** Pushes trimmed from this outbox so far; a trim names it to prove no other flush trimmed first. */
  head: number;
  /** Each push as its JSON text, in the order they were appended. */
  pushes: string[];
  /** When a flush was last requested or last made progress (epoch ms); undefined when none is under way. */
  flushMarkAt?: number;
}

/** Thrown by PushOutbox.append when the pushes would take the outbox over its size bound. */
export class OutboxFull extends Error {
  override name = 'OutboxFull';
}

/**
 * A group's outbox (an item in the group's partition in DynamoDB): pushes are
 * appended by requests and fanned out by one flush at a time, in windows.
 */
export interface PushOutbox {
  /**
   * Appends the pushes (JSON texts, in order) and sets the flush mark to `now`
   * unless one is set. Returns the mark as it was before (undefined when no
   * flush was under way: the caller must request one) and when the group's
   * last round was posted. OutboxFull when they do not fit.
   */
  append(key: GroupKey, pushes: string[], now: number): Promise<{ flushMarkAt?: number; lastRoundAt?: number }>;
  /**
   * Takes over a stale flush mark: sets it to `now` only if it is still
   * `staleMark`. True for the one caller that wins (it requests the flush).
   */
  claim(key: GroupKey, staleMark: number, now: number): Promise<boolean>;
  /** One strongly consistent read of the outbox (undefined when it does not exist) and the group's subscribers. */
  read(key: GroupKey): Promise<{ outbox?: OutboxState; subscribers: Subscriber[] }>;
  /**
   * Drops the first `count` pushes (`bytes` long in all) and sets the flush
   * mark and the last round's time to `now`. ConditionFailed when `head` moved: another flush trimmed
   * first.
   */
  trim(key: GroupKey, head: number, count: number, bytes: number, now: number): Promise<void>;
  /**
   * trim and release at once, for a round that posted every push it read:
   * drops the first `count` pushes, sets the last round's time to `now` and
   * clears the mark, only if `head` is
   * unchanged and no push arrived since (the outbox holds exactly `count`).
   * False when either changed (nothing written): trim to tell which.
   */
  trimAndRelease(key: GroupKey, head: number, count: number, bytes: number, now: number): Promise<boolean>;
  /** Clears the flush mark if the outbox is empty; false (nothing changed) when pushes arrived meanwhile. */
  release(key: GroupKey): Promise<boolean>;
}

/** Asks for a flush of a group's outbox (an SNS message in AWS). */
export interface FlushTrigger {
  requestFlush(request: FlushRequest): Promise<void>;
}

/** The message that starts a flush: which group, and when to post. */
export interface FlushRequest {
  type: 'flush';
  groupId: string;
  domain: string;
  /**
   * Epoch ms: when the flush posts its first round. A request from an append
   * names one window after the group's last round (now when that is past); a
   * handover names the next round's time (now when there is a backlog).
   */
  at: number;
  /** How many flushes before this one failed to post a round (absent: none). */
  retries?: number;
}

/** Sends a frame to one connection (the Management API's PostToConnection). */
export interface ConnectionNotifier {
  /** 'gone' when the connection no longer exists (410); throws on other failures. */
  post(connectionId: string, frame: string): Promise<'sent' | 'gone'>;
}

export interface Clock {
  now(): number;
}

export interface IdGenerator {
  /** A new group id (UUID). */
  groupId(): string;
  /** A new node epoch (short random string). */
  epoch(): string;
}

/** What every request use case is given. */
export interface MeshDeps {
  store: MeshStore;
  publisher: PushPublisher;
  clock: Clock;
  ids: IdGenerator;
  settings: MeshSettings;
}

/** How the fan-out gathers pushes (see shared/core/outbox.ts). */
export interface CoalescingSettings {
  /** How long pushes gather in a group's outbox before one frame per member goes out. 0: no outbox, one fan-out per push. */
  windowMs: number;
  /** A flush mark older than this means the flush died: the next append requests another. */
  staleFlushMs: number;
  /** A flush that has run this long hands over to a new invocation (Lambda's timeout must be well above). */
  maxFlushMs: number;
}

/** What a flush of a group's outbox is given. */
export interface FlushDeps extends FanoutDeps {
  outbox: PushOutbox;
  trigger: FlushTrigger;
  coalescing: CoalescingSettings;
  /** Waits `ms` (a timer in Lambda; tests pass a fake). */
  sleep(ms: number): Promise<void>;
}

/** What the fan-out use case is given. */
export interface FanoutDeps {
  store: MeshStore;
  notifier: ConnectionNotifier;
  clock: Clock;
  /** PostToConnection calls in flight at once. */
  concurrency: number;
}
