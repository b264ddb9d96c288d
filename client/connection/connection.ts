/**
 * The connection manager (socket.io-client's Manager): it owns the socket,
 * reconnects with backoff, gives up into `failed`, and moves between the
 * states of ./states.ts through one `transition()` that emits `stateChange`.
 * What travels over the socket (requests, pushes, the group) is not its
 * business: it hands frames on, reports drops, and asks `restore` to bring
 * back what the last socket carried.
 */
import { BACKOFF_DEFAULTS, backoffDelay, type BackoffOptions } from '../backoff';
import { TypedEmitter } from '../emitter';
import { MeshError } from '../errors';
import { CLIENT_DEFAULTS, type MeshClientOptions } from '../options';
import { openPollingSocket } from '../polling/open';
import { messageText, OPEN, openSocket, resolveWebSocket, type SocketLike } from '../transport';
import { withCredential } from '#shared/protocol/connect';
import { canMove, STATES, type ConnectionState, type StateChange } from './states';

type FromClientOptions = Pick<
  MeshClientOptions,
  | 'url'
  | 'transport'
  | 'httpUrl'
  | 'autoProbeMs'
  | 'requestTimeoutMs'
  | 'authToken'
  | 'WebSocket'
  | 'connectTimeoutMs'
  | 'reconnect'
  | 'maxReconnectAttempts'
  | 'reconnectInitialDelayMs'
  | 'reconnectMaxDelayMs'
  | 'random'
>;

/** MeshClient's connection options (defaults in CLIENT_DEFAULTS and BACKOFF_DEFAULTS), and the hooks. */
export interface ConnectionOptions extends FromClientOptions {
  /** Every text frame the server sends. */
  onFrame: (text: string) => void;
  /** The socket dropped. Called before the state moves, so pending work fails first. */
  onDrop: (code: number) => void;
  /**
   * Brings back, on a new socket, what the old one carried (the group).
   * 'retry' asks for another attempt after the next backoff delay.
   */
  restore: () => Promise<'done' | 'retry'>;
}

export interface ConnectionEvents {
  stateChange: [change: StateChange];
  reconnecting: [info: { attempt: number; delayMs: number; code: number }];
  reconnected: [info: { attempts: number; downtimeMs: number }];
}

export class Connection extends TypedEmitter<ConnectionEvents> {
  private current: ConnectionState = 'idle';
  private socketValue: SocketLike | null = null;
  /** Why the connection failed, for the errors of calls made in `failed`. */
  private failure: MeshError | null = null;
  /** Cuts short the backoff wait when the client closes. */
  private wake: (() => void) | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  /** Reconnects started since creation. */
  reconnects = 0;
  /** From the drop to `reconnected`, of the last reconnect. */
  lastDowntimeMs: number | null = null;
  /** What the sockets are: 'auto' starts on the WebSocket and moves to polling for good when it fails. */
  private using: 'websocket' | 'polling';

  private readonly connectTimeoutMs: number;
  private readonly reconnectEnabled: boolean;
  private readonly maxReconnectAttempts: number;
  private readonly backoff: BackoffOptions;

  constructor(private readonly options: ConnectionOptions) {
    super();
    const transport = options.transport ?? CLIENT_DEFAULTS.transport;
    if (transport !== 'websocket' && !options.httpUrl) {
      throw new MeshError('ValidationError', `transport '${transport}' needs httpUrl (the HTTPS endpoint)`);
    }
    this.using = transport === 'polling' ? 'polling' : 'websocket';
    this.connectTimeoutMs = options.connectTimeoutMs ?? CLIENT_DEFAULTS.connectTimeoutMs;
    this.reconnectEnabled = options.reconnect ?? CLIENT_DEFAULTS.reconnect;
    this.maxReconnectAttempts = options.maxReconnectAttempts ?? CLIENT_DEFAULTS.maxReconnectAttempts;
    this.backoff = {
      initialDelayMs: options.reconnectInitialDelayMs ?? BACKOFF_DEFAULTS.initialDelayMs,
      maxDelayMs: options.reconnectMaxDelayMs ?? BACKOFF_DEFAULTS.maxDelayMs,
      random: options.random,
    };
  }

