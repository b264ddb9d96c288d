/**
 * MeshClient: one Mesh node over one WebSocket, in browsers and Node. It
 * turns wire protocol v1 into a few calls and handles what a real network
 * does to a long-lived connection. See docs/client.md for the guide.
 */
import { LIMITS, utf8Bytes } from '#shared/protocol/limits';
import type { Action, ArgsOf } from '#shared/protocol/requests';
import { type ErrorReply, type Push, pushesOf, type ResultReply, type ServerFrame } from '#shared/protocol/messages';
import type { BatchEvent, Group, GroupDissolvePayload, MeshEvent, Node, NodeStatus, StatusEntry } from '#shared/protocol/types';
import type { ActionResults, PagedAction } from './actions';
import { backoffDelay, BACKOFF_DEFAULTS } from './backoff';
import { TypedEmitter } from './emitter';
import { isConnectionError, isMeshError, MeshError } from './errors';
import { EVENT_QUEUE_DEFAULTS, EventQueue, type EventInput } from './event-queue';
import { LIMITER_DEFAULTS, StatusLimiter, type SendOutcome, type StatusValue } from './limiter';
import { BatchDeduplicator, PushReceiver, RECEIVER_DEFAULTS } from './receiver';
import { EventReplayer, REPLAY_DEFAULTS, type ReplayMode } from './replay';
import { messageText, OPEN, openSocket, resolveWebSocket, type SocketLike, type WebSocketConstructor } from './transport';

export interface MeshClientOptions {
  /** The WebSocket URL: `wss://{api}.execute-api.{region}.amazonaws.com/{stage}`, or `ws://localhost:3001` locally. */
  url: string;
  /** This node's id (also the host id when it creates a group). Default: a random UUID. */
  nodeId?: string;
  /** The domain to create and look for groups in. Default: none; `createGroup` then asks `createDomain`. */
  domain?: string;
  /** A WebSocket constructor. Default: `ws` in Node, the global WebSocket elsewhere. */
  WebSocket?: WebSocketConstructor;
  /** How long a request waits for its reply. Default 15,000 ms. */
  requestTimeoutMs?: number;
  /** How long opening the socket may take. Default 10,000 ms. */
  connectTimeoutMs?: number;
  /** Reconnect after an unexpected close. Default true. */
  reconnect?: boolean;
  /** Give up after this many failed attempts in a row. Default Infinity. */
  maxReconnectAttempts?: number;
  /** Backoff base of the first reconnect attempt. Default 250 ms. */
  reconnectInitialDelayMs?: number;
  /** Backoff cap. Default 10,000 ms. */
  reconnectMaxDelayMs?: number;
  /** Status reports allowed per `statusWindowMs`. Default 4. */
  statusMaxReports?: number;
  /** Default 250 ms. */
  statusWindowMs?: number;
  /** Full status re-send interval; 0 turns it off. Default 10,000 ms. */
  statusFullResendIntervalMs?: number;
  /** How often queued events leave. Default 250 ms. */
  eventFlushIntervalMs?: number;
  /** 'spaced' replays a batch with its original spacing; 'raw' emits on arrival. Default 'spaced'. */
  eventReplay?: ReplayMode;
  /** How far spaced replay may fall behind before it stops spacing. Default 1,000 ms. */
  maxReplayLagMs?: number;
  /** How long an early push waits for a missing one. Default 1,000 ms. */
  gapTimeoutMs?: number;
  /** Random numbers in [0, 1) for ids and jitter. Default Math.random. */
  random?: () => number;
}

/** The group this client is a node of. */
export interface GroupState {
  role: 'host' | 'member';
  groupId: string;
  domain: string;
  name: string;
  expiresAt: string;
  /** How often this node beats (renewHeartbeat as host, sendMemberHeartbeat as member). */
  heartbeatIntervalSeconds: number;
  maxConnectionTimeSeconds?: number;
}

export interface MeshClientEvents {
  /** A remote node's status changed: the changed keys, and its whole status. */
  status: [nodeId: string, changes: Record<string, string>, all: Record<string, string>];
  /** A remote event, in its sender's order (and spacing, unless `eventReplay: 'raw'`). */
  event: [event: MeshEvent];
  /** The host dissolved the group; the client left it. */
  dissolve: [payload: GroupDissolvePayload];
  /** The group passed its `expiresAt`; the client left it. */
  expired: [info: { groupId: string; domain: string; expiresAt: string }];
  /** The group or this node is gone (GroupNotFound, NodeNotFound, Unauthorized, or reconnecting gave up). */
  disconnect: [reason: MeshError];
  /** The connection dropped; attempt `attempt` starts after `delayMs`. */
  reconnecting: [info: { attempt: number; delayMs: number; code: number }];
  /** Connected again, group rejoined, statuses reloaded, own status re-sent. */
  reconnected: [info: { attempts: number; downtimeMs: number }];
  /** A failure the client went on after (a refused report or batch, an unexpected frame). */
  error: [error: MeshError];
}

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Counters, for tests, benchmarks and diagnostics. */
export interface MeshClientStats {
  /** Messages sent, by action. */
  sent: Partial<Record<Action, number>>;
  messagesSent: number;
  bytesSent: number;
  eventsFired: number;
  /** Events whose batch the server confirmed. */
  eventsConfirmed: number;
  /** Events fired and not confirmed yet. */
  eventsPending: number;
  statusReports: number;
  pushesReceived: number;
  /** Pushes dropped as seq duplicates. */
  duplicatesDropped: number;
  /** Batches dropped as copies re-sent after a lost reply. */
  batchCopiesDropped: number;
  /** Seqs skipped after the gap timeout. */
  seqsSkipped: number;
  reconnects: number;
  /** From the close to `reconnected`, of the last reconnect. */
  lastDowntimeMs: number | null;
}

