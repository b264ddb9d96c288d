/**
 * Wire protocol v1 over the HTTPS endpoint, from the outside: what the
 * integration tests and the bench's polling nodes talk to a stack with. One
 * POST per request, its body the request frame, its answer the reply
 * (handlers/http.ts). It remembers the nodeToken the reply that created its
 * node handed out and sends it with every later request, as a polling node
 * must (there is no connection to be bound to).
 */
import type { Action, ActionResults, ArgsOf, Reply } from '#shared/protocol/index';
import { MeshCallError, REPLY_TIMEOUT_MS } from './protocol-socket';

/** A reply and the HTTP status it came with. */
export interface HttpReply {
  status: number;
  reply: Reply;
}

export class ProtocolHttp {
  /** The token of this poller's node, once a createGroup or joinGroup handed it out. */
  nodeToken: string | undefined;
  /** Requests sent so far. */
  requests = 0;
  private nextRequestId = 1;

  constructor(
    readonly url: string,
    private readonly replyTimeoutMs = REPLY_TIMEOUT_MS,
  ) {}

  /** Sends a request and resolves with its result's data; rejects with MeshCallError on an error reply. */
  async call<A extends Action>(action: A, args: ArgsOf<A>, timeoutMs?: number): Promise<ActionResults[A]> {
    const { reply } = await this.reply(action, args, timeoutMs);
    if (reply.type === 'error') throw new MeshCallError(reply);
    const data = reply.data as ActionResults[A];
    const granted = (data as { nodeToken?: unknown } | null)?.nodeToken;
    if (typeof granted === 'string') this.nodeToken = granted;
    return data;
  }

  /** Sends a request (any action, any fields) with this poller's token, and resolves with the reply and its status. */
  async reply(action: string, args: object = {}, timeoutMs = this.replyTimeoutMs): Promise<HttpReply> {
    const requestId = `h-${this.nextRequestId++}`;
    const token = this.nodeToken === undefined ? {} : { nodeToken: this.nodeToken };
    return this.post(JSON.stringify({ action, requestId, ...token, ...args }), timeoutMs);
  }

  /** POSTs a body as it is (tests send bad ones too). */
  async post(body: string, timeoutMs = this.replyTimeoutMs, headers: Record<string, string> = {}): Promise<HttpReply> {
    this.requests += 1;
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: response.status, reply: (await response.json()) as Reply };
  }
}
