/**
 * $connect: nothing is stored, since a connection becomes a node only
 * through createGroup or joinGroup, so a client that connects and leaves
 * costs no DynamoDB write. (Do not PostToConnection from here: the connection
 * does not exist until this returns.)
 *
 * The Origin allow-list (MESH_ALLOWED_ORIGINS, off when empty): a browser
 * sends the page's origin with the upgrade, so a page of another site is
 * refused with 403 and no connection exists. A program that is not a browser
 * sends no Origin, or any it likes. It passes, since the list guards against
 * other web pages, not other programs (docs/security.md).
 */
import middy from '@middy/core';
import { allowedOrigins } from '#shared/config';
import { callerOf, headerOf, type WebSocketEvent } from '#shared/lambda/events';
import { logErrors } from '#shared/lambda/log-errors';
import { createLogger } from '#shared/lambda/logger';

const logger = createLogger({ function: 'connect' });
const origins = allowedOrigins();

async function functionHandler(event: WebSocketEvent): Promise<{ statusCode: number }> {
  const { connectionId } = callerOf(event); // refuses an event without a connection id
  const origin = headerOf(event, 'origin')?.trim().toLowerCase();
  if (origins.length > 0 && origin !== undefined && !origins.includes(origin)) {
    logger.info('connection refused: origin not allowed', { connectionId, origin });
    return { statusCode: 403 };
  }
  return { statusCode: 200 };
}

export const handler = middy(functionHandler).use(
  logErrors<WebSocketEvent>({ logger, fields: (event) => ({ connectionId: event.requestContext.connectionId }) }),
);
