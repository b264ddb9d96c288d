/**
 * The group poller of MeshClient's polling transport, against a scripted
 * server: it starts at the end of the log, reads on by cursor at the
 * server's interval, hands runs of one sender's events on as batchEvent
 * pushes and changed statuses as nodeStatus pushes (seqs per sender counting
 * up), starts again at the end past the retention, ends the group on
 * GroupNotFound, and counts the network lost after three failed polls.
 */
import { GroupPoller, LOST_AFTER_FAILURES } from '#client/polling/group-poller';
import type { Push, Reply } from '#shared/protocol/messages';
import type { PolledEvent } from '#shared/protocol/types';
import { onFakeTime } from './fake-server';

onFakeTime();

const where = { groupId: 'g1', domain: 'd1' };
const event = (name: string, from: string, cursor: string): PolledEvent => ({
  name,
  firedByNodeId: from,
  ...where,
  payload: null,
  timestamp: '2026-01-05T09:00:00.000Z',
  cursor,
});
const result = (data: unknown): Reply => ({ type: 'result', action: 'pollGroupData', data });
const status = (nodeId: string, value: string) => ({
  nodeId,
  ...where,
  data: [{ key: 'k', value }],
  timestamp: '2026-01-05T09:00:00.000Z',
});

/** A poller whose server answers from `answer`; what it delivers and the requests it made are kept. */
function pollerWith(answer: (request: Record<string, unknown>) => Reply | Error) {
  const requests: Record<string, unknown>[] = [];
  const pushes: Push[] = [];
  const lost: string[] = [];
  const poller = new GroupPoller({
    group: { ...where, pollingIntervalSeconds: 2 },
    post: async (request) => {
      requests.push(request);
      const reply = answer(request);
      if (reply instanceof Error) throw reply;
      return reply;
    },
    deliver: (frame) => pushes.push(JSON.parse(frame) as Push),
    lose: (why) => lost.push(why),
  });
  return { poller, requests, pushes, lost };
}

it('starts at the end of the log, then reads on by cursor every interval, handing on batches and changed statuses', async () => {
  const polls: Reply[] = [
    result({ events: [event('a', 'n1', '5.0'), event('b', 'n1', '5.1'), event('c', 'n2', '6.0')], nodeStatuses: [] }),
    result({ events: [], nodeStatuses: [status('n1', '1')] }),
    result({ events: [event('d', 'n1', '7.0')], nodeStatuses: [status('n1', '1')] }),
  ];
  const { poller, requests, pushes } = pollerWith((request) => {
    if (request.action === 'getEventsSince') {
      return result(request.since === '' ? [event('old', 'n1', '4.0')] : []);
    }
    return polls.shift()!;
  });

  poller.start();
  await jest.advanceTimersByTimeAsync(0);
  await jest.advanceTimersByTimeAsync(2_000);
  await jest.advanceTimersByTimeAsync(2_000);
  poller.stop();

  expect(requests.map((r) => [r.action, r.since])).toEqual([
    ['getEventsSince', ''],
    ['getEventsSince', '4.0'],
    ['pollGroupData', '4.0'],
    ['pollGroupData', '6.0'],
    ['pollGroupData', '6.0'],
  ]);
  const summary = pushes.map((push) => [
    push.from,
    push.seq,
    'batchEvent' in push ? push.batchEvent.events.map((e) => e.name).join() : 'status',
  ]);
  // 'old' was sent before the node came: not replayed. n1's status came twice unchanged: handed on once.
  expect(summary).toEqual([
    ['n1', 1, 'a,b'],
    ['n2', 1, 'c'],
    ['n1', 2, 'status'],
    ['n1', 3, 'd'],
  ]);
  expect(new Set(pushes.map((push) => push.epoch)).size).toBe(1);
});

it('past the retention starts again at the end of the log', async () => {
  let polled = 0;
  const { poller, requests } = pollerWith((request) => {
    if (request.action === 'getEventsSince') return result(request.since === '' ? [event('x', 'n1', '9.0')] : []);
    polled += 1;
    return polled === 1
      ? { type: 'error', action: 'pollGroupData', errorType: 'CursorExpired', message: 'past retention' }
      : result({ events: [], nodeStatuses: [] });
  });

  poller.start();
  await jest.advanceTimersByTimeAsync(10);
  poller.stop();

  expect(requests.map((r) => r.action)).toEqual([
    'getEventsSince',
    'getEventsSince',
    'pollGroupData',
    'getEventsSince',
    'getEventsSince',
    'pollGroupData',
  ]);
});

it('ends the group as dissolved when the group is gone, and polls no more', async () => {
  const { poller, requests, pushes } = pollerWith((request) =>
    request.action === 'getEventsSince'
      ? result([])
      : { type: 'error', action: 'pollGroupData', errorType: 'GroupNotFound', message: 'gone' },
  );

  poller.start();
  await jest.advanceTimersByTimeAsync(10_000);

  expect(pushes).toEqual([expect.objectContaining({ groupDissolve: expect.objectContaining(where) })]);
  expect(requests.filter((r) => r.action === 'pollGroupData')).toHaveLength(1);
});

it(`counts the network lost after ${LOST_AFTER_FAILURES} failed polls in a row, waiting longer after each`, async () => {
  const { poller, requests, lost } = pollerWith(() => new Error('fetch failed'));

  poller.start();
  await jest.advanceTimersByTimeAsync(0);
  await jest.advanceTimersByTimeAsync(3_999);
  expect(requests).toHaveLength(1);
  await jest.advanceTimersByTimeAsync(1);
  expect(requests).toHaveLength(2);
  await jest.advanceTimersByTimeAsync(8_000);
  poller.stop();

  expect(requests).toHaveLength(3);
  expect(lost).toHaveLength(1);
});

it('hands presence changes on in log order with the events, and reads on from nextSince', async () => {
  const change = (nodeId: string, what: 'joined' | 'left', cursor: string) => ({
    ...where,
    nodeId,
    change: what,
    timestamp: '2026-01-05T09:00:00.000Z',
    cursor,
  });
  const polls: Reply[] = [
    result({
      events: [event('a', 'n1', '5.0'), event('b', 'n1', '7.0')],
      presence: [change('n2', 'joined', '6.0'), change('n1', 'left', '8.0')],
      nodeStatuses: [],
      // A status push at position 8 was read past too.
      nextSince: '9.0',
    }),
    result({ events: [], presence: [], nodeStatuses: [], nextSince: '9.0' }),
  ];
  const { poller, requests, pushes } = pollerWith((request) =>
    request.action === 'getEventsSince' ? result([]) : polls.shift()!,
  );

  poller.start();
  await jest.advanceTimersByTimeAsync(0);
  await jest.advanceTimersByTimeAsync(2_000);
  poller.stop();

  expect(requests.filter((r) => r.action === 'pollGroupData').map((r) => r.since)).toEqual(['', '9.0']);
  expect(
    pushes.map((push) =>
      'batchEvent' in push
        ? `events ${push.batchEvent.events.map((e) => e.name).join('')}`
        : 'nodePresence' in push
          ? `${push.nodePresence.nodeId} ${push.nodePresence.change}`
          : '?',
    ),
  ).toEqual(['events a', 'n2 joined', 'events b', 'n1 left']);
  expect(pushes.find((push) => 'nodePresence' in push)).not.toHaveProperty('nodePresence.cursor');
});
