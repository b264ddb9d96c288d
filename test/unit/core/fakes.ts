/**
 * In-memory fakes of the core's ports, faithful to the semantics documented
 * in shared/core/ports.ts (and to what the DynamoDB adapter does): conditional
 * writes throw ConditionFailed, expiry is never checked by the store (the core
 * does it), nodes are listed in DynamoDB's sort-key order (UTF-8 bytes), and
 * every read returns a copy, so a use case cannot change stored state except
 * through the port.
 */
import type { Push } from '#shared/protocol/messages';
import type { ConnectionRecord, GroupKey, GroupRecord, HostRecord, NodeRecord, Subscriber } from '#shared/core/model';
import {
  type Clock,
  type ConnectionNotifier,
  type FlushDeps,
  type FlushRequest,
  type FlushTrigger,
  type IdGenerator,
  type DueNode,
  type SeqRange,
  type MeshDeps,
  type MeshStore,
  type NodeChange,
  type PushPublisher,
} from '#shared/core/ports';
import { ConditionFailed, GroupDissolved } from '#shared/core/store-errors';
import { LogPublisher, type LogPublisherDeps } from '#shared/core/fanout/publisher';
import { KnownGroups } from '#shared/core/known-groups';
import { DEFAULT_FANOUT, DEFAULT_SETTINGS, type FanoutSettings, type MeshSettings } from '#shared/core/settings';
import { InMemoryConsoleStore } from './fake-console';
import { InMemoryGroupLog } from './fake-log';

const groupPk = (key: GroupKey) => `${key.groupId}@${key.domain}`;
const hostPk = (domain: string, hostId: string) => `${domain}#${hostId}`;
const copy = <T>(value: T): T => structuredClone(value);
const byUtf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** One group partition: META, N# and C# items. */
interface Partition {
  group?: GroupRecord;
  nodes: Map<string, NodeRecord>;
  /** Per node, as the DynamoDB item's statusBytes: never below its status's JSON bytes. */
  statusBytes: Map<string, number>;
  subscriptions: Map<string, Subscriber>;
}

type StoreMethod = keyof MeshStore;

/** MeshStore in memory. `calls` records every port call by method name, in order. */
export class InMemoryMeshStore implements MeshStore {
  readonly calls: StoreMethod[] = [];
  private readonly partitions = new Map<string, Partition>();
  private readonly connections = new Map<string, ConnectionRecord>();
  private readonly hosts = new Map<string, string>();
  private readonly before = new Map<StoreMethod, () => void | Promise<void>>();

  /**
   * Runs `action` just before the next call of `method` does its work: a
   * concurrent writer slipping in between a use case's read and its write.
   */
  beforeNext(method: StoreMethod, action: () => void | Promise<void>): void {
    this.before.set(method, action);
  }

  /** How many times `method` was called. */
  count(method: StoreMethod): number {
    return this.calls.filter((call) => call === method).length;
  }

  // ---- inspection for tests (not part of the port) ----------------------------

  /** The stored node, as is (expired or not). */
  peekNode(key: GroupKey, nodeId: string): NodeRecord | undefined {
    return copy(this.partitions.get(groupPk(key))?.nodes.get(nodeId));
  }

  /** The stored subscriptions of a group, as is. */
  peekSubscribers(key: GroupKey): Subscriber[] {
    return copy([...(this.partitions.get(groupPk(key))?.subscriptions.values() ?? [])]);
  }

  peekConnection(connectionId: string): ConnectionRecord | undefined {
    return copy(this.connections.get(connectionId));
  }

  peekGroup(key: GroupKey): GroupRecord | undefined {
    return copy(this.partitions.get(groupPk(key))?.group);
  }

  /** DynamoDB's TTL deleting the group item alone (TTL deletes items in no order; the host record may outlive it). */
  ttlDeleteGroupItem(key: GroupKey): void {
    const partition = this.partitions.get(groupPk(key));
    if (partition !== undefined) delete partition.group;
  }

