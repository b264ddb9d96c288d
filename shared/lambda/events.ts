/**
 * Typed reading of the events the handlers get. The WebSocket shape is API
 * Gateway's Lambda proxy event for WebSocket routes; @types/aws-lambda's
 * APIGatewayProxyWebsocketEventV2 lacks `identity`, which API Gateway does send
 * (`requestContext.identity.sourceIp`), so the fields used are declared here.
 */
import type { SNSEvent, SNSEventRecord } from 'aws-lambda';
import type { Caller } from '#shared/core/model';
import type { FlushRequest } from '#shared/core/ports';
import type { Push } from '#shared/protocol/messages';

export interface WebSocketEvent {
  requestContext: {
    connectionId?: string;
    routeKey?: string;
    eventType?: 'CONNECT' | 'MESSAGE' | 'DISCONNECT';
    requestId?: string;
    identity?: { sourceIp?: string; userAgent?: string };
    disconnectStatusCode?: number;
    disconnectReason?: string;
  };
  body?: string | null;
  isBase64Encoded?: boolean;
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
  return { connectionId, sourceIp: event.requestContext.identity?.sourceIp ?? '' };
}

/** The client's message text (API Gateway base64-encodes binary frames). */
export function messageBody(event: WebSocketEvent): string | undefined {
  const body = event.body;
  if (typeof body !== 'string') return undefined;
  return event.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
}

/** What one SNS record carries: a push to fan out alone, or a request to flush a group's outbox. */
export function fanoutMessageOf(record: SNSEventRecord): Push | FlushRequest {
  const message = messageJsonOf(record);
  const candidate = message as Partial<FlushRequest> | null;
  if (candidate !== null && typeof candidate === 'object' && candidate.type === 'flush') {
    if (typeof candidate.groupId !== 'string' || typeof candidate.domain !== 'string' || typeof candidate.at !== 'number') {
      throw new MalformedEvent(`SNS message ${record.Sns.MessageId} is not a flush request`);
    }
    return candidate as FlushRequest;
  }
  return toPush(record, message);
}

/** The push one SNS record carries. */
export function pushOf(record: SNSEventRecord): Push {
  return toPush(record, messageJsonOf(record));
}

function messageJsonOf(record: SNSEventRecord): unknown {
  try {
    return JSON.parse(record.Sns.Message);
  } catch {
    throw new MalformedEvent(`SNS message ${record.Sns.MessageId} is not JSON`);
  }
}

function toPush(record: SNSEventRecord, message: unknown): Push {
  const candidate = message as Partial<Push> | null;
  if (
    candidate === null ||
    typeof candidate !== 'object' ||
    candidate.type !== 'message' ||
    typeof candidate.groupId !== 'string' ||
    typeof candidate.domain !== 'string'
  ) {
    throw new MalformedEvent(`SNS message ${record.Sns.MessageId} is not a push`);
  }
  return candidate as Push;
}

export type { SNSEvent, SNSEventRecord };
