/**
 * $disconnect: the connection stops receiving pushes. Its subscription and
 * connection record are deleted and its node is unbound, but the node stays in
 * the group until its heartbeat TTL or leaveGroup, so a client that reconnects
 * can join again as the same node (same epoch, seq and status). A member that
 * does not come back within MESH_DISCONNECT_GRACE_SECONDS is dropped by the
 * sweeper, which tells the others (shared/core/drop-sweep.ts).
 *
 * $disconnect is best effort (API Gateway may not send it); the fan-out's 410
 * handling and the items' TTL clean up what a missed one leaves.
 */
import middy from '@middy/core';
import { DynamoMeshStore } from '#shared/adapters/dynamodb/store';
import { createDocumentClient } from '#shared/adapters/sdk-clients';
import { systemClock } from '#shared/adapters/system';
import { meshSettings, tableName } from '#shared/config';
import { dropAtAfterDisconnect } from '#shared/core/presence';
import { callerOf, type WebSocketEvent } from '#shared/lambda/events';
import { logErrors } from '#shared/lambda/log-errors';
import { createLogger } from '#shared/lambda/logger';

const logger = createLogger({ function: 'disconnect' });
const store = new DynamoMeshStore({ client: createDocumentClient(), tableName: tableName(), clock: systemClock });
const settings = meshSettings();

async function functionHandler(event: WebSocketEvent): Promise<{ statusCode: number }> {
  await store.dropConnection(callerOf(event).connectionId, dropAtAfterDisconnect(systemClock.now(), settings));
  return { statusCode: 200 };
}

export const handler = middy(functionHandler).use(
  logErrors<WebSocketEvent>({ logger, fields: (event) => ({ connectionId: event.requestContext.connectionId }) }),
);