  /** Writes a subscription directly (a row left by a connection that is gone). */
  seedSubscriber(key: GroupKey, subscriber: Subscriber): void {
    this.partition(key).subscriptions.set(subscriber.connectionId, copy(subscriber));
  }

  // ---- direct access for the console store's fake (fake-console.ts), the table's other writer ----

  /** Every group item, of every domain, expired or not (the console's Scan). */
  peekGroups(): GroupRecord[] {
    return copy([...this.partitions.values()].flatMap((p) => (p.group === undefined ? [] : [p.group])));
  }

  seedConnection(record: ConnectionRecord): void {
    this.connections.set(record.connectionId, copy(record));
  }

  /** Deletes a subscription and the connection's record, as a transaction of two deletes would. */
  deleteSubscriberAndConnection(key: GroupKey, connectionId: string): void {
    this.partitions.get(groupPk(key))?.subscriptions.delete(connectionId);
    this.connections.delete(connectionId);
  }

  // ---- reads --------------------------------------------------------------------

  async getGroup(key: GroupKey): Promise<GroupRecord | undefined> {
    await this.enter('getGroup');
    return copy(this.partitions.get(groupPk(key))?.group);
  }

  async getGroupAndNode(key: GroupKey, nodeId: string): Promise<{ group?: GroupRecord; node?: NodeRecord }> {
    await this.enter('getGroupAndNode');
    const partition = this.partitions.get(groupPk(key));
    return { group: copy(partition?.group), node: copy(partition?.nodes.get(nodeId)) };
  }

  async findHostGroup(domain: string, hostId: string): Promise<HostRecord | undefined> {
    await this.enter('findHostGroup');
    const groupId = this.hosts.get(hostPk(domain, hostId));
    if (groupId === undefined) return undefined;
    return { groupId, group: copy(this.partitions.get(groupPk({ groupId, domain }))?.group) };
  }

  async listGroups(domain: string): Promise<GroupRecord[]> {
    await this.enter('listGroups');
    const groups = [...this.partitions.values()].flatMap((p) => (p.group?.domain === domain ? [p.group] : []));
    groups.sort((a, b) => a.createdAt - b.createdAt || byUtf8(a.groupId, b.groupId));
    return copy(groups);
  }

  async searchGroups(prefix: string, options: { now: number; max: number }): Promise<GroupRecord[]> {
    await this.enter('searchGroups');
    const groups = [...this.partitions.values()].flatMap((p) =>
      p.group !== undefined && p.group.name.startsWith(prefix) && p.group.expiresAt >= options.now ? [p.group] : [],
    );
    // The index's order: by name, then creation, then id.
    groups.sort((a, b) => byUtf8(a.name, b.name) || a.createdAt - b.createdAt || byUtf8(a.groupId, b.groupId));
    return copy(groups.slice(0, options.max));
  }

  async getConnection(connectionId: string): Promise<ConnectionRecord | undefined> {
    await this.enter('getConnection');
    return copy(this.connections.get(connectionId));
  }

  async listNodes(
    key: GroupKey,
    page: { after?: string; limit: number },
  ): Promise<{ nodes: NodeRecord[]; more: boolean }> {
    await this.enter('listNodes');
    const all = [...(this.partitions.get(groupPk(key))?.nodes.values() ?? [])].sort((a, b) =>
      byUtf8(a.nodeId, b.nodeId),
    );
    const after = page.after;
    const rest = after === undefined ? all : all.filter((node) => byUtf8(node.nodeId, after) > 0);
    return { nodes: copy(rest.slice(0, page.limit)), more: rest.length > page.limit };
  }

  async listSubscribers(key: GroupKey): Promise<Subscriber[]> {
    await this.enter('listSubscribers');
    return copy([...(this.partitions.get(groupPk(key))?.subscriptions.values() ?? [])]);
  }

  // ---- writes -------------------------------------------------------------------

