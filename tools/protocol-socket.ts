/**
 * One WebSocket speaking wire protocol v1 from the outside, typed on the
 * protocol's own shapes (`shared/protocol/`): what the integration tests and
 * the bench's baseline nodes talk to a stack (or the relay) with.
 *
 * It does what every caller would otherwise redo: each request gets a
 * requestId and a timer of its own, and its reply settles it; a `messages`
 * frame is taken apart into its pushes, each handled as if it had come alone;
 * a caller waits for the push it wants (`nextPush(predicate)`) or hears every
 * one (`onPush`). It keeps no ordering or de-duplication: what it hands on is
 * what the socket received. That layer is the client SDK's (`client/`).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import {
  type Action,
  type ActionResults,
  type ArgsOf,
  type ErrorReply,
  type ErrorType,
  type Push,
  type Reply,
  type ServerFrame,
  pushesOf,
} from '#shared/protocol/index';

/** How long a reply may take by default (a cold handler plus DynamoDB Local). */
export const REPLY_TIMEOUT_MS = 10_000;
/** How long `nextPush` waits by default (through SNS and the fan-out). */
export const PUSH_TIMEOUT_MS = 5_000;

/** The rejection of `call` when the server answered with an error reply. */
export class MeshCallError extends Error {
  readonly errorType: ErrorType;
  constructor(readonly reply: ErrorReply) {
    super(`${reply.action ?? '(no action)'} failed: ${reply.errorType}: ${reply.message}`);
    this.name = 'MeshCallError';
    this.errorType = reply.errorType;
  }
}

export interface CloseInfo {
  code: number;
  reason: string;
}

export interface ProtocolSocketOptions {
  /** A request's own timer (default REPLY_TIMEOUT_MS); a call may pass another. */
  replyTimeoutMs?: number;
  /**
   * Keep pushes and unclaimed replies until they are taken (`nextPush`,
   * `nextUnclaimedReply`, `expectNoPush`) and log every push in `pushes`.
   * Default true. A load generator that hears pushes through `onPush` turns
   * it off, so that hours of traffic do not pile up in memory.
   */
  buffer?: boolean;
  /** Passed to `ws` (e.g. `perMessageDeflate: false`, as API Gateway offers none). */
  ws?: WebSocket.ClientOptions;
}

interface Pending {
  action: string;
  resolve(reply: Reply): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

interface Waiter<T> {
  accept(item: T): boolean;
  resolve(item: T): void;
}

/** Items waiting to be taken, and takers waiting for an item. */
class Mailbox<T> {
  private readonly items: T[] = [];
  private readonly waiters: Waiter<T>[] = [];

  constructor(private readonly keep: boolean) {}

  /** Hands `item` to the oldest waiter that accepts it, else keeps it (when buffering). */
  offer(item: T): void {
    const index = this.waiters.findIndex((waiter) => waiter.accept(item));
    if (index >= 0) this.waiters.splice(index, 1)[0].resolve(item);
    else if (this.keep) this.items.push(item);
  }

  /** The oldest kept item matching `predicate` (taken out), or the next to come; rejects after `timeoutMs`. */
  take(predicate: (item: T) => boolean, timeoutMs: number, timeoutError: () => Error): Promise<T> {
    const index = this.items.findIndex(predicate);
    if (index >= 0) return Promise.resolve(this.items.splice(index, 1)[0]);
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        accept: predicate,
        resolve(item) {
          clearTimeout(timer);
          resolve(item);
        },
      };
      const timer = setTimeout(() => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        reject(timeoutError());
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** The kept items matching `predicate`, left in place. */
  peek(predicate: (item: T) => boolean): T[] {
    return this.items.filter(predicate);
  }
}

export class ProtocolSocket {
  /** Every push received, in arrival order, never consumed (empty unless buffering). */
  readonly pushes: Push[] = [];
  /** Frames that carried pushes (a `messages` frame carries several). */
  pushFrames = 0;
  /** Frames from the server that were not JSON (a test may assert there are none). */
  readonly invalidFrames: string[] = [];
  /** Resolves when the socket closes, with the close code. */
  readonly closed: Promise<CloseInfo>;

  private nextRequestId = 1;
  private readonly pending = new Map<string, Pending>();
  private readonly replyTimeoutMs: number;
  private readonly buffer: boolean;
  /** Pushes not yet taken by nextPush. */
  private readonly unconsumedPushes: Mailbox<Push>;
  /** Replies no pending request claimed (to frames sent with `send` or `sendRaw`). */
  private readonly unclaimedReplies: Mailbox<Reply>;
  private readonly pushListeners = new Set<(push: Push) => void>();
  private closeInfo: CloseInfo | undefined;

