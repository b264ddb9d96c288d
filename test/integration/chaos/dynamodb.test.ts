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
  // A publish refused after its seq was allocated leaves a gap that never
  // fills: the receivers skip it after 3 s (not the harness's 60 s), so the
  // pushes behind it arrive within the settle time.
  const result = await runScenario(stack(), {
    faults: { seed: 7, dynamodb: { throttle: 0.15 } },
    clientOptions: { gapTimeoutMs: 3_000 },
  });
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
