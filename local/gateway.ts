/**
 * An API Gateway WebSocket API on one machine, close to AWS where clients or
 * handlers can tell the difference:
 * - The $connect authorizer, when there is one, then `$connect`, run during
 *   the upgrade; either can refuse it with an HTTP status, and then no
 *   connection exists (admission.ts). The authorizer's answer is in every
 *   event of the connection.
 * - Route selection on `$request.body.action`: a JSON object whose string
 *   `action` has a route goes there; anything else (not JSON, no action, an
 *   unrouted action, a binary frame) goes to `$default`.
 * - Lambda proxy events shaped as API Gateway sends them; two-way routes send
 *   the handler's returned `body` back to the caller; a failed integration
 *   sends API Gateway's "Internal server error" frame.
 * - Frames over 32 KB close the connection with 1009; messages to a client
 *   over 128 KB are refused; the idle timeout and the maximum connection
 *   duration close with 1001 "Going away".
 * - A client that stops reading cannot make the gateway hold its messages
 *   without bound: once more than 1 MiB waits unsent to one connection, the
 *   gateway drops that connection (the client sees 1006 and may reconnect)
 *   and PostToConnection answers 410 as for any gone connection. AWS does not
 *   document its own bound; this one keeps the stack's memory flat.
 * - `$disconnect` runs after the close, best effort (its failure is only logged).
 * The Management API (management.ts) reaches connections through
 * `postToConnection`, `getConnection` and `deleteConnection`.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { LIMITS, utf8Bytes } from '#shared/protocol/limits';
import type { LocalLambda } from './lambda';
import { type Log, describeError } from './log';
import { type LocalStats } from './stats';
import { LOCAL_HOST, base64Id, close, listen, requestId } from './net';
import { admitUpgrade, refuseUpgrade } from './admission';
import type { AuthorizerContext, LocalAuthorizer } from './connect-authorizer';
import { type ApiInfo, requestContext, sourceIpOf } from './proxy-events';

/** A route's integration. `twoWay`: the route has a route response, so the handler's `body` goes back to the caller. */
export interface Route {
  fn: LocalLambda;
  twoWay?: boolean;
}

/** Route key (`$connect`, `$disconnect`, `$default` or an action) → integration. */
export type RouteTable = Record<string, Route>;

export interface GatewayOptions {
  /** 0 = any free port. */
  port: number;
  host?: string;
  stage: string;
  apiId: string;
  routes: RouteTable;
  /** The REQUEST authorizer of $connect (connect-authorizer.ts); none: every upgrade reaches $connect. */
  connectAuthorizer?: LocalAuthorizer;
  /** Region of the ARNs the events name; us-east-1 unless set. */
  region?: string;
  /** API Gateway's 10 minutes unless set. */
  idleTimeoutSeconds?: number;
  /** API Gateway's 2 hours unless set. */
  maxConnectionSeconds?: number;
  /** Makes connection ids; API Gateway-like base64 ids ('L0SM9cOFvHcCIhw=') unless set. */
  connectionIds?: () => string;
  stats: LocalStats;
  log: Log;
}

/** What GetConnection answers, as the Management API shapes it. */
export interface ConnectionInfo {
  connectedAt: string;
  lastActiveAt: string;
  identity: { sourceIp: string; userAgent: string };
}

export type PostResult = 'sent' | 'gone' | 'tooLarge';

/** What the Management API needs from the gateway. */
export interface Connections {
  postToConnection(connectionId: string, data: Buffer): PostResult;
  getConnection(connectionId: string): ConnectionInfo | undefined;
  deleteConnection(connectionId: string): boolean;
}

interface Connection {
  id: string;
  socket: WebSocket;
  connectedAt: number;
  lastActiveAt: number;
  sourceIp: string;
  userAgent: string;
  domainName: string;
  /** The authorizer's answer, in every event of the connection; absent without an authorizer. */
  authorizer?: AuthorizerContext;
  idleTimer?: NodeJS.Timeout;
  maxTimer?: NodeJS.Timeout;
}

const FRAME_LIMIT_BYTES = LIMITS.maxClientMessageBytes;
const MESSAGE_LIMIT_BYTES = LIMITS.maxServerMessageBytes;
/** Unsent bytes one connection may hold before the gateway drops it (a reader that stopped). */
export const MAX_UNSENT_BYTES = 1024 * 1024;
/** The running emulator. */
export class Gateway implements Connections {
  private readonly server = http.createServer((_req, res) => {
    res.writeHead(426, { 'Content-Type': 'text/plain' }).end('This endpoint speaks WebSocket.\n');
  });
  private readonly wss: WebSocketServer;
  private readonly connections = new Map<string, Connection>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly protocols = new WeakMap<http.IncomingMessage, string>();
  private readonly idleMs: number;
  private readonly maxMs: number;
  private boundPort = 0;

