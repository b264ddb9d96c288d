/**
 * The polling profile's pricing: which of the window's calls are the
 * pollers', a poll's read units, and the two sheets (this design and Mesh
 * v2's AppSync) for the same requests.
 */
import { pollerWritePath } from '../../../bench/polling/attribution';
import { type PollingCounts, appsyncPollingCost, meshPollingCost, pollReadUnits } from '../../../bench/polling/cost';
import { PRICES } from '../../../bench/prices';
import type { WindowCalls } from '../../../bench/stack-stats';

const window: WindowCalls = {
  seconds: 10,
  dynamodbByOperation: { Query: 700, UpdateItem: 400 },
  dynamodbRead: 700,
  dynamodbWrite: 400,
  snsPublishRequests: 40,
  snsPublishedMessages: 40,
  snsDeliveries: 40,
  postToConnection: 900,
  postToConnectionGone: 0,
  lambda: {
    http: { invocations: 300, errors: 0, meanMs: 10 },
    request: { invocations: 50, errors: 0, meanMs: 8 },
    fanout: { invocations: 40, errors: 0, meanMs: 100 },
  },
  lambdaInvocations: 390,
  ws: { framesIn: 50, bytesIn: 5_000, framesOut: 950, bytesOut: 400_000, connections: 8 },
};

function countsOf(overrides: Partial<PollingCounts> = {}): PollingCounts {
  return {
    seconds: 10,
    membersPerGroup: 48,
    requests: { pollGroupData: 200, reportDataByNode: 80, recordEventsByNode: 20 },
    pollerEvents: 60,
    http: { invocations: 300, meanMs: 10 },
    perPoll: { Query: 3 },
    pollReplyBytes: 12_000,
    pollEventBytes: 1_000,
    writePath: {
      share: 0.8,
      dynamodbByOperation: { UpdateItem: 320 },
      snsPublishRequests: 32,
      fanout: { invocations: 32, meanMs: 100 },
    },
    ...overrides,
  };
}

const usdOf = (lines: { item: string; usdPerHour: number }[], start: string) =>
  lines.filter((l) => l.item.startsWith(start)).reduce((total, l) => total + l.usdPerHour, 0);

describe('pollerWritePath', () => {
  it('takes the calibrated polls out and gives the pollers their share of what is left', () => {
    // 200 polls × 3 Queries of the 700 are the polls'; the other 100 and all 400 updates are the write path.
    const path = pollerWritePath({ window, polls: 200, perPoll: { Query: 3 }, pollerWrites: 100, socketWrites: 25 });

    expect(path.share).toBe(0.8);
    expect(path.dynamodbByOperation).toEqual({ Query: 80, UpdateItem: 320 });
    expect(path.snsPublishRequests).toBe(32);
    expect(path.fanout).toEqual({ invocations: 32, meanMs: 100 });
  });

  it('never counts an operation below zero when the calibration reads a little above the window', () => {
    const path = pollerWritePath({ window, polls: 250, perPoll: { Query: 3 }, pollerWrites: 1, socketWrites: 0 });

    expect(path.dynamodbByOperation).toEqual({ UpdateItem: 400 });
  });

  it('gives the pollers nothing of a write path they did not use', () => {
    expect(pollerWritePath({ window, polls: 0, perPoll: {}, pollerWrites: 0, socketWrites: 0 }).share).toBe(0);
  });
});

describe('pollReadUnits', () => {
  it('counts a Query at least as the bytes it answered, in 4 KB units', () => {
    // Three Queries of a 48-node group are 2 RRU each by the table; a 40 KB answer is 10.
    expect(pollReadUnits({ Query: 3 }, 12_000, 48)).toBe(6);
    expect(pollReadUnits({ Query: 3 }, 40_000, 48)).toBe(10);
  });

  it('adds the other reads at the table size and leaves writes out', () => {
    expect(pollReadUnits({ Query: 1, GetItem: 1, UpdateItem: 1 }, 100, 48)).toBe(3);
    expect(pollReadUnits({}, 12_000, 48)).toBe(0);
  });
});

describe('meshPollingCost', () => {
  it('prices every HTTP request, the http function, the polls’ reads and the pollers’ write path', () => {
    const { lines, usdPerHour } = meshPollingCost(countsOf(), { http: 512, fanout: 512 });
    const hour = 360; // 3600 / 10 s

    expect(lines.find((l) => l.price === 'httpApiRequest')!.quantityPerHour).toBe(300 * hour);
    expect(usdOf(lines, 'HTTP API requests')).toBeCloseTo((300 * hour * PRICES.httpApiRequest.usd) / 1e6);
    // 300 invocations × 10 ms × 0.5 GB.
    expect(lines.find((l) => l.item.startsWith('Lambda http GB-s'))!.quantityPerHour).toBeCloseTo(
      300 * 0.01 * 0.5 * hour,
    );
    // 200 polls × 6 RRU.
    expect(lines.find((l) => l.item.startsWith('DynamoDB RRU of polls'))!.quantityPerHour).toBe(200 * 6 * hour);
    // 320 UpdateItems at 2 WRU each.
    expect(lines.find((l) => l.item.startsWith('DynamoDB WRU'))!.quantityPerHour).toBe(640 * hour);
    expect(usdPerHour).toBeCloseTo(lines.reduce((total, l) => total + l.usdPerHour, 0));
  });
});

describe('appsyncPollingCost', () => {
  it('makes each poll a query and each report, batch and heartbeat a mutation, with Mesh v2’s DynamoDB calls', () => {
    const counts = countsOf({
      requests: { pollGroupData: 200, reportDataByNode: 80, recordEventsByNode: 20, sendMemberHeartbeat: 2 },
    });
    const { lines } = appsyncPollingCost(counts);
    const hour = 360;
    const quantity = (start: string) => lines.find((l) => l.item.startsWith(start))!.quantityPerHour;

    expect(quantity('AppSync queries')).toBe(200 * hour);
    expect(quantity('AppSync mutations')).toBe(102 * hour);
    expect(quantity('Lambda invocations')).toBe(20 * hour);
    // Reads: 200 polls of 1 KB of events (1 RRU each), one group check per mutation.
    expect(quantity('DynamoDB RRU')).toBe((200 + 102) * hour);
    // Writes: 80 status items, 60 event items, 2 heartbeats.
    expect(quantity('DynamoDB WRU')).toBe(142 * hour);
    expect(usdOf(lines, 'AppSync')).toBeCloseTo((302 * hour * PRICES.appsyncOperation.usd) / 1e6);
  });

  it('reads a poll’s events in 4 KB units', () => {
    const { lines } = appsyncPollingCost(countsOf({ requests: { pollGroupData: 10 }, pollEventBytes: 9_000 }));

    expect(lines.find((l) => l.item === 'DynamoDB RRU')!.quantityPerHour).toBe(10 * 3 * 360);
  });
});
