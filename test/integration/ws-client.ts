/**
 * A small WebSocket client for the integration tests: it speaks wire protocol
 * v1 to a running stack, matches replies to requests by requestId and keeps
 * every push it receives so a test can wait for (or rule out) a push.
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import type { Action, ActionResults, ArgsOf, ErrorReply, ErrorType, Group, Node, Push, Reply, ServerFrame } from '#shared/protocol/index';
import { pushesOf } from '#shared/protocol/messages';

/** What each action's `data` holds (the Mesh v2 shapes). */
export type DataOf = ActionResults;

/** How long a reply may take before the test fails (a cold handler plus DynamoDB Local). */
export const REPLY_TIMEOUT_MS = 10_000;
/** How long a push may take through SNS and the fan-out. */
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

interface Waiter<T> {
  accept(value: T): boolean;
  resolve(value: T): void;
}

export class MeshTestClient {
  /** Every push received, in arrival order (never consumed). */
  readonly pushes: Push[] = [];
  /** Frames that carried pushes (one frame may carry several). */
  pushFrames = 0;
  /** Frames from the server that were not JSON (a test may assert there are none). */
  readonly invalidFrames: string[] = [];
  /** Resolves when the socket closes, with the close code. */
  readonly closed: Promise<CloseInfo>;

  private nextRequestId = 1;
  private readonly pending = new Map<string, (reply: Reply) => void>();
  /** Replies no pending call claimed (requests sent with sendRaw). */
  private readonly unclaimedReplies: Reply[] = [];
  private replyWaiters: Waiter<Reply>[] = [];
  /** Pushes not yet taken by nextPush. */
  private readonly unconsumedPushes: Push[] = [];
  private pushWaiters: Waiter<Push>[] = [];
  private closeInfo: CloseInfo | undefined;

  private constructor(readonly socket: WebSocket) {
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        resolve(this.closeInfo);
      });
    });
    socket.on('message', (raw) => this.receive(raw.toString()));
    // A socket error is followed by 'close'; tests observe `closed`.
    socket.on('error', () => undefined);
  }

  /** Opens a connection; rejects if the $connect route refuses it. */
  static connect(url: string | undefined = process.env.MESH_TEST_WS_URL): Promise<MeshTestClient> {
    if (!url) throw new Error('no WebSocket URL: MESH_TEST_WS_URL is not set (is the integration globalSetup running?)');
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      const client = new MeshTestClient(socket);
      socket.once('open', () => resolve(client));
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
  async call<A extends Action>(action: A, args: ArgsOf<A>): Promise<DataOf[A]> {
    const reply = await this.reply(action, args as Record<string, unknown>);
    if (reply.type === 'error') throw new MeshCallError(reply);
    return reply.data as DataOf[A];
  }

  /** Sends a request (any action, any fields) and resolves with the raw reply. */
  reply(action: string, args: Record<string, unknown> = {}): Promise<Reply> {
    const requestId = `r-${this.nextRequestId++}`;
    return this.request({ action, requestId, ...args }, requestId);
  }

  /** Sends a text frame as is. Its reply, if any, is read with nextUnclaimedReply. */
  sendRaw(text: string): void {
    this.socket.send(text);
  }

  /** Sends a text frame and resolves with the next reply no call claimed. */
  rawReply(text: string, timeoutMs = REPLY_TIMEOUT_MS): Promise<Reply> {
    this.sendRaw(text);
    return this.nextUnclaimedReply(timeoutMs);
  }

  /** The next reply that no pending call claimed (e.g. to a frame sent with sendRaw). */
  nextUnclaimedReply(timeoutMs = REPLY_TIMEOUT_MS): Promise<Reply> {
    return this.take(this.unclaimedReplies, 'replyWaiters', () => true, timeoutMs, 'an unclaimed reply');
  }

  /** Resolves with the first push (oldest first) matching `predicate`, taking it out of the queue. */
  nextPush(predicate: (push: Push) => boolean = () => true, timeoutMs = PUSH_TIMEOUT_MS): Promise<Push> {
    return this.take(this.unconsumedPushes, 'pushWaiters', predicate, timeoutMs, 'a push');
  }

  /** Waits `ms` and fails if a push matching `predicate` arrived meanwhile (or was already waiting). */
  async expectNoPush(ms: number, predicate: (push: Push) => boolean = () => true): Promise<void> {
    await sleep(ms);
    const unexpected = this.unconsumedPushes.filter(predicate);
    if (unexpected.length > 0) {
      throw new Error(`expected no push, got ${unexpected.length}: ${JSON.stringify(unexpected[0]).slice(0, 500)}`);
    }
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
    (this.socket as unknown as { _socket?: { destroy(): void } })._socket?.destroy();
  }

  private request(message: Record<string, unknown>, requestId: string): Promise<Reply> {
    if (!this.isOpen) return Promise.reject(new Error(`socket is not open (close ${JSON.stringify(this.closeInfo)})`));
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        const unclaimed = this.unclaimedReplies.map((r) => JSON.stringify(r).slice(0, 200)).join(' | ');
        reject(
          new Error(
            `no reply to ${String(message.action)} (${requestId}) within ${REPLY_TIMEOUT_MS} ms` +
              (unclaimed ? `; frames no request claimed: ${unclaimed}` : ''),
          ),
        );
      }, REPLY_TIMEOUT_MS);
      const onClose = (info: CloseInfo) => {
        if (!this.pending.has(requestId)) return;
        this.pending.delete(requestId);
        clearTimeout(timer);
        reject(new Error(`socket closed (${info.code}) before the reply to ${String(message.action)}`));
      };
      this.pending.set(requestId, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      void this.closed.then(onClose);
      this.socket.send(JSON.stringify(message));
    });
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
      // A frame of several pushes is taken apart: each push as if it came alone.
      this.pushFrames += 1;
      for (const push of pushesOf(frame)) {
        this.pushes.push(push);
        this.offer(push, this.unconsumedPushes, 'pushWaiters');
      }
      return;
    }
    const settle = frame.requestId === undefined ? undefined : this.pending.get(frame.requestId);
    if (settle && frame.requestId !== undefined) {
      this.pending.delete(frame.requestId);
      settle(frame);
      return;
    }
    this.offer(frame, this.unclaimedReplies, 'replyWaiters');
  }

  private offer<T>(item: T, queue: T[], waiters: 'pushWaiters' | 'replyWaiters'): void {
    const list = this[waiters] as unknown as Waiter<T>[];
    const index = list.findIndex((w) => w.accept(item));
    if (index >= 0) {
      const [waiter] = list.splice(index, 1);
      waiter.resolve(item);
      return;
    }
    queue.push(item);
  }

  private take<T>(
    queue: T[],
    waiters: 'pushWaiters' | 'replyWaiters',
    predicate: (item: T) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<T> {
    const index = queue.findIndex(predicate);
    if (index >= 0) return Promise.resolve(queue.splice(index, 1)[0]);
    const list = this[waiters] as unknown as Waiter<T>[];
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        accept: predicate,
        resolve: (item) => {
          clearTimeout(timer);
          resolve(item);
        },
      };
      const timer = setTimeout(() => {
        const at = list.indexOf(waiter);
        if (at >= 0) list.splice(at, 1);
        const seen = this.pushes.length;
        reject(new Error(`no ${what} matching within ${timeoutMs} ms (${seen} pushes received in all)`));
      }, timeoutMs);
      list.push(waiter);
    });
  }
}

