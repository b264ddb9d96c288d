/**
 * Typed reading of the events the handlers get. The WebSocket shape is API
 * Gateway's Lambda proxy event for WebSocket routes; @types/aws-lambda's
 * APIGatewayProxyWebsocketEventV2 lacks `identity`, which API Gateway does send
 * (`requestContext.identity.sourceIp`), so the fields used are declared here.
 */
import type { Caller } from '#shared/core/model';
import { principalOf } from './principal-context';

export interface WebSocketEvent {
  requestContext: {
    connectionId?: string;
    routeKey?: string;
    eventType?: 'CONNECT' | 'MESSAGE' | 'DISCONNECT';
    requestId?: string;
    identity?: { sourceIp?: string; userAgent?: string };
    disconnectStatusCode?: number;
    disconnectReason?: string;
    /** What the $connect authorizer answered for this connection (principal-context.ts); absent when it is off. */
    authorizer?: Record<string, unknown> | null;
  };
  body?: string | null;
  isBase64Encoded?: boolean;
  /** $connect only: the upgrade request's headers, as the client sent them (names in any case). */
  headers?: Record<string, string | undefined>;
}

/**
 * What a REQUEST authorizer of $connect is given: the upgrade's headers and
 * query string, and the ARN of the route (`arn:aws:execute-api:…/{stage}/$connect`).
 */
export interface AuthorizerEvent {
  type: 'REQUEST';
  methodArn: string;
  headers?: Record<string, string | undefined>;
  queryStringParameters?: Record<string, string | undefined> | null;
  requestContext: WebSocketEvent['requestContext'];
}

/** A header of the event by name, whatever its case. */
export function headerOf(event: Pick<WebSocketEvent, 'headers'>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/** A programming or wiring error: the event is not what API Gateway or SNS sends. */
export class MalformedEvent extends Error {
  override name = 'MalformedEvent';
}

/** The connection that sent the event, as the core's Caller. */
export function callerOf(event: WebSocketEvent): Caller {
  const connectionId = event.requestContext?.connectionId;
  if (typeof connectionId !== 'string' || connectionId === '') {
    throw new MalformedEvent('requestContext.connectionId is missing');
  }
  const sourceIp = event.requestContext.identity?.sourceIp ?? '';
  let principal;
  try {
    principal = principalOf(event.requestContext.authorizer);
  } catch (error) {
    throw new MalformedEvent((error as Error).message);
  }
  return principal === undefined ? { connectionId, sourceIp } : { connectionId, sourceIp, principal };
}

/** The client's message text (API Gateway base64-encodes binary frames). */
export function messageBody(event: WebSocketEvent): string | undefined {
  const body = event.body;
  if (typeof body !== 'string') return undefined;
  return event.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
}
