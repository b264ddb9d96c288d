/**
 * The polling mode on the core with the real publisher over the in-memory
 * log: recordEventsByNode reaches the log as fireEventsByNode does, and
 * getEventsSince reads every node's events back by cursor, oldest first,
 * never skipping or repeating one, 100 at most per read, with CursorExpired
 * past the retention.
 */
import { runAction } from '#shared/core/actions';
import { LIMITS } from '#shared/protocol/limits';
import type { PushesSince } from '#shared/protocol/results';
import type { Group, PolledEvent, PollGroupData, RecordEventsPayload } from '#shared/protocol/types';
import { caller, DOMAIN, expectErrorType, groupWorld, send } from './driver';
import type { FakeWorld } from './fakes';

let world: FakeWorld;
let group: Group;
beforeEach(async () => ({ world, group } = await groupWorld(3, { publishToLog: true })));
const where = () => ({ groupId: group.id, domain: DOMAIN });
/** The log's first positions: the three members' join presence pushes. */
const JOINS = 3;
const at = '2026-01-05T09:00:00.000Z';

const fire = (nodeId: string, connectionId: string, names: string[], action = 'fireEventsByNode') =>
  send<RecordEventsPayload>(world, connectionId, {
    action,
    ...where(),
    nodeId,
    events: names.map((eventName) => ({ eventName, firedAt: at })),
  } as never);
const since = (cursor: string) =>
  send<PolledEvent[]>(world, 'c-3', { action: 'getEventsSince', ...where(), since: cursor });

/** Every event from `cursor` on, read as a poller does: by each page's last cursor. */
async function readAll(cursor = ''): Promise<PolledEvent[]> {
  const all: PolledEvent[] = [];
  for (;;) {
    const page = await since(cursor);
    if (page.length === 0) return all;
    all.push(...page);
    cursor = page[page.length - 1].cursor;
  }
}

describe('recordEventsByNode', () => {
  it('records the batch in the log as fireEventsByNode does, and answers the count and the cursor after it', async () => {
    const recorded = await fire('member-1', 'c-1', ['a', 'b'], 'recordEventsByNode');

    expect(recorded).toEqual({ ...where(), recordedCount: 2, nextSince: expect.any(String) });
    const events = await readAll();
    expect(events.map((event) => [event.name, event.firedByNodeId])).toEqual([
      ['a', 'member-1'],
      ['b', 'member-1'],
    ]);
    await expect(since(recorded.nextSince)).resolves.toEqual([]);
  });

  it('refuses a node the connection is not, like fireEventsByNode', async () => {
    await expectErrorType(fire('member-2', 'c-1', ['a'], 'recordEventsByNode'), 'Unauthorized');
  });
});

describe('getEventsSince', () => {
  it('reads every node\'s events from "" on, oldest first, each with the cursor to read on from', async () => {
    await fire('member-1', 'c-1', ['a1', 'a2']);
    await fire('member-2', 'c-2', ['b1']);
    await fire('host', 'c-host', ['h1']);

    const events = await since('');

    expect(events.map((event) => event.name)).toEqual(['a1', 'a2', 'b1', 'h1']);
    await expect(since(events[1].cursor)).resolves.toMatchObject([{ name: 'b1' }, { name: 'h1' }]);
    await expect(since(events[3].cursor)).resolves.toEqual([]);
  });

  it('answers 100 at most, and a reader by cursor gets every event once, even from inside a batch', async () => {
    await fire(
      'member-1',
      'c-1',
      Array.from({ length: 150 }, (_, i) => `e${i}`),
    );
    await fire('member-2', 'c-2', ['last']);

    const first = await since('');
    const all = await readAll();

    expect(first).toHaveLength(100);
    expect(all.map((event) => event.name)).toEqual([...Array.from({ length: 150 }, (_, i) => `e${i}`), 'last']);
  });

  it('misses nothing sent between two reads, from any sender, and leaves out status pushes', async () => {
    await fire('member-1', 'c-1', ['a']);
    const [a] = await since('');
    await send(world, 'c-2', {
      action: 'reportDataByNode',
      ...where(),
      nodeId: 'member-2',
      data: [{ key: 'k', value: 'v' }],
    });
    await fire('member-2', 'c-2', ['b']);
    await fire('member-1', 'c-1', ['c']);

    await expect(since(a.cursor)).resolves.toMatchObject([{ name: 'b' }, { name: 'c' }]);
  });

  it('answers CursorExpired for a cursor into what the retention dropped, and "" reads what is kept', async () => {
    await fire('member-1', 'c-1', ['a']);
    const [a] = await since('');
    await fire('member-1', 'c-1', ['b']);
    await fire('member-1', 'c-1', ['c']);
    // The fan-out seals posted pushes (a, b) into a page; the retention then drops it, b unread.
    const key = where();
    const head = world.log.headOf(key)!;
    await world.log.seal(key, head.pageStart, head.page.slice(0, JOINS + 2));
    world.log.dropSealedPage(key, 0);

    await expectErrorType(since(a.cursor), 'CursorExpired');
    await expect(since('')).resolves.toMatchObject([{ name: 'c' }]);
  });

  it('refuses a cursor it did not give, and one ahead of the log, as ValidationError', async () => {
    await expectErrorType(since('2026-01-05T09:00:00Z'), 'ValidationError');
    await expectErrorType(since('99.0'), 'ValidationError');
  });

  it('answers GroupNotFound for a group that is gone', async () => {
    await expectErrorType(
      send(world, 'c-3', { action: 'getEventsSince', groupId: 'nope', domain: DOMAIN, since: '' }),
      'GroupNotFound',
    );
  });
});

