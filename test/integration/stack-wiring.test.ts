/**
 * startStack wires the parts as AWS does, through the real SDK clients, with a
 * real DynamoDB Local: a message reaches the request handler, which writes to
 * DynamoDB and publishes to SNS; the fan-out handler posts back through the
 * Management API; the stats count each call and sum the EMF metrics the
 * handlers print; the sweeper runs on its schedule. Small handlers stand in
 * for the mesh's own (in the test's thread) so this proves the wiring alone.
 */
import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import {
  DeleteItemCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListTablesCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { SNSEvent } from 'aws-lambda';
import WebSocket from 'ws';
import { silentLog } from '#local/log';
import { type Stack, type StackHandlers, startStack } from '#local/stack';
import type { StatsSnapshot } from '#local/stats';

jest.setTimeout(90_000);

/** Clients built on first use, after startStack has set the env vars, as a handler's module scope would. */
const clients = {
  dynamodb: undefined as DynamoDBClient | undefined,
  sns: undefined as SNSClient | undefined,
  management: undefined as ApiGatewayManagementApiClient | undefined,
};
const dynamodb = () => (clients.dynamodb ??= new DynamoDBClient({}));
const sns = () => (clients.sns ??= new SNSClient({}));
const management = () =>
  (clients.management ??= new ApiGatewayManagementApiClient({ endpoint: process.env.MESH_MANAGEMENT_ENDPOINT }));

const handlers: StackHandlers = {
  // With no credential configured the gateway invokes no authorizer.
  authorize: async () => {
    throw new Error('the authorizer is off: nothing should invoke it');
  },
  connect: async () => ({ statusCode: 200 }),
  disconnect: async (event) => {
    await dynamodb().send(
      new DeleteItemCommand({
        TableName: process.env.MESH_TABLE_NAME,
        Key: { pk: { S: `C#${event.requestContext.connectionId}` }, sk: { S: 'CONN' } },
      }),
    );
  },
  request: async (event) => {
    const { connectionId } = event.requestContext;
    await dynamodb().send(
      new PutItemCommand({
        TableName: process.env.MESH_TABLE_NAME,
        Item: { pk: { S: `C#${connectionId}` }, sk: { S: 'CONN' }, body: { S: event.body } },
      }),
    );
    await sns().send(
      new PublishCommand({
        TopicArn: process.env.MESH_TOPIC_ARN,
        Message: JSON.stringify({ to: connectionId, body: event.body }),
      }),
    );
    return { statusCode: 200, body: JSON.stringify({ type: 'result', stored: true }) };
  },
  // Shows what the HTTPS endpoint's stand-in hands its function.
  http: async (event) => ({
    statusCode: 201,
    headers: { 'content-type': 'application/json', 'x-seen': 'yes' },
    body: JSON.stringify({ routeKey: event.routeKey, body: event.body, http: event.requestContext.http }),
  }),
  fanout: async (event: SNSEvent) => {
    for (const record of event.Records) {
      const { to, body } = JSON.parse(record.Sns.Message);
      await management().send(new PostToConnectionCommand({ ConnectionId: to, Data: `push:${body}` }));
    }
    // What Powertools Metrics prints at the end of an invocation.
    process.stdout.write(
      `${JSON.stringify({
        _aws: {
          Timestamp: Date.now(),
          CloudWatchMetrics: [
            { Namespace: 'Mesh', Dimensions: [['service']], Metrics: [{ Name: 'FramesPosted', Unit: 'Count' }] },
          ],
        },
        service: 'fanout',
        FramesPosted: event.Records.length,
      })}\n`,
    );
  },
  sweep: async (event) => void sweeps.push(event),
};
const sweeps: unknown[] = [];

let stack: Stack;
const savedEnv = { ...process.env };

beforeAll(async () => {
  stack = await startStack({
    handlers,
    wsPort: 0,
    httpPort: 0,
    tableName: 'mesh_stack_test',
    sweepIntervalSeconds: 1,
    log: silentLog,
  });
});

afterAll(async () => {
  Object.values(clients).forEach((client) => client?.destroy());
  await stack?.stop();
  process.env = savedEnv;
});

async function stats(): Promise<StatsSnapshot> {
  return (await (await fetch(stack.statsUrl)).json()) as StatsSnapshot;
}

test('the handlers get the env vars that point their SDK clients at the stack', () => {
  expect(process.env).toMatchObject({
    MESH_TABLE_NAME: 'mesh_stack_test',
    MESH_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:mesh-local',
    MESH_MANAGEMENT_ENDPOINT: stack.managementUrl,
    AWS_ENDPOINT_URL_DYNAMODB: stack.dynamodbUrl,
    AWS_ENDPOINT_URL_SNS: stack.snsUrl,
    AWS_REGION: 'us-east-1',
  });
  expect(stack.managementUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/local$/);
});

test('the HTTPS endpoint hands POST / to the http function as a payload-2.0 event and answers with what it returns', async () => {
  expect(stack.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  const response = await fetch(stack.httpUrl, { method: 'POST', body: '{"action":"createDomain"}' });
  expect(response.status).toBe(201);
  expect(response.headers.get('x-seen')).toBe('yes');
  expect(await response.json()).toEqual({
    routeKey: 'POST /',
    body: '{"action":"createDomain"}',
    http: expect.objectContaining({ method: 'POST', path: '/', sourceIp: '127.0.0.1' }),
  });
  // No other method or path is routed.
  expect((await fetch(stack.httpUrl)).status).toBe(404);
  expect((await fetch(`${stack.httpUrl}other`, { method: 'POST', body: '{}' })).status).toBe(404);
});

test('the HTTPS endpoint answers CORS preflights for any origin when no origin list is set', async () => {
  const response = await fetch(stack.httpUrl, {
    method: 'OPTIONS',
    headers: { origin: 'https://school.example', 'access-control-request-method': 'POST' },
  });
  expect(response.status).toBe(204);
  expect(response.headers.get('access-control-allow-origin')).toBe('*');
  expect(response.headers.get('access-control-allow-methods')).toBe('POST');
});

test('the table exists in DynamoDB Local with TTL on the ttl attribute', async () => {
  const admin = new DynamoDBClient({ endpoint: stack.dynamodbUrl });
  try {
    expect((await admin.send(new ListTablesCommand({}))).TableNames).toContain('mesh_stack_test');
    const ttl = await admin.send(new DescribeTimeToLiveCommand({ TableName: 'mesh_stack_test' }));
    expect(ttl.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' });
  } finally {
    admin.destroy();
  }
});

test('a message runs request (DynamoDB + SNS), the reply comes back, and fanout pushes through the Management API', async () => {
  await fetch(`${stack.statsUrl}/reset`, { method: 'POST' });
  const ws = new WebSocket(stack.wsUrl);
  const received: string[] = [];
  ws.on('message', (data) => received.push(data.toString()));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));

  ws.send('{"action":"createGroup","name":"g"}');
  while (received.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
  await stack.sns.drain();
  ws.close();
  while (stack.stats.counters.lambda.disconnect?.invocations !== 1)
    await new Promise((resolve) => setTimeout(resolve, 10));

  expect(received.sort()).toEqual(['push:{"action":"createGroup","name":"g"}', '{"type":"result","stored":true}']);
  const counted = await stats();
  // The stack's own table setup is not counted: these are the handlers' calls.
  expect(counted.dynamodb.byOperation).toEqual({ PutItem: 1, DeleteItem: 1 });
  expect(counted.metrics).toMatchObject({ FramesPosted: 1, AbandonedPosts: 0 });
  expect(counted.sns.publish).toEqual({ calls: 1, entries: 1 });
  expect(counted.sns.deliveries).toBe(1);
  expect(counted.management.postToConnection).toMatchObject({ calls: 1, gone: 0 });
  expect(
    Object.fromEntries(Object.entries(counted.lambda).map(([name, fn]) => [name, [fn.invocations, fn.errors]])),
  ).toMatchObject({
    connect: [1, 0],
    request: [1, 0],
    fanout: [1, 0],
    disconnect: [1, 0],
  });
  expect(counted.ws).toMatchObject({ framesIn: 1, framesOut: 2, connectionsTotal: 1, connectionsCurrent: 0 });
});

test('the sweeper runs on its schedule with the event EventBridge sends', async () => {
  while (sweeps.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(sweeps[0]).toMatchObject({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} });
});

test('a second stack shares the engine through dynamodbEndpoint with its own table, and stopping it leaves the engine up', async () => {
  const trivial: StackHandlers = {
    connect: async () => ({}),
    disconnect: async () => {},
    request: async () => ({}),
    http: async () => ({}),
    fanout: async () => {},
    sweep: async () => {},
    authorize: async () => ({}),
  };
  const second = await startStack({
    handlers: trivial,
    wsPort: 0,
    httpPort: 0,
    tableName: 'mesh_stack_test_second',
    dynamodbEndpoint: stack.dynamodbUrl,
    log: silentLog,
  });
  await second.stop();
  const admin = new DynamoDBClient({ endpoint: stack.dynamodbUrl });
  try {
    expect(second.dynamodbUrl).toBe(stack.dynamodbUrl);
    expect((await admin.send(new ListTablesCommand({}))).TableNames).toEqual(
      expect.arrayContaining(['mesh_stack_test', 'mesh_stack_test_second']),
    );
  } finally {
    admin.destroy();
  }
});