  private constructor(
    /** The `ws` socket underneath, for a test that reads raw frames. */
    readonly socket: WebSocket,
    options: ProtocolSocketOptions,
  ) {
    this.replyTimeoutMs = options.replyTimeoutMs ?? REPLY_TIMEOUT_MS;
    this.buffer = options.buffer ?? true;
    this.unconsumedPushes = new Mailbox(this.buffer);
    this.unclaimedReplies = new Mailbox(this.buffer);
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        this.rejectPending(this.closeInfo);
        resolve(this.closeInfo);
      });
    });
    socket.on('message', (data) => this.receive(data.toString()));
    // A socket error is followed by 'close'; callers observe `closed`.
    socket.on('error', () => undefined);
  }

  /** Opens a connection; rejects if it fails or the $connect route refuses it. */
  static connect(url: string, options: ProtocolSocketOptions = {}): Promise<ProtocolSocket> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, options.ws);
      const opened = new ProtocolSocket(socket, options);
      socket.once('open', () => resolve(opened));
      socket.once('unexpected-response', (_request, response) =>
        reject(new Error(`connect refused with HTTP ${response.statusCode}`)),
      );
      socket.once('error', reject);
    });
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Sends a request and resolves with its result's data; rejects with MeshCallError on an error reply. */
  async call<A extends Action>(action: A, args: ArgsOf<A>, timeoutMs?: number): Promise<ActionResults[A]> {
    const reply = await this.reply(action, args, timeoutMs);
    if (reply.type === 'error') throw new MeshCallError(reply);
    return reply.data as ActionResults[A];
  }

  /** Sends a request (any action, any fields: tests send bad ones too) and resolves with the reply as it came. */
  reply(action: string, args: object = {}, timeoutMs = this.replyTimeoutMs): Promise<Reply> {
    if (!this.isOpen) return Promise.reject(new Error(`socket is not open (close ${JSON.stringify(this.closeInfo)})`));
    const requestId = `r-${this.nextRequestId++}`;
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        const unclaimed = this.unclaimedReplies
          .peek(() => true)
          .map((r) => JSON.stringify(r).slice(0, 200))
          .join(' | ');
        reject(
          new Error(
            `no reply to ${action} (${requestId}) within ${timeoutMs} ms` +
              (unclaimed ? `; frames no request claimed: ${unclaimed}` : ''),
          ),
        );
      }, timeoutMs);
      this.pending.set(requestId, { action, resolve, reject, timer });
      this.socket.send(JSON.stringify({ action, requestId, ...args }));
    });
  }

  /** Sends a request without a requestId and does not wait: its reply is an unclaimed one. */
  send<A extends Action>(action: A, args: ArgsOf<A>): void {
    this.socket.send(JSON.stringify({ action, ...args }));
  }

  /** Sends a text frame as is. Its reply, if any, is read with nextUnclaimedReply. */
  sendRaw(text: string): void {
    this.socket.send(text);
  }

  /** Sends a text frame and resolves with the next reply no request claimed. */
  rawReply(text: string, timeoutMs = this.replyTimeoutMs): Promise<Reply> {
    this.sendRaw(text);
    return this.nextUnclaimedReply(timeoutMs);
  }

  /** The next reply that no pending request claimed (e.g. to a frame sent with sendRaw). */
  nextUnclaimedReply(timeoutMs = this.replyTimeoutMs): Promise<Reply> {
    return this.unclaimedReplies.take(
      () => true,
      timeoutMs,
      () => new Error(`no unclaimed reply within ${timeoutMs} ms`),
    );
  }

  /** Resolves with the first push (oldest first) matching `predicate`, taking it out of the queue. */
  nextPush(predicate: (push: Push) => boolean = () => true, timeoutMs = PUSH_TIMEOUT_MS): Promise<Push> {
    return this.unconsumedPushes.take(
      predicate,
      timeoutMs,
      () => new Error(`no push matching within ${timeoutMs} ms (${this.pushes.length} pushes received in all)`),
    );
  }

  /** Waits `ms` and fails if a push matching `predicate` arrived meanwhile (or was already waiting). */
  async expectNoPush(ms: number, predicate: (push: Push) => boolean = () => true): Promise<void> {
    await sleep(ms);
    const unexpected = this.unconsumedPushes.peek(predicate);
    if (unexpected.length > 0) {
      throw new Error(`expected no push, got ${unexpected.length}: ${JSON.stringify(unexpected[0]).slice(0, 500)}`);
    }
  }

  /** Calls `listener` with every push as it arrives (a `messages` frame's one by one); returns the unsubscribe. */
  onPush(listener: (push: Push) => void): () => void {
    this.pushListeners.add(listener);
    return () => this.pushListeners.delete(listener);
  }

  /** Closes the connection normally and waits until it is closed. */
  async close(): Promise<CloseInfo> {
    if (this.socket.readyState === WebSocket.CONNECTING || this.socket.readyState === WebSocket.OPEN) {
      this.socket.close(1000);
    }
    return this.closed;
  }

  /** Drops the TCP connection without a close handshake (the server sees an abnormal close). */
  destroy(): void {
    this.socket.terminate();
  }

  private receive(text: string): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(text) as ServerFrame;
    } catch {
      this.invalidFrames.push(text);
      return;
    }
    if (frame.type === 'message' || frame.type === 'messages') {
      this.pushFrames += 1;
      for (const push of pushesOf(frame)) this.deliver(push);
      return;
    }
    const waiting = frame.requestId === undefined ? undefined : this.pending.get(frame.requestId);
    if (waiting) {
      this.pending.delete(frame.requestId!);
      clearTimeout(waiting.timer);
      waiting.resolve(frame);
      return;
    }
    this.unclaimedReplies.offer(frame);
  }

  private deliver(push: Push): void {
    if (this.buffer) this.pushes.push(push);
    for (const listener of this.pushListeners) listener(push);
    this.unconsumedPushes.offer(push);
  }

  private rejectPending(info: CloseInfo): void {
    for (const [requestId, waiting] of this.pending) {
      clearTimeout(waiting.timer);
      waiting.reject(new Error(`socket closed (${info.code}) before the reply to ${waiting.action} (${requestId})`));
    }
    this.pending.clear();
  }
}
