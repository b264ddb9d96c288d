/**
 * The request functions' metrics: each invocation prints at most one
 * embedded-metric-format line, with what it counted, and none when it
 * counted nothing. Over the WebSocket: a push accepted counts Pushes, a
 * refusal for the rate RateLimited (the closing one too), an unexpected
 * failure Errors. Over HTTPS every request counts PollingRequests, and one
 * that says its client fell back PollingFallbacks, once.
 */
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { mockClient } from 'aws-sdk-client-mock';
import { groupItem, nodeItem } from '#shared/adapters/dynamodb/keys';
import { tokenBinding } from '#shared/core/bindings';
import { hashNodeToken } from '#shared/core/node-tokens';
import type { WebSocketEvent } from '#shared/lambda/events';
import type { HttpApiEvent } from '#shared/lambda/http-events';
import { createMetrics, METRIC_NAMES } from '#shared/lambda/metrics';
import { PUSHING_ACTIONS, RequestMetrics } from '#shared/lambda/request-metrics';
import type { Action } from '#shared/protocol/args';
import { captureLogs, fixture, lambdaContext, setHandlerEnv } from './support';

type RequestModule = typeof import('#handlers/request');
type HttpModule = typeof import('#handlers/http');

const ddb = mockClient(DynamoDBDocumentClient);
mockClient(SNSClient);
mockClient(ApiGatewayManagementApiClient);
const key = { groupId: '0b4f5d1e-6a43-4f7e-9c1d-2f3a4b5c6d7e', domain: 'example.org' };

let wsHandler: RequestModule['handler'];
let httpHandler: HttpModule['handler'];
let logs: ReturnType<typeof captureLogs>;

beforeAll(() => {
  setHandlerEnv();
  // Loaded after the env is set: the modules build their clients and settings at load.
  ({ handler: wsHandler } = require('#handlers/request') as RequestModule);
  ({ handler: httpHandler } = require('#handlers/http') as HttpModule);
});

beforeEach(() => {
  logs = captureLogs();
});

afterEach(() => {
  logs.restore();
  ddb.reset();
});

/** The EMF lines printed so far. */
function metricLines(): Record<string, unknown>[] {
  return logs.lines().filter((line) => typeof line._aws === 'object');
}

/** The metrics the EMF lines so far declare, each summed over the lines. */
function summed(): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const line of metricLines()) {
    const [directive] = (line._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }).CloudWatchMetrics;
    for (const { Name } of directive.Metrics) sums[Name] = (sums[Name] ?? 0) + (line[Name] as number);
  }
  return sums;
}

function wsMessage(body: Record<string, unknown>, connectionId = 'R2d2CdyqEFAAcYg='): WebSocketEvent {
  const event = fixture<WebSocketEvent>('message.json');
  event.body = JSON.stringify(body);
  event.requestContext.connectionId = connectionId;
  return event;
}

function httpRequest(body: Record<string, unknown>): HttpApiEvent {
  const event = fixture<HttpApiEvent>('http.json');
  event.body = JSON.stringify(body);
  return event;
}

/** The group, live and known, and node-1 in it, bound to `connectionId` (the fixture's); the report's writes succeed. */
function givenLiveMember(connectionId = 'R2d2CdyqEFAAcYg='): void {
  const now = Date.now();
  const group = { ...key, name: 'g', hostId: 'host', createdAt: now, expiresAt: now + 600_000, heartbeatAt: now };
  const node = {
    ...key,
    nodeId: 'node-1',
    name: 'node-1',
    isHost: false,
    epoch: 'ep-1',
    seq: 7,
    connectionId,
    joinedAt: now,
    expiresAt: now + 600_000,
    data: {},
    statusAt: null,
    tokenHash: 'hash-1',
    useWebSocket: true,
  };
  ddb.on(GetCommand).resolves({ Item: groupItem({ ...group, useWebSocket: true }) });
  ddb
    .on(UpdateCommand)
    .resolvesOnce({ Attributes: nodeItem(node) })
    .resolves({ Attributes: { pos: 1, flushToken: 'someone-else', flushAt: now, roundAt: 0, rate: 0 } });
}

