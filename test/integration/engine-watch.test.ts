/**
 * The stack watches DynamoDB Local: when the engine's JVM dies under it
 * (kill -9), the stack says so in one clear line, stops its other parts and
 * exits non-zero, instead of answering InternalError forever. The stack runs
 * as its own process (the engine is killed from outside, as an OOM killer
 * would), on free ports, with an engine of its own.
 */
import { type StackProcess, startStackProcess } from '#local/stack-process';
import { ProtocolSocket } from '#tools/protocol-socket';

jest.setTimeout(90_000);

let stack: StackProcess | undefined;

afterAll(async () => {
  await stack?.stop(5_000);
});

test('kill -9 of the engine: the stack logs why and exits with status 1 within seconds', async () => {
  stack = await startStackProcess({ env: { MESH_TABLE_NAME: 'mesh_engine_watch' } });
  const { dynamodbPid } = stack.ready;
  expect(dynamodbPid).toEqual(expect.any(Number));
  // Under traffic: a client is connected and has been answered.
  const client = await ProtocolSocket.connect(stack.ready.wsUrl);
  await client.call('createDomain', {});

  const killedAt = Date.now();
  process.kill(dynamodbPid!, 'SIGKILL');
  const exit = await stack.exited;
  const seconds = (Date.now() - killedAt) / 1000;

  expect(exit.code).toBe(1);
  expect(seconds).toBeLessThan(10);
  expect(stack.output()).toMatch(/\[dynamodb\] DynamoDB Local exited unexpectedly \(signal SIGKILL\); the stack stops/);
  // The other parts stopped cleanly first: the open connection was closed as API Gateway closes it.
  await expect(client.closed).resolves.toMatchObject({ code: 1001 });
});