  async createGroup(group: GroupRecord, host: NodeRecord, replaces: string | undefined): Promise<void> {
    await this.enter('createGroup');
    const existing = this.partitions.get(groupPk(group))?.group;
    if (existing !== undefined || this.hosts.get(hostPk(group.domain, group.hostId)) !== replaces) {
      throw new ConditionFailed('host record changed or group exists');
    }
    this.partition(group).group = copy(group);
    this.hosts.set(hostPk(group.domain, group.hostId), group.groupId);
    this.writeNode(host);
  }

  async putNode(node: NodeRecord, previousConnectionId: string | null): Promise<void> {
    await this.enter('putNode');
    const partition = this.partitions.get(groupPk(node));
    if (partition?.group === undefined) throw new ConditionFailed('group is gone');
    const stored = partition.nodes.get(node.nodeId);
    if (stored !== undefined && stored.epoch === node.epoch && stored.seq !== node.seq) {
      throw new ConditionFailed('node changed since read');
    }
    if (previousConnectionId !== null && previousConnectionId !== node.connectionId) {
      partition.subscriptions.delete(previousConnectionId);
      this.connections.delete(previousConnectionId);
    }
    this.writeNode(node);
  }

  async removeNode(node: NodeRecord): Promise<void> {
    await this.enter('removeNode');
    this.deleteNode(node);
  }

  private deleteNode(node: NodeRecord): void {
    const partition = this.partitions.get(groupPk(node));
    partition?.nodes.delete(node.nodeId);
    partition?.statusBytes.delete(node.nodeId);
    if (node.connectionId !== null) {
      partition?.subscriptions.delete(node.connectionId);
      this.connections.delete(node.connectionId);
    }
  }

  async deleteGroup(group: GroupRecord): Promise<void> {
    await this.enter('deleteGroup');
    const partition = this.partitions.get(groupPk(group));
    if (partition !== undefined) {
      delete partition.group;
      partition.nodes.clear();
      // Subscriptions (C#) and connection records stay, as the port documents.
    }
    if (this.hosts.get(hostPk(group.domain, group.hostId)) === group.groupId) {
      this.hosts.delete(hostPk(group.domain, group.hostId));
    }
  }

  async setHostHeartbeat(key: GroupKey, at: number): Promise<void> {
    await this.enter('setHostHeartbeat');
    const group = this.partitions.get(groupPk(key))?.group;
    if (group === undefined) throw new ConditionFailed('group is gone');
    group.heartbeatAt = at;
  }

  async setNodeExpiry(node: NodeRecord, expiresAt: number): Promise<void> {
    await this.enter('setNodeExpiry');
    const partition = this.partitions.get(groupPk(node));
    const stored = partition?.nodes.get(node.nodeId);
    if (stored === undefined || (node.connectionId !== null && stored.connectionId !== node.connectionId)) {
      throw new ConditionFailed('node gone or rebound');
    }
    stored.expiresAt = expiresAt;
    if (stored.dropAt !== undefined) stored.dropAt = expiresAt;
    if (node.connectionId !== null) {
      partition?.subscriptions.set(node.connectionId, {
        connectionId: node.connectionId,
        nodeId: node.nodeId,
        expiresAt,
      });
    }
  }

  async updateNode(key: GroupKey, nodeId: string, connectionId: string, change: NodeChange): Promise<NodeRecord> {
    await this.enter('updateNode');
    const partition = this.partitions.get(groupPk(key));
    const stored = partition?.nodes.get(nodeId);
    if (stored === undefined || stored.connectionId !== connectionId || change.now > stored.expiresAt) {
      throw new ConditionFailed('node gone, expired or rebound');
    }
    const bound = change.statusBytes;
    const statusBytes = partition!.statusBytes.get(nodeId) ?? 0;
    if (
      bound !== undefined &&
      ('grow' in bound ? statusBytes > bound.limit - bound.grow : stored.seq !== bound.ifSeq)
    ) {
      throw new ConditionFailed('the status bound or seq changed');
    }
    // Spread, not Object.assign: a key such as "__proto__" must stay data.
    if (change.data !== undefined) stored.data = { ...stored.data, ...change.data };
    if (change.statusAt !== undefined) stored.statusAt = change.statusAt;
    if (bound !== undefined)
      partition!.statusBytes.set(nodeId, 'grow' in bound ? statusBytes + bound.grow : bound.exact);
    stored.seq += change.seqCount;
    return copy(stored);
  }

