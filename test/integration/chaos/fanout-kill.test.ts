/**
 * The fan-out's execution environment dying mid-round (its worker thread
 * ended after some posts): SNS retries, the flush goes stale and is taken
 * over, and receivers drop the round posted twice.
 */
import { expectExactlyOnceInOrder, runScenario, useChaosStack } from './harness';

jest.setTimeout(60_000);

const stack = useChaosStack('fanout-kill');

test('killed after a few posts, three times: every push emitted once, in order', async () => {
  const result = await runScenario(stack(), { faults: { fanout: { killAfterPosts: 5, maxKills: 3 } } });
  expect(result.injected['fanout.kill']).toBeGreaterThan(0);
  expect(result.stats.workers.fanout.restarts).toBeGreaterThan(0);
  expectExactlyOnceInOrder(result);
});

test('killed with a chance per post: every push emitted once, in order', async () => {
  const result = await runScenario(stack(), { faults: { seed: 9, fanout: { killPerPost: 0.03, maxKills: 4 } } });
  expect(result.injected['fanout.kill']).toBeGreaterThan(0);
  expectExactlyOnceInOrder(result);
});
