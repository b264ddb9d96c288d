/**
 * $connect: accepts every connection. Nothing is stored: a connection becomes
 * a node only through createGroup or joinGroup, so a client that connects and
 * leaves costs no DynamoDB write. (Do not PostToConnection from here: the
 * connection does not exist until this returns.)
 *
 * This is where an authorizer or an origin check would go.
 */
import middy from '@middy/core';
import { callerOf, type WebSocketEvent } from '#shared/lambda/events';
import { logErrors } from '#shared/lambda/log-errors';
import { createLogger } from '#shared/lambda/logger';

const logger = createLogger({ function: 'connect' });

async function functionHandler(event: WebSocketEvent): Promise<{ statusCode: number }> {
  callerOf(event); // refuses an event without a connection id
  return { statusCode: 200 };
}

export const handler = middy(functionHandler).use(
  logErrors<WebSocketEvent>({ logger, fields: (event) => ({ connectionId: event.requestContext.connectionId }) }),
);
