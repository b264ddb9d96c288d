/**
 * Request/reply correlation (socket.io-client's acknowledgements): every
 * request gets a requestId, a pending entry and its own timer; the reply with
 * that requestId settles it; a drop or `close()` rejects every pending one.
 * It sends on the socket it is given, now: whether a call may go out at all
 * is the connection state's business (see connection/states.ts).
 */
import { LIMITS, utf8Bytes } from '#shared/protocol/limits';
import type { ErrorReply, ResultReply, ServerFrame } from '#shared/protocol/messages';
import type { Action, ArgsOf } from '#shared/protocol/args';
import type { ActionResults, PagedAction } from '#shared/protocol/results';
import { MeshError } from './errors';
import { OPEN, type SocketLike } from './transport';

/** Sends one request and resolves with its whole reply. */
export type Send = <A extends Action>(
  action: A,
  args: ArgsOf<A>,
  timeoutMs?: number,
) => Promise<ResultReply<ActionResults[A]>>;

/** requestIds are `{prefix}{counter}`: ≤ 24 characters, far below the 64 allowed. */
export const REQUEST_ID_WIDTH = 24;

export interface RequestsOptions {
  /** The current socket, or null. */
  socket: () => SocketLike | null;
  /** The timeout of a request that names none. */
  timeoutMs: number;
  random: () => number;
  /** Every failed request, with its arguments (so the group can end on GroupNotFound about it). */
  onFailed: (args: object, error: MeshError) => void;
}

interface Pending {
  action: Action;
  resolve: (reply: ResultReply) => void;
  reject: (error: MeshError) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class Requests {
  private readonly pending = new Map<string, Pending>();
  private readonly prefix: string;
  private counter = 0;
  /** Messages sent, by action and in all; bytes sent. */
  readonly sent: Partial<Record<Action, number>> = {};
  messagesSent = 0;
  bytesSent = 0;

  constructor(private readonly options: RequestsOptions) {
    this.prefix = `${Math.floor(options.random() * 36 ** 6).toString(36)}-`;
  }

  /**
   * Sends one request on the open socket and waits for the reply with its
   * requestId. The cast: the reply's shape is the server's promise
   * (ActionResults), not something checked here.
   */
  readonly send: Send = (action, args, timeoutMs) =>
    this.write(action, args, timeoutMs ?? this.options.timeoutMs).catch((error: MeshError) => {
      this.options.onFailed(args, error);
      throw error;
    }) as Promise<ResultReply<never>>;

  /** Settles the request a reply answers; false when none waits for it (late, or never sent). */
  settle(reply: ResultReply | ErrorReply): boolean {
    const pending = reply.requestId !== undefined ? this.pending.get(reply.requestId) : undefined;
    if (!pending) return false;
    this.pending.delete(reply.requestId!);
    clearTimeout(pending.timer);
    if (reply.type === 'result') pending.resolve(reply);
    else pending.reject(errorFrom(reply));
    return true;
  }

  /** Rejects every pending request with `error`'s type (a reply can no longer come). */
  rejectAll(error: MeshError): void {
    for (const [requestId, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(
        new MeshError(error.errorType, `${error.message} (${pending.action})`, { action: pending.action, requestId }),
      );
    }
    this.pending.clear();
  }

  private write(action: Action, args: object, timeoutMs: number): Promise<ResultReply> {
    const socket = this.options.socket();
    if (!socket || socket.readyState !== OPEN) {
      return Promise.reject(new MeshError('ConnectionClosed', `not connected (${action})`, { action }));
    }
    this.counter += 1;
    const requestId = `${this.prefix}${this.counter.toString(36)}`;
    const text = JSON.stringify({ action, requestId, ...args });
    const bytes = utf8Bytes(text);
    if (bytes > LIMITS.maxClientMessageBytes) {
      const message = `${action} would be a ${bytes}-byte message; a client message holds at most ${LIMITS.maxClientMessageBytes}`;
      return Promise.reject(new MeshError('ValidationError', message, { action }));
    }
    return new Promise<ResultReply>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.pending.delete(requestId);
          reject(new MeshError('Timeout', `no reply to ${action} within ${timeoutMs} ms`, { action, requestId }));
        },
        Math.max(0, timeoutMs),
      );
      this.pending.set(requestId, { action, resolve, reject, timer });
      try {
        socket.send(text);
      } catch (error) {
        clearTimeout(timer);
        this.pending.delete(requestId);
        reject(new MeshError('ConnectionClosed', `could not send ${action}: ${(error as Error).message}`, { action }));
        return;
      }
      this.messagesSent += 1;
      this.bytesSent += bytes;
      this.sent[action] = (this.sent[action] ?? 0) + 1;
    });
  }
}

/** Every page of a paged action, followed through `nextToken`. */
export async function allPages<A extends PagedAction>(
  send: Send,
  action: A,
  args: ArgsOf<A>,
): Promise<ActionResults[A]> {
  const items: unknown[] = [];
  let nextToken: string | undefined;
  do {
    const reply = await send(action, { ...args, nextToken } as ArgsOf<A>);
    items.push(...(reply.data as unknown[]));
    nextToken = reply.nextToken;
  } while (nextToken);
  return items as ActionResults[A];
}

/** The MeshError of an error reply. */
export function errorFrom(reply: ErrorReply): MeshError {
  return new MeshError(reply.errorType, reply.message, { action: reply.action, requestId: reply.requestId });
}

/** A frame's JSON, or undefined when the text is not JSON (a server fault the client reports). */
export function parseServerFrame(text: string): ServerFrame | undefined {
  try {
    return JSON.parse(text) as ServerFrame;
  } catch {
    return undefined;
  }
}