interface Pending {
  action: Action;
  resolve: (reply: ResultReply) => void;
  reject: (error: MeshError) => void;
  timer: ReturnType<typeof setTimeout>;
}

const DEFAULTS = {
  requestTimeoutMs: 15_000,
  connectTimeoutMs: 10_000,
  reconnect: true,
  maxReconnectAttempts: Infinity,
} as const;

/** requestIds are `{prefix}{counter}`: ≤ 24 characters, far below the 64 allowed. */
const REQUEST_ID_WIDTH = 24;

export class MeshClient extends TypedEmitter<MeshClientEvents> {
  /** This node's id. */
  readonly nodeId: string;
  private readonly url: string;
  private readonly opts: MeshClientOptions;
  private domainValue: string | undefined;

  private socket: SocketLike | null = null;
  private stateValue: ConnectionState = 'idle';
  private reconnecting = false;
  private connecting: Promise<void> | null = null;
  private readonly pending = new Map<string, Pending>();
  private readonly requestPrefix: string;
  private requestCounter = 0;

  private groupState: GroupState | null = null;
  private readonly remote = new Map<string, Record<string, string>>();
  private readonly remoteAt = new Map<string, number>();
  private heartbeatTimer: ReturnType<typeof setTimeout> | null = null;
  private expiryTimer: ReturnType<typeof setTimeout> | null = null;
  /** When the last heartbeat (or the join) was sent. */
  private lastBeatAt = 0;

  private readonly limiter: StatusLimiter;
  private readonly events: EventQueue;
  private readonly receiver: PushReceiver;
  private readonly copies = new BatchDeduplicator();
  private readonly replayer: EventReplayer;
  private readonly counters = {
    sent: {} as Partial<Record<Action, number>>,
    messagesSent: 0,
    bytesSent: 0,
    eventsFired: 0,
    pushesReceived: 0,
    reconnects: 0,
    lastDowntimeMs: null as number | null,
  };

  constructor(options: MeshClientOptions) {
    super();
    if (!options.url) throw new MeshError('ValidationError', 'url is required');
    this.opts = options;
    this.url = options.url;
    const random = options.random ?? Math.random;
    this.nodeId = options.nodeId ?? randomId(random);
    if (this.nodeId.length > LIMITS.maxNodeIdLength) {
      throw new MeshError('ValidationError', `nodeId must be at most ${LIMITS.maxNodeIdLength} characters`);
    }
    this.domainValue = options.domain;
    this.requestPrefix = `${Math.floor(random() * 36 ** 6).toString(36)}-`;
    this.limiter = new StatusLimiter({
      maxReports: options.statusMaxReports ?? LIMITER_DEFAULTS.maxReports,
      windowMs: options.statusWindowMs ?? LIMITER_DEFAULTS.windowMs,
      fullResendIntervalMs: options.statusFullResendIntervalMs ?? LIMITER_DEFAULTS.fullResendIntervalMs,
      send: (entries) => this.sendReport(entries),
    });
    this.events = new EventQueue({
      flushIntervalMs: options.eventFlushIntervalMs ?? EVENT_QUEUE_DEFAULTS.flushIntervalMs,
      envelopeBytes: () => this.eventEnvelopeBytes(),
      send: (events) => this.sendBatch(events),
      onDropped: (events, reason) => this.report(reason),
    });
    this.receiver = new PushReceiver({
      gapTimeoutMs: options.gapTimeoutMs ?? RECEIVER_DEFAULTS.gapTimeoutMs,
      deliver: (push) => this.deliverPush(push),
    });
    this.replayer = new EventReplayer({
      mode: options.eventReplay ?? REPLAY_DEFAULTS.mode,
      maxLagMs: options.maxReplayLagMs ?? REPLAY_DEFAULTS.maxLagMs,
      emit: (event) => this.emit('event', event),
    });
  }

  // ---------------------------------------------------------------- state

  get state(): ConnectionState {
    return this.stateValue;
  }

  /** The domain in use (given, or learnt from `createDomain` / the group). */
  get domain(): string | undefined {
    return this.domainValue;
  }

