/**
 * The Management API answers the real @aws-sdk/client-apigatewaymanagementapi
 * client in AWS's wire shapes: delivery, GoneException and
 * PayloadTooLargeException by name, GetConnection, DeleteConnection; the
 * stats endpoint counts what happened; PostToConnection faults reach the SDK
 * as AWS's errors; the faults endpoint sets and clears them.
 */
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import WebSocket from 'ws';
import { Gateway } from '#local/gateway';
import { LocalLambda } from '#local/lambda';
import { silentLog } from '#local/log';
import { FaultInjector } from '#local/faults';
import { ManagementApi } from '#local/management';
import { LocalStats, type StatsSnapshot } from '#local/stats';

let stats: LocalStats;
let faults: FaultInjector;
/** When set, the id the next connection gets. */
let nextConnectionId: string | undefined;
let gateway: Gateway;
let management: ManagementApi;
let client: ApiGatewayManagementApiClient;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  stats = new LocalStats();
  const echo = new LocalLambda({
    name: 'request',
    handler: async (event) => ({ body: event.body }),
    stats,
    log: silentLog,
  });
  gateway = new Gateway({
    port: 0,
    stage: 'local',
    apiId: 'testapi001',
    routes: { $default: { fn: echo, twoWay: true } },
    connectionIds: () => nextConnectionId ?? `id${Math.random().toString(36).slice(2, 14)}=`,
    stats,
    log: silentLog,
  });
  await gateway.start();
  faults = new FaultInjector({}, 'main', (name) => stats.fault(name));
  management = new ManagementApi({ port: 0, stage: 'local', connections: gateway, stats, faults, log: silentLog });
  await management.start();
  client = new ApiGatewayManagementApiClient({
    endpoint: `${management.baseUrl}/local`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
});

afterEach(() => faults.set({}));

afterAll(async () => {
  client.destroy();
  sockets.forEach((ws) => ws.terminate());
  await gateway.stop();
  await management.stop();
});

/** Opens a client and returns it with its connection id (the one id the gateway did not know before). */
async function connectClient(): Promise<{ ws: WebSocket; connectionId: string; received: string[] }> {
  const before = new Set(gateway.connectionIds());
  const ws = new WebSocket(gateway.url, { headers: { 'User-Agent': 'mesh-test/2.0' } });
  sockets.push(ws);
  const received: string[] = [];
  ws.on('message', (data, isBinary) => received.push(`${isBinary ? 'binary' : 'text'}:${data.toString()}`));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const connectionId = gateway.connectionIds().find((id) => !before.has(id))!;
  return { ws, connectionId, received };
}

async function eventually(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((resolve) => setTimeout(resolve, 5));
}

test('PostToConnection delivers the bytes to that connection as one text message', async () => {
  const { connectionId, received } = await connectClient();
  await client.send(
    new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from('{"type":"message","日本":"語"}') }),
  );
  await eventually(() => received.length === 1);
  expect(received).toEqual(['text:{"type":"message","日本":"語"}']);
});

test('connection ids with "/", "+" and "=" survive the URL encoding of the path', async () => {
  nextConnectionId = 'a/b+c=d%e==';
  const { connectionId, received } = await connectClient();
  nextConnectionId = undefined;
  await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'hi' }));
  await eventually(() => received.length === 1);
  expect(received).toEqual(['text:hi']);
  const answer = await client.send(new GetConnectionCommand({ ConnectionId: connectionId }));
  expect(answer.Identity?.UserAgent).toBe('mesh-test/2.0');
});

test('PostToConnection to an unknown connection raises GoneException by name with status 410', async () => {
  const failure = await client.send(new PostToConnectionCommand({ ConnectionId: 'bm90VGhlcmUxMjM=', Data: 'x' })).then(
    () => undefined,
    (error) => error,
  );
  expect(failure?.name).toBe('GoneException');
  expect(failure?.$metadata?.httpStatusCode).toBe(410);
});

test('PostToConnection over 128 KB raises PayloadTooLargeException by name and sends nothing', async () => {
  const { connectionId, received } = await connectClient();
  const failure = await client
    .send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.alloc(128 * 1024 + 1, 120) }))
    .then(
      () => undefined,
      (error) => error,
    );
  expect(failure?.name).toBe('PayloadTooLargeException');
  expect(failure?.$metadata?.httpStatusCode).toBe(413);
  expect(received).toEqual([]);
});

test('GetConnection answers connectedAt, lastActiveAt and the identity', async () => {
  const { connectionId } = await connectClient();
  const answer = await client.send(new GetConnectionCommand({ ConnectionId: connectionId }));
  expect(answer.ConnectedAt).toBeInstanceOf(Date);
  expect(answer.LastActiveAt).toBeInstanceOf(Date);
  expect(answer.Identity).toEqual({ SourceIp: '127.0.0.1', UserAgent: 'mesh-test/2.0' });
});

