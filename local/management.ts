/**
 * The API Gateway Management API (`@connections`) on a local HTTP port, in
 * AWS's wire shapes so the real `@aws-sdk/client-apigatewaymanagementapi`
 * client works unchanged and raises its errors by name:
 *   POST   /{stage}/@connections/{id}   body bytes → one text message; 410 GoneException if unknown
 *   GET    /{stage}/@connections/{id}   {connectedAt, lastActiveAt, identity: {sourceIp, userAgent}}
 *   DELETE /{stage}/@connections/{id}   closes the connection
 * Any SigV4 Authorization header is accepted. The same port serves the stack's
 * control endpoints (control.ts): `/_local/stats` and `/_local/faults`.
 *
 * PostToConnection faults (faults.ts) act here, at the HTTP layer, so the
 * handler's SDK sees them as it would see AWS: added latency, a 500
 * `InternalServerErrorException`, or a 429 `LimitExceededException` (which
 * the SDK retries as throttling). A faulted post is not delivered.
 */
import http from 'node:http';
import { controlRequest } from './control';
import type { Site } from './console-site';
import { FaultInjector } from './faults';
import type { Connections } from './gateway';
import { type Log, describeError } from './log';
import type { LocalStats } from './stats';
import { LOCAL_HOST, close, listen, readBody, requestId } from './net';

export interface ManagementOptions {
  /** 0 = any free port. */
  port: number;
  host?: string;
  stage: string;
  /** The gateway's open connections. */
  connections: Connections;
  stats: LocalStats;
  /** Faults to inject into PostToConnection; none when unset. */
  faults?: FaultInjector;
  /** Static files served on GET (the operator console's page). */
  site?: Site;
  log: Log;
}

const CONNECTION_PATH = /^\/([^/]+)\/@connections\/([^/?]+)$/;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** An error as API Gateway answers it: the type in `x-amzn-ErrorType`, a JSON `{message}` body. */
function sendError(res: http.ServerResponse, status: number, type: string, message: string): void {
  res
    .writeHead(status, {
      'Content-Type': 'application/json',
      'x-amzn-ErrorType': type,
      'x-amzn-RequestId': requestId(),
    })
    .end(JSON.stringify({ message }));
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res
    .writeHead(status, { 'Content-Type': 'application/json', 'x-amzn-RequestId': requestId() })
    .end(JSON.stringify(body));
}

/** The running Management API. */
export class ManagementApi {
  private readonly server = http.createServer((req, res) => {
    this.handle(req, res).catch((error) => {
      this.options.log('management', `${req.method} ${req.url} failed: ${describeError(error)}`);
      if (!res.headersSent) sendError(res, 500, 'InternalServerErrorException', 'Internal server error');
    });
  });
  private boundPort = 0;
  private readonly faults: FaultInjector;

  constructor(private readonly options: ManagementOptions) {
    this.faults = options.faults ?? new FaultInjector();
    this.server.keepAliveTimeout = 65_000;
  }

  async start(): Promise<number> {
    this.boundPort = await listen(this.server, this.options.port, this.options.host ?? LOCAL_HOST);
    return this.boundPort;
  }

  get port(): number {
    return this.boundPort;
  }

  /** `http://127.0.0.1:{port}`; the handlers' endpoint is this plus `/{stage}`. */
  get baseUrl(): string {
    return `http://${this.options.host ?? LOCAL_HOST}:${this.boundPort}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await close(this.server);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const { connections, stats, stage } = this.options;
    const path = (req.url ?? '/').split('?')[0];
    const body = await readBody(req);

    const file = req.method === 'GET' ? this.options.site?.(path) : undefined;
    if (file) {
      res.writeHead(200, { 'Content-Type': file.contentType, 'Cache-Control': 'no-store' }).end(file.body);
      return;
    }

    const control = controlRequest(req, path, body, { stats, faults: this.faults });
    if (control) {
      if (control.errorType)
        return sendError(res, control.status, control.errorType, (control.body as { message: string }).message);
      return sendJson(res, control.status, control.body);
    }

    const match = CONNECTION_PATH.exec(path);
    if (!match) return sendError(res, 404, 'NotFoundException', 'Not Found');
    if (match[1] !== stage) return sendError(res, 403, 'ForbiddenException', 'Forbidden');
    let connectionId: string;
    try {
      connectionId = decodeURIComponent(match[2]);
    } catch {
      return sendError(res, 400, 'BadRequestException', 'Invalid connection id');
    }
    const counters = stats.counters.management;

    switch (req.method) {
      case 'POST': {
        counters.postToConnection.calls += 1;
        counters.postToConnection.bytes += body.byteLength;
        const fault = this.faults.postToConnection();
        if (fault.latencyMs > 0) await sleep(fault.latencyMs);
        if (fault.status === 500) return sendError(res, 500, 'InternalServerErrorException', 'Internal server error');
        if (fault.status === 429) return sendError(res, 429, 'LimitExceededException', 'Rate exceeded');
        const result = connections.postToConnection(connectionId, body);
        if (result === 'gone') {
          counters.postToConnection.gone += 1;
          return sendError(res, 410, 'GoneException', `Connection ${connectionId} is gone`);
        }
        if (result === 'tooLarge') {
          counters.postToConnection.tooLarge += 1;
          return sendError(res, 413, 'PayloadTooLargeException', 'Message too long');
        }
        return void res.writeHead(200, { 'x-amzn-RequestId': requestId() }).end();
      }
      case 'GET': {
        counters.getConnection += 1;
        const info = connections.getConnection(connectionId);
        if (!info) return sendError(res, 410, 'GoneException', `Connection ${connectionId} is gone`);
        return sendJson(res, 200, info);
      }
      case 'DELETE': {
        counters.deleteConnection += 1;
        if (!connections.deleteConnection(connectionId)) {
          return sendError(res, 410, 'GoneException', `Connection ${connectionId} is gone`);
        }
        return void res.writeHead(204, { 'x-amzn-RequestId': requestId() }).end();
      }
      default:
        return sendError(res, 405, 'MethodNotAllowedException', `${req.method} is not allowed`);
    }
  }
}

export async function startManagementApi(options: ManagementOptions): Promise<ManagementApi> {
  const api = new ManagementApi(options);
  await api.start();
  return api;
}