  /** The group this client is a node of, or null. */
  get group(): GroupState | null {
    return this.groupState ? { ...this.groupState } : null;
  }

  /**
   * The underlying WebSocket (a `ws` WebSocket in Node), or null when not
   * connected. For diagnostics and tests, e.g. cutting the TCP connection with
   * `(client.rawSocket as any)._socket.destroy()`.
   */
  get rawSocket(): unknown {
    return this.socket;
  }

  /** Every remote node's status, as `{ nodeId: { key: value } }`. */
  remoteData(): Record<string, Record<string, string>> {
    const copy: Record<string, Record<string, string>> = {};
    for (const [nodeId, data] of this.remote) copy[nodeId] = { ...data };
    return copy;
  }

  /** This node's own status, as set with `setData`. */
  data(): Record<string, string> {
    return this.limiter.data();
  }

  stats(): MeshClientStats {
    return {
      sent: { ...this.counters.sent },
      messagesSent: this.counters.messagesSent,
      bytesSent: this.counters.bytesSent,
      eventsFired: this.counters.eventsFired,
      eventsConfirmed: this.events.eventsConfirmed,
      eventsPending: this.events.length,
      statusReports: this.limiter.reportsSent,
      pushesReceived: this.counters.pushesReceived,
      duplicatesDropped: this.receiver.duplicatesDropped,
      batchCopiesDropped: this.copies.copiesDropped,
      seqsSkipped: this.receiver.seqsSkipped,
      reconnects: this.counters.reconnects,
      lastDowntimeMs: this.counters.lastDowntimeMs,
    };
  }

  // ----------------------------------------------------------- connection