  get state(): ConnectionState {
    return this.current;
  }

  /** What the client reaches the mesh over now. */
  get transport(): 'websocket' | 'polling' {
    return this.using;
  }

  /** The open socket, or null. */
  get socket(): SocketLike | null {
    return this.socketValue;
  }

  /**
   * True when the socket is open, whatever the state: while reconnecting the
   * rejoin requests go out on it before the state is `open` again.
   */
  isOpen(): boolean {
    return this.socketValue !== null && this.socketValue.readyState === OPEN;
  }

  /** Resolves once the state is `open`; see `STATES[state].connect`. */
  connect(): Promise<void> {
    const spec = STATES[this.current];
    if (spec.connect === 'done') return Promise.resolve();
    if (spec.connect === 'reject') return Promise.reject(this.refusal(this.current, 'connect'));
    if (spec.connect === 'start') void this.open();
    return this.whenOpen(Infinity, 'connect');
  }

  /**
   * Resolves when a call may go out; see `STATES[state].requests`. Waiting
   * (connecting, reconnecting) ends in a Timeout after `timeoutMs`.
   */
  whenUsable(action: string, timeoutMs: number): Promise<void> {
    const spec = STATES[this.current];
    if (spec.requests === 'send') return Promise.resolve();
    if (spec.requests === 'reject') return Promise.reject(this.refusal(this.current, action));
    if (spec.requests === 'connect') void this.open();
    return this.whenOpen(timeoutMs, action);
  }

  /** Closes for good (state `closed`); a reconnect in progress stops. */
  close(): void {
    if (this.current === 'closed') return;
    const socket = this.socketValue;
    this.socketValue = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.wake?.();
    this.transition('closed');
    if (socket) {
      socket.onclose = null;
      socket.onmessage = null;
      socket.close(1000, 'client closed');
    }
  }

  /** The one place the state changes: checked against the table, then announced. */
  private transition(next: ConnectionState, reason?: MeshError): void {
    const previous = this.current;
    if (!canMove(previous, next)) throw new Error(`MeshClient: no transition from ${previous} to ${next}`);
    this.current = next;
    this.failure = next === 'failed' ? (reason ?? null) : null;
    this.emit('stateChange', { previous, current: next, ...(reason ? { reason } : {}) });
  }

  /** A first (or fresh) attempt: `connecting` → `open`, or back to `idle`. */
  private async open(): Promise<void> {
    this.transition('connecting');
    let socket: SocketLike;
    try {
      socket = await this.openSocket();
    } catch (error) {
      if (this.current !== 'connecting') return;
      const message = `could not connect to ${this.options.url}: ${(error as Error).message}`;
      this.transition('idle', new MeshError('ConnectionClosed', message));
      return;
    }
    if (this.current !== 'connecting') {
      socket.close(1000, 'client closed');
      return;
    }
    this.attach(socket);
    this.transition('open');
  }

  private onSocketClosed(socket: SocketLike, code: number): void {
    if (socket !== this.socketValue) return;
    this.socketValue = null;
    this.options.onDrop(code);
    // While reconnecting, the loop notices on its own (its rejoin request fails).
    if (this.current !== 'open') return;
    const reason = new MeshError('ConnectionClosed', `connection closed (code ${code})`);
    if (!this.reconnectEnabled) this.transition('failed', reason);
    else void this.reconnect(code, reason);
  }

  /**
   * Reopens with jittered exponential backoff until `restore` is done, or
   * `maxReconnectAttempts` attempts in a row have failed (then `failed`).
   */
  private async reconnect(code: number, reason: MeshError): Promise<void> {
    this.transition('reconnecting', reason);
    this.reconnects += 1;
    const cutAt = Date.now();
    for (let attempt = 0; ; attempt += 1) {
      if (!this.isReconnecting()) return;
      if (attempt >= this.maxReconnectAttempts) {
        this.transition('failed', new MeshError('ConnectionClosed', `could not reconnect after ${attempt} attempts`));
        return;
      }
      const delayMs = backoffDelay(attempt, this.backoff);
      this.emit('reconnecting', { attempt: attempt + 1, delayMs, code });
      await this.pause(delayMs);
      if (!this.isReconnecting()) return;
      if (!this.isOpen()) {
        let socket: SocketLike;
        try {
          socket = await this.openSocket();
        } catch {
          continue;
        }
        if (!this.isReconnecting()) {
          socket.close(1000, 'client closed');
          return;
        }
        this.attach(socket);
      }
      // restore settles its own errors; a throw is a bug, and another attempt the safe answer.
      const outcome = await this.options.restore().catch(() => 'retry' as const);
      if (outcome === 'done') break;
    }
    if (!this.isReconnecting()) return;
    this.lastDowntimeMs = Date.now() - cutAt;
    this.transition('open');
    this.emit('reconnected', { attempts: this.reconnects, downtimeMs: this.lastDowntimeMs });
  }

