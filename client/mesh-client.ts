/**
 * MeshClient: one Mesh node over one WebSocket, in browsers and Node. It
 * turns wire protocol v1 into a few calls and handles what a real network
 * does to a long-lived connection. See docs/client.md for the guide.
 *
 * This file is the façade: the public API, wiring the parts that do the work
 * (connection/, requests.ts, membership.ts, status-mirror.ts; see README.md).
 * It runs just past 400 lines because the public API is one class, each
 * method a few lines that hand the work on.
 */
import { LIMITS } from '#shared/protocol/limits';
import { pushesOf, type ResultReply } from '#shared/protocol/messages';
import type { Action, ArgsOf } from '#shared/protocol/args';
import type { ActionResults } from '#shared/protocol/results';
import type { Group, Node, NodeStatus, StatusEntry } from '#shared/protocol/types';
import { Connection } from './connection/connection';
import type { ConnectionState, StateChange } from './connection/states';
import { TypedEmitter } from './emitter';
import { isMeshError, MeshError } from './errors';
import type { StatusValue } from './limiter';
import { Membership, type GroupEnd, type GroupWhere } from './membership';
import { NodeTokens } from './node-tokens';
import {
  CLIENT_DEFAULTS,
  randomId,
  type GroupState,
  type MeshClientEvents,
  type MeshClientOptions,
  type MeshClientStats,
} from './options';
import { allPages, errorFrom, parseServerFrame, Requests, type Send } from './requests';
import { StatusMirror } from './status-mirror';

/** Per-call options of `request` and `requestReply`. */
type CallOptions = { timeoutMs?: number };

export class MeshClient extends TypedEmitter<MeshClientEvents> {
  /** This node's id. */
  readonly nodeId: string;
  private readonly requestTimeoutMs: number;
  private readonly connection: Connection;
  private readonly requests: Requests;
  private readonly mirror: StatusMirror;
  private readonly membership: Membership;
  private eventsFired = 0;

  constructor(options: MeshClientOptions) {
    super();
    if (!options.url) throw new MeshError('ValidationError', 'url is required');
    const random = options.random ?? Math.random;
    const tokens = new NodeTokens(options.storage);
    this.nodeId = options.nodeId ?? tokens.nodeId(() => randomId(random));
    if (this.nodeId.length > LIMITS.maxNodeIdLength) {
      throw new MeshError('ValidationError', `nodeId must be at most ${LIMITS.maxNodeIdLength} characters`);
    }
    this.requestTimeoutMs = options.requestTimeoutMs ?? CLIENT_DEFAULTS.requestTimeoutMs;
    this.requests = new Requests({
      socket: () => this.connection.socket,
      timeoutMs: this.requestTimeoutMs,
      random,
      onFailed: (args, error) => this.membership.onRequestFailed(args, error),
    });
    this.mirror = new StatusMirror({
      ...options,
      nodeId: this.nodeId,
      onStatus: (nodeId, changes, all) => this.emit('status', nodeId, changes, all),
      onEvent: (event) => this.emit('event', event),
      onDissolve: (payload) => this.membership.end({ kind: 'dissolve', payload }),
      onJoin: (change) => this.emit('join', change),
      onLeave: (change) => this.emit('leave', change),
    });
    this.connection = new Connection({
      ...options,
      onFrame: (text) => this.onFrame(text),
      onDrop: (code) => {
        // Stop the senders before failing their requests, so they keep (not retry) their work.
        this.membership.pause();
        this.requests.rejectAll(new MeshError('ConnectionClosed', `connection closed (code ${code})`));
      },
      restore: () => this.membership.restore(),
    });
    this.membership = new Membership({
      ...options,
      nodeId: this.nodeId,
      tokens,
      connection: this.connection,
      send: this.requests.send,
      mirror: this.mirror,
      onEnd: (group, end) => this.onGroupEnded(group, end),
      report: (error) => this.report(error),
      resumes: () => this.connection.transport === 'websocket',
      onGap: ({ groupId, domain }) => this.emit('gap', { groupId, domain }),
    });
    this.connection.on('stateChange', (change) => this.onStateChange(change));
    this.connection.on('reconnecting', (info) => this.emit('reconnecting', info));
    this.connection.on('reconnected', (info) => this.emit('reconnected', info));
  }

  // ---------------------------------------------------------------- state

  /** The connection state; see the table in client/connection/states.ts and docs/client.md. */
  get state(): ConnectionState {
    return this.connection.state;
  }

  /** The domain in use (given, or learnt from `createDomain` / the group). */
  get domain(): string | undefined {
    return this.membership.domain;
  }

  /** The group this client is a node of, or null. */
  get group(): GroupState | null {
    const group = this.membership.current;
    return group ? { ...group } : null;
  }

  /**
   * The underlying WebSocket (a `ws` WebSocket in Node), or null when not
   * connected. For diagnostics and tests, e.g. cutting the TCP connection with
   * `(client.rawSocket as any)._socket.destroy()`.
   */
  get rawSocket(): unknown {
    return this.connection.socket;
  }

