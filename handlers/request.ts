/**
 * Every action route (the ACTIONS list) and $default: one function for all
 * requests, so they share one warm pool and one IAM role.
 *
 * The message is validated by the action's schema, run by the core, and the
 * reply returned as the route response: API Gateway sends it to the caller
 * without a PostToConnection call. Errors become error replies in
 * wsErrorReply; the status code is always 200 and the connection stays open.
 */
import middy from '@middy/core';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoPushOutbox } from '#shared/adapters/dynamodb/outbox';
import { createDocumentClient, DynamoMeshStore } from '#shared/adapters/dynamodb/store';
import { SnsPushPublisher } from '#shared/adapters/sns/publisher';
import { randomIds, systemClock } from '#shared/adapters/system';
import { coalescingSettings, meshSettings, tableName, topicArn } from '#shared/config';
import { runAction } from '#shared/core/actions';
import { ValidationError } from '#shared/core/errors';
import { OutboxPublisher } from '#shared/core/outbox';
import type { MeshDeps } from '#shared/core/ports';
import { callerOf, messageBody, type WebSocketEvent } from '#shared/lambda/events';
import { createLogger } from '#shared/lambda/logger';
import { replyResponse, wsErrorReply, type WebSocketResponse } from '#shared/lambda/ws-reply';
import type { ResultReply } from '#shared/protocol/messages';
import { parseRequest } from '#shared/protocol/requests';

const logger = createLogger({ function: 'request' });

// Built once per cold start; a missing setting fails here, not on a request.
const documentClient = createDocumentClient();
const sns = new SnsPushPublisher({ client: new SNSClient({}), topicArn: topicArn() });
const deps: MeshDeps = {
  store: new DynamoMeshStore({ client: documentClient, tableName: tableName(), clock: systemClock }),
  // Pushes gather in the group's outbox and go out one frame per member per window.
  publisher: new OutboxPublisher({
    outbox: new DynamoPushOutbox({ client: documentClient, tableName: tableName() }),
    trigger: sns,
    direct: sns,
    clock: systemClock,
    coalescing: coalescingSettings(),
  }),
  clock: systemClock,
  ids: randomIds,
  settings: meshSettings(),
};

async function functionHandler(event: WebSocketEvent): Promise<WebSocketResponse> {
  const parsed = parseRequest(messageBody(event));
  if (!parsed.ok) throw new ValidationError(parsed.message);
  const { request } = parsed;
  const result = await runAction(request, callerOf(event), deps);
  const reply: ResultReply = {
    type: 'result',
    action: request.action,
    requestId: request.requestId,
    data: result.data,
    nextToken: result.nextToken,
  };
  return replyResponse(reply);
}

export const handler = middy(functionHandler).use(wsErrorReply({ logger }));