describe('getPushesSince', () => {
  const pushesFrom = (pos: number) => send<PushesSince>(world, 'c-3', { action: 'getPushesSince', ...where(), pos });

  it('reads the pushes of every kind from a position on, each with its pos, and where to read on', async () => {
    await fire('member-1', 'c-1', ['a']);
    await send(world, 'c-2', {
      action: 'reportDataByNode',
      ...where(),
      nodeId: 'member-2',
      data: [{ key: 'k', value: 'v' }],
    });
    await fire('member-1', 'c-1', ['b']);

    const all = await pushesFrom(0);
    const later = await pushesFrom(JOINS + 1);

    const kindOf = (push: object) => ['nodePresence', 'nodeStatus', 'batchEvent'].find((kind) => kind in push);
    expect(all.pushes.map((push) => [push.pos, push.from, kindOf(push)])).toEqual([
      [0, 'member-1', 'nodePresence'],
      [1, 'member-2', 'nodePresence'],
      [2, 'member-3', 'nodePresence'],
      [3, 'member-1', 'batchEvent'],
      [4, 'member-2', 'nodeStatus'],
      [5, 'member-1', 'batchEvent'],
    ]);
    expect(all.nextPos).toBe(JOINS + 3);
    expect(later.pushes.map((push) => push.pos)).toEqual([JOINS + 1, JOINS + 2]);
  });

  it('answers no pushes and the end from the end or past it, and CursorExpired below what the retention keeps', async () => {
    await fire('member-1', 'c-1', ['a']);
    await fire('member-1', 'c-1', ['b']);
    await fire('member-1', 'c-1', ['c']);
    const key = where();
    const head = world.log.headOf(key)!;
    await world.log.seal(key, head.pageStart, head.page.slice(0, JOINS + 2));
    world.log.dropSealedPage(key, 0);

    const end = JOINS + 3;
    await expect(pushesFrom(end)).resolves.toEqual({ pushes: [], nextPos: end });
    await expect(pushesFrom(Number.MAX_SAFE_INTEGER)).resolves.toEqual({ pushes: [], nextPos: end });
    await expectErrorType(pushesFrom(end - 2), 'CursorExpired');
    await expect(pushesFrom(end - 1)).resolves.toMatchObject({ pushes: [{ pos: end - 1 }], nextPos: end });
  });
});

describe('pollGroupData', () => {
  it("answers the events after the cursor and every live node's full status in one reply", async () => {
    await send(world, 'c-1', {
      action: 'reportDataByNode',
      ...where(),
      nodeId: 'member-1',
      data: [{ key: 'x', value: '1' }],
    });
    await fire('member-2', 'c-2', ['go']);

    const { data, nextToken } = await runAction(
      { action: 'pollGroupData', ...where(), since: '' },
      caller('c-3'),
      world.deps,
    );

    const poll = data as PollGroupData;
    expect(poll.events.map((event) => event.name)).toEqual(['go']);
    expect(poll.nodeStatuses).toEqual([
      expect.objectContaining({ nodeId: 'member-1', data: [{ key: 'x', value: '1' }] }),
    ]);
    expect(nextToken).toBeUndefined();
  });
});

describe('pollGroupData presence', () => {
  const poll = async (since: string) =>
    (await runAction({ action: 'pollGroupData', ...where(), since }, caller('c-3'), world.deps)).data as PollGroupData;

  it('answers the presence changes after the cursor in log order with the events, and nextSince past all it read', async () => {
    const start = await poll('');
    expect(start.presence.map((change) => [change.nodeId, change.change, change.cursor])).toEqual([
      ['member-1', 'joined', '1.0'],
      ['member-2', 'joined', '2.0'],
      ['member-3', 'joined', '3.0'],
    ]);
    expect(start.nextSince).toBe('3.0');

    await fire('member-1', 'c-1', ['a']);
    await send(world, 'c-2', { action: 'leaveGroup', ...where(), nodeId: 'member-2' });
    await send(world, 'c-1', { action: 'reportDataByNode', ...where(), nodeId: 'member-1', data: [] });
    const next = await poll(start.nextSince);

    expect(next.events.map((event) => [event.name, event.cursor])).toEqual([['a', '4.0']]);
    expect(next.presence.map((change) => [change.nodeId, change.change, change.cursor])).toEqual([
      ['member-2', 'left', '5.0'],
    ]);
    // Past the status push at position 5 too: nothing is read twice.
    expect(next.nextSince).toBe('6.0');
    await expect(poll(next.nextSince)).resolves.toMatchObject({ events: [], presence: [], nextSince: '6.0' });
  });

  it('keeps getEventsSince as Mesh v2 had it: events only, 100 of them a read', async () => {
    await expect(since('')).resolves.toEqual([]);
  });
});

describe('the size of a read', () => {
  it('stays within a reply whatever the payloads, and reading on by cursor gets the rest', async () => {
    const big = 'x'.repeat(LIMITS.maxEventPayloadLength);
    for (let i = 0; i < 3; i += 1) {
      await send(world, 'c-1', {
        action: 'fireEventsByNode',
        ...where(),
        nodeId: 'member-1',
        events: Array.from({ length: 10 }, (_, n) => ({ eventName: `e${i * 10 + n}`, payload: big, firedAt: at })),
      });
    }

    const first = await since('');
    const all = await readAll();

    expect(Buffer.byteLength(JSON.stringify(first))).toBeLessThanOrEqual(LIMITS.maxListPageBytes);
    expect(first.length).toBeLessThan(30);
    expect(all.map((event) => event.name)).toEqual(Array.from({ length: 30 }, (_, i) => `e${i}`));
  });
});
