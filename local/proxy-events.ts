/**
 * The Lambda proxy events the gateway (gateway.ts) hands its routes, shaped as
 * API Gateway sends them: `$connect` with the upgrade's headers (and the
 * X-Forwarded-* and trace headers API Gateway adds) and query parameters, and
 * the `requestContext` every event carries.
 */
import type http from 'node:http';
import { LOCAL_HOST, base64Id, requestId, traceId } from './net';

/** What an event says of the API it came through. */
export interface ApiInfo {
  stage: string;
  apiId: string;
  /** The port clients connected to (the X-Forwarded-Port, and the Host when a client sent none). */
  port: number;
}

/** What an event says of the caller's connection. */
export interface Caller {
  id: string;
  connectedAt: number;
  sourceIp: string;
  userAgent: string;
  domainName: string;
  /** The $connect authorizer's answer (principalId and context), when it ran. */
  authorizer?: Record<string, string | number | boolean>;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `23/Nov/2025:15:36:00 +0000`, API Gateway's requestTime format. */
function requestTime(epochMs: number): string {
  const d = new Date(epochMs);
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`
  );
}

/** The caller's address, as IPv4 when it came as IPv4-mapped IPv6. */
export function sourceIpOf(req: http.IncomingMessage): string {
  return (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
}

/** The `$connect` event of an upgrade request. */
export function connectEvent(api: ApiInfo, req: http.IncomingMessage, connectionId: string, connectedAt: number) {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  const add = (name: string, value: string) => {
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  };
  for (let i = 0; i < req.rawHeaders.length; i += 2) add(req.rawHeaders[i], req.rawHeaders[i + 1]);
  const present = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
  const sourceIp = sourceIpOf(req);
  if (!present.has('x-forwarded-for')) add('X-Forwarded-For', sourceIp);
  if (!present.has('x-forwarded-port')) add('X-Forwarded-Port', String(api.port));
  if (!present.has('x-forwarded-proto')) add('X-Forwarded-Proto', 'http');
  if (!present.has('x-amzn-trace-id')) add('X-Amzn-Trace-Id', traceId(connectedAt));

  const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const queryStringParameters: Record<string, string> = {};
  const multiValueQueryStringParameters: Record<string, string[]> = {};
  for (const [name, value] of query) {
    queryStringParameters[name] = value;
    (multiValueQueryStringParameters[name] ??= []).push(value);
  }
  const hasQuery = Object.keys(queryStringParameters).length > 0;
  const pseudo = {
    id: connectionId,
    connectedAt,
    sourceIp,
    userAgent: req.headers['user-agent'] ?? '',
    domainName: req.headers.host ?? `${LOCAL_HOST}:${api.port}`,
  };
  return {
    headers,
    multiValueHeaders,
    ...(hasQuery ? { queryStringParameters, multiValueQueryStringParameters } : {}),
    requestContext: {
      ...requestContext(api, pseudo, '$connect', 'CONNECT', requestId()),
      identity: { sourceIp, userAgent: pseudo.userAgent },
    },
    isBase64Encoded: false,
  };
}

/** The `requestContext` of every proxy event: the route, the event's type and the caller's connection. */
export function requestContext(
  api: ApiInfo,
  connection: Caller,
  routeKey: string,
  eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT',
  reqId: string,
) {
  const now = Date.now();
  return {
    routeKey,
    eventType,
    extendedRequestId: base64Id(11),
    requestTime: requestTime(now),
    messageDirection: 'IN' as const,
    stage: api.stage,
    connectedAt: connection.connectedAt,
    requestTimeEpoch: now,
    identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
    requestId: reqId,
    domainName: connection.domainName,
    connectionId: connection.id,
    apiId: api.apiId,
    ...(connection.authorizer ? { authorizer: connection.authorizer } : {}),
  };
}
