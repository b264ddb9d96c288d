/**
 * Per-push figures from a window's counters: DynamoDB calls attributed to the
 * fan-out by what a flush does (a claim per invocation, a read and an advance
 * per round), the rest to the request; the handlers' CPU split evenly over the
 * SDK calls.
 */
import { ASSUMED_CPU_MS_PER_SDK_CALL, handlerCpuOf, pushWorkOf } from '../../../bench/push-work';
import { cpuMsOfStatLine, diffThreadCpu } from '../../../bench/stack-cpu';
import type { WindowCalls } from '../../../bench/stack-stats';

function windowOf(): WindowCalls {
  // 100 requests (BatchGetItem + 2 UpdateItem each, 50 flush requests); 50 fan-out
  // invocations of one round each (claim + advance UpdateItem, one Query), 39 posts
  // a round, and 10 seals (PutItem of the page + UpdateItem of the head).
  return {
    seconds: 5,
    dynamodbByOperation: { BatchGetItem: 100, UpdateItem: 200 + 50 + 50 + 10, Query: 50, PutItem: 10 },
    dynamodbRead: 150,
    dynamodbWrite: 320,
    snsPublishRequests: 50,
    snsPublishedMessages: 50,
    snsDeliveries: 50,
    postToConnection: 50 * 39,
    postToConnectionGone: 0,
    lambda: {
      request: { invocations: 100, errors: 0, meanMs: 10 },
      fanout: { invocations: 50, errors: 0, meanMs: 30 },
    },
    lambdaInvocations: 150,
    ws: { framesIn: 100, bytesIn: 30_000, framesOut: 2050, bytesOut: 900_000, connections: 40 },
  };
}

test('attributes the calls to the request and the fan-out, per request and per round', () => {
  const work = pushWorkOf(windowOf(), { ms: 1235, includesEmulators: false }, true);

  expect(work).toMatchObject({
    requestDynamoDbCalls: 3,
    requestSnsPublishes: 0.5,
    fanoutDynamoDbCallsBeforePosts: 2,
    postsPerRound: 39,
  });
});

test('splits the handlers’ CPU evenly over their SDK calls', () => {
  // 470 DynamoDB + 50 SNS + 1,950 posts = 2,470 calls.
  const work = pushWorkOf(windowOf(), { ms: 1235, includesEmulators: false }, true);

  expect(work.cpuMsPerCall).toBe(0.5);
  expect(work.cpuSource).toContain('2470 SDK calls');
});

test('assumes the CPU per call when none was measured', () => {
  expect(pushWorkOf(windowOf(), undefined, false).cpuMsPerCall).toBe(ASSUMED_CPU_MS_PER_SDK_CALL);
  expect(pushWorkOf(windowOf(), undefined, false).cpuSource).toMatch(/^assumed/);
});

test('the handlers’ CPU is the worker threads’, or the whole process when they share its main thread', () => {
  const cpu = { mainThreadMs: 300, otherThreadsMs: 700 };

  expect(handlerCpuOf(cpu, true)).toEqual({ ms: 700, includesEmulators: false });
  expect(handlerCpuOf(cpu, false)).toEqual({ ms: 1000, includesEmulators: true });
});

test('reads utime + stime from a /proc stat line whose name holds spaces and parentheses', () => {
  // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
  const line = '4242 (node (worker) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 12 0';

  expect(cpuMsOfStatLine(line)).toBe(3000);
  expect(diffThreadCpu({ mainThreadMs: 10, otherThreadsMs: 50 }, { mainThreadMs: 30, otherThreadsMs: 40 })).toEqual({
    mainThreadMs: 20,
    otherThreadsMs: 0,
  });
});