  async releaseSeqs(key: GroupKey, nodeId: string, connectionId: string, seqs: SeqRange): Promise<void> {
    await this.enter('releaseSeqs');
    const stored = this.partitions.get(groupPk(key))?.nodes.get(nodeId);
    if (stored === undefined || stored.connectionId !== connectionId || stored.seq !== seqs.seq) return;
    stored.seq -= seqs.count;
  }

  async dropConnection(connectionId: string, dropAt: number): Promise<void> {
    await this.enter('dropConnection');
    const connection = this.connections.get(connectionId);
    if (connection === undefined) return;
    this.connections.delete(connectionId);
    const partition = this.partitions.get(groupPk(connection));
    partition?.subscriptions.delete(connectionId);
    const node = partition?.nodes.get(connection.nodeId);
    if (node?.connectionId !== connectionId) return;
    node.connectionId = null;
    if (node.dropAt !== undefined) node.dropAt = dropAt;
  }

  async listDueNodes(now: number): Promise<DueNode[]> {
    await this.enter('listDueNodes');
    const due: DueNode[] = [];
    for (const partition of this.partitions.values()) {
      for (const node of partition.nodes.values()) {
        if (node.dropAt !== undefined && node.dropAt < now) {
          due.push({ groupId: node.groupId, domain: node.domain, nodeId: node.nodeId, dropAt: node.dropAt });
        }
      }
    }
    return due.sort((a, b) => a.dropAt - b.dropAt);
  }

  async claimDrop(due: DueNode, retryAt: number): Promise<NodeRecord | undefined> {
    await this.enter('claimDrop');
    const stored = this.partitions.get(groupPk(due))?.nodes.get(due.nodeId);
    if (stored === undefined || stored.dropAt !== due.dropAt) return undefined;
    stored.seq += 1;
    stored.dropAt = retryAt;
    return copy(stored);
  }

  async removeDroppedNode(node: NodeRecord): Promise<boolean> {
    await this.enter('removeDroppedNode');
    const stored = this.partitions.get(groupPk(node))?.nodes.get(node.nodeId);
    const unchanged =
      stored !== undefined &&
      stored.seq === node.seq &&
      stored.epoch === node.epoch &&
      stored.connectionId === node.connectionId;
    if (!unchanged) return false;
    this.deleteNode(stored);
    return true;
  }

  async dropSubscriber(key: GroupKey, subscriber: Subscriber): Promise<void> {
    await this.enter('dropSubscriber');
    this.partitions.get(groupPk(key))?.subscriptions.delete(subscriber.connectionId);
    this.connections.delete(subscriber.connectionId);
  }

  // ---- internals ------------------------------------------------------------------

  private async enter(method: StoreMethod): Promise<void> {
    this.calls.push(method);
    const action = this.before.get(method);
    if (action !== undefined) {
      this.before.delete(method);
      await action();
    }
  }

  private partition(key: GroupKey): Partition {
    let partition = this.partitions.get(groupPk(key));
    if (partition === undefined) {
      partition = { nodes: new Map(), statusBytes: new Map(), subscriptions: new Map() };
      this.partitions.set(groupPk(key), partition);
    }
    return partition;
  }

  /** The node, and its subscription and connection record when bound. */
  private writeNode(node: NodeRecord): void {
    const partition = this.partition(node);
    partition.nodes.set(node.nodeId, copy(node));
    partition.statusBytes.set(node.nodeId, Buffer.byteLength(JSON.stringify(node.data), 'utf8'));
    if (node.connectionId === null) return;
    partition.subscriptions.set(node.connectionId, {
      connectionId: node.connectionId,
      nodeId: node.nodeId,
      expiresAt: node.expiresAt,
    });
    this.connections.set(node.connectionId, {
      connectionId: node.connectionId,
      groupId: node.groupId,
      domain: node.domain,
      nodeId: node.nodeId,
    });
  }
}

