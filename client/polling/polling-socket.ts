/**
 * A WebSocket stand-in over the mesh's HTTPS endpoint, for networks that
 * block the upgrade: the connection manager opens it like a socket, and the
 * rest of MeshClient cannot tell the difference.
 *
 *   - `send(frame)` POSTs the request frame and hands the reply back as a
 *     message. Every request that acts as the node carries its nodeToken
 *     (over HTTPS the token, not a connection, says which node a request
 *     is): the socket learns it from the createGroup / joinGroup that
 *     created or rejoined the node, and adds it to the requests after.
 *   - Once the node is in a group it polls pollGroupData at the interval the
 *     server gave (group-poller.ts), and hands what it reads on as the pushes
 *     a WebSocket would have carried.
 *   - A POST the network loses closes the socket (code 1006), as a dropped
 *     WebSocket does: the connection manager reconnects and rejoins.
 *   - A socket opened because the WebSocket would not (`fellBack`) says so
 *     on its first request (`transportFallback: true`), and only there: the
 *     server counts one fallback per client that fell back (PollingFallbacks),
 *     not one per request. The sockets of its later reconnects were not
 *     opened by a fallback, so they never say it again.
 */
import type { Reply } from '#shared/protocol/messages';
import { withCredential } from '#shared/protocol/connect';
import type { SocketLike } from '../transport';
import { GroupPoller, type PolledGroup } from './group-poller';

/** readyState values of the WHATWG WebSocket. */
const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 3;

/** The close code of a socket whose network went away (the WHATWG "abnormal closure"). */
export const LOST_CODE = 1006;

/** The actions that name the node's token themselves: the socket adds its own to no other. */
const TOKEN_GRANTING = new Set(['createGroup', 'joinGroup']);
/** The actions after which the node is in no group. */
const LEAVING = new Set(['leaveGroup', 'dissolveGroup']);

export interface PollingSocketOptions {
  /** The HTTPS endpoint (the deployment's `httpUrl`). */
  httpUrl: string;
  /** The $connect credential, when the deployment has an authorizer: the same `token` query parameter. */
  credential?: string;
  /** How long one POST may take before it counts as lost. */
  requestTimeoutMs: number;
  /** True when this socket replaces a WebSocket that would not open (transport 'auto'). Default false. */
  fellBack?: boolean;
}

export class PollingSocket implements SocketLike {
  readyState = CONNECTING;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  private readonly url: string;
  private nodeToken: string | undefined;
  private poller: GroupPoller | null = null;
  /** Whether the fallback is still to be told: cleared by the first request, whatever its fate. */
  private fallbackUntold: boolean;

  constructor(private readonly options: PollingSocketOptions) {
    this.fallbackUntold = options.fellBack ?? false;
    this.url = options.credential ? withCredential(options.httpUrl, options.credential) : options.httpUrl;
    // There is nothing to handshake: HTTPS is reached request by request. Open on the next turn, as a socket would.
    setTimeout(() => {
      if (this.readyState !== CONNECTING) return;
      this.readyState = OPEN;
      this.onopen?.({});
    }, 0);
  }

  send(data: string): void {
    if (this.readyState !== OPEN) throw new Error('the polling socket is not open');
    let request: { action?: string; nodeToken?: string };
    try {
      request = JSON.parse(data) as typeof request;
    } catch {
      request = {};
    }
    const action = request.action ?? '';
    if (TOKEN_GRANTING.has(action)) this.nodeToken = request.nodeToken;
    let body: Record<string, unknown> =
      !TOKEN_GRANTING.has(action) && this.nodeToken ? { ...request, nodeToken: this.nodeToken } : request;
    if (this.fallbackUntold) {
      this.fallbackUntold = false;
      body = { ...body, transportFallback: true };
    }
    void this.post(JSON.stringify(body)).then(
      (reply) => {
        this.learn(action, reply);
        this.deliver(reply);
      },
      () => this.lose('the HTTPS endpoint could not be reached'),
    );
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    this.poller?.stop();
    this.poller = null;
    const onclose = this.onclose;
    setTimeout(() => onclose?.({ code, reason }), 0);
  }

  /** One request: its reply, or a rejection when the network lost it. */
  async post(body: string): Promise<Reply> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(this.options.requestTimeoutMs),
    });
    const text = await response.text();
    return replyOf(text, response.status, body);
  }

  /** The request's token and the group it entered or left, from its reply. */
  private learn(action: string, reply: Reply): void {
    if (reply.type !== 'result') return;
    if (TOKEN_GRANTING.has(action)) {
      const data = reply.data as { nodeToken?: string; id?: string; groupId?: string; domain: string };
      if (data.nodeToken !== undefined) this.nodeToken = data.nodeToken;
      const groupId = action === 'createGroup' ? data.id : data.groupId;
      if (groupId !== undefined) this.follow({ ...(data as PolledGroup), groupId, domain: data.domain });
    } else if (LEAVING.has(action)) {
      this.poller?.stop();
      this.poller = null;
      this.nodeToken = undefined;
    }
  }

  private follow(group: PolledGroup): void {
    this.poller?.stop();
    this.poller = new GroupPoller({
      group,
      post: (request) => this.post(JSON.stringify({ ...request, nodeToken: this.nodeToken })),
      deliver: (frame) => this.deliverFrame(frame),
      lose: (why) => this.lose(why),
    });
    this.poller.start();
  }

  private deliver(reply: Reply): void {
    this.deliverFrame(JSON.stringify(reply));
  }

  private deliverFrame(text: string): void {
    if (this.readyState === OPEN) this.onmessage?.({ data: text });
  }

  /** The network went away: closed as a dropped WebSocket is, for the connection manager to reconnect. */
  private lose(why: string): void {
    if (this.readyState !== OPEN) return;
    this.onerror?.(new Error(why));
    this.close(LOST_CODE, why);
  }
}

/**
 * The reply in an answer's body. API Gateway's own answers (401 without a
 * credential, 429 past the stage's throttle, 5xx) carry no envelope: they
 * become the error reply a client acts on, with the request's ids.
 */
function replyOf(text: string, status: number, requestBody: string): Reply {
  try {
    const parsed = JSON.parse(text) as Partial<Reply>;
    if (parsed.type === 'result' || parsed.type === 'error') return parsed as Reply;
  } catch {
    // Not JSON: one of API Gateway's own answers.
  }
  const { action, requestId } = JSON.parse(requestBody) as { action?: string; requestId?: string };
  const errorType =
    status === 401 || status === 403 ? 'Unauthorized' : status === 429 ? 'RateLimited' : 'InternalError';
  return { type: 'error', action, requestId, errorType, message: `the HTTPS endpoint answered ${status}` };
}