  /** Read through a method: TypeScript would otherwise keep its narrowing across awaits. */
  private isReconnecting(): boolean {
    return this.current === 'reconnecting';
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = () => {
        this.wake = null;
        this.retryTimer = null;
        resolve();
      };
      this.retryTimer = setTimeout(this.wake, ms);
    });
  }

  /** Resolves on the next `open`; rejects when the state lands where calls cannot wait. */
  private whenOpen(timeoutMs: number, action: string): Promise<void> {
    if (this.current === 'open') return Promise.resolve();
    if (STATES[this.current].requests !== 'queue') return Promise.reject(this.refusal(this.current, action));
    return new Promise((resolve, reject) => {
      const timer =
        timeoutMs === Infinity
          ? null
          : setTimeout(() => {
              off();
              reject(new MeshError('Timeout', `not connected within ${timeoutMs} ms (${action})`, { action }));
            }, timeoutMs);
      const off = this.on('stateChange', ({ current, reason }) => {
        if (STATES[current].requests === 'queue') return;
        off();
        if (timer) clearTimeout(timer);
        if (current === 'open') resolve();
        else reject(this.refusal(current, action, reason));
      });
    });
  }

  /** The error of a call (or `connect()`) that cannot go out in `state`. */
  private refusal(state: ConnectionState, action: string, reason?: MeshError): MeshError {
    if (state === 'closed') return new MeshError('ClientClosed', 'the client was closed', { action });
    if (state === 'failed') {
      const why = (reason ?? this.failure)?.message ?? 'the connection failed';
      return new MeshError('ConnectionFailed', `${why}; call connect() to start again (${action})`, { action });
    }
    return reason ?? new MeshError('ConnectionClosed', `not connected (${action})`, { action });
  }

  private async openSocket(): Promise<SocketLike> {
    const { authToken, url } = this.options;
    // Asked anew for each attempt: a reconnect after the token expired presents a fresh one.
    const credential = typeof authToken === 'function' ? await authToken() : authToken;
    // `fellBack`: the first polling socket after the WebSocket failed tells the server so, once (it counts fallbacks).
    const polling = (fellBack = false) =>
      openPollingSocket({
        httpUrl: this.options.httpUrl!,
        credential,
        requestTimeoutMs: this.options.requestTimeoutMs ?? CLIENT_DEFAULTS.requestTimeoutMs,
        fellBack,
      });
    if (this.using === 'polling') return polling();
    const auto = (this.options.transport ?? CLIENT_DEFAULTS.transport) === 'auto';
    const timeoutMs = auto
      ? Math.min(this.connectTimeoutMs, this.options.autoProbeMs ?? CLIENT_DEFAULTS.autoProbeMs)
      : this.connectTimeoutMs;
    try {
      const Ctor = await resolveWebSocket(this.options.WebSocket);
      return await openSocket(Ctor, credential ? withCredential(url, credential) : url, timeoutMs);
    } catch (error) {
      if (!auto) throw error;
      // The extension's rule: a WebSocket that cannot open here will not open later in this network.
      this.using = 'polling';
      return polling(true);
    }
  }

  private attach(socket: SocketLike): void {
    this.socketValue = socket;
    socket.onmessage = (event) => this.options.onFrame(messageText(event.data));
    socket.onerror = () => {
      // A `close` event follows with the code; it is handled there.
    };
    socket.onclose = (event) => this.onSocketClosed(socket, event.code);
  }
}
