/**
 * This node's membership of a group: entering and ending it, the heartbeat
 * and the expiry timer, the outgoing status (limiter.ts) and events
 * (event-queue.ts), and restoring all of it on a new socket after a
 * reconnect. It sends through the `Send` it is given; the connection state
 * decides when that is possible.
 */
import { LIMITS, utf8Bytes } from '#shared/protocol/limits';
import type { ActionResults } from '#shared/protocol/results';
import type { GroupDissolvePayload, StatusEntry } from '#shared/protocol/types';
import type { ConnectionState } from './connection/states';
import { isConnectionError, isMeshError, MeshError } from './errors';
import { EVENT_QUEUE_DEFAULTS, EventQueue, type EventInput } from './event-queue';
import { LIMITER_DEFAULTS, StatusLimiter, type SendOutcome } from './limiter';
import type { NodeTokens, TokenSlot } from './node-tokens';
import type { GroupState, MeshClientOptions } from './options';
import { REQUEST_ID_WIDTH, type Send } from './requests';
import { loadGroup } from './group-load';
import { anchorAtLogEnd, resumeAfterDrop } from './resume';
import type { StatusMirror } from './status-mirror';

/** How a group ended, i.e. which event the client emits. */
export type GroupEnd =
  { kind: 'disconnect'; reason: MeshError } | { kind: 'dissolve'; payload: GroupDissolvePayload } | { kind: 'expired' };

/** Which group a query is about; either part defaults to this node's group (and domain). */
export type GroupWhere = { groupId?: string; domain?: string };

type SenderOptions = Pick<
  MeshClientOptions,
  'statusMaxReports' | 'statusWindowMs' | 'statusFullResendIntervalMs' | 'eventFlushIntervalMs'
>;

export interface MembershipOptions extends SenderOptions {
  nodeId: string;
  /** This node's tokens, by group: presented whenever this node acts from a new socket. */
  tokens: NodeTokens;
  domain?: string;
  connection: { readonly state: ConnectionState; isOpen(): boolean };
  /** Sends on the open socket now (the rejoin goes out before the state is `open` again). */
  send: Send;
  mirror: StatusMirror;
  /** The group ended (not by `leave()` or `close()`): emit its event. */
  onEnd: (group: GroupState, end: GroupEnd) => void;
  /** Whether a drop is caught up on from the group's log (resume.ts): the WebSocket's pushes carry positions. */
  resumes: () => boolean;
  /** Back from a drop, some pushes were past the log's retention. */
  onGap: (group: GroupState) => void;
  report: (error: MeshError) => void;
}

export class Membership {
  /** This node's own status, rate-limited out as `reportDataByNode`. */
  readonly status: StatusLimiter;
  /** Events fired, batched out as `fireEventsByNode`. */
  readonly outbox: EventQueue;
  /** The domain in use (given, or learnt from `createDomain` or the group). */
  domain: string | undefined;
  private group: GroupState | null = null;
  private heartbeatTimer: ReturnType<typeof setTimeout> | null = null;
  private expiryTimer: ReturnType<typeof setTimeout> | null = null;
  /** When the last heartbeat (or the join) was sent. */
  private lastBeatAt = 0;

  constructor(private readonly options: MembershipOptions) {
    this.domain = options.domain;
    this.status = new StatusLimiter({
      maxReports: options.statusMaxReports ?? LIMITER_DEFAULTS.maxReports,
      windowMs: options.statusWindowMs ?? LIMITER_DEFAULTS.windowMs,
      fullResendIntervalMs: options.statusFullResendIntervalMs ?? LIMITER_DEFAULTS.fullResendIntervalMs,
      send: (entries) => this.sendReport(entries),
    });
    this.outbox = new EventQueue({
      flushIntervalMs: options.eventFlushIntervalMs ?? EVENT_QUEUE_DEFAULTS.flushIntervalMs,
      envelopeBytes: () => this.eventEnvelopeBytes(),
      send: (events) => this.sendBatch(events),
      onDropped: (events, reason) => options.report(reason),
    });
  }

  /** The group this node is in, or null (the live object: copy it before handing it out). */
  get current(): GroupState | null {
    return this.group;
  }

  /** The current group, or a NotInGroup error. */
  require(): GroupState {
    if (!this.group) throw new MeshError('NotInGroup', 'not in a group');
    return this.group;
  }

  /** The group a query is about: the one named, else this node's (NotInGroup when there is none). */
  where(where: GroupWhere): { groupId: string; domain: string } {
    const groupId = where.groupId ?? this.group?.groupId;
    const domain = where.domain ?? this.group?.domain ?? this.domain;
    if (!groupId || !domain) throw new MeshError('NotInGroup', 'name a groupId and domain, or join a group first');
    return { groupId, domain };
  }

  /** A ValidationError when this node is in a group already (create or join one at a time). */
  ensureNone(): void {
    if (this.group) throw new MeshError('ValidationError', `already in group ${this.group.groupId}: leave first`);
  }

  /** The token kept for acting as this node in `slot`'s group, if any (from an earlier socket or page). */
  tokenFor(slot: TokenSlot): string | undefined {
    return this.options.tokens.get(slot);
  }

