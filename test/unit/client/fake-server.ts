/**
 * A fake transport for MeshClient unit tests: a WebSocket constructor whose
 * sockets talk to an in-memory server. The server answers every request on
 * the next timer tick with a handler's data (or error), records what it got,
 * and lets a test push frames, drop a socket or refuse connections. Works
 * with jest fake timers: nothing happens until timers advance.
 */
import type { Action } from '#shared/protocol/requests';
import type { ErrorType, Push } from '#shared/protocol/messages';
import type { Group, Node, NodeStatus } from '#shared/protocol/types';
import type { SocketLike, WebSocketConstructor } from '#client/transport';

export type Request = { action: Action; requestId: string; [field: string]: unknown };

/** What a handler returns: reply data, an error, or no reply at all. */
export type HandlerResult = { data: unknown; nextToken?: string } | { error: ErrorType; message?: string } | 'no-reply';
export type Handler = (request: Request, socket: FakeSocket) => HandlerResult;

export const T0 = Date.parse('2026-01-01T00:00:00.000Z');

/** Runs each test of the enclosing block on fake time from T0; `cleanup` runs after it, before real time is back. */
export function onFakeTime(cleanup: () => void = () => {}): void {
  beforeEach(() => jest.useFakeTimers({ now: T0 }));
  afterEach(() => {
    cleanup();
    jest.useRealTimers();
  });
}

export class FakeSocket implements SocketLike {
  readyState = 0;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(
    readonly url: string,
    private readonly server: FakeServer,
  ) {}

  send(text: string): void {
    if (this.readyState !== 1) throw new Error('socket is not open');
    this.server.receive(this, text);
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    setTimeout(() => this.onclose?.({ code, reason }), 0);
  }

  /** The network drops the connection (no close handshake). */
  drop(code = 1006): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }

  /** Delivers a server frame to the client. */
  deliver(frame: unknown): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
}

export class FakeServer {
  readonly sockets: FakeSocket[] = [];
  readonly requests: Request[] = [];
  /** Raw frames as sent, for size checks. */
  readonly frames: string[] = [];
  refuse = false;
  /** What createGroup and renewHeartbeat answer with (the host id is the caller's). */
  groupInfo: Group = group();
  /** What joinGroup and sendMemberHeartbeat answer with (the node id is the caller's). */
  nodeInfo: Node = node();
  private readonly handlers = new Map<Action, Handler>();
  private pushSeq = new Map<string, number>();

  constructor() {
    for (const [action, handler] of Object.entries(defaultHandlers(this))) this.handlers.set(action as Action, handler);
  }

  /** The constructor to pass as MeshClient's `WebSocket` option. */
  get WebSocket(): WebSocketConstructor {
    // The class below is a socket: inside it `this` is the socket, so the server needs a name of its own.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const server = this;
    return class extends FakeSocket {
      constructor(url: string) {
        super(url, server);
        server.sockets.push(this);
        setTimeout(() => {
          if (server.refuse) {
            this.readyState = 3;
            this.onerror?.({});
            this.onclose?.({ code: 1006, reason: '' });
            return;
          }
          this.readyState = 1;
          this.onopen?.({});
        }, 0);
      }
    };
  }

  get socket(): FakeSocket {
    return this.sockets[this.sockets.length - 1];
  }

  on(action: Action, handler: Handler): void {
    this.handlers.set(action, handler);
  }

  requestsOf(action: Action): Request[] {
    return this.requests.filter((request) => request.action === action);
  }

  actions(): Action[] {
    return this.requests.map((request) => request.action);
  }

  /** Pushes a frame from another node to the current socket, numbering it per sender. */
  push(from: string, payload: Partial<Push>, group = { groupId: 'g1', domain: 'd1' }): Push {
    const seq = (this.pushSeq.get(from) ?? 0) + 1;
    this.pushSeq.set(from, seq);
    const push = {
      type: 'message',
      ...group,
      from,
      epoch: 'e1',
      seq,
      sentAt: new Date().toISOString(),
      ...payload,
    } as Push;
    this.socket.deliver(push);
    return push;
  }

