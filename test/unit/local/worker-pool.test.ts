/**
 * Handlers run in worker threads as Lambda runs them in their own
 * environments: loaded once with the env the stack set, invoked with a
 * Lambda context, their errors and results carried back; what they do there
 * (DynamoDB calls, EMF metrics) counted in the stack's stats; a thread that
 * dies restarted with a log line while its invocations in flight fail as a
 * crashed Lambda's do; and the fan-out kill fault ends a thread mid-round.
 * Stand-ins answer for DynamoDB (`{}`) and the Management API (a recorder).
 */
import http from 'node:http';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import { FaultInjector } from '#local/faults';
import { LocalLambda } from '#local/lambda';
import { close, listen } from '#local/net';
import { LocalStats } from '#local/stats';
import { WorkerPool, type WorkerPoolOptions } from '#local/worker-pool';

jest.setTimeout(30_000);

const FIXTURE = path.join(__dirname, 'fixtures/worker-handler.ts');

let server: http.Server;
let baseUrl: string;
/** PostToConnection paths the stand-in received. */
let posts: string[];
let logs: string[];
let stats: LocalStats;
let faults: FaultInjector;
let fatal: string[];
const pools: WorkerPool[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url?.includes('@connections')) {
        posts.push(decodeURIComponent(req.url));
        res.writeHead(200).end();
      } else {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}');
      }
    });
  });
  baseUrl = `http://127.0.0.1:${await listen(server, 0)}`;
});

beforeEach(() => {
  posts = [];
  logs = [];
  fatal = [];
  stats = new LocalStats();
  faults = new FaultInjector({}, 'main', (name) => stats.fault(name));
});

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.stop()));
});

afterAll(async () => {
  await close(server);
});

async function startPool(options: Partial<WorkerPoolOptions> = {}): Promise<{ pool: WorkerPool; fn: LocalLambda }> {
  const pool = new WorkerPool({
    functionName: 'request',
    module: FIXTURE,
    size: 1,
    env: {
      ...process.env,
      AWS_ENDPOINT_URL_DYNAMODB: baseUrl,
      MESH_MANAGEMENT_ENDPOINT: `${baseUrl}/local`,
      FIXTURE_MARK: 'set-before-start',
    },
    faults,
    stats,
    log: (part, message) => logs.push(`[${part}] ${message}`),
    onFatal: (message) => fatal.push(message),
    ...options,
  });
  pools.push(pool);
  await pool.start();
  const fn = new LocalLambda({
    name: options.functionName ?? 'request',
    handler: pool.handler,
    stats,
    log: (part, message) => logs.push(`[${part}] ${message}`),
  });
  return { pool, fn };
}

test('an invocation runs in another thread with the env set before start and a Lambda context; its result comes back', async () => {
  const { fn } = await startPool();

  const result = (await fn.invoke({ op: 'echo', value: { a: [1, 'two'] } })) as Record<string, unknown>;

  expect(result).toMatchObject({ value: { a: [1, 'two'] }, loadedWith: 'set-before-start', functionName: 'request' });
  expect(result.threadId).not.toBe(threadId);
  expect(result.remainingMs).toBeGreaterThan(25_000);
  expect(stats.counters.lambda.request).toMatchObject({ invocations: 1, errors: 0 });
  expect(stats.counters.workers.request).toEqual({ threads: 1, restarts: 0 });
});

test("a handler's error arrives with its name and message, and is logged with the function's name", async () => {
  const { fn } = await startPool();

  await expect(fn.invoke({ op: 'throw' })).rejects.toMatchObject({ name: 'TypeError', message: 'bad input' });
  expect(logs.join('\n')).toMatch(/\[lambda:request\] RequestId: .* failed: TypeError: bad input/);
});

test("the thread's DynamoDB calls and EMF metrics are in the stats by the time the invocation resolves", async () => {
  const { fn } = await startPool();

  await fn.invoke({ op: 'dynamodb', calls: 3 });
  await fn.invoke({ op: 'emf', value: 4 });
  await fn.invoke({ op: 'emf', value: 2 });

  expect(stats.counters.dynamodb).toEqual({ total: 3, byOperation: { GetItem: 3 } });
  expect(stats.counters.metrics.PostRetries).toBe(6);
});

test('fault changes reach running threads: DynamoDB throttling set after the start applies there', async () => {
  const { fn } = await startPool();
  faults.set({ dynamodb: { throttle: 1 } });

  await expect(fn.invoke({ op: 'dynamodb', calls: 1 })).rejects.toMatchObject({
    name: expect.stringMatching(/^(ThrottlingException|ProvisionedThroughputExceededException)$/),
  });
  expect(stats.counters.faults['dynamodb.throttle']).toBe(1);
});

test('a thread that dies is restarted with a log line; its invocations in flight fail as a crashed Lambda; the next one runs', async () => {
  const { pool, fn } = await startPool();
  const [before] = pool.threadIds();

  const waiting = fn.invoke({ op: 'wait', ms: 5_000 });
  const crashing = fn.invoke({ op: 'crash' });

  await expect(crashing).rejects.toMatchObject({
    name: 'Runtime.ExitError',
    message: expect.stringMatching(/Runtime exited with error: exit status 1/),
  });
  await expect(waiting).rejects.toMatchObject({ name: 'Runtime.ExitError' });
  await expect(fn.invoke({ op: 'echo', value: 'again' })).resolves.toMatchObject({ value: 'again' });
  expect(pool.threadIds()).not.toEqual([before]);
  expect(logs.join('\n')).toMatch(
    /\[lambda:request\] worker 0 exited \(code 1\) with 2 invocation\(s\) in flight; restarting it/,
  );
  expect(stats.counters.workers.request).toEqual({ threads: 1, restarts: 1 });
  expect(fatal).toEqual([]);
});

test('the fan-out kill fault ends the thread after the posts given, mid-invocation; maxKills limits it', async () => {
  faults.set({ fanout: { killAfterPosts: 2, maxKills: 1 } });
  const { fn } = await startPool({ functionName: 'fanout' });

  await expect(fn.invoke({ op: 'post', connectionId: 'c1', posts: 5 })).rejects.toMatchObject({
    name: 'Runtime.ExitError',
    message: expect.stringMatching(/signal: killed/),
  });
  expect(posts).toEqual(['/local/@connections/c1', '/local/@connections/c1']);
  await expect(fn.invoke({ op: 'post', connectionId: 'c2', posts: 5 })).resolves.toBe('posted');
  expect(posts).toHaveLength(7);
  expect(stats.counters.faults['fanout.kill']).toBe(1);
  expect(logs.join('\n')).toMatch(/worker 0 killed by the fan-out kill fault with 1 invocation\(s\) in flight/);
});

test('the kill fault applies to the fan-out only', async () => {
  faults.set({ fanout: { killAfterPosts: 1 } });
  const { fn } = await startPool({ functionName: 'request' });

  await expect(fn.invoke({ op: 'post', connectionId: 'c1', posts: 3 })).resolves.toBe('posted');
});

test('a module that cannot load fails the start with its error', async () => {
  await expect(startPool({ module: path.join(__dirname, 'fixtures/no-such-handler.ts') })).rejects.toThrow(
    /Cannot find module/,
  );
});
