/**
 * The AWS projection's arithmetic: measured CPU scaled by the share of a
 * vCPU that Lambda memory buys, calls times the per-call latencies, and the
 * totals as the sums of the hops. Inputs are given, not measured.
 */
import { lambdaWallMs, projectPush, vcpuShare } from '../../../bench/aws-projection';
import { AWS_LATENCIES } from '../../../bench/aws-latencies';
import type { PushWork } from '../../../bench/push-work';
import { DEFAULT_FANOUT } from '#shared/core/settings';

const work: PushWork = {
  requestDynamoDbCalls: 3,
  requestSnsPublishes: 1,
  fanoutDynamoDbCallsBeforePosts: 2,
  postsPerRound: 39,
  cpuMsPerCall: 0.5,
  callsSource: 'given',
  cpuSource: 'given',
};

test('Lambda CPU is proportional to memory: 1,769 MB is one vCPU, 512 MB about 0.29', () => {
  expect(vcpuShare(1769)).toBe(1);
  expect(vcpuShare(512)).toBeCloseTo(0.2894, 4);
  expect(lambdaWallMs(10, 512)).toBeCloseTo(34.55, 2);
  expect(lambdaWallMs(10, 1769)).toBe(10);
});

test('more than one vCPU does not shorten a single-threaded handler', () => {
  expect(vcpuShare(3538)).toBe(1);
  expect(lambdaWallMs(10, 3538)).toBe(10);
});

test('each hop from the given calls, CPU and latencies', () => {
  const projection = projectPush(work, {
    memoryMb: { request: 512, fanout: 1769 },
    postConcurrency: 32,
    fanout: DEFAULT_FANOUT,
  });
  const byHop = projection.hops.map((h) => [h.p50Ms, h.p99Ms]);

  expect(byHop).toEqual([
    [AWS_LATENCIES.apiGatewayToLambda.p50Ms, AWS_LATENCIES.apiGatewayToLambda.p99Ms],
    // 3 DynamoDB calls + 1 publish at 0.5 ms = 2 ms here, ÷ 512/1769 vCPU.
    [6.9, 6.9],
    [3 * AWS_LATENCIES.dynamodbCall.p50Ms, 3 * AWS_LATENCIES.dynamodbCall.p99Ms],
    [AWS_LATENCIES.snsToLambda.p50Ms, AWS_LATENCIES.snsToLambda.p99Ms],
    // An idle group is posted at once; a sparse one waits at most the shortest window.
    [0, DEFAULT_FANOUT.windowMinMs],
    [2 * AWS_LATENCIES.dynamodbCall.p50Ms, 2 * AWS_LATENCIES.dynamodbCall.p99Ms],
    // Claim + read, then the posts before the receiver: the 20th of 39 at p50, the 39th at p99; one vCPU.
    [(2 + 20) * 0.5, (2 + 39) * 0.5],
    // 32 in flight: the 20th receiver gets a slot at once, the 39th waits for one post to end.
    [AWS_LATENCIES.postToConnection.p50Ms, 2 * AWS_LATENCIES.postToConnection.p99Ms],
  ]);
});

test('the totals are the sums of the hops', () => {
  const projection = projectPush(work, {
    memoryMb: { request: 512, fanout: 1769 },
    postConcurrency: 32,
    fanout: DEFAULT_FANOUT,
  });
  const sum = (pick: (h: (typeof projection.hops)[number]) => number) =>
    projection.hops.reduce((t, h) => t + pick(h), 0);

  expect(projection.total.p50Ms).toBeCloseTo(
    sum((h) => h.p50Ms),
    6,
  );
  expect(projection.total.p99Ms).toBeCloseTo(
    sum((h) => h.p99Ms),
    6,
  );
  // With the table's figures as published on 2022's SNS run and the assumptions beside them.
  expect(projection.total).toEqual({ p50Ms: 145.9, p99Ms: 532.4 });
});

test('less memory makes both functions slower by the same factor', () => {
  const at = (mb: number) =>
    projectPush(work, { memoryMb: { request: mb, fanout: mb }, postConcurrency: 32, fanout: DEFAULT_FANOUT });
  const cpuHops = (mb: number) =>
    at(mb)
      .hops.filter((h) => h.hop.includes('CPU'))
      .map((h) => h.p99Ms);

  expect(cpuHops(1769)).toEqual([2, 20.5]);
  expect(cpuHops(884.5)).toEqual([4, 41]);
});

test('the note bounds a busy group by the longest window', () => {
  const projection = projectPush(work, {
    memoryMb: { request: 1769, fanout: 1769 },
    postConcurrency: 32,
    fanout: DEFAULT_FANOUT,
  });

  const busyP99 = projection.total.p99Ms - DEFAULT_FANOUT.windowMinMs + DEFAULT_FANOUT.windowMaxMs;
  expect(projection.notes[0]).toContain(`p99 up to ${Math.round(busyP99 * 10) / 10} ms`);
});
