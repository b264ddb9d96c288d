import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { WebSocketEvent } from '#shared/lambda/events';
import { captureLogs, fixture, lambdaContext, setHandlerEnv } from './support';

type ConnectModule = typeof import('#handlers/connect');
type DisconnectModule = typeof import('#handlers/disconnect');

const ddb = mockClient(DynamoDBDocumentClient);
const CONNECTION = 'R2d2CdyqEFAAcYg=';

let connect: ConnectModule['handler'];
let disconnect: DisconnectModule['handler'];
let logs: ReturnType<typeof captureLogs>;

beforeAll(() => {
  setHandlerEnv();
  ({ handler: connect } = require('#handlers/connect') as ConnectModule);
  ({ handler: disconnect } = require('#handlers/disconnect') as DisconnectModule);
});

beforeEach(() => {
  logs = captureLogs();
});

afterEach(() => {
  logs.restore();
  ddb.reset();
});

describe('$connect', () => {
  it('accepts the connection without any DynamoDB call', async () => {
    const response = await connect(fixture<WebSocketEvent>('connect.json'), lambdaContext('mesh-connect'));

    expect(response).toEqual({ statusCode: 200 });
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe('$connect with an Origin allow-list (MESH_ALLOWED_ORIGINS)', () => {
  /** The connect handler loaded with `origins` (it reads the list once, at load). */
  function connectWith(origins: string): ConnectModule['handler'] {
    let loaded!: ConnectModule['handler'];
    const saved = process.env.MESH_ALLOWED_ORIGINS;
    process.env.MESH_ALLOWED_ORIGINS = origins;
    try {
      jest.isolateModules(() => ({ handler: loaded } = require('#handlers/connect') as ConnectModule));
    } finally {
      if (saved === undefined) delete process.env.MESH_ALLOWED_ORIGINS;
      else process.env.MESH_ALLOWED_ORIGINS = saved;
    }
    return loaded;
  }
  const upgrade = (headers: Record<string, string>): WebSocketEvent => ({
    ...fixture<WebSocketEvent>('connect.json'),
    headers,
  });

  it('refuses a page of another origin with 403, and accepts the listed ones (any case) and programs that send none', async () => {
    const handler = connectWith('https://school.example, http://localhost:8601');
    const status = async (headers: Record<string, string>) =>
      ((await handler(upgrade(headers), lambdaContext('mesh-connect'))) as { statusCode: number }).statusCode;

    expect(await status({ Origin: 'https://evil.example' })).toBe(403);
    expect(await status({ origin: 'https://school.example.evil.example' })).toBe(403);
    expect(await status({ Origin: 'https://School.Example' })).toBe(200);
    expect(await status({ origin: 'http://localhost:8601' })).toBe(200);
    expect(await status({})).toBe(200);
  });

  it('fails to load with an entry that is not an origin', () => {
    expect(() => connectWith('https://school.example/path')).toThrow(/MESH_ALLOWED_ORIGINS/);
  });
});

describe('$disconnect', () => {
  it('drops the connection rows and unbinds its node', async () => {
    ddb.on(GetCommand).resolves({
      Item: { pk: `C#${CONNECTION}`, sk: 'CONN', groupId: 'g-1', domain: 'example.org', nodeId: 'node-1' },
    });
    ddb.on(TransactWriteCommand).resolves({});

    const response = await disconnect(fixture<WebSocketEvent>('disconnect.json'), lambdaContext('mesh-disconnect'));

    expect(response).toEqual({ statusCode: 200 });
    const items = ddb.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems!;
    expect(items.map((item) => (item.Delete ?? item.Update)!.Key)).toEqual([
      { pk: `C#${CONNECTION}`, sk: 'CONN' },
      { pk: 'G#g-1@example.org', sk: `C#${CONNECTION}` },
      { pk: 'G#g-1@example.org', sk: 'N#node-1' },
    ]);
  });

  it('fails the invocation with a logged error when DynamoDB fails', async () => {
    ddb.on(GetCommand).rejects(new Error('ProvisionedThroughputExceeded'));

    await expect(
      disconnect(fixture<WebSocketEvent>('disconnect.json'), lambdaContext('mesh-disconnect')),
    ).rejects.toThrow('ProvisionedThroughputExceeded');
    expect(logs.lines()).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        message: 'invocation failed',
        connectionId: CONNECTION,
        function: 'disconnect',
      }),
    );
  });
});
