/**
 * The ports the core needs, interfaces only. Adapters implement them for AWS
 * (DynamoDB, SNS, API Gateway Management API); unit tests implement them in
 * memory. The errors a port may throw are in store-errors.ts.
 */
import type { KnownGroups } from './known-groups';
import type { Push } from '../protocol/messages';
import type { ConnectionRecord, GroupKey, GroupRecord, HostRecord, NodeRecord, Subscriber } from './model';
import type { RoundMonitor } from './fanout/round-monitor';
import type { FanoutSettings, MeshSettings } from './settings';

/** Persistence of groups, nodes, status and connections. */
/** What MeshStore.updateNode changes on a node, and when it may. */
export interface NodeChange {
  /** Keys merged into the node's status (the latest value per key). */
  data?: Record<string, string>;
  statusAt?: number;
  /** Push seqs to allocate. */
  seqCount: number;
  /** The node must still be live at this time (its expiresAt not passed). */
  now: number;
  /**
   * With `data`: how the store's bound on the node's status size moves. The
   * store keeps, per node, a number never below the UTF-8 bytes of its merged
   * status as JSON, so the hot path can refuse an oversized status without
   * reading it. `grow` adds the delta's bytes (a merge is never longer than
   * its two parts), only while the result stays within `limit`; `exact` sets
   * the merged status's bytes, only while the node's seq is still `ifSeq`
   * (nothing merged since the caller read it).
   */
  statusBytes?: { grow: number; limit: number } | { exact: number; ifSeq: number };
}

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
  /**
   * Up to `max` groups of any domain whose name starts with `prefix`
   * (case-sensitive), by name, none past its expiresAt at `now` (a lapsed
   * heartbeat is the caller's to filter).
   */
  searchGroups(prefix: string, options: { now: number; max: number }): Promise<GroupRecord[]>;
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
   * Moves a member's expiry (node and subscription) and its dropAt with it.
   * ConditionFailed if the node is gone or no longer bound to `node.connectionId`.
   */
  setNodeExpiry(node: NodeRecord, expiresAt: number): Promise<void>;
  /**
   * The hot path's one store call: merges `change.data` into the node's
   * status (when given) and allocates `change.seqCount` push sequence numbers,
   * only while the node exists, is live at `change.now` and is bound to
   * `connectionId`, and `change.statusBytes` holds (else ConditionFailed).
   * Returns the node as written (its `seq` the last one allocated).
   */
  updateNode(key: GroupKey, nodeId: string, connectionId: string, change: NodeChange): Promise<NodeRecord>;
  /**
   * Gives back the last `count` seqs updateNode allocated (the node's `seq`
   * back to `seq - count`), only while the node's seq is still `seq` and it
   * is bound to `connectionId`; otherwise leaves it as it is. For pushes the
   * log refused as a whole, so receivers see no gap in the sender's seqs.
   */
  releaseSeqs(key: GroupKey, nodeId: string, connectionId: string, seqs: SeqRange): Promise<void>;
  /** Nodes in node id order, after `after` when given, at most `limit`. */
  listNodes(key: GroupKey, page: { after?: string; limit: number }): Promise<{ nodes: NodeRecord[]; more: boolean }>;
  /** Every connection subscribed to the group. */
  listSubscribers(key: GroupKey): Promise<Subscriber[]>;
  /**
   * $disconnect: drops the connection record and subscription, and unbinds
   * the node if still bound to it; a member so unbound gets `dropAt` (the
   * end of its disconnect grace).
   */
  dropConnection(connectionId: string, dropAt: number): Promise<void>;
  /** Member nodes whose dropAt is before `now` (the sweeper's presence work list), live groups or not. */
  listDueNodes(now: number): Promise<DueNode[]>;
  /**
   * Takes a due node's drop: allocates the seq of its presence push and moves
   * its dropAt to `retryAt` (a sweep that stops before removing it retries
   * then), only while its dropAt is still `due.dropAt`: not renewed, rebound
   * or removed since it was listed. The node as written; undefined if it moved.
   */
  claimDrop(due: DueNode, retryAt: number): Promise<NodeRecord | undefined>;
  /**
   * Deletes a claimed node as removeNode does, unless it changed since the
   * claim (another seq or binding: it came back meanwhile). False then.
   */
  removeDroppedNode(node: NodeRecord): Promise<boolean>;
  /** A 410 from the Management API: drops that stale subscription and its connection record. */
  dropSubscriber(key: GroupKey, subscriber: Subscriber): Promise<void>;
}

/** A member node the sweeper is to drop (MeshStore.listDueNodes). */
export interface DueNode extends GroupKey {
  nodeId: string;
  dropAt: number;
}

