/**
 * SNS at its worst: duplicated, delayed, reordered and lost deliveries of the
 * fan-out's flush requests, under traffic and in a group that goes quiet.
 */
import { expectExactlyOnceInOrder, runScenario, useChaosStack } from './harness';

jest.setTimeout(60_000);

const stack = useChaosStack('sns');

test('duplicated deliveries: every push emitted once, in order', async () => {
  const result = await runScenario(stack(), { faults: { seed: 1, sns: { duplicate: 0.5 } } });
  expect(result.injected['sns.duplicate']).toBeGreaterThan(0);
  expectExactlyOnceInOrder(result);
});

test('delayed and reordered deliveries: every push emitted once, in order', async () => {
  const result = await runScenario(stack(), {
    faults: { seed: 2, sns: { delay: { p: 0.5, minMs: 50, maxMs: 400 }, reorder: 0.3 } },
  });
  expect(result.injected['sns.delay']).toBeGreaterThan(0);
  expectExactlyOnceInOrder(result);
});

test('lost deliveries under traffic: every push still arrives', async () => {
  const result = await runScenario(stack(), { faults: { seed: 3, sns: { drop: 0.3 } } });
  expect(result.injected['sns.drop']).toBeGreaterThan(0);
  expectExactlyOnceInOrder(result);
});

test('a lost flush request in a group that then goes quiet: the push still arrives (the sweeper restarts the flush)', async () => {
  // A push or two per node, every flush request dropped, then silence: nothing but the sweeper can notice.
  const result = await runScenario(stack(), {
    faults: { sns: { drop: 1 } },
    groups: 1,
    nodesPerGroup: 2,
    rate: 1,
    fireMs: 1_200,
    clearAfterFiring: true,
    settleMs: 15_000,
  });
  expect(result.injected['sns.drop']).toBeGreaterThan(0);
  expectExactlyOnceInOrder(result);
});
