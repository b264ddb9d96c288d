/**
 * The AWS SDK clients of the handlers, built once per cold start with the
 * settings that cut the SDK's CPU per call (measured on this project's
 * machines; the same CPU is billed time and latency in Lambda):
 *   - a logger without `info`: the SDK then skips building its per-call log
 *     entries;
 *   - `cacheMiddleware` on the plain clients (SNS, Management API): the
 *     middleware stack is resolved once instead of per call (~30 % per post).
 *     Never on lib-dynamodb's DocumentClient, whose cached handler re-sends
 *     the first command's input.
 * Endpoints come from the SDK's own AWS_ENDPOINT_URL_* variables (set by the
 * local stack, unset in AWS), so nothing here knows where it runs.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_FANOUT_CONCURRENCY } from '#shared/core/settings';

/**
 * The SDK's own warnings still reach the function's log; its error lines do
 * not. Every failed call reaches our code as a thrown error, which either
 * expects it (a 410, a failed condition: routine, many per second under load)
 * or logs it with its context (shared/lambda/log-errors.ts); the SDK's line
 * would repeat it with the command's whole input, members' data included.
 */
const quietLogger = { debug: () => {}, warn: console.warn, error: () => {} } as unknown as Console;

/** A document client that drops undefined attributes (absent = unset in our items). */
export function createDocumentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({ logger: quietLogger, ...config }), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

export function createSnsClient(): SNSClient {
  return new SNSClient({ logger: quietLogger, cacheMiddleware: true });
}

/**
 * A Management API client for `endpoint` (`https://{apiId}.execute-api.{region}.amazonaws.com/{stage}`
 * in AWS, the local emulator's URL locally). Sockets are kept alive and pooled
 * up to `maxSockets`, the fan-out's concurrency, so a warm fan-out posts
 * without a TLS handshake per frame. One attempt per call: the fan-out's own
 * policy (shared/core/fanout/post.ts) retries, counts and gives up, and the
 * SDK's retry quota would otherwise stop retrying under a burst of failures.
 */
export function createManagementApiClient(
  endpoint: string,
  maxSockets = DEFAULT_FANOUT_CONCURRENCY,
): ApiGatewayManagementApiClient {
  return new ApiGatewayManagementApiClient({
    endpoint,
    logger: quietLogger,
    cacheMiddleware: true,
    maxAttempts: 1,
    requestHandler: {
      // A post that hangs is a failed attempt, not a stalled round.
      requestTimeout: 2_000,
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
    },
  });
}