  /** Every remote node's status, as `{ nodeId: { key: value } }`. */
  remoteData(): Record<string, Record<string, string>> {
    return this.mirror.snapshot();
  }

  /** Every node of the group, this one and the host included, by id; empty outside a group. */
  members(): string[] {
    return this.membership.current ? this.mirror.roster.list() : [];
  }

  /** This node's own status, as set with `setData`. */
  data(): Record<string, string> {
    return this.membership.status.data();
  }

  /** Counters, for tests, benchmarks and diagnostics. */
  stats(): MeshClientStats {
    return {
      sent: { ...this.requests.sent },
      messagesSent: this.requests.messagesSent,
      bytesSent: this.requests.bytesSent,
      eventsFired: this.eventsFired,
      eventsConfirmed: this.membership.outbox.eventsConfirmed,
      eventsPending: this.membership.outbox.length,
      statusReports: this.membership.status.reportsSent,
      ...this.mirror.counters(),
      reconnects: this.connection.reconnects,
      lastDowntimeMs: this.connection.lastDowntimeMs,
      transport: this.connection.transport,
    };
  }

  // ----------------------------------------------------------- connection

  /**
   * Opens the connection and resolves once the state is `open`: at once if it
   * is, after the reconnect if one is under way. From `failed` it starts
   * afresh. Rejects if the attempt fails (`ConnectionClosed`, state `idle`),
   * reconnecting gives up (`ConnectionFailed`) or the client is closed.
   */
  connect(): Promise<void> {
    return this.connection.connect();
  }

  /**
   * Closes the connection for good. The node stays in its group until its
   * heartbeat TTL runs out: call `leave()` first to leave at once.
   */
  close(): void {
    this.connection.close();
  }

  // ------------------------------------------------------------- groups

  /** Asks the server for this client's domain (its source IP) and uses it from then on. */
  async createDomain(): Promise<string> {
    const domain = (await this.call('createDomain', {})).data;
    this.membership.domain = domain;
    return domain;
  }