test('DeleteConnection closes the connection; afterwards the id is gone', async () => {
  const { ws, connectionId } = await connectClient();
  const closed = new Promise<number>((resolve) => ws.once('close', resolve));
  await client.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
  await closed;
  const failure = await client.send(new GetConnectionCommand({ ConnectionId: connectionId })).then(
    () => undefined,
    (error) => error,
  );
  expect(failure?.name).toBe('GoneException');
});

test('the stats endpoint counts Management API calls and resets on POST', async () => {
  const reset = await fetch(`${management.baseUrl}/_local/stats/reset`, { method: 'POST' });
  expect(reset.status).toBe(200);
  const { connectionId } = await connectClient();
  await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'abc' }));
  await client
    .send(new PostToConnectionCommand({ ConnectionId: 'bm90VGhlcmUxMjM=', Data: 'x' }))
    .catch(() => undefined);

  const snapshot = (await (await fetch(`${management.baseUrl}/_local/stats`)).json()) as StatsSnapshot;
  expect(snapshot.management.postToConnection).toEqual({ calls: 2, gone: 1, tooLarge: 0, bytes: 4 });
  expect(snapshot.ws).toMatchObject({ framesOut: 1, bytesOut: 3, connectionsTotal: 1 });
});

describe('PostToConnection faults', () => {
  const failureOf = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: { name: string; $metadata: Record<string, unknown> }) => error,
    );

  test('error500 answers 500 InternalServerErrorException, which the SDK raises by name; nothing is delivered', async () => {
    const { connectionId, received } = await connectClient();
    faults.set({ postToConnection: { error500: 1 } });

    const failure = await failureOf(
      client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'x' })),
    );

    expect(failure?.name).toBe('InternalServerErrorException');
    expect(failure?.$metadata.httpStatusCode).toBe(500);
    expect(received).toEqual([]);
    expect(stats.counters.faults['postToConnection.error500']).toBeGreaterThanOrEqual(1);
  });

  test('throttle429 answers 429 LimitExceededException, which the SDK retries as throttling', async () => {
    const { connectionId, received } = await connectClient();
    const retrying = new ApiGatewayManagementApiClient({
      endpoint: `${management.baseUrl}/local`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 2,
    });
    faults.set({ postToConnection: { throttle429: 1 } });

    const failure = await failureOf(
      retrying.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'x' })),
    );
    retrying.destroy();

    expect(failure?.name).toBe('LimitExceededException');
    expect(failure?.$metadata).toMatchObject({ httpStatusCode: 429, attempts: 2 });
    expect(received).toEqual([]);
  });

  test('latency delays the post, which is then delivered', async () => {
    const { connectionId, received } = await connectClient();
    faults.set({ postToConnection: { latency: { p: 1, minMs: 120, maxMs: 150 } } });

    const started = Date.now();
    await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'late' }));

    expect(Date.now() - started).toBeGreaterThanOrEqual(115);
    await eventually(() => received.length === 1);
    expect(received).toEqual(['text:late']);
  });
});

describe('the faults endpoint', () => {
  const faultsUrl = () => `${management.baseUrl}/_local/faults`;
  const put = (body: string) =>
    fetch(faultsUrl(), { method: 'PUT', body, headers: { 'content-type': 'application/json' } });

  test('PUT sets the faults in force, GET reads them back, DELETE turns them off', async () => {
    const config = { seed: 5, sns: { drop: 0.5 }, postToConnection: { throttle429: 0.1 } };

    expect((await put(JSON.stringify(config))).status).toBe(200);
    expect(faults.config).toEqual(config);
    expect(await (await fetch(faultsUrl())).json()).toEqual(config);
    expect((await fetch(faultsUrl(), { method: 'DELETE' })).status).toBe(200);
    expect(await (await fetch(faultsUrl())).json()).toEqual({});
  });

  test('an invalid configuration answers 400 saying why, and changes nothing', async () => {
    faults.set({ sns: { duplicate: 1 } });

    const bad = await put('{"sns":{"drop":7}}');
    const notJson = await put('{sns');

    expect(bad.status).toBe(400);
    expect(bad.headers.get('x-amzn-errortype')).toBe('BadRequestException');
    expect(((await bad.json()) as { message: string }).message).toMatch(/sns\.drop/);
    expect(notJson.status).toBe(400);
    expect(faults.config).toEqual({ sns: { duplicate: 1 } });
  });

  test('other methods answer 405', async () => {
    expect((await fetch(faultsUrl(), { method: 'POST', body: '{}' })).status).toBe(405);
  });
});