  /** Opens the WebSocket. Resolves once it is open (at once if it is). */
  connect(): Promise<void> {
    if (this.stateValue === 'open' || this.stateValue === 'reconnecting') return Promise.resolve();
    if (this.stateValue === 'closed') return Promise.reject(new MeshError('ClientClosed', 'the client was closed'));
    this.connecting ??= this.openFirst().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async openFirst(): Promise<void> {
    this.stateValue = 'connecting';
    try {
      const socket = await this.open();
      if (this.isClosed()) {
        socket.close(1000, 'client closed');
        throw new Error('the client was closed');
      }
      this.attach(socket);
      this.stateValue = 'open';
    } catch (error) {
      if (!this.isClosed()) this.stateValue = 'idle';
      throw new MeshError('ConnectionClosed', `could not connect to ${this.url}: ${(error as Error).message}`);
    }
  }

  /**
   * Closes the connection for good. The node stays in its group until its
   * heartbeat TTL runs out: call `leave()` first to leave at once.
   */
  close(): void {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed';
    this.endGroup(null);
    const socket = this.socket;
    this.socket = null;
    this.rejectPending(new MeshError('ClientClosed', 'the client was closed'));
    if (socket) {
      socket.onclose = null;
      socket.onmessage = null;
      socket.close(1000, 'client closed');
    }
  }

  // ------------------------------------------------------------- groups

  /** Asks the server for this client's domain (its source IP) and uses it from then on. */
  async createDomain(): Promise<string> {
    const domain = await this.call('createDomain', {});
    this.domainValue = domain;
    return domain;
  }

  /** Live groups of a domain (default: this client's domain), oldest first. */
  async listGroups(domain?: string): Promise<Group[]> {
    return this.call('listGroupsByDomain', { domain: domain ?? (await this.ensureDomain()) });
  }

  /** The protocol's `listGroupsByDomain`. */
  listGroupsByDomain(domain: string): Promise<Group[]> {
    return this.listGroups(domain);
  }

  /**
   * Creates a group with this node as host (idempotent: while it lives, the
   * same host and domain get the same group back), then starts the host
   * heartbeat, the expiry timer, status reports and event batches.
   */
  async createGroup(name: string, options: { maxConnectionTimeSeconds?: number; domain?: string } = {}): Promise<Group> {
    this.ensureNoGroup();
    await this.connect();
    const domain = options.domain ?? (await this.ensureDomain());
    const group = await this.call('createGroup', {
      name,
      hostId: this.nodeId,
      domain,
      maxConnectionTimeSeconds: options.maxConnectionTimeSeconds,
      useWebSocket: true,
    });
    this.enterGroup({
      role: 'host',
      groupId: group.id,
      domain: group.domain,
      name: group.name,
      expiresAt: group.expiresAt,
      heartbeatIntervalSeconds: group.heartbeatIntervalSeconds,
      maxConnectionTimeSeconds: options.maxConnectionTimeSeconds,
    });
    return group;
  }

  /**
   * Joins a group as a member, loads every node's current status (emitting
   * `status` for each), then starts the member heartbeat, the expiry timer,
   * status reports and event batches.
   */
  async joinGroup(groupId: string, domain?: string): Promise<Node> {
    this.ensureNoGroup();
    await this.connect();
    const inDomain = domain ?? this.domainValue;
    if (!inDomain) throw new MeshError('ValidationError', 'joinGroup needs a domain (argument or option)');
    const node = await this.call('joinGroup', { groupId, domain: inDomain, nodeId: this.nodeId });
    this.enterGroup({
      role: 'member',
      groupId: node.groupId,
      domain: node.domain,
      name: node.name,
      expiresAt: node.expiresAt,
      heartbeatIntervalSeconds: node.heartbeatIntervalSeconds,
    });
    await this.loadStatuses();
    return node;
  }

  /**
   * Leaves the group: sends what is pending first, then `leaveGroup` as a
   * member or `dissolveGroup` as host. A group already gone counts as left.
   */
  async leave(): Promise<void> {
    const group = this.groupState;
    if (!group) return;
    if (this.isOpen()) {
      await Promise.all([this.limiter.flush(), this.events.flush()]);
    }
    this.endGroup(null);
    try {
      if (group.role === 'host') {
        await this.call('dissolveGroup', { groupId: group.groupId, domain: group.domain, hostId: this.nodeId });
      } else {
        await this.call('leaveGroup', { groupId: group.groupId, domain: group.domain, nodeId: this.nodeId });
      }
    } catch (error) {
      if (isMeshError(error) && (error.errorType === 'GroupNotFound' || error.errorType === 'NodeNotFound')) return;
      throw error;
    }
  }

  /** The protocol's `leaveGroup` (members): see `leave()`. */
  leaveGroup(): Promise<void> {
    if (this.groupState?.role === 'host') {
      return Promise.reject(new MeshError('ValidationError', 'the host dissolves the group instead of leaving'));
    }
    return this.leave();
  }

  /** The protocol's `dissolveGroup` (host only): see `leave()`. */
  dissolveGroup(): Promise<void> {
    if (this.groupState?.role !== 'host') {
      return Promise.reject(new MeshError('ValidationError', 'only the host dissolves its group'));
    }
    return this.leave();
  }

  // ------------------------------------------------------ status, events

  /**
   * Sets this node's status: one key, or several at once. Merged by key; only
   * changed keys are reported, rate-limited, latest value always sent. Values
   * are sent as strings. Throws a ValidationError when a key or value is over
   * the protocol limits or the whole status would exceed 16 KB.
   */
  setData(key: string, value: StatusValue): void;
  setData(values: Record<string, StatusValue>): void;
  setData(keyOrValues: string | Record<string, StatusValue>, value?: StatusValue): void {
    const changes = typeof keyOrValues === 'string' ? { [keyOrValues]: value ?? '' } : keyOrValues;
    this.limiter.set(changes);
  }

  /**
   * Fires an event to every other node of the group. Queued with its real
   * firing time and sent with the next batch. Throws a ValidationError when
   * the name or payload is over the protocol limits or cannot fit in one
   * 32 KB message.
   */
  fireEvent(name: string, payload: string | null = null): void {
    this.events.push(name, payload);
    this.counters.eventsFired += 1;
  }

  /** The protocol's `reportDataByNode`: sets the entries and resolves once reported. */
  async reportDataByNode(data: StatusEntry[]): Promise<void> {
    this.setData(Object.fromEntries(data.map((entry) => [entry.key, entry.value])));
    await this.limiter.flush();
  }

  /** The protocol's `fireEventsByNode`: fires the events and resolves once sent. */
  async fireEventsByNode(events: { eventName: string; payload?: string | null }[]): Promise<void> {
    for (const event of events) this.fireEvent(event.eventName, event.payload ?? null);
    await this.events.flush();
  }

  // --------------------------------------------------------------- queries

  /** A node's full status, or null; default group: this client's. */
  getNodeStatus(nodeId: string, where: { groupId?: string; domain?: string } = {}): Promise<NodeStatus | null> {
    return this.call('getNodeStatus', { nodeId, ...where });
  }

  /** Every live node's full status (all pages); default group: this client's. */
  listGroupStatuses(where: { groupId?: string; domain?: string } = {}): Promise<NodeStatus[]> {
    return this.callAllPages('listGroupStatuses', this.groupArgs(where));
  }

  /** Every live node of a group (all pages); default group: this client's. */
  listNodesInGroup(where: { groupId?: string; domain?: string } = {}): Promise<Node[]> {
    return this.callAllPages('listNodesInGroup', this.groupArgs(where));
  }

  /** The host heartbeat, now (the client sends it on schedule by itself). */
  async renewHeartbeat(): Promise<void> {
    const group = this.requireGroup();
    const beat = await this.call('renewHeartbeat', { groupId: group.groupId, domain: group.domain, hostId: this.nodeId });
    this.updateLifetime(group, beat.expiresAt, beat.heartbeatIntervalSeconds);
  }

  /** The member heartbeat, now (the client sends it on schedule by itself). */
  async sendMemberHeartbeat(): Promise<void> {
    const group = this.requireGroup();
    const beat = await this.call('sendMemberHeartbeat', {
      groupId: group.groupId,
      domain: group.domain,
      nodeId: this.nodeId,
    });
    this.updateLifetime(group, beat.expiresAt, beat.heartbeatIntervalSeconds);
  }

  /**
   * Any action, as is: sends one request and resolves with the reply's `data`
   * (one page for list actions). Rejects with a MeshError; an error that means
   * the group or node is gone also ends the group state (`disconnect`).
   */
  async request<A extends Action>(action: A, args: ArgsOf<A>, options: { timeoutMs?: number } = {}): Promise<ActionResults[A]> {
    const reply = await this.send(action, args, options.timeoutMs);
    return reply.data as ActionResults[A];
  }

  /** Like `request`, with the whole reply (its `nextToken` included). */
  async requestReply<A extends Action>(
    action: A,
    args: ArgsOf<A>,
    options: { timeoutMs?: number } = {},
  ): Promise<ResultReply<ActionResults[A]>> {
    return (await this.send(action, args, options.timeoutMs)) as ResultReply<ActionResults[A]>;
  }

  // ============================================================ internals

  /** The named methods connect first if the program has not. */
  private async call<A extends Action>(action: A, args: ArgsOf<A>): Promise<ActionResults[A]> {
    if (this.stateValue === 'idle') await this.connect();
    return this.request(action, args);
  }

  private async callAllPages<A extends PagedAction>(action: A, args: ArgsOf<A>): Promise<ActionResults[A]> {
    const items: unknown[] = [];
    let nextToken: string | undefined;
    do {
      const reply = await this.requestReply(action, { ...args, nextToken } as ArgsOf<A>);
      items.push(...(reply.data as unknown[]));
      nextToken = reply.nextToken;
    } while (nextToken);
    return items as ActionResults[A];
  }

  private groupArgs(where: { groupId?: string; domain?: string }): { groupId: string; domain: string } {
    const groupId = where.groupId ?? this.groupState?.groupId;
    const domain = where.domain ?? this.groupState?.domain ?? this.domainValue;
    if (!groupId || !domain) throw new MeshError('NotInGroup', 'name a groupId and domain, or join a group first');
    return { groupId, domain };
  }

  private requireGroup(): GroupState {
    if (!this.groupState) throw new MeshError('NotInGroup', 'not in a group');
    return this.groupState;
  }

  private ensureNoGroup(): void {
    if (this.groupState) throw new MeshError('ValidationError', `already in group ${this.groupState.groupId}: leave first`);
  }

  private async ensureDomain(): Promise<string> {
    return this.domainValue ?? (await this.createDomain());
  }

  /** Read through a method: TypeScript would otherwise narrow the field across awaits. */
  private isClosed(): boolean {
    return this.stateValue === 'closed';
  }

  private isOpen(): boolean {
    return this.socket !== null && this.socket.readyState === OPEN;
  }

  private async open(): Promise<SocketLike> {
    const Ctor = await resolveWebSocket(this.opts.WebSocket);
    return openSocket(Ctor, this.url, this.opts.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs);
  }

  private attach(socket: SocketLike): void {
    this.socket = socket;
    socket.onmessage = (event) => this.onFrame(messageText(event.data));
    socket.onerror = () => {
      // A `close` event follows with the code; it is handled there.
    };
    socket.onclose = (event) => this.onSocketClosed(socket, event.code);
  }

  /** Sends one request and waits for the reply with its requestId. */
  private send(action: Action, args: object, timeoutMs?: number): Promise<ResultReply> {
    const socket = this.socket;
    if (!socket || socket.readyState !== OPEN) {
      return Promise.reject(new MeshError('ConnectionClosed', `not connected (${action})`, { action }));
    }
    this.requestCounter += 1;
    const requestId = `${this.requestPrefix}${this.requestCounter.toString(36)}`;
    const text = JSON.stringify({ action, requestId, ...args });
    const bytes = utf8Bytes(text);
    if (bytes > LIMITS.maxClientMessageBytes) {
      return Promise.reject(
        new MeshError(
          'ValidationError',
          `${action} would be a ${bytes}-byte message; a client message holds at most ${LIMITS.maxClientMessageBytes}`,
          { action },
        ),
      );
    }
    const wait = timeoutMs ?? this.opts.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs;
    const reply = new Promise<ResultReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new MeshError('Timeout', `no reply to ${action} within ${wait} ms`, { action, requestId }));
      }, wait);
      this.pending.set(requestId, { action, resolve, reject, timer });
      try {
        socket.send(text);
      } catch (error) {
        clearTimeout(timer);
        this.pending.delete(requestId);
        reject(new MeshError('ConnectionClosed', `could not send ${action}: ${(error as Error).message}`, { action }));
        return;
      }
      this.counters.messagesSent += 1;
      this.counters.bytesSent += bytes;
      this.counters.sent[action] = (this.counters.sent[action] ?? 0) + 1;
    });
    return reply.catch((error: MeshError) => {
      this.onRequestFailed(args, error);
      throw error;
    });
  }

  /** GroupNotFound, NodeNotFound, Unauthorized about the current group: it is over for this node. */
  private onRequestFailed(args: object, error: MeshError): void {
    const group = this.groupState;
    if (!group || !error.shouldDisconnect) return;
    const about = (args as { groupId?: string }).groupId;
    if (about !== undefined && about !== group.groupId) return;
    this.endGroup({ kind: 'disconnect', reason: error });
  }

  private rejectPending(error: MeshError): void {
    for (const [requestId, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new MeshError(error.errorType, `${error.message} (${pending.action})`, { action: pending.action, requestId }));
    }
    this.pending.clear();
  }

  private onFrame(text: string): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(text) as ServerFrame;
    } catch {
      this.report(new MeshError('InternalError', 'the server sent a frame that is not JSON'));
      return;
    }
    if (frame.type === 'message') {
      this.onPush(frame);
      return;
    }
    if (frame.type === 'messages') {
      // Several pushes of one group gathered in one frame: each as if it came alone, in order.
      for (const push of pushesOf(frame)) this.onPush(push);
      return;
    }
    const pending = frame.requestId !== undefined ? this.pending.get(frame.requestId) : undefined;
    if (!pending) {
      if (frame.type === 'error') this.report(errorFrom(frame));
      return;
    }
    this.pending.delete(frame.requestId!);
    clearTimeout(pending.timer);
    if (frame.type === 'result') pending.resolve(frame);
    else pending.reject(errorFrom(frame));
  }

  private onPush(push: Push): void {
    this.counters.pushesReceived += 1;
    const group = this.groupState;
    // Ignore our own messages, and stragglers of a group we are no longer in.
    if (!group || push.groupId !== group.groupId || push.domain !== group.domain) return;
    if (push.from === this.nodeId) return;
    this.receiver.receive(push);
  }

  /** A push in its sender's order, duplicates removed. */
  private deliverPush(push: Push): void {
    if ('nodeStatus' in push) {
      this.applyStatus(push.nodeStatus, false);
    } else if ('batchEvent' in push) {
      const batch: BatchEvent = push.batchEvent;
      if (batch.events.length === 0 || this.copies.isCopy(push.from, batch.events)) return;
      this.replayer.push(batch);
    } else if ('groupDissolve' in push) {
      this.endGroup({ kind: 'dissolve', payload: push.groupDissolve });
    }
  }

  /**
   * Merges a status into `remoteData` (a push carries only the reported keys)
   * or, for a full snapshot, replaces it unless a newer push came first.
   */
  private applyStatus(status: NodeStatus, snapshot: boolean): void {
    if (status.nodeId === this.nodeId) return;
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
    if (Object.keys(changes).length > 0) this.emit('status', status.nodeId, changes, { ...next });
  }

  /** Loads every node's status (on join and after a reconnect). */
  private async loadStatuses(): Promise<void> {
    const group = this.groupState;
    if (!group) return;
    const statuses = await this.listGroupStatuses({ groupId: group.groupId, domain: group.domain });
    if (this.groupState !== group) return;
    const present = new Set(statuses.map((status) => status.nodeId));
    for (const nodeId of [...this.remote.keys()]) {
      if (!present.has(nodeId)) {
        this.remote.delete(nodeId);
        this.remoteAt.delete(nodeId);
      }
    }
    for (const status of statuses) this.applyStatus(status, true);
  }

  private enterGroup(group: GroupState): void {
    this.groupState = group;
    this.domainValue = group.domain;
    this.remote.clear();
    this.remoteAt.clear();
    this.receiver.reset();
    this.copies.reset();
    this.replayer.clear();
    this.startLifecycle(group);
    // Status set before joining goes out in full; events fired before wait in the queue.
    this.limiter.markAllDirty();
    this.limiter.start();
    this.events.start();
  }

  /**
   * Leaves the group state: timers, queues, receivers. `end` says which event
   * to emit (null: none, e.g. for `leave()` and `close()`).
   */
  private endGroup(
    end:
      | null
      | { kind: 'disconnect'; reason: MeshError }
      | { kind: 'dissolve'; payload: GroupDissolvePayload }
      | { kind: 'expired' },
  ): void {
    const group = this.groupState;
    if (!group) return;
    this.groupState = null;
    this.stopLifecycle();
    this.limiter.stop();
    this.limiter.clearPending();
    this.events.stop();
    this.events.clear();
    this.receiver.reset();
    this.replayer.clear();
    this.copies.reset();
    this.remote.clear();
    this.remoteAt.clear();
    if (!end) return;
    if (end.kind === 'disconnect') this.emit('disconnect', end.reason);
    else if (end.kind === 'dissolve') this.emit('dissolve', end.payload);
    else this.emit('expired', { groupId: group.groupId, domain: group.domain, expiresAt: group.expiresAt });
  }

  // ------------------------------------------------------------ lifecycle

  private startLifecycle(group: GroupState): void {
    this.stopLifecycle();
    this.lastBeatAt = Date.now();
    this.armExpiry(group);
    this.scheduleHeartbeat(group);
  }

  private stopLifecycle(): void {
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.heartbeatTimer = null;
    this.expiryTimer = null;
  }

  /** Beats keep a fixed cadence from `lastBeatAt`, whatever the replies take. */
  private scheduleHeartbeat(group: GroupState): void {
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
    const delay = Math.max(0, this.lastBeatAt + group.heartbeatIntervalSeconds * 1000 - Date.now());
    this.heartbeatTimer = setTimeout(() => {
      this.heartbeatTimer = null;
      void this.beat(group);
    }, delay);
  }

  private async beat(group: GroupState): Promise<void> {
    if (this.groupState !== group) return;
    this.lastBeatAt = Date.now();
    this.scheduleHeartbeat(group);
    // While reconnecting, the rejoin itself renews the node.
    if (!this.isOpen() || this.reconnecting) return;
    try {
      if (group.role === 'host') await this.renewHeartbeat();
      else await this.sendMemberHeartbeat();
    } catch (error) {
      // A lost connection is the reconnect's business, and an error that
      // ends the group has ended it already (onRequestFailed).
      if (!isMeshError(error) || isConnectionError(error) || error.shouldDisconnect) return;
      if (error.errorType !== 'ClientClosed') this.report(error);
    }
  }

  private updateLifetime(group: GroupState, expiresAt: string, heartbeatIntervalSeconds: number): void {
    if (this.groupState !== group) return;
    if (group.heartbeatIntervalSeconds !== heartbeatIntervalSeconds) {
      group.heartbeatIntervalSeconds = heartbeatIntervalSeconds;
      if (this.heartbeatTimer) this.scheduleHeartbeat(group);
    }
    if (group.expiresAt !== expiresAt) {
      group.expiresAt = expiresAt;
      this.armExpiry(group);
    }
  }

  private armExpiry(group: GroupState): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    const ms = Date.parse(group.expiresAt) - Date.now();
    // setTimeout holds at most 2^31 - 1 ms; re-arm when a longer one fires.
    this.expiryTimer = setTimeout(() => {
      this.expiryTimer = null;
      if (this.groupState !== group) return;
      if (Date.parse(group.expiresAt) > Date.now()) this.armExpiry(group);
      else this.endGroup({ kind: 'expired' });
    }, Math.min(Math.max(ms, 0), 2 ** 31 - 1));
  }

  // ------------------------------------------------------------ sending

  private async sendReport(entries: StatusEntry[]): Promise<SendOutcome> {
    const group = this.groupState;
    if (!group || !this.isOpen()) return 'retry';
    try {
      await this.request('reportDataByNode', { groupId: group.groupId, domain: group.domain, nodeId: this.nodeId, data: entries });
      return 'sent';
    } catch (error) {
      return this.outcomeOf(error);
    }
  }

  private async sendBatch(events: EventInput[]): Promise<SendOutcome> {
    const group = this.groupState;
    if (!group || !this.isOpen()) return 'retry';
    try {
      await this.request('fireEventsByNode', { groupId: group.groupId, domain: group.domain, nodeId: this.nodeId, events });
      return 'sent';
    } catch (error) {
      return this.outcomeOf(error);
    }
  }

  /** Connection trouble and server failures are retried; refusals are reported and dropped. */
  private outcomeOf(error: unknown): SendOutcome {
    if (isConnectionError(error)) return 'retry';
    if (isMeshError(error) && error.errorType === 'InternalError') {
      this.report(error);
      return 'retry';
    }
    if (isMeshError(error) && !error.shouldDisconnect) this.report(error);
    return 'dropped';
  }

  private eventEnvelopeBytes(): number {
    const group = this.groupState;
    return utf8Bytes(
      JSON.stringify({
        action: 'fireEventsByNode',
        requestId: 'x'.repeat(REQUEST_ID_WIDTH),
        groupId: group?.groupId ?? 'x'.repeat(LIMITS.maxGroupIdLength),
        domain: group?.domain ?? this.domainValue ?? 'x'.repeat(LIMITS.maxDomainLength),
        nodeId: this.nodeId,
        events: [],
      }),
    );
  }

  private report(error: MeshError): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else console.warn(`[mesh-client] ${error.errorType}: ${error.message}`);
  }

  // ------------------------------------------------------------ reconnect

  private onSocketClosed(socket: SocketLike, code: number): void {
    if (socket !== this.socket) return;
    this.socket = null;
    // Stop the senders before failing their requests, so they keep (not retry) their work.
    this.limiter.stop();
    this.events.stop();
    this.rejectPending(new MeshError('ConnectionClosed', `connection closed (code ${code})`));
    if (this.stateValue === 'closed' || this.reconnecting) return;
    if (this.opts.reconnect === false) {
      this.stateValue = 'idle';
      this.endGroup({ kind: 'disconnect', reason: new MeshError('ConnectionClosed', `connection closed (code ${code})`) });
      return;
    }
    void this.reconnect(code);
  }

  /**
   * Reconnects with jittered exponential backoff, then restores the group:
   * rejoin as the same node, reload statuses, re-send the own status in full,
   * then send the events queued meanwhile.
   */
  private async reconnect(code: number): Promise<void> {
    this.reconnecting = true;
    this.stateValue = 'reconnecting';
    this.counters.reconnects += 1;
    const cutAt = Date.now();
    const maxAttempts = this.opts.maxReconnectAttempts ?? DEFAULTS.maxReconnectAttempts;
    try {
      for (let attempt = 0; ; attempt += 1) {
        if (this.isClosed()) return;
        if (attempt >= maxAttempts) {
          this.stateValue = 'idle';
          const reason = new MeshError('ConnectionClosed', `could not reconnect after ${attempt} attempts`);
          if (this.groupState) this.endGroup({ kind: 'disconnect', reason });
          else this.report(reason);
          return;
        }
        const delayMs = backoffDelay(attempt, {
          initialDelayMs: this.opts.reconnectInitialDelayMs ?? BACKOFF_DEFAULTS.initialDelayMs,
          maxDelayMs: this.opts.reconnectMaxDelayMs ?? BACKOFF_DEFAULTS.maxDelayMs,
          random: this.opts.random,
        });
        this.emit('reconnecting', { attempt: attempt + 1, delayMs, code });
        await sleep(delayMs);
        if (this.isClosed()) return;
        if (!this.isOpen()) {
          let socket: SocketLike;
          try {
            socket = await this.open();
          } catch {
            continue;
          }
          if (this.isClosed()) {
            socket.close(1000, 'client closed');
            return;
          }
          this.attach(socket);
        }
        try {
          await this.restoreGroup();
        } catch (error) {
          if (isMeshError(error) && error.shouldDisconnect) {
            // The group (or this node) is gone: that ends the group, not the connection.
            this.endGroup({ kind: 'disconnect', reason: error });
            break;
          }
          if (!isConnectionError(error) && isMeshError(error)) this.report(error);
          continue;
        }
        break;
      }
      this.stateValue = 'open';
      this.counters.lastDowntimeMs = Date.now() - cutAt;
      this.emit('reconnected', { attempts: this.counters.reconnects, downtimeMs: this.counters.lastDowntimeMs });
    } finally {
      this.reconnecting = false;
      if (this.stateValue === 'reconnecting') this.stateValue = this.isOpen() ? 'open' : 'idle';
    }
  }

  private async restoreGroup(): Promise<void> {
    const group = this.groupState;
    if (!group) return;
    if (group.role === 'host') {
      // createGroup is idempotent on hostId + domain and binds this connection
      // as the host node again.
      const again = await this.request('createGroup', {
        name: group.name,
        hostId: this.nodeId,
        domain: group.domain,
        maxConnectionTimeSeconds: group.maxConnectionTimeSeconds,
        useWebSocket: true,
      });
      if (again.id !== group.groupId) {
        // Our group ended while we were away, so that call made a new one:
        // take it down again rather than hold a group nobody joined.
        await this.request('dissolveGroup', { groupId: again.id, domain: again.domain, hostId: this.nodeId }).catch(
          (error: unknown) => this.report(error as MeshError),
        );
        throw new MeshError('GroupNotFound', 'the group ended while the host was disconnected', { action: 'createGroup' });
      }
      this.updateLifetime(group, again.expiresAt, again.heartbeatIntervalSeconds);
    } else {
      const node = await this.request('joinGroup', { groupId: group.groupId, domain: group.domain, nodeId: this.nodeId });
      this.updateLifetime(group, node.expiresAt, node.heartbeatIntervalSeconds);
    }
    if (this.groupState !== group) return;
    this.lastBeatAt = Date.now();
    this.scheduleHeartbeat(group);
    // Reloading the others' status and re-sending our own are independent:
    // both go out at once, and the queued events right after our status.
    this.limiter.markAllDirty();
    this.limiter.start();
    await Promise.all([this.loadStatuses(), this.limiter.flush()]);
    if (this.groupState !== group) return;
    this.events.start();
    void this.events.flush();
  }
}

function errorFrom(reply: ErrorReply): MeshError {
  return new MeshError(reply.errorType, reply.message, { action: reply.action, requestId: reply.requestId });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A random UUID (v4 layout); `crypto.randomUUID` where there is one. */
function randomId(random: () => number): string {
  const crypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (crypto?.randomUUID) return crypto.randomUUID();
  return 'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'.replace(/[xy]/g, (c) => {
    const r = Math.floor(random() * 16);
    return (c === 'x' ? r : (r & 0x3) | 0x8).toString(16);
  });
}