  /** Enters the group `createGroup` answered with, as its host. */
  enterAsHost(group: ActionResults['createGroup'], maxConnectionTimeSeconds: number | undefined): void {
    const { id: groupId, domain, name, expiresAt, heartbeatIntervalSeconds } = group;
    const state: GroupState = {
      role: 'host',
      groupId,
      domain,
      name,
      expiresAt,
      heartbeatIntervalSeconds,
      maxConnectionTimeSeconds,
    };
    this.enter(state, group.nodeToken);
  }

  /** Enters the group `joinGroup` answered with, as a member. */
  enterAsMember(node: ActionResults['joinGroup']): void {
    const { groupId, domain, name, expiresAt, heartbeatIntervalSeconds } = node;
    this.enter({ role: 'member', groupId, domain, name, expiresAt, heartbeatIntervalSeconds }, node.nodeToken);
    this.options.mirror.prime(node.senders ?? []);
  }

  /** Which token slot the group's node uses. */
  private slotOf(group: GroupState): TokenSlot {
    const { domain, groupId } = group;
    const { nodeId } = this.options;
    return group.role === 'host' ? { role: 'host', domain, nodeId } : { role: 'member', domain, groupId, nodeId };
  }

  /** `nodeToken`: a new node's, from the reply that created it (a rebound node's is kept already). */
  private enter(group: GroupState, nodeToken: string | undefined): void {
    if (nodeToken !== undefined) this.options.tokens.keep(this.slotOf(group), nodeToken);
    this.group = group;
    this.domain = group.domain;
    this.options.mirror.reset();
    this.startLifecycle(group);
    // Status set before joining goes out in full; events fired before wait in the queue.
    this.status.markAllDirty();
    this.status.start();
    this.outbox.start();
    if (this.options.resumes())
      anchorAtLogEnd(this.options.send, group, this.options.mirror, () => this.group === group);
  }

  /**
   * Leaves the group state: timers, queues, the mirror. `end` null: no event
   * (`leave()`, `close()`). The token is forgotten unless the node may live
   * on at the server (`keepToken`, or a connection that gave up).
   */
  end(end: GroupEnd | null, options: { keepToken?: boolean } = {}): void {
    const group = this.group;
    if (!group) return;
    this.group = null;
    const nodeLivesOn = options.keepToken || (end?.kind === 'disconnect' && isConnectionError(end.reason));
    if (!nodeLivesOn) this.options.tokens.forget(this.slotOf(group));
    this.stopLifecycle();
    this.status.stop();
    this.status.clearPending();
    this.outbox.stop();
    this.outbox.clear();
    this.options.mirror.reset();
    if (end) this.options.onEnd(group, end);
  }

  /** The socket dropped: stop the senders, so they keep (not retry) their work until the rejoin. */
  pause(): void {
    this.status.stop();
    this.outbox.stop();
    if (this.group && this.options.resumes()) this.options.mirror.hold();
  }

  /** Sends the pending status and events (before leaving). */
  async flush(): Promise<void> {
    await Promise.all([this.status.flush(), this.outbox.flush()]);
  }

  /** Loads every node's status and the member list into the mirror (on join and after a reconnect). */
  async loadStatuses(send: Send): Promise<void> {
    const group = this.group;
    if (group) await loadGroup(send, group, this.options.mirror, () => this.group === group);
  }

  /** One heartbeat now, as host (`renewHeartbeat`) or member (`sendMemberHeartbeat`). */
  async heartbeat(send: Send, role: GroupState['role']): Promise<void> {
    const group = this.require();
    const where = { groupId: group.groupId, domain: group.domain };
    const beat =
      role === 'host'
        ? (await send('renewHeartbeat', { ...where, hostId: this.options.nodeId })).data
        : (await send('sendMemberHeartbeat', { ...where, nodeId: this.options.nodeId })).data;
    this.updateLifetime(group, beat.expiresAt, beat.heartbeatIntervalSeconds);
  }

  /** GroupNotFound, NodeNotFound, Unauthorized about the current group: it is over for this node. */
  onRequestFailed(args: object, error: MeshError): void {
    const group = this.group;
    if (!group || !error.shouldDisconnect) return;
    const about = (args as { groupId?: string }).groupId;
    if (about !== undefined && about !== group.groupId) return;
    this.end({ kind: 'disconnect', reason: error });
  }

  /**
   * Restores the group on a new socket: rejoin as the same node, reload
   * statuses, re-send the own status in full, then the events queued
   * meanwhile. A group gone for good ends here (`disconnect`) and the
   * connection counts as restored; anything else asks for another attempt.
   */
  async restore(): Promise<'done' | 'retry'> {
    try {
      await this.restoreGroup();
      return 'done';
    } catch (error) {
      if (isMeshError(error) && error.shouldDisconnect) {
        // The group (or this node) is gone: that ends the group, not the connection.
        this.end({ kind: 'disconnect', reason: error });
        return 'done';
      }
      if (isMeshError(error) && !isConnectionError(error) && error.errorType !== 'ClientClosed')
        this.options.report(error);
      return 'retry';
    }
  }

