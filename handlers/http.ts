/**
 * The HTTPS endpoint (API Gateway HTTP API, `POST /`): the same requests as
 * the WebSocket, for schools whose filters block the upgrade. A request body
 * is exactly a WebSocket request frame; the reply is the same envelope
 * (http-reply.ts adds a fitting status). There is no connection, so nothing
 * is pushed: a polling node reads its group with pollGroupData, and proves
 * which node it is with its `nodeToken` on every request (bindings.ts).
 *
 * It shares the core and the table, log and topic with the WebSocket request
 * function (mesh-deps.ts), but not its role: it never reaches the Management
 * API. CORS preflights are answered by the HTTP API itself.
 *
 * It counts what the WebSocket function counts, and every request it gets
 * (PollingRequests) and every client that says it fell back to polling
 * (PollingFallbacks), in one metric line per invocation (request-metrics.ts).
 */
import middy from '@middy/core';
import { systemClock } from '#shared/adapters/system';
import { allowedOrigins } from '#shared/config';
import { runAction } from '#shared/core/actions';
import { Unauthorized, ValidationError } from '#shared/core/errors';
import { ConnectionRateLimiter } from '#shared/core/rate-limit';
import { headerOf } from '#shared/lambda/events';
import { httpBody, httpCallerOf, type HttpApiEvent, type HttpApiResponse } from '#shared/lambda/http-events';
import { httpErrorReply, httpResponse } from '#shared/lambda/http-reply';
import { createLogger } from '#shared/lambda/logger';
import { createMeshDeps } from '#shared/lambda/mesh-deps';
import { RequestMetrics } from '#shared/lambda/request-metrics';
import { parseRequest } from '#shared/protocol/requests';

const logger = createLogger({ function: 'http' });
const deps = createMeshDeps(logger);
const metrics = new RequestMetrics('https');
const origins = allowedOrigins();
// Keyed by the caller's binding: each polling node its own bucket, and tokenless
// requests one per source address. Per container, as on the WebSocket
// (rate-limit.ts); with no connection to close, a flooder keeps getting 429s.
const limiter = new ConnectionRateLimiter(deps.settings, false);

async function functionHandler(event: HttpApiEvent): Promise<HttpApiResponse> {
  // The CORS preflight keeps other sites' pages from sending; this refuses what they send anyway (connect.ts says why).
  const origin = headerOf(event, 'origin')?.trim().toLowerCase();
  if (origins.length > 0 && origin !== undefined && !origins.includes(origin)) {
    throw new Unauthorized(`requests from ${origin} are not allowed here`);
  }
  const parsed = parseRequest(httpBody(event));
  if (!parsed.ok) throw new ValidationError(parsed.message);
  const { request } = parsed;
  // Before the limiter: a client that fell back is counted whatever its first request gets.
  metrics.countFallback(request);
  const caller = httpCallerOf(event, request);
  limiter.admit(caller.connectionId, systemClock.now());
  const result = await runAction(request, caller, deps);
  metrics.countResult(request.action);
  return httpResponse({
    type: 'result',
    action: request.action,
    requestId: request.requestId,
    data: result.data,
    nextToken: result.nextToken,
  });
}

export const handler = middy(functionHandler).use(metrics.middleware()).use(httpErrorReply({ logger }));