/** Opens a connection (see MeshTestClient.connect). */
export function connect(url?: string): Promise<MeshTestClient> {
  return MeshTestClient.connect(url);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A domain no other test uses. */
export function uniqueDomain(prefix = 'itest'): string {
  return `${prefix}-${randomUUID()}`;
}

/** A node id no other test uses. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/**
 * Connections of one test file: `open` connects and remembers the client; every
 * client is closed after each test.
 */
export function useClients(defaultUrl?: () => string | undefined): { open(url?: string): Promise<MeshTestClient> } {
  const opened: MeshTestClient[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((client) => client.close()));
  });
  return {
    async open(url?: string) {
      const client = await MeshTestClient.connect(url ?? defaultUrl?.() ?? process.env.MESH_TEST_WS_URL);
      opened.push(client);
      return client;
    },
  };
}

export interface Member {
  client: MeshTestClient;
  nodeId: string;
  node: Node;
}

export interface TestGroup {
  domain: string;
  group: Group;
  host: MeshTestClient;
  hostId: string;
  members: Member[];
}

/** Creates a group on a new connection and joins `memberCount` members, each on its own connection. */
export async function openGroup(
  clients: { open(url?: string): Promise<MeshTestClient> },
  options: { members?: number; domain?: string; url?: string; name?: string; maxConnectionTimeSeconds?: number } = {},
): Promise<TestGroup> {
  const domain = options.domain ?? uniqueDomain();
  const hostId = uniqueId('host');
  const host = await clients.open(options.url);
  const group = await host.call('createGroup', {
    name: options.name ?? 'test group',
    hostId,
    domain,
    ...(options.maxConnectionTimeSeconds === undefined
      ? {}
      : { maxConnectionTimeSeconds: options.maxConnectionTimeSeconds }),
  });
  const members: Member[] = [];
  for (let i = 0; i < (options.members ?? 0); i++) {
    const client = await clients.open(options.url);
    const nodeId = uniqueId(`member${i + 1}`);
    const node = await client.call('joinGroup', { groupId: group.id, domain, nodeId });
    members.push({ client, nodeId, node });
  }
  return { domain, group, host, hostId, members };
}