  /** Live groups of a domain (default: this client's domain), oldest first. */
  async listGroups(domain?: string): Promise<Group[]> {
    return (await this.call('listGroupsByDomain', { domain: domain ?? (await this.ensureDomain()) })).data;
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
  async createGroup(
    name: string,
    { maxConnectionTimeSeconds, domain: given }: { maxConnectionTimeSeconds?: number; domain?: string } = {},
  ): Promise<Group> {
    this.membership.ensureNone();
    const domain = given ?? (await this.ensureDomain());
    const nodeToken = this.membership.tokenFor({ role: 'host', domain, nodeId: this.nodeId });
    const args = { name, hostId: this.nodeId, domain, maxConnectionTimeSeconds, useWebSocket: true, nodeToken };
    const group = (await this.call('createGroup', args)).data;
    this.membership.enterAsHost(group, maxConnectionTimeSeconds);
    return group;
  }

  /**
   * Joins a group as a member, loads every node's current status (emitting
   * `status` for each), then starts the member heartbeat, the expiry timer,
   * status reports and event batches.
   */
  async joinGroup(groupId: string, domain?: string): Promise<Node> {
    this.membership.ensureNone();
    const inDomain = domain ?? this.membership.domain;
    if (!inDomain) throw new MeshError('ValidationError', 'joinGroup needs a domain (argument or option)');
    const nodeToken = this.membership.tokenFor({ role: 'member', domain: inDomain, groupId, nodeId: this.nodeId });
    const args = { groupId, domain: inDomain, nodeId: this.nodeId, nodeToken };
    const joined = await this.mirror.entering(args, async () => (await this.call('joinGroup', args)).data);
    this.membership.enterAsMember(joined.reply);
    this.mirror.admitEarly(joined.early, joined.reply);
    await this.membership.loadStatuses(this.call);
    return joined.reply;
  }

  /**
   * Leaves the group: sends what is pending first, then `leaveGroup` as a
   * member or `dissolveGroup` as host. A group already gone counts as left.
   */
  async leave(): Promise<void> {
    const group = this.membership.current;
    if (!group) return;
    if (this.connection.state === 'open') await this.membership.flush();
    this.membership.end(null);
    const where = { groupId: group.groupId, domain: group.domain };
    try {
      if (group.role === 'host') await this.call('dissolveGroup', { ...where, hostId: this.nodeId });
      else await this.call('leaveGroup', { ...where, nodeId: this.nodeId });
    } catch (error) {
      if (isMeshError(error) && (error.errorType === 'GroupNotFound' || error.errorType === 'NodeNotFound')) return;
      throw error;
    }
  }

  /** The protocol's `leaveGroup` (members): see `leave()`. */
  leaveGroup(): Promise<void> {
    if (this.membership.current?.role === 'host') {
      return Promise.reject(new MeshError('ValidationError', 'the host dissolves the group instead of leaving'));
    }
    return this.leave();
  }

  /** The protocol's `dissolveGroup` (host only): see `leave()`. */
  dissolveGroup(): Promise<void> {
    if (this.membership.current?.role !== 'host') {
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
    this.membership.status.set(changes);
  }

  /**
   * Fires an event to every other node of the group. Queued with its real
   * firing time and sent with the next batch. Throws a ValidationError when
   * the name or payload is over the protocol limits or cannot fit in one
   * 32 KB message.
   */
  fireEvent(name: string, payload: string | null = null): void {
    this.membership.outbox.push(name, payload);
    this.eventsFired += 1;
  }

  /** The protocol's `reportDataByNode`: sets the entries and resolves once reported. */
  async reportDataByNode(data: StatusEntry[]): Promise<void> {
    this.setData(Object.fromEntries(data.map((entry) => [entry.key, entry.value])));
    await this.membership.status.flush();
  }

  /** The protocol's `fireEventsByNode`: fires the events and resolves once sent. */
  async fireEventsByNode(events: { eventName: string; payload?: string | null }[]): Promise<void> {
    for (const event of events) this.fireEvent(event.eventName, event.payload ?? null);
    await this.membership.outbox.flush();
  }

  // --------------------------------------------------------------- queries

  /** A node's full status, or null; default group: this client's. */
  async getNodeStatus(nodeId: string, where: GroupWhere = {}): Promise<NodeStatus | null> {
    return (await this.call('getNodeStatus', { nodeId, ...where })).data;
  }

  /** Every live node's full status (all pages); default group: this client's. */
  listGroupStatuses(where: GroupWhere = {}): Promise<NodeStatus[]> {
    return allPages(this.call, 'listGroupStatuses', this.membership.where(where));
  }

  /** Every live node of a group (all pages); default group: this client's. */
  listNodesInGroup(where: GroupWhere = {}): Promise<Node[]> {
    return allPages(this.call, 'listNodesInGroup', this.membership.where(where));
  }

  /** The host heartbeat, now (the client sends it on schedule by itself). */
  renewHeartbeat(): Promise<void> {
    return this.membership.heartbeat(this.call, 'host');
  }

  /** The member heartbeat, now (the client sends it on schedule by itself). */
  sendMemberHeartbeat(): Promise<void> {
    return this.membership.heartbeat(this.call, 'member');
  }

  /**
   * Any action, as is: sends one request and resolves with the reply's `data`
   * (one page for list actions). Rejects with a MeshError; an error that means
   * the group or node is gone also ends the group state (`disconnect`).
   */
  async request<A extends Action>(action: A, args: ArgsOf<A>, options: CallOptions = {}): Promise<ActionResults[A]> {
    return (await this.call(action, args, options.timeoutMs)).data;
  }

  /** Like `request`, with the whole reply (its `nextToken` included). */
  requestReply<A extends Action>(
    action: A,
    args: ArgsOf<A>,
    options: CallOptions = {},
  ): Promise<ResultReply<ActionResults[A]>> {
    return this.call(action, args, options.timeoutMs);
  }

  // ============================================================ internals

  /**
   * Every call the program makes: what it does depends on the state
   * (`STATES[state].requests`: send, connect first, wait, or reject). Its
   * timeout runs from now, so a wait for the connection counts.
   */
  private readonly call: Send = async (action, args, timeoutMs = this.requestTimeoutMs) => {
    const startedAt = Date.now();
    await this.connection.whenUsable(action, timeoutMs);
    return this.requests.send(action, args, timeoutMs - (Date.now() - startedAt));
  };

  private onStateChange(change: StateChange): void {
    this.emit('stateChange', change);
    if (change.current === 'closed') {
      // The node lives on at the server until its heartbeat TTL: a later page may come back as it.
      this.membership.end(null, { keepToken: true });
      this.requests.rejectAll(new MeshError('ClientClosed', 'the client was closed'));
    } else if (change.current === 'failed') {
      const reason = change.reason ?? new MeshError('ConnectionClosed', 'the connection failed');
      if (this.membership.current) this.membership.end({ kind: 'disconnect', reason });
      else this.report(reason);
    }
  }

  private onGroupEnded(group: GroupState, end: GroupEnd): void {
    if (end.kind === 'disconnect') this.emit('disconnect', end.reason);
    else if (end.kind === 'dissolve') this.emit('dissolve', end.payload);
    else this.emit('expired', { groupId: group.groupId, domain: group.domain, expiresAt: group.expiresAt });
  }

  private onFrame(text: string): void {
    const frame = parseServerFrame(text);
    if (frame === undefined)
      return this.report(new MeshError('InternalError', 'the server sent a frame that is not JSON'));
    if (frame.type === 'message' || frame.type === 'messages') {
      // Several pushes of one group gathered in one frame: each as if it came alone, in order.
      for (const push of pushesOf(frame)) this.mirror.receive(push, this.membership.current);
      return;
    }
    if (!this.requests.settle(frame) && frame.type === 'error') this.report(errorFrom(frame));
  }

  private report(error: MeshError): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else console.warn(`[mesh-client] ${error.errorType}: ${error.message}`);
  }

  private async ensureDomain(): Promise<string> {
    return this.membership.domain ?? (await this.createDomain());
  }
}