/**
 * Accepts pushes for the fan-out: resolves once they are durable (in the
 * group's log), so the request may answer `result`; every push of one call
 * belongs to one group. With `dissolve`, the pushes end the group: exactly
 * one such call succeeds per group, later ones throw GroupDissolved.
 */
export interface PushPublisher {
  /** Appends the pushes to their group's log; resolves with the position of the first (undefined for none). */
  publish(pushes: Push[], options?: { dissolve?: boolean }): Promise<number | undefined>;
}

/** What a group's log holds at its head (one item): the recent pushes and the fan-out's state. */
export interface LogHead {
  /** The position the next push gets: every push appended so far has a lower one. */
  pos: number;
  /** Position of `page[0]`; pushes below it are in sealed pages. */
  pageStart: number;
  /** Push JSON texts at positions pageStart, pageStart + 1, … (pos - pageStart of them). */
  page: string[];
  /** Every position below this has been posted by the fan-out. */
  cursor: number;
  /** Present while a flush is requested or running: the request names it. */
  flushToken?: string;
  /** The invocation running the flush, once one has claimed it. */
  flushOwner?: string;
  /** When the flush was requested or last made progress (epoch ms). */
  flushAt?: number;
  /** When the last round that posted began (its read, epoch ms; 0 before any): the window runs from it. */
  roundAt: number;
  /** The group's push rate as the fan-out last estimated it (pushes/s), which sets its window. */
  rate: number;
  /** Set by the one dissolve the group gets: no push is appended after it. */
  dissolvedAt?: number;
  /** While a console watches (its lease, epoch ms): the fan-out reports each round (fanout/round-monitor.ts). */
  watchedUntil?: number;
}

/** Sealed pushes from a position on (GroupLog.readRetained). */
export interface RetainedPushes {
  start: number;
  pushes: string[];
}

/** What an append tells the request that made it. */
export interface Appended {
  /** The position of the first push appended. */
  first: number;
  /** The head's flush state after the append: the token offered comes back when this append started the flush. */
  flushToken: string;
  flushAt: number;
  roundAt: number;
  rate: number;
}

/** One round's move of a group's log (GroupLog.advance). */
export interface AdvanceStep {
  owner: string;
  from: number;
  to: number;
  /** The time of the advance: the flush's progress mark. */
  now: number;
  /** When the round began (its read); the head's `roundAt` when the cursor moves. */
  roundAt: number;
  rate: number;
  release?: boolean;
  disown?: boolean;
}

/**
 * A group's log (items in the group's partition in DynamoDB): every accepted
 * push in order, each at a position one above the last. Requests append; the
 * fan-out reads from its cursor, posts, and moves the cursor; later readers
 * (polling, resume) read the same positions. The head holds the recent pushes
 * and the fan-out's state; older pushes move into sealed pages, kept for the
 * retention time (MESH_EVENT_TTL_SECONDS).
 */
export interface GroupLog {
  /**
   * Appends the pushes (JSON texts, in order). Sets the flush token to
   * `token` when no flush is requested (the caller must then request one),
   * and the dissolve mark when `dissolve` is set. GroupDissolved when the
   * group's dissolve push is in the log already; WriteNotApplied when the
   * store refused the append as a whole (nothing was appended).
   */
  append(
    key: GroupKey,
    pushes: string[],
    options: { now: number; token: string; dissolve?: boolean },
  ): Promise<Appended>;
  /** One strongly consistent read of the head (undefined when there is none) and the group's subscribers. */
  read(key: GroupKey): Promise<{ head?: LogHead; subscribers: Subscriber[] }>;
  /** The sealed pushes at positions from, from + 1, …, below `to`, in order. */
  readSealed(key: GroupKey, from: number, to: number): Promise<string[]>;
  /**
   * The sealed pushes still kept from `from` on, below `to`: `start` is the
   * first position at or after `from` that is kept (`to` when none is: the
   * retention has dropped them), `pushes` the ones from there on without a
   * gap. A poller reads the log with it (shared/core/event-log.ts).
   */
  readRetained(key: GroupKey, from: number, to: number): Promise<RetainedPushes>;
  /**
   * Moves the first `count` pushes of the head's page into a sealed page,
   * if the page still starts at `pageStart`. False when it has moved (another
   * seal won: nothing lost, its page holds the same pushes).
   */
  seal(key: GroupKey, pageStart: number, pushes: string[], now: number): Promise<boolean>;
  /**
   * A flush invocation takes the flush named `token`: true only if the token
   * is still the head's and no other invocation holds it with progress since
   * `staleBefore`.
   */
  claim(key: GroupKey, token: string, owner: string, now: number, staleBefore: number): Promise<boolean>;
  /**
   * After a round: moves the cursor from `from` to `to` (the owner's only),
   * refreshes the flush mark (at `now`) and, when the cursor moves, records the
   * round's start (`roundAt`) and the rate estimate. With `release`, also ends
   * the flush if nothing was appended past `to`. With `disown`, frees the flush
   * for the next invocation of the same token (a handover). 'lost' when
   * another invocation took the flush over.
   */
  advance(key: GroupKey, step: AdvanceStep): Promise<'released' | 'advanced' | 'lost'>;
  /**
   * Starts a new flush of a group whose flush looks dead (no progress since
   * `staleBefore`), replacing its token with `token` (and only if the token is
   * still `expected`, when given). True for the one caller that wins.
   */
  restart(
    key: GroupKey,
    token: string,
    options: { now: number; staleBefore: number; expected?: string },
  ): Promise<boolean>;
  /** Groups whose log has held unposted pushes since before `before` (the sweeper's work list). */
  listPending(before: number): Promise<GroupKey[]>;
}

