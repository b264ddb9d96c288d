/**
 * Whether an upgrade becomes a connection, decided as API Gateway decides it
 * (gateway.ts calls this before it completes the handshake):
 *   1. the $connect authorizer, when there is one (connect-authorizer.ts):
 *      refused with 401, 403 or 500 before $connect runs;
 *   2. the $connect route: a throw refuses with 500, a non-2xx `statusCode`
 *      with that status; a `Sec-WebSocket-Protocol` header in its answer is
 *      the subprotocol agreed to (API Gateway agrees to none otherwise).
 * A refusal is a plain HTTP answer and no connection exists.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { type AuthorizerContext, authorizeUpgrade, type LocalAuthorizer } from './connect-authorizer';
import type { LocalLambda } from './lambda';
import { type ApiInfo, connectEvent } from './proxy-events';

export interface AdmissionRequest {
  api: ApiInfo;
  /** Region of the route's ARN (the authorizer's `methodArn`). */
  region: string;
  req: http.IncomingMessage;
  connectionId: string;
  connectedAt: number;
  connectRoute?: LocalLambda;
  authorizer?: LocalAuthorizer;
}

export type Admission =
  | { status: 200; protocol?: string; authorizer?: AuthorizerContext }
  | { status: number; refusedBy: '$connect' | 'authorizer' };

export async function admitUpgrade(request: AdmissionRequest): Promise<Admission> {
  const { api, req, connectionId, connectedAt } = request;
  const event = connectEvent(api, req, connectionId, connectedAt);
  let authorizer: AuthorizerContext | undefined;
  if (request.authorizer) {
    const methodArn = `arn:aws:execute-api:${request.region}:000000000000:${api.apiId}/${api.stage}/$connect`;
    const outcome = await authorizeUpgrade(request.authorizer, event, methodArn);
    if (outcome.status !== 200) return { status: outcome.status, refusedBy: 'authorizer' };
    authorizer = outcome.authorizer;
    Object.assign(event.requestContext, { authorizer });
  }
  if (!request.connectRoute) return { status: 200, authorizer };
  let status: number;
  let protocol: string | undefined;
  try {
    const result = (await request.connectRoute.invoke(event)) as
      { statusCode?: number; headers?: Record<string, string> } | undefined;
    status = typeof result?.statusCode === 'number' ? result.statusCode : 200;
    protocol = Object.entries(result?.headers ?? {}).find(
      ([name]) => name.toLowerCase() === 'sec-websocket-protocol',
    )?.[1];
  } catch {
    status = 500;
  }
  if (status < 200 || status > 299) return { status, refusedBy: '$connect' };
  return { status: 200, protocol, authorizer };
}

/** Refuses an upgrade with a plain HTTP answer, as API Gateway does when the authorizer or `$connect` refuses. */
export function refuseUpgrade(socket: Duplex, status: number): void {
  if (socket.destroyed) return;
  const reason = http.STATUS_CODES[status] ?? 'Error';
  const body = JSON.stringify({ message: status === 500 ? 'Internal server error' : reason });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Connection: close\r\n\r\n${body}`,
  );
}
