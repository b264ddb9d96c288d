/**
 * The console's WebSocket: request frames out, each answered by the reply
 * carrying its requestId (with a timer of its own); every other frame's
 * pushes handed on. A dropped socket is opened again after a jittered
 * backoff, and `onOpen` runs on every open, so whoever watches renews its
 * watch on the new connection (a viewer is a connection, and the old one's
 * watch went with it).
 */
import { backoffDelay } from '#client/backoff';
import { type Push, pushesOf, type Reply, type ServerFrame } from '#shared/protocol/messages';

export type ConnectionState = 'connecting' | 'open' | 'closed';

/** A request's error reply (its `errorType`), or 'Timeout' / 'Disconnected' for one never answered. */
export class ConsoleRequestError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConsoleRequestError';
  }
}

export interface ConsoleConnectionOptions {
  url: string;
  /** Runs on every open, the first and each after a drop. */
  onOpen: () => void;
  /** Every push of every frame that is not a reply, in order. */
  onPush: (push: Push) => void;
  onState: (state: ConnectionState, detail?: string) => void;
  /** Default 10 s. */
  requestTimeoutMs?: number;
  /** Cap of the reconnect delay; default 10 s. */
  maxReconnectDelayMs?: number;
}

interface Pending {
  resolve: (data: unknown) => void;
  reject: (error: ConsoleRequestError) => void;
  timer: ReturnType<typeof setTimeout>;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_RECONNECT_MS = 10_000;

export class ConsoleConnection {
  private socket: WebSocket | null = null;
  private readonly pending = new Map<string, Pending>();
  private counter = 0;
  private attempt = 0;
  private stopped = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: ConsoleConnectionOptions) {}

  start(): void {
    this.stopped = false;
    this.open();
  }

  get isOpen(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  /** Sends one request and resolves with its result's `data`; rejects with its error reply. */
  request<T>(action: string, args: object): Promise<T> {
    const socket = this.socket;
    if (socket === null || socket.readyState !== WebSocket.OPEN) {
      return Promise.reject(new ConsoleRequestError('Disconnected', `not connected: ${action} not sent`));
    }
    const requestId = `console-${++this.counter}`;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new ConsoleRequestError('Timeout', `${action} had no reply`));
      }, this.options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS);
      this.pending.set(requestId, { resolve: (data) => resolve(data as T), reject, timer });
      socket.send(JSON.stringify({ ...args, action, requestId }));
    });
  }

  /** Sends a request whose reply nobody waits for (the page is going away). */
  sendOnly(action: string, args: object): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ ...args, action }));
  }

  /** Closes for good: no reconnect, every pending request rejected. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.socket?.close();
    this.socket = null;
    this.rejectPending('stopped');
    this.options.onState('closed', 'stopped');
  }

  private open(): void {
    this.options.onState('connecting');
    const socket = new WebSocket(this.options.url);
    this.socket = socket;
    socket.addEventListener('open', () => {
      if (this.socket !== socket) return;
      this.attempt = 0;
      this.options.onState('open');
      this.options.onOpen();
    });
    socket.addEventListener('message', (event: MessageEvent) => {
      if (this.socket === socket && typeof event.data === 'string') this.receive(event.data);
    });
    socket.addEventListener('close', (event: CloseEvent) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.rejectPending('the connection closed');
      if (this.stopped) return;
      const delay = backoffDelay(this.attempt++, { initialDelayMs: 500, maxDelayMs: this.maxReconnectDelay() });
      this.options.onState('closed', `closed (${event.code}); reconnecting in ${Math.ceil(delay / 1000)} s`);
      this.reconnectTimer = setTimeout(() => this.open(), delay);
    });
  }

  private receive(text: string): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(text) as ServerFrame;
    } catch {
      return; // Not a frame of the protocol; nothing to act on.
    }
    if (frame === null || typeof frame !== 'object') return;
    if (frame.type === 'result' || frame.type === 'error') {
      this.settle(frame);
      return;
    }
    for (const push of pushesOf(frame)) this.options.onPush(push);
  }

  private settle(reply: Reply): void {
    const pending = reply.requestId === undefined ? undefined : this.pending.get(reply.requestId);
    if (pending === undefined || reply.requestId === undefined) return; // A reply to a request given up on.
    this.pending.delete(reply.requestId);
    clearTimeout(pending.timer);
    if (reply.type === 'result') pending.resolve(reply.data);
    else pending.reject(new ConsoleRequestError(reply.errorType, reply.message));
  }

  private rejectPending(why: string): void {
    for (const [requestId, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new ConsoleRequestError('Disconnected', why));
      this.pending.delete(requestId);
    }
  }

  private maxReconnectDelay(): number {
    return this.options.maxReconnectDelayMs ?? DEFAULT_MAX_RECONNECT_MS;
  }
}