  constructor(private readonly options: GatewayOptions) {
    this.idleMs = (options.idleTimeoutSeconds ?? 600) * 1000;
    this.maxMs = (options.maxConnectionSeconds ?? 7200) * 1000;
    this.wss = new WebSocketServer({
      noServer: true,
      // ws closes the connection with 1009 on a bigger frame, as API Gateway does.
      maxPayload: FRAME_LIMIT_BYTES,
      // API Gateway agrees to a subprotocol only when $connect answers with one.
      handleProtocols: (_offered, req) => this.protocols.get(req) ?? false,
    });
    this.server.on('upgrade', (req, socket, head) => this.track(this.upgrade(req, socket, head)));
  }

  /** Starts listening; resolves with the bound port. */
  async start(): Promise<number> {
    this.boundPort = await listen(this.server, this.options.port, this.options.host ?? LOCAL_HOST);
    return this.boundPort;
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `ws://${this.options.host ?? LOCAL_HOST}:${this.boundPort}`;
  }

  /** PostToConnection: sends `data` as one text message. */
  postToConnection(connectionId: string, data: Buffer): PostResult {
    const connection = this.connections.get(connectionId);
    if (!connection || connection.socket.readyState !== connection.socket.OPEN) return 'gone';
    if (data.byteLength > MESSAGE_LIMIT_BYTES) return 'tooLarge';
    if (connection.socket.bufferedAmount + data.byteLength > MAX_UNSENT_BYTES) {
      this.options.stats.counters.ws.slowReadersDropped += 1;
      this.options.log(
        'gateway',
        `dropping ${connectionId}: over ${MAX_UNSENT_BYTES} bytes wait unsent (it stopped reading)`,
      );
      connection.socket.terminate();
      return 'gone';
    }
    this.send(connection, data);
    return 'sent';
  }

  getConnection(connectionId: string): ConnectionInfo | undefined {
    const connection = this.connections.get(connectionId);
    if (!connection) return undefined;
    return {
      connectedAt: new Date(connection.connectedAt).toISOString(),
      lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
      identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
    };
  }

  /** DeleteConnection: closes it; false when there is no such connection. */
  deleteConnection(connectionId: string): boolean {
    const connection = this.connections.get(connectionId);
    if (!connection) return false;
    connection.socket.close(1000);
    return true;
  }

  /** Ids of the open connections. */
  connectionIds(): string[] {
    return [...this.connections.keys()];
  }

  /** Closes every connection (1001), waits briefly for their `$disconnect`s, then stops listening. */
  async stop(): Promise<void> {
    for (const connection of this.connections.values()) connection.socket.close(1001, 'Going away');
    await this.settle(1000);
    for (const client of this.wss.clients) client.terminate();
    await this.settle(3000);
    this.wss.close();
    await close(this.server);
  }

  /** Waits until every connection has closed and every invocation has ended, or `withinMs` pass. */
  private async settle(withinMs: number): Promise<void> {
    const deadline = Date.now() + withinMs;
    while ((this.connections.size > 0 || this.inFlight.size > 0) && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      const tick = new Promise((resolve) => (timer = setTimeout(resolve, 20)));
      // Always includes the tick: with nothing in flight, allSettled([]) alone would spin on microtasks.
      await Promise.race(this.inFlight.size > 0 ? [Promise.allSettled([...this.inFlight]), tick] : [tick]);
      clearTimeout(timer);
    }
  }

  private track<T>(work: Promise<T>): void {
    this.inFlight.add(work);
    work.finally(() => this.inFlight.delete(work)).catch(() => {});
  }

  private async upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const { routes, stats, log } = this.options;
    socket.on('error', () => socket.destroy());
    if (!this.wss.shouldHandle(req) || !req.headers['sec-websocket-key']) return refuseUpgrade(socket, 400);

