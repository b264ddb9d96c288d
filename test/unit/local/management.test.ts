/**
 * The Management API answers the real @aws-sdk/client-apigatewaymanagementapi
 * client in AWS's wire shapes: delivery, GoneException and
 * PayloadTooLargeException by name, GetConnection, DeleteConnection; and the
 * stats endpoint counts what happened.
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
import { ManagementApi } from '#local/management';
import { LocalStats, type StatsSnapshot } from '#local/stats';

let stats: LocalStats;
/** When set, the id the next connection gets. */
let nextConnectionId: string | undefined;
let gateway: Gateway;
let management: ManagementApi;
let client: ApiGatewayManagementApiClient;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  stats = new LocalStats();
  const echo = new LocalLambda({ name: 'request', handler: async (event) => ({ body: event.body }), stats, log: silentLog });
  gateway = new Gateway({ port: 0, stage: 'local', apiId: 'testapi001', routes: { $default: { fn: echo, twoWay: true } },
    connectionIds: () => nextConnectionId ?? `id${Math.random().toString(36).slice(2, 14)}=`,
    stats,
    log: silentLog,
  });
  await gateway.start();
  management = new ManagementApi({ port: 0, stage: 'local', connections: gateway, stats, log: silentLog });
  await management.start();
  client = new ApiGatewayManagementApiClient({
    endpoint: `${management.baseUrl}/local`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
});

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
  await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from('{"type":"message","日本":"語"}') }));
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
  const failure = await client
    .send(new PostToConnectionCommand({ ConnectionId: 'bm90VGhlcmUxMjM=', Data: 'x' }))
    .then(() => undefined, (error) => error);
  expect(failure?.name).toBe('GoneException');
  expect(failure?.$metadata?.httpStatusCode).toBe(410);
});

test('PostToConnection over 128 KB raises PayloadTooLargeException by name and sends nothing', async () => {
  const { connectionId, received } = await connectClient();
  const failure = await client
    .send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.alloc(128 * 1024 + 1, 120) }))
    .then(() => undefined, (error) => error);
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
  const failure = await client.send(new GetConnectionCommand({ ConnectionId: connectionId })).then(() => undefined, (error) => error);
  expect(failure?.name).toBe('GoneException');
});

test('the stats endpoint counts Management API calls and resets on POST', async () => {
  const reset = await fetch(`${management.baseUrl}/_local/stats/reset`, { method: 'POST' });
  expect(reset.status).toBe(200);
  const { connectionId } = await connectClient();
  await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'abc' }));
  await client.send(new PostToConnectionCommand({ ConnectionId: 'bm90VGhlcmUxMjM=', Data: 'x' })).catch(() => undefined);

  const snapshot = (await (await fetch(`${management.baseUrl}/_local/stats`)).json()) as StatsSnapshot;
  expect(snapshot.management.postToConnection).toEqual({ calls: 2, gone: 1, tooLarge: 0, bytes: 4 });
  expect(snapshot.ws).toMatchObject({ framesOut: 1, bytesOut: 3, connectionsTotal: 1 });
});
