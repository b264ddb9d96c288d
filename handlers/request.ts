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
import { DynamoGroupLog } from '#shared/adapters/dynamodb/log';
import { DynamoMeshStore } from '#shared/adapters/dynamodb/store';
import { createDocumentClient, createSnsClient } from '#shared/adapters/sdk-clients';
import { SnsFlushTrigger } from '#shared/adapters/sns/flush-trigger';
import { randomIds, systemClock } from '#shared/adapters/system';
import { domainSecret, fanoutSettings, meshSettings, tableName, topicArn } from '#shared/config';
import { runAction } from '#shared/core/actions';
import { ValidationError } from '#shared/core/errors';
import { KnownGroups } from '#shared/core/known-groups';
import { ConnectionRateLimiter } from '#shared/core/rate-limit';
import { LogPublisher } from '#shared/core/fanout/publisher';
import type { MeshDeps } from '#shared/core/ports';
import { callerOf, messageBody, type WebSocketEvent } from '#shared/lambda/events';
import { createLogger } from '#shared/lambda/logger';
import { replyResponse, wsErrorReply, type WebSocketResponse } from '#shared/lambda/ws-reply';
import type { ResultReply } from '#shared/protocol/messages';
import { parseRequest } from '#shared/protocol/requests';

const logger = createLogger({ function: 'request' });

// Built once per cold start; a missing setting fails here, not on a request.
const documentClient = createDocumentClient();
const settings = meshSettings();
const deps: MeshDeps = {
  store: new DynamoMeshStore({ client: documentClient, tableName: tableName(), clock: systemClock }),
  // Pushes are appended to their group's log; the fan-out posts them one frame per member per round.
  publisher: new LogPublisher({
    log: new DynamoGroupLog({
      client: documentClient,
      tableName: tableName(),
      retentionSeconds: settings.eventTtlSeconds,
    }),
    trigger: new SnsFlushTrigger({ client: createSnsClient(), topicArn: topicArn() }),
    clock: systemClock,
    ids: randomIds,
    fanout: fanoutSettings(),
    // The pushes are in the log: the sweeper restarts their flush. Worth a line, not an error reply.
    onFlushRequestFailed: (key, error) =>
      logger.warn('flush request failed; the sweeper will restart it', { ...key, error }),
  }),
  // Lives as long as the container: the hot path reads a group once, not per request.
  knownGroups: new KnownGroups(),
  clock: systemClock,
  ids: randomIds,
  settings,
  domainSecret: domainSecret(),
};

// Per container, as KnownGroups: shared/core/rate-limit.ts says what that means in AWS.
const limiter = new ConnectionRateLimiter(settings);

async function functionHandler(event: WebSocketEvent): Promise<WebSocketResponse> {
  const caller = callerOf(event);
  // Before parsing: a flood of bad frames is refused as cheaply as one of good ones.
  limiter.admit(caller.connectionId, systemClock.now());
  const parsed = parseRequest(messageBody(event));
  if (!parsed.ok) throw new ValidationError(parsed.message);
  const { request } = parsed;
  const result = await runAction(request, caller, deps);
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