/**
 * Records every publish call; `failNext` makes the next one reject (the log
 * refused). As the log does, it takes one dissolve per group and nothing after
 * it (GroupDissolved).
 */
export class RecordingPublisher implements PushPublisher {
  /** The publishes of status, events and dissolves, in order. */
  readonly calls: Push[][] = [];
  /** The publishes of presence pushes (joins, leaves, drops), kept apart so a test of the others counts only those. */
  readonly presenceCalls: Push[][] = [];
  private failure?: Error;
  private readonly dissolved = new Set<string>();
  private readonly positions = new Map<string, number>();

  get pushes(): Push[] {
    return this.calls.flat();
  }

  get presencePushes(): Push[] {
    return this.presenceCalls.flat();
  }

  failNext(error: Error): void {
    this.failure = error;
  }

  async publish(pushes: Push[], options: { dissolve?: boolean } = {}): Promise<number | undefined> {
    const failure = this.failure;
    this.failure = undefined;
    if (failure !== undefined) throw failure;
    if (pushes.length === 0) return undefined;
    const group = groupPk(pushes[0]);
    if (this.dissolved.has(group)) throw new GroupDissolved('the group was dissolved');
    if (options.dissolve) this.dissolved.add(group);
    const presence = pushes.every((push) => 'nodePresence' in push);
    (presence ? this.presenceCalls : this.calls).push(structuredClone(pushes));
    // Positions as a group's log gives them: one above the last, per group.
    const first = this.positions.get(group) ?? 0;
    this.positions.set(group, first + pushes.length);
    return first;
  }
}

/** Records every flush request; `failNext` makes the next one reject (SNS refused). */
export class RecordingTrigger implements FlushTrigger {
  readonly requests: FlushRequest[] = [];
  private failures = 0;

  failNext(count = 1): void {
    this.failures += count;
  }

  async requestFlush(request: FlushRequest): Promise<void> {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('SNS refused the publish');
    }
    this.requests.push(structuredClone(request));
  }

  /** Takes the requests made so far (they are "delivered"). */
  take(): FlushRequest[] {
    return this.requests.splice(0);
  }
}

/**
 * The Management API in memory. Connections answer 'sent' unless marked gone
 * (410) or failing (any other error). Every post yields to the event loop
 * before answering, so concurrent posts overlap and `maxInFlight` shows the
 * bound the fan-out kept.
 */
export class FakeNotifier implements ConnectionNotifier {
  readonly posts: { connectionId: string; frame: string }[] = [];
  maxInFlight = 0;
  private inFlight = 0;
  private readonly gone = new Set<string>();
  private readonly failing = new Map<string, Error>();

  markGone(connectionId: string): void {
    this.gone.add(connectionId);
  }

  markFailing(connectionId: string, error = new Error('TooManyRequestsException')): void {
    this.failing.set(connectionId, error);
  }

  async post(connectionId: string, frame: string): Promise<'sent' | 'gone'> {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((resolve) => setImmediate(resolve));
      this.posts.push({ connectionId, frame });
      const failure = this.failing.get(connectionId);
      if (failure !== undefined) throw failure;
      return this.gone.has(connectionId) ? 'gone' : 'sent';
    } finally {
      this.inFlight -= 1;
    }
  }

  /** Connections closed by `close`, in order. */
  readonly closed: string[] = [];

  async close(connectionId: string): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    if (!this.gone.has(connectionId)) this.closed.push(connectionId);
    this.gone.add(connectionId);
  }

  /** Connections a frame was posted to, in post order. */
  get recipients(): string[] {
    return this.posts.map((post) => post.connectionId);
  }
}

/** A clock that moves only when told. */
export class ManualClock implements Clock {
  constructor(private current: number = Date.parse('2026-01-05T09:00:00.000Z')) {}

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.current += ms;
  }

  advanceSeconds(seconds: number): void {
    this.advance(seconds * 1000);
  }
}

