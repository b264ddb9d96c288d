/**
 * DynamoDB throttling (the SDK's own retries, then the handlers') and stalls,
 * on every operation the request path and the fan-out use. A request whose
 * calls stay throttled past the SDK's retries is refused with an error reply
 * (the client knows); nothing accepted may be lost.
 */
import { expectExactlyOnceInOrder, runScenario, useChaosStack } from './harness';

jest.setTimeout(60_000);

const stack = useChaosStack('dynamodb');

test('throttled calls: every accepted push emitted once, in order', async () => {
  const result = await runScenario(stack(), { faults: { seed: 7, dynamodb: { throttle: 0.15 } } });
  expect(result.injected['dynamodb.throttle']).toBeGreaterThan(0);
  expectExactlyOnceInOrder(result, { refusals: true });
});

test('stalled calls (longer than a flush may go quiet): every accepted push emitted once, in order', async () => {
  const result = await runScenario(stack(), {
    faults: { seed: 8, dynamodb: { stall: { p: 0.1, minMs: 200, maxMs: 2_000 } } },
  });
  expect(result.injected['dynamodb.stall']).toBeGreaterThan(0);
  expectExactlyOnceInOrder(result, { refusals: true });
});