describe('the WebSocket request function', () => {
  it('prints no metric line for a request that counts nothing (a query, a refused frame)', async () => {
    await wsHandler(wsMessage({ action: 'createDomain' }), lambdaContext('mesh-request'));
    await wsHandler(wsMessage({ action: 'joinGroup' }), lambdaContext('mesh-request'));

    expect(metricLines()).toEqual([]);
  });

  it('counts an accepted push as one Pushes, in one line with the service dimension only', async () => {
    givenLiveMember();

    await wsHandler(fixture<WebSocketEvent>('message.json'), lambdaContext('mesh-request'));

    const lines = metricLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ [METRIC_NAMES.pushes]: 1 });
    const [directive] = (lines[0]._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics;
    expect(directive.Dimensions).toEqual([['service']]);
    expect(summed()).toEqual({ [METRIC_NAMES.pushes]: 1 });
  });

  it('counts an unexpected failure, answered InternalError, as one Errors', async () => {
    const refused = new Error('connect ECONNREFUSED 127.0.0.1:8000');
    ddb.on(GetCommand).rejects(refused);
    ddb.on(UpdateCommand).rejects(refused);
    ddb.on(BatchGetCommand).rejects(refused);

    const response = await wsHandler(fixture<WebSocketEvent>('message.json'), lambdaContext('mesh-request'));

    expect('body' in response && JSON.parse(response.body)).toMatchObject({ errorType: 'InternalError' });
    expect(summed()).toEqual({ [METRIC_NAMES.errors]: 1 });
  });

  it('counts every RateLimited refusal of a flooding connection, its closing one included, one line per invocation', async () => {
    // The default burst (60) and refusal allowance (60): frames 61 to 120 are refused, the 121st closes it.
    const frozen = jest.spyOn(Date, 'now').mockReturnValue(Date.now());
    try {
      for (let i = 0; i < 121; i += 1) {
        await wsHandler(wsMessage({ action: 'createDomain' }, 'FloodMetrics='), lambdaContext('mesh-request'));
      }
    } finally {
      frozen.mockRestore();
    }

    expect(metricLines()).toHaveLength(61);
    expect(summed()).toEqual({ [METRIC_NAMES.rateLimited]: 61 });
  });
});

describe('the HTTPS request function', () => {
  it('counts every request as PollingRequests, refused ones included', async () => {
    await httpHandler(httpRequest({ action: 'createDomain' }), lambdaContext('mesh-http'));
    const refused = await httpHandler(httpRequest({ action: 'fly' }), lambdaContext('mesh-http'));

    expect(refused.statusCode).toBe(400);
    expect(metricLines()).toHaveLength(2);
    expect(summed()).toEqual({ [METRIC_NAMES.pollingRequests]: 2 });
  });

  it('counts a fallback once: on the request that says so, not on the ones after', async () => {
    await httpHandler(httpRequest({ action: 'createDomain', transportFallback: true }), lambdaContext('mesh-http'));
    await httpHandler(httpRequest({ action: 'createDomain' }), lambdaContext('mesh-http'));
    await httpHandler(httpRequest({ action: 'createDomain', transportFallback: false }), lambdaContext('mesh-http'));

    expect(summed()).toEqual({ [METRIC_NAMES.pollingRequests]: 3, [METRIC_NAMES.pollingFallbacks]: 1 });
  });

  it('counts an accepted push over HTTPS as over the WebSocket', async () => {
    const nodeToken = 'the-polling-node-token-of-the-metrics-test';
    givenLiveMember(tokenBinding(hashNodeToken(nodeToken)));
    const report = JSON.parse(fixture<WebSocketEvent>('message.json').body!) as Record<string, unknown>;

    const response = await httpHandler(httpRequest({ ...report, nodeToken }), lambdaContext('mesh-http'));

    expect(response.statusCode).toBe(200);
    expect(summed()).toEqual({ [METRIC_NAMES.pollingRequests]: 1, [METRIC_NAMES.pushes]: 1 });
  });
});

describe('RequestMetrics', () => {
  /** Counts `results` with a fresh RequestMetrics and ends the invocation; what it printed, summed. */
  function countResults(results: Action[]): Record<string, number> {
    const metrics = new RequestMetrics('websocket', createMetrics());
    for (const action of results) metrics.countResult(action);
    metrics.middleware().after!({} as never);
    return summed();
  }

  it('counts createGroup as GroupsCreated and joinGroup as Joins', () => {
    expect(countResults(['createGroup', 'joinGroup', 'joinGroup'])).toEqual({
      [METRIC_NAMES.groupsCreated]: 1,
      [METRIC_NAMES.joins]: 2,
    });
  });

  it('counts a result of each pushing action as one Pushes, and the other results as nothing', () => {
    expect([...PUSHING_ACTIONS].sort()).toEqual(
      ['dissolveGroup', 'fireEventsByNode', 'recordEventsByNode', 'reportDataByNode'].sort(),
    );
    expect(
      countResults([...PUSHING_ACTIONS, 'createDomain', 'leaveGroup', 'sendMemberHeartbeat', 'pollGroupData']),
    ).toEqual({ [METRIC_NAMES.pushes]: PUSHING_ACTIONS.size });
  });

  it('counts nothing twice: a published count starts again from zero', () => {
    const metrics = new RequestMetrics('websocket', createMetrics());
    metrics.countResult('joinGroup');
    metrics.middleware().after!({} as never);
    metrics.middleware().after!({} as never);

    expect(metricLines()).toHaveLength(1);
  });
});
