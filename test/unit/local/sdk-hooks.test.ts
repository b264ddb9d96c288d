/**
 * The stack counts the handlers' DynamoDB calls on their SDK clients, and
 * injects DynamoDB throttling and stalls below the SDK's retry middleware, so
 * the SDK raises and retries them exactly as answers from AWS. A tiny HTTP
 * server stands in for DynamoDB Local (every call answers `{}`).
 */
import http from 'node:http';
import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { callHooks } from '#local/call-hooks';
import { FaultInjector } from '#local/faults';
import { listen, close } from '#local/net';
import { installSdkHooks, uncounted } from '#local/sdk-hooks';

let server: http.Server;
let endpoint: string;
let requests: string[];
let removeHooks: (() => void) | undefined;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests.push(String(req.headers['x-amz-target']).split('.').pop()!);
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}'));
  });
  endpoint = `http://127.0.0.1:${await listen(server, 0)}`;
});

beforeEach(() => {
  requests = [];
});

afterEach(() => {
  removeHooks?.();
  removeHooks = undefined;
});

afterAll(async () => {
  await close(server);
});

const client = () =>
  new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    maxAttempts: 3,
  });
const put = new PutItemCommand({ TableName: 't', Item: { pk: { S: 'a' } } });
const update = new UpdateItemCommand({
  TableName: 't',
  Key: { pk: { S: 'a' } },
  UpdateExpression: 'SET x = :x',
  ExpressionAttributeValues: { ':x': { N: '1' } },
});
const get = new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' } } });

function counting(faults = new FaultInjector()) {
  const counts: Record<string, number> = {};
  removeHooks = installSdkHooks(
    callHooks({ faults, onDynamoDbCall: (operation) => (counts[operation] = (counts[operation] ?? 0) + 1) }),
  );
  return counts;
}

test('every call of a plain or a document client is counted once, by operation', async () => {
  const counts = counting();
  const plain = client();
  const documents = DynamoDBDocumentClient.from(client());

  await plain.send(put);
  await plain.send(get);
  await documents.send(
    new UpdateCommand({
      TableName: 't',
      Key: { pk: 'a' },
      UpdateExpression: 'SET x = :x',
      ExpressionAttributeValues: { ':x': 1 },
    }),
  );

  expect(counts).toEqual({ PutItem: 1, GetItem: 1, UpdateItem: 1 });
  expect(requests).toEqual(['PutItem', 'GetItem', 'UpdateItem']);
});

test("the stack's own clients (uncounted) are not counted", async () => {
  const counts = counting();

  await uncounted(client()).send(put);

  expect(counts).toEqual({});
  expect(requests).toEqual(['PutItem']);
});

test('an injected throttle is raised by its AWS name after the SDK has retried it, and never reaches the engine', async () => {
  const injected: string[] = [];
  const counts = counting(new FaultInjector({ dynamodb: { throttle: 1 } }, 'test', (name) => injected.push(name)));

  const failure = await client()
    .send(put)
    .catch((error: unknown) => error);

  expect((failure as Error).name).toMatch(/^(ThrottlingException|ProvisionedThroughputExceededException)$/);
  expect((failure as { $metadata: { attempts: number; httpStatusCode: number } }).$metadata).toMatchObject({
    attempts: 3,
    httpStatusCode: 400,
  });
  expect(injected).toEqual(['dynamodb.throttle', 'dynamodb.throttle', 'dynamodb.throttle']);
  expect(counts).toEqual({ PutItem: 1 });
  expect(requests).toEqual([]);
});

test('a throttled attempt is retried by the SDK: the call succeeds on its next attempt', async () => {
  let attempts = 0;
  const faults = new FaultInjector({ dynamodb: { throttle: 1 } });
  const hooks = callHooks({ faults, onDynamoDbCall: () => {} });
  // Throttle the first attempt only.
  removeHooks = installSdkHooks({
    ...hooks,
    beforeAttempt: (call) => (++attempts === 1 ? hooks.beforeAttempt!(call) : undefined),
  });

  const output = await client().send(put);

  expect(output.$metadata.attempts).toBe(2);
  expect(requests).toEqual(['PutItem']);
});

test('throttling and stalls apply only to the operations named', async () => {
  counting(new FaultInjector({ dynamodb: { throttle: 1, operations: ['UpdateItem'] } }));

  await expect(client().send(get)).resolves.toBeDefined();
  await expect(client().send(update)).rejects.toThrow();
  expect(requests).toEqual(['GetItem']);
});

test('a stall delays the attempt by a time in its range, then the call goes through', async () => {
  counting(new FaultInjector({ dynamodb: { stall: { p: 1, minMs: 150, maxMs: 200 } } }));

  const started = Date.now();
  await client().send(get);

  expect(Date.now() - started).toBeGreaterThanOrEqual(145);
  expect(requests).toEqual(['GetItem']);
});

test('removing the hooks leaves the clients working, uncounted', async () => {
  const counts = counting();
  const plain = client();
  await plain.send(get);
  removeHooks!();
  removeHooks = undefined;

  await plain.send(get);

  expect(counts).toEqual({ GetItem: 1 });
  expect(requests).toEqual(['GetItem', 'GetItem']);
});
