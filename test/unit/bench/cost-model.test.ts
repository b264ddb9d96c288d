import { designRounds, withRounds } from '../../../bench/cost-model';
import type { WindowCalls } from '../../../bench/stack-stats';
import { DEFAULT_FANOUT } from '#shared/core/settings';

const counted: WindowCalls = {
  seconds: 10,
  dynamodbByOperation: { Query: 100, UpdateItem: 500 },
  dynamodbRead: 100,
  dynamodbWrite: 500,
  snsPublishRequests: 10,
  snsPublishedMessages: 10,
  snsDeliveries: 10,
  postToConnection: 4_000,
  postToConnectionGone: 0,
  lambda: { request: { invocations: 300, errors: 0, meanMs: 10 }, fanout: { invocations: 10, errors: 0, meanMs: 500 } },
  lambdaInvocations: 310,
  ws: { framesIn: 300, bytesIn: 30_000, framesOut: 4_300, bytesOut: 4_300_000, connections: 40 },
};

describe('designRounds', () => {
  it('makes one round per adaptive window for a busy group and one per push for a sparse one', () => {
    // 17 pushes/s → a 391 ms window → 1000/391 rounds a second; 1 push/s → the 50 ms floor, one round per push.
    expect(designRounds(10, 60, 17, DEFAULT_FANOUT)).toBeCloseTo(10 * 60 * (1000 / 391));
    expect(designRounds(10, 60, 1, DEFAULT_FANOUT)).toBe(600);
    expect(designRounds(10, 60, 0, DEFAULT_FANOUT)).toBe(0);
  });
});

describe('withRounds', () => {
  it('scales the per-round calls up or down, keeping their size per round and the request path as counted', () => {
    const doubled = withRounds(counted, 200);
    const halved = withRounds(counted, 50);

    expect(doubled.postToConnection).toBe(8_000);
    expect(doubled.dynamodbByOperation).toEqual({ Query: 200, UpdateItem: 600 });
    expect(doubled.lambda.fanout.invocations).toBe(20);
    expect(doubled.lambda.request).toEqual(counted.lambda.request);
    expect(doubled.ws.framesOut).toBe(300 + 8_000);
    expect(halved.postToConnection).toBe(2_000);
    expect(halved.dynamodbByOperation).toEqual({ Query: 50, UpdateItem: 450 });
  });
});