    const connectionId = this.options.connectionIds?.() ?? base64Id(11);
    const connectedAt = Date.now();
    const admission = await admitUpgrade({
      api: this.api(),
      region: this.options.region ?? 'us-east-1',
      req,
      connectionId,
      connectedAt,
      connectRoute: routes.$connect?.fn,
      authorizer: this.options.connectAuthorizer,
    });
    if ('refusedBy' in admission) {
      stats.counters.ws.connectionsRefused += 1;
      log('gateway', `${admission.refusedBy} refused ${connectionId} with ${admission.status}`);
      return refuseUpgrade(socket, admission.status);
    }
    if (admission.protocol) this.protocols.set(req, admission.protocol);
    if (socket.destroyed) return;

    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const connection: Connection = {
        id: connectionId,
        socket: ws,
        connectedAt,
        lastActiveAt: connectedAt,
        sourceIp: sourceIpOf(req),
        userAgent: req.headers['user-agent'] ?? '',
        domainName: req.headers.host ?? `${LOCAL_HOST}:${this.boundPort}`,
        authorizer: admission.authorizer,
      };
      this.connections.set(connectionId, connection);
      stats.counters.ws.connectionsCurrent += 1;
      stats.counters.ws.connectionsTotal += 1;
      this.touch(connection);
      connection.maxTimer = setTimeout(() => ws.close(1001, 'Going away'), this.maxMs);
      ws.on('message', (data: Buffer, isBinary) => this.track(this.receive(connection, data, isBinary)));
      ws.on('close', (code, reason) => this.track(this.closed(connection, code, reason.toString())));
      ws.on('error', (error) => log('gateway', `connection ${connectionId}: ${error.message}`));
    });
  }

  /** Restarts the idle timer: only messages count as activity, not pings. */
  private touch(connection: Connection): void {
    connection.lastActiveAt = Date.now();
    clearTimeout(connection.idleTimer);
    connection.idleTimer = setTimeout(() => connection.socket.close(1001, 'Going away'), this.idleMs);
  }

  private async receive(connection: Connection, data: Buffer, isBinary: boolean): Promise<void> {
    const { stats } = this.options;
    stats.counters.ws.framesIn += 1;
    stats.counters.ws.bytesIn += data.byteLength;
    this.touch(connection);

    const body = isBinary ? data.toString('base64') : data.toString('utf8');
    const routeKey = isBinary ? '$default' : this.selectRoute(body);
    const reqId = requestId();
    const route = this.options.routes[routeKey];
    if (!route) {
      // API Gateway's answer when neither the action nor $default has a route.
      this.sendText(
        connection,
        JSON.stringify({ message: 'Forbidden', connectionId: connection.id, requestId: reqId }),
      );
      return;
    }
    const event = {
      requestContext: {
        ...requestContext(this.api(), connection, routeKey, 'MESSAGE', reqId),
        messageId: base64Id(11),
      },
      body,
      isBase64Encoded: isBinary,
    };
    let result: unknown;
    try {
      result = await route.fn.invoke(event);
    } catch {
      this.sendInternalError(connection, reqId);
      return;
    }
    if (!route.twoWay) return;
    const replyBody = (result as { body?: unknown } | undefined | null)?.body;
    if (replyBody === undefined || replyBody === null) return;
    const text = typeof replyBody === 'string' ? replyBody : JSON.stringify(replyBody);
    if (utf8Bytes(text) > MESSAGE_LIMIT_BYTES) {
      this.options.log(
        'gateway',
        `route ${routeKey} answered ${utf8Bytes(text)} bytes (limit ${MESSAGE_LIMIT_BYTES}); sent the error frame`,
      );
      this.sendInternalError(connection, reqId);
      return;
    }
    this.sendText(connection, text);
  }

  /** `$request.body.action`, or `$default`. */
  private selectRoute(body: string): string {
    try {
      const json: unknown = JSON.parse(body);
      if (json !== null && typeof json === 'object' && !Array.isArray(json)) {
        const action = (json as { action?: unknown }).action;
        if (typeof action === 'string' && !action.startsWith('$') && Object.hasOwn(this.options.routes, action)) {
          return action;
        }
      }
    } catch {
      // Not JSON: $default, as API Gateway routes it.
    }
    return '$default';
  }

  private async closed(connection: Connection, code: number, reason: string): Promise<void> {
    const { routes, stats } = this.options;
    clearTimeout(connection.idleTimer);
    clearTimeout(connection.maxTimer);
    if (!this.connections.delete(connection.id)) return;
    stats.counters.ws.connectionsCurrent -= 1;
    const route = routes.$disconnect;
    if (!route) return;
    const event = {
      headers: { Host: connection.domainName, 'x-api-key': '', 'X-Forwarded-For': '', 'x-restapi': '' },
      multiValueHeaders: {
        Host: [connection.domainName],
        'x-api-key': [''],
        'X-Forwarded-For': [''],
        'x-restapi': [''],
      },
      requestContext: {
        ...requestContext(this.api(), connection, '$disconnect', 'DISCONNECT', requestId()),
        disconnectStatusCode: code,
        disconnectReason: reason,
      },
      isBase64Encoded: false,
    };
    // Best effort, as in AWS: a failed $disconnect is logged (by the invoker) and dropped.
    await route.fn.invoke(event).catch(() => {});
  }

  /** What the proxy events say of this API. */
  private api(): ApiInfo {
    return { stage: this.options.stage, apiId: this.options.apiId, port: this.boundPort };
  }

  private sendInternalError(connection: Connection, reqId: string): void {
    this.sendText(
      connection,
      JSON.stringify({ message: 'Internal server error', connectionId: connection.id, requestId: reqId }),
    );
  }

  private sendText(connection: Connection, text: string): void {
    this.send(connection, Buffer.from(text, 'utf8'));
  }

  private send(connection: Connection, data: Buffer): void {
    if (connection.socket.readyState !== connection.socket.OPEN) return;
    const { stats, log } = this.options;
    stats.counters.ws.framesOut += 1;
    stats.counters.ws.bytesOut += data.byteLength;
    connection.socket.send(data, { binary: false }, (error) => {
      if (error) log('gateway', `send to ${connection.id} failed: ${describeError(error)}`);
    });
    const unsent = connection.socket.bufferedAmount;
    if (unsent > stats.counters.ws.unsentBytesPeak) stats.counters.ws.unsentBytesPeak = unsent;
  }
}

/** Creates and starts a gateway. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const gateway = new Gateway(options);
  await gateway.start();
  return gateway;
}
