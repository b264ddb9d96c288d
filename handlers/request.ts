/**
 * Every action route (the ACTIONS list) and $default: one function for all
 * requests, so they share one warm pool and one IAM role.
 *
 * The message is validated by the action's schema, run by the core, and the
 * reply returned as the route response: API Gateway sends it to the caller
 * without a PostToConnection call. Errors become error replies in
 * wsErrorReply; the status code is always 200 and the connection stays open,
 * except for a connection that keeps sending far over its rate
 * (shared/core/rate-limit.ts): it gets its last RateLimited reply by
 * PostToConnection and is closed (DeleteConnection, which API Gateway
 * answers with close code 1000: the Management API takes no other).
 *
 * Its counts (groups created, joins, pushes accepted, refusals, internal
 * errors) go out as one metric line per invocation (request-metrics.ts).
 */
import middy from '@middy/core';
import { ManagementApiNotifier } from '#shared/adapters/apigw/notifier';
import { createManagementApiClient } from '#shared/adapters/sdk-clients';
import { systemClock } from '#shared/adapters/system';
import { managementEndpoint } from '#shared/config';
import { runAction } from '#shared/core/actions';
import { RateLimited, ValidationError } from '#shared/core/errors';
import { ConnectionRateLimiter } from '#shared/core/rate-limit';
import { callerOf, messageBody, type WebSocketEvent } from '#shared/lambda/events';
import { InFlightRequests } from '#shared/lambda/in-flight';
import { createLogger } from '#shared/lambda/logger';
import { createMeshDeps } from '#shared/lambda/mesh-deps';
import { RequestMetrics } from '#shared/lambda/request-metrics';
import { echoOf, replyResponse, wsErrorReply, type WebSocketResponse } from '#shared/lambda/ws-reply';
import type { ErrorReply, ResultReply } from '#shared/protocol/messages';
import { parseRequest } from '#shared/protocol/requests';

const logger = createLogger({ function: 'request' });
const deps = createMeshDeps(logger, { withConsole: true });
const metrics = new RequestMetrics('websocket');

// Per container, as KnownGroups: shared/core/rate-limit.ts says what that means in AWS.
const limiter = new ConnectionRateLimiter(deps.settings);
// One socket is plenty: it closes a flooding connection now and then.
const notifier = new ManagementApiNotifier(createManagementApiClient(managementEndpoint(), 1));
const inFlight = new InFlightRequests();
/** How long a close waits for the connection's accepted requests to answer: well inside the function's timeout. */
const CLOSE_WAIT_MS = 5_000;

async function functionHandler(event: WebSocketEvent): Promise<WebSocketResponse | { statusCode: 200 }> {
  const caller = callerOf(event);
  // Before parsing: a flood of bad frames is refused as cheaply as one of good ones.
  try {
    limiter.admit(caller.connectionId, systemClock.now());
  } catch (error) {
    if (error instanceof RateLimited && error.closesConnection) return closeFlooding(event, caller.connectionId, error);
    throw error;
  }
  const parsed = parseRequest(messageBody(event));
  if (!parsed.ok) throw new ValidationError(parsed.message);
  const { request } = parsed;
  const result = await inFlight.track(caller.connectionId, runAction(request, caller, deps));
  metrics.countResult(request.action);
  const reply: ResultReply = {
    type: 'result',
    action: request.action,
    requestId: request.requestId,
    data: result.data,
    nextToken: result.nextToken,
  };
  return replyResponse(reply);
}

/**
 * The last word to a connection that kept flooding: once its accepted
 * requests have answered, its RateLimited reply posted (a route response
 * would come after the close), then the close.
 */
async function closeFlooding(
  event: WebSocketEvent,
  connectionId: string,
  error: RateLimited,
): Promise<{ statusCode: 200 }> {
  const reply: ErrorReply = { type: 'error', ...echoOf(event), errorType: 'RateLimited', message: error.message };
  metrics.countRefusal(reply.errorType);
  logger.warn('connection closed: it kept sending far over its rate', { connectionId });
  // Its accepted requests answer first: nothing it was told was accepted goes unanswered.
  await inFlight.settled(connectionId, CLOSE_WAIT_MS);
  await notifier.post(connectionId, JSON.stringify(reply));
  await notifier.close(connectionId);
  return { statusCode: 200 };
}

export const handler = middy(functionHandler).use(metrics.middleware()).use(wsErrorReply({ logger }));