  private async restoreGroup(): Promise<void> {
    const group = this.group;
    if (!group) return;
    const { send, nodeId } = this.options;
    // This socket is new to the server: acting as the node again needs its token.
    const nodeToken = this.options.tokens.get(this.slotOf(group));
    if (group.role === 'host') {
      // createGroup is idempotent on hostId + domain and binds this connection
      // as the host node again.
      const again = (
        await send('createGroup', {
          name: group.name,
          hostId: nodeId,
          domain: group.domain,
          maxConnectionTimeSeconds: group.maxConnectionTimeSeconds,
          useWebSocket: true,
          nodeToken,
        })
      ).data;
      if (again.id !== group.groupId) {
        // Our group ended while we were away, so that call made a new one:
        // take it down again rather than hold a group nobody joined.
        await send('dissolveGroup', { groupId: again.id, domain: again.domain, hostId: nodeId }).catch(
          (error: unknown) => this.options.report(error as MeshError),
        );
        throw new MeshError('GroupNotFound', 'the group ended while the host was disconnected', {
          action: 'createGroup',
        });
      }
      this.updateLifetime(group, again.expiresAt, again.heartbeatIntervalSeconds);
    } else {
      const node = (await send('joinGroup', { groupId: group.groupId, domain: group.domain, nodeId, nodeToken })).data;
      this.updateLifetime(group, node.expiresAt, node.heartbeatIntervalSeconds);
    }
    if (this.group !== group) return;
    if (this.options.resumes())
      await resumeAfterDrop(send, group, this.options.mirror, () => this.options.onGap(group));
    if (this.group !== group) return;
    this.lastBeatAt = Date.now();
    this.scheduleHeartbeat(group);
    // Reloading the others' status and re-sending our own are independent:
    // both go out at once, and the queued events right after our status.
    this.status.markAllDirty();
    this.status.start();
    await Promise.all([this.loadStatuses(send), this.status.flush()]);
    if (this.group !== group) return;
    this.outbox.start();
    void this.outbox.flush();
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
    if (this.group !== group) return;
    this.lastBeatAt = Date.now();
    this.scheduleHeartbeat(group);
    // While reconnecting, the rejoin itself renews the node.
    if (this.options.connection.state !== 'open') return;
    try {
      await this.heartbeat(this.options.send, group.role);
    } catch (error) {
      // A lost connection is the reconnect's business, and an error that
      // ends the group has ended it already (onRequestFailed).
      if (!isMeshError(error) || isConnectionError(error) || error.shouldDisconnect) return;
      if (error.errorType !== 'ClientClosed') this.options.report(error);
    }
  }

  private updateLifetime(group: GroupState, expiresAt: string, heartbeatIntervalSeconds: number): void {
    if (this.group !== group) return;
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
    this.expiryTimer = setTimeout(
      () => {
        this.expiryTimer = null;
        if (this.group !== group) return;
        if (Date.parse(group.expiresAt) > Date.now()) this.armExpiry(group);
        else this.end({ kind: 'expired' });
      },
      Math.min(Math.max(ms, 0), 2 ** 31 - 1),
    );
  }

  // ------------------------------------------------------------ senders

  private async sendReport(entries: StatusEntry[]): Promise<SendOutcome> {
    const group = this.group;
    if (!group || !this.options.connection.isOpen()) return 'retry';
    const where = { groupId: group.groupId, domain: group.domain, nodeId: this.options.nodeId };
    return this.options.send('reportDataByNode', { ...where, data: entries }).then(
      () => 'sent',
      (error: unknown) => this.outcomeOf(error),
    );
  }

  private async sendBatch(events: EventInput[]): Promise<SendOutcome> {
    const group = this.group;
    if (!group || !this.options.connection.isOpen()) return 'retry';
    const where = { groupId: group.groupId, domain: group.domain, nodeId: this.options.nodeId };
    return this.options.send('fireEventsByNode', { ...where, events }).then(
      () => 'sent',
      (error: unknown) => this.outcomeOf(error),
    );
  }

  /** Connection trouble, server failures and the rate limit are retried; refusals are reported and dropped. */
  private outcomeOf(error: unknown): SendOutcome {
    if (isConnectionError(error)) return 'retry';
    if (isMeshError(error) && (error.errorType === 'InternalError' || error.errorType === 'RateLimited')) {
      this.options.report(error);
      return 'retry';
    }
    if (isMeshError(error) && !error.shouldDisconnect) this.options.report(error);
    return 'dropped';
  }

  /** The bytes of a `fireEventsByNode` with no events, so a batch is cut to fit 32 KB. */
  private eventEnvelopeBytes(): number {
    const group = this.group;
    return utf8Bytes(
      JSON.stringify({
        action: 'fireEventsByNode',
        requestId: 'x'.repeat(REQUEST_ID_WIDTH),
        groupId: group?.groupId ?? 'x'.repeat(LIMITS.maxGroupIdLength),
        domain: group?.domain ?? this.domain ?? 'x'.repeat(LIMITS.maxDomainLength),
        nodeId: this.options.nodeId,
        events: [],
      }),
    );
  }
}