  receive(socket: FakeSocket, text: string): void {
    this.frames.push(text);
    const request = JSON.parse(text) as Request;
    this.requests.push(request);
    const handler = this.handlers.get(request.action);
    const result: HandlerResult = handler ? handler(request, socket) : { error: 'ValidationError', message: 'unknown' };
    if (result === 'no-reply') return;
    setTimeout(() => {
      if (socket.readyState !== 1) return;
      if ('error' in result) {
        socket.deliver({
          type: 'error',
          action: request.action,
          requestId: request.requestId,
          errorType: result.error,
          message: result.message ?? result.error,
        });
      } else {
        socket.deliver({
          type: 'result',
          action: request.action,
          requestId: request.requestId,
          data: result.data,
          ...(result.nextToken ? { nextToken: result.nextToken } : {}),
        });
      }
    }, 0);
  }
}

/** The token the fake server hands out for a node: `token-{id}`, to a call that presented none. */
function tokenFor(request: Request, id: unknown): { nodeToken?: string } {
  return request.nodeToken === undefined ? { nodeToken: `token-${String(id)}` } : {};
}

export function group(overrides: Partial<Group> = {}): Group {
  return {
    id: 'g1',
    domain: 'd1',
    fullId: 'g1@d1',
    name: 'room',
    hostId: 'host',
    createdAt: new Date(T0).toISOString(),
    expiresAt: new Date(T0 + 1500_000).toISOString(),
    heartbeatIntervalSeconds: 60,
    useWebSocket: true,
    ...overrides,
  };
}

export function node(overrides: Partial<Node> = {}): Node {
  return {
    id: 'me',
    name: 'me',
    groupId: 'g1',
    domain: 'd1',
    expiresAt: new Date(T0 + 1500_000).toISOString(),
    heartbeatIntervalSeconds: 120,
    useWebSocket: true,
    ...overrides,
  };
}

export function status(nodeId: string, data: Record<string, string>, at = Date.now()): NodeStatus {
  return {
    nodeId,
    groupId: 'g1',
    domain: 'd1',
    data: Object.entries(data).map(([key, value]) => ({ key, value })),
    timestamp: new Date(at).toISOString(),
  };
}

function defaultHandlers(server: FakeServer): Partial<Record<Action, Handler>> {
  return {
    createDomain: () => ({ data: 'd1' }),
    // As the server: a call that presents no token makes the node and hands its token out.
    createGroup: (r) => ({
      data: { ...server.groupInfo, hostId: r.hostId as string, name: r.name as string, ...tokenFor(r, r.hostId) },
    }),
    joinGroup: (r) => ({
      data: { ...server.nodeInfo, id: r.nodeId as string, name: r.nodeId as string, ...tokenFor(r, r.nodeId) },
    }),
    listGroupsByDomain: () => ({ data: [group()] }),
    listGroupStatuses: () => ({ data: [] }),
    listNodesInGroup: () => ({ data: [] }),
    getNodeStatus: () => ({ data: null }),
    reportDataByNode: (r) => ({ data: { groupId: 'g1', domain: 'd1', nodeStatus: status(r.nodeId as string, {}) } }),
    fireEventsByNode: () => ({ data: { groupId: 'g1', domain: 'd1' } }),
    renewHeartbeat: () => ({
      data: {
        groupId: 'g1',
        domain: 'd1',
        expiresAt: server.groupInfo.expiresAt,
        heartbeatIntervalSeconds: server.groupInfo.heartbeatIntervalSeconds,
      },
    }),
    sendMemberHeartbeat: (r) => ({
      data: {
        nodeId: r.nodeId,
        groupId: 'g1',
        domain: 'd1',
        expiresAt: server.nodeInfo.expiresAt,
        heartbeatIntervalSeconds: server.nodeInfo.heartbeatIntervalSeconds,
      },
    }),
    leaveGroup: (r) => ({ data: { peerId: r.nodeId, groupId: 'g1', domain: 'd1', message: 'left' } }),
    dissolveGroup: () => ({
      data: { groupId: 'g1', domain: 'd1', groupDissolve: { groupId: 'g1', domain: 'd1', message: 'bye' } },
    }),
  };
}
