/**
 * What a program hands MeshClient and gets back from it: the options and
 * their defaults, the events, the group and the counters. Types only, plus
 * the defaults, so every part of the client reads one definition.
 */
import type { Action } from '#shared/protocol/args';
import type { GroupDissolvePayload, MeshEvent } from '#shared/protocol/types';
import type { StateChange } from './connection/states';
import type { MeshError } from './errors';
import type { TokenStorage } from './node-tokens';
import type { ReplayMode } from './replay';
import type { MemberChange } from './roster';
import type { WebSocketConstructor } from './transport';

export type { ConnectionState, StateChange } from './connection/states';

export interface MeshClientOptions {
  /** The WebSocket URL: `wss://{api}.execute-api.{region}.amazonaws.com/{stage}`, or `ws://localhost:3001` locally. */
  url: string;
  /**
   * How the client reaches the mesh:
   *   - 'websocket' (the default): over `url`, pushed to;
   *   - 'polling': over the HTTPS endpoint `httpUrl` only, one POST per
   *     request, reading the group at the interval the server gives (for
   *     networks whose filters block WebSockets);
   *   - 'auto': the WebSocket first; when its upgrade fails or takes longer
   *     than `autoProbeMs` (a filter answering 503, say), polling, for the
   *     rest of the client's life.
   * The calls and events are the same whichever it uses (`stats().transport` says which).
   */
  transport?: Transport;
  /** The HTTPS endpoint: the deployment's `httpUrl`, or `http://localhost:3002/` locally. Needed by 'polling' and 'auto'. */
  httpUrl?: string;
  /** 'auto': how long the WebSocket may take to open before polling takes over. Default 3,000 ms, as the Smalruby extension waits. */
  autoProbeMs?: number;
  /**
   * This node's id (also the host id when it creates a group). Default: a
   * random UUID, kept in `storage` when there is one.
   */
  nodeId?: string;
  /**
   * Where to keep this node's id and nodeToken across page loads, e.g.
   * `sessionStorage`: a reloaded page that joins (or creates) its group again
   * comes back as the same node, with its status and push sequence, instead
   * of as a new one. Default: memory only (a reconnect still rejoins as the
   * same node).
   */
  storage?: TokenStorage;
  /**
   * The credential of a mesh whose operator checks connections (an API key
   * or a JWT it issued), sent as the `token` query parameter of every
   * connect. A function is called before each attempt, so a token that
   * expires can be fetched anew for a reconnect. Default: none (an open mesh).
   */
  authToken?: string | (() => string | Promise<string>);
  /** The domain to create and look for groups in. Default: none; `createGroup` then asks `createDomain`. */
  domain?: string;
  /** A WebSocket constructor. Default: `ws` in Node, the global WebSocket elsewhere. */
  WebSocket?: WebSocketConstructor;
  /**
   * How long a call may take, from the moment it is made: waiting for the
   * connection (while connecting or reconnecting) counts. Default 15,000 ms.
   */
  requestTimeoutMs?: number;
  /** How long opening the socket may take. Default 10,000 ms. */
  connectTimeoutMs?: number;
  /** Reconnect after an unexpected close. Default true; false: a drop lands in `failed` at once. */
  reconnect?: boolean;
  /** Give up (state `failed`) after this many failed attempts in a row. Default Infinity. */
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

/** How MeshClient reaches the mesh (MeshClientOptions.transport). */
export type Transport = 'websocket' | 'polling' | 'auto';

/** The defaults of the connection and request options (the others live with their helpers). */
export const CLIENT_DEFAULTS = {
  requestTimeoutMs: 15_000,
  connectTimeoutMs: 10_000,
  transport: 'websocket',
  autoProbeMs: 3_000,
  reconnect: true,
  maxReconnectAttempts: Infinity,
} as const;

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
  /** A node came into the group (it joined, or a reload after a reconnect found it: `change` says which). */
  join: [change: MemberChange];
  /** A node went: it left, its heartbeat lapsed (`expired`), it stayed away past the grace (`disconnected`), or a reload found it gone. */
  leave: [change: MemberChange];
  /** The group passed its `expiresAt`; the client left it. */
  expired: [info: { groupId: string; domain: string; expiresAt: string }];
  /** The group or this node is gone (GroupNotFound, NodeNotFound, Unauthorized, or reconnecting gave up). */
  disconnect: [reason: MeshError];
  /** The connection state moved (see `STATES` in client/connection/states.ts); emitted for every move. */
  stateChange: [change: StateChange];
  /** The connection dropped; attempt `attempt` starts after `delayMs`. */
  reconnecting: [info: { attempt: number; delayMs: number; code: number }];
  /** Connected again, group rejoined, statuses reloaded, own status re-sent. */
  reconnected: [info: { attempts: number; downtimeMs: number }];
  /** A failure the client went on after (a refused report or batch, an unexpected frame). */
  error: [error: MeshError];
  /**
   * Back from a drop longer than the group log keeps pushes: some events
   * others sent meanwhile are lost for this client (the statuses are whole again).
   */
  gap: [info: { groupId: string; domain: string }];
}

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
  /** What the client reaches the mesh over now: with 'auto', 'polling' once the WebSocket failed. */
  transport: 'websocket' | 'polling';
}

/** A random UUID (v4 layout); `crypto.randomUUID` where there is one. */
export function randomId(random: () => number): string {
  const crypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (crypto?.randomUUID) return crypto.randomUUID();
  return 'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'.replace(/[xy]/g, (c) => {
    const r = Math.floor(random() * 16);
    return (c === 'x' ? r : (r & 0x3) | 0x8).toString(16);
  });
}
