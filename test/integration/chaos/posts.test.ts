/**
 * PostToConnection failing as API Gateway can fail: 500s, 429s over the
 * account's rate (retried by the fan-out, up to POST_RETRY's five attempts),
 * and slow answers. One post in ten fails: a frame then fails all five
 * attempts once in 100,000 posts, so every push must arrive. (At three in
 * ten, a give-up, counted as AbandonedPosts, comes once in ~400 posts: the
 * limit working as stated, not a loss these tests could call a fault.)
 */
import { expectExactlyOnceInOrder, runScenario, useChaosStack } from './harness';

jest.setTimeout(60_000);

const stack = useChaosStack('posts');

test('500 answers: every push emitted once, in order', async () => {
  const result = await runScenario(stack(), { faults: { seed: 4, postToConnection: { error500: 0.1 } } });
  expect(result.injected['postToConnection.error500']).toBeGreaterThan(0);
  expectExactlyOnceInOrder(result);
});

test('429 answers: every push emitted once, in order', async () => {
  const result = await runScenario(stack(), { faults: { seed: 5, postToConnection: { throttle429: 0.1 } } });
  expect(result.injected['postToConnection.throttle429']).toBeGreaterThan(0);
  expectExactlyOnceInOrder(result);
});

test('slow answers: every push emitted once, in order', async () => {
  const result = await runScenario(stack(), {
    faults: { seed: 6, postToConnection: { latency: { p: 0.5, minMs: 20, maxMs: 300 } } },
  });
  expect(result.injected['postToConnection.latency']).toBeGreaterThan(0);
  expectExactlyOnceInOrder(result);
});