/** What a poller's read of a group's log needs of it (shared/core/event-log.ts). */
export type LogReader = Pick<GroupLog, 'read' | 'readRetained'>;

/** Asks for a flush of a group's log (an SNS message in AWS). */
export interface FlushTrigger {
  requestFlush(request: FlushRequest): Promise<void>;
}

/** The message that starts a flush: which group, which flush, and when to post. */
export interface FlushRequest {
  type: 'flush';
  groupId: string;
  domain: string;
  /** The flush token on the group's log head; a flush with another token stops at once. */
  token: string;
  /** Epoch ms: when the flush posts its first round. */
  at: number;
}

/** Sends a frame to one connection (the Management API's PostToConnection), or closes it (DeleteConnection). */
export interface ConnectionNotifier {
  /** 'gone' when the connection no longer exists (410); throws on other failures. */
  post(connectionId: string, frame: string): Promise<'sent' | 'gone'>;
  /**
   * Closes the connection from the server's side (API Gateway closes it
   * with 1000; its $disconnect follows). A connection already gone is no
   * failure; other failures are thrown.
   */
  close(connectionId: string): Promise<void>;
}

export interface Clock {
  now(): number;
}

export interface IdGenerator {
  /** A new group id (UUID). */
  groupId(): string;
  /** A new node epoch: a short random string of at most MAX_EPOCH_LENGTH (pushes.ts) characters. */
  epoch(): string;
  /** A new flush token or invocation name: unguessable, never repeated. */
  token(): string;
  /** A new node token (node-tokens.ts): a secret of at least 128 random bits. */
  nodeToken(): string;
}

/** The last `count` seqs a node was given, up to and including `seq`. */
export interface SeqRange {
  seq: number;
  count: number;
}

/**
 * What the operator console reads and writes beyond the MeshStore
 * (use-cases/console.ts), only while someone watches.
 */
export interface ConsoleStore {
  /** Every group item of every domain, expired ones included (the caller filters). */
  listAllGroups(): Promise<GroupRecord[]>;
  /** The connection is a viewer of the console's log until `expiresAt`; $disconnect removes it as it removes a member. */
  putViewer(connectionId: string, expiresAt: number): Promise<void>;
  /** The viewer is sent the group's pushes until `expiresAt` (a subscription that takes no member's place). */
  putGroupViewer(key: GroupKey, connectionId: string, expiresAt: number): Promise<void>;
  removeViewer(connectionId: string): Promise<void>;
  /** The fan-out reports the group's rounds until `until`, or (null) no longer. A group with no log yet: nothing. */
  markWatched(key: GroupKey, until: number | null): Promise<void>;
}

/** What every request use case is given. */
export interface MeshDeps {
  store: MeshStore;
  /** Per container: groups lately found live, so the hot path need not read them. */
  knownGroups: KnownGroups;
  publisher: PushPublisher;
  /** The group logs, read by polling nodes (the same logs the publisher appends to). */
  events: LogReader;
  clock: Clock;
  ids: IdGenerator;
  settings: MeshSettings;
  /** MESH_DOMAIN_SECRET: the key of createDomain's hash of the caller's address (source-domains.ts). */
  domainSecret: string;
  /** The operator console's store, and the admin token its actions need (MESH_ADMIN_TOKEN); without either it is off. */
  console?: ConsoleStore;
  adminToken?: string;
}

/** What a flush of a group's log is given. */
export interface FlushDeps {
  log: GroupLog;
  store: MeshStore;
  /** The flush only posts. */
  notifier: Pick<ConnectionNotifier, 'post'>;
  trigger: FlushTrigger;
  clock: Clock;
  fanout: FanoutSettings;
  /** PostToConnection calls in flight at once. */
  concurrency: number;
  /** A unique name for this invocation (it owns the flushes it claims). */
  owner: string;
  /** Waits `ms` (a timer in Lambda; tests pass a fake). */
  sleep(ms: number): Promise<void>;
  /** Reports the rounds of watched groups to the console; absent, nothing is reported. */
  monitor?: RoundMonitor;
}