/** Predictable ids: group-1, group-2, … and epoch-1, epoch-2, … */
export class SequentialIds implements IdGenerator {
  private groups = 0;
  private epochs = 0;

  groupId(): string {
    this.groups += 1;
    return `group-${this.groups}`;
  }

  epoch(): string {
    this.epochs += 1;
    return `epoch-${this.epochs}`;
  }

  private tokens = 0;

  token(): string {
    this.tokens += 1;
    return `token-${this.tokens}`;
  }

  private nodeTokens = 0;

  nodeToken(): string {
    this.nodeTokens += 1;
    return `node-token-${this.nodeTokens}`;
  }
}

/** The fake world's MESH_DOMAIN_SECRET. */
export const FAKE_DOMAIN_SECRET = 'fake-domain-secret-of-the-tests';

/** Request and fan-out dependencies over one shared in-memory store. */
export interface FakeWorld {
  store: InMemoryMeshStore;
  publisher: RecordingPublisher;
  notifier: FakeNotifier;
  log: InMemoryGroupLog;
  /** The console's store over the same store and log; in `deps` only when the world has an admin token. */
  console: InMemoryConsoleStore;
  trigger: RecordingTrigger;
  clock: ManualClock;
  ids: SequentialIds;
  settings: MeshSettings;
  fanout: FanoutSettings;
  deps: MeshDeps;
  /** A flush's dependencies; `sleep` moves the clock instead of waiting. */
  flushDeps: FlushDeps;
}

/** A fresh world with Mesh v2's default settings unless overridden. */
/** A LogPublisher on the world's log, trigger, clock, ids and fan-out settings (as the request handler builds it). */
export function logPublisherOf(
  world: Pick<FakeWorld, 'log' | 'trigger' | 'clock' | 'ids' | 'fanout'>,
  extra: Pick<LogPublisherDeps, 'onFlushRequestFailed'> = {},
): LogPublisher {
  const { log, trigger, clock, ids, fanout } = world;
  return new LogPublisher({ log, trigger, clock, ids, fanout, ...extra });
}

export function fakeWorld(
  options: {
    settings?: Partial<MeshSettings>;
    fanout?: Partial<FanoutSettings>;
    concurrency?: number;
    /** Requests append to `log` through the real LogPublisher (polling reads it), not to the recording publisher. */
    publishToLog?: boolean;
    /** MESH_ADMIN_TOKEN: the console is on, `deps` gets the console store and this token. */
    adminToken?: string;
  } = {},
): FakeWorld {
  const store = new InMemoryMeshStore();
  const publisher = new RecordingPublisher();
  const notifier = new FakeNotifier();
  const log = new InMemoryGroupLog((key) => store.listSubscribers(key));
  const consoleStore = new InMemoryConsoleStore(store, log);
  const trigger = new RecordingTrigger();
  const clock = new ManualClock();
  const ids = new SequentialIds();
  const settings = { ...DEFAULT_SETTINGS, ...options.settings };
  const fanout = { ...DEFAULT_FANOUT, ...options.fanout };
  return {
    store,
    publisher,
    notifier,
    log,
    console: consoleStore,
    trigger,
    clock,
    ids,
    settings,
    fanout,
    deps: {
      store,
      publisher: options.publishToLog ? logPublisherOf({ log, trigger, clock, ids, fanout }) : publisher,
      events: log,
      knownGroups: new KnownGroups(),
      clock,
      ids,
      settings,
      domainSecret: FAKE_DOMAIN_SECRET,
      ...(options.adminToken === undefined ? {} : { console: consoleStore, adminToken: options.adminToken }),
    },
    flushDeps: {
      log,
      store,
      notifier,
      trigger,
      clock,
      fanout,
      concurrency: options.concurrency ?? 4,
      owner: 'owner-1',
      sleep: async (ms) => clock.advance(ms),
    },
  };
}
