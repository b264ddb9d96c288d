/**
 * The polling actions on the local stack, through the real handlers and
 * DynamoDB Local: a node that joins with useWebSocket false records events
 * with recordEventsByNode and reads the group's with getEventsSince, from
 * the same group log the WebSocket members are pushed from. Events go both
 * ways, none lost or repeated; twenty nodes firing at once are read back
 * complete by cursor. (The HTTPS transport for such nodes is not here yet:
 * the poller talks over a WebSocket.)
 */
import type { PolledEvent } from '#shared/protocol/types';
import type { ProtocolSocket } from '#tools/protocol-socket';
import { openGroup, uniqueId, useClients, type TestGroup } from '../ws-client';

jest.setTimeout(60_000);

const clients = useClients();
const firedAt = () => new Date().toISOString();

/** A node that polls: joined with useWebSocket false. */
async function poller(group: TestGroup): Promise<{ socket: ProtocolSocket; nodeId: string }> {
  const socket = await clients.open();
  const nodeId = uniqueId('poller');
  const node = await socket.call('joinGroup', {
    groupId: group.group.id,
    domain: group.domain,
    nodeId,
    useWebSocket: false,
  });
  expect(node).toMatchObject({ useWebSocket: false, pollingIntervalSeconds: 2 });
  return { socket, nodeId };
}

/** Every event after `since`, page by page, as a poller reads them. */
async function readAll(socket: ProtocolSocket, group: TestGroup, since = ''): Promise<PolledEvent[]> {
  const all: PolledEvent[] = [];
  for (;;) {
    const page = await socket.call('getEventsSince', { groupId: group.group.id, domain: group.domain, since });
    if (page.length === 0) return all;
    all.push(...page);
    since = page[page.length - 1].cursor;
  }
}

test('a polling node and WebSocket members exchange events both ways, none lost or repeated', async () => {
  const group = await openGroup(clients, { members: 1 });
  const where = { groupId: group.group.id, domain: group.domain };
  const member = group.members[0];
  const polling = await poller(group);

  await member.client.call('fireEventsByNode', {
    ...where,
    nodeId: member.nodeId,
    events: [{ eventName: 'from ws', firedAt: firedAt() }],
  });
  const recorded = await polling.socket.call('recordEventsByNode', {
    ...where,
    nodeId: polling.nodeId,
    events: [{ eventName: 'from poller', payload: 'p', firedAt: firedAt(), orderKey: '20260105180000-0000001' }],
  });
  const pushed = await member.client.nextPush((push) => 'batchEvent' in push && push.from === polling.nodeId);
  const read = await readAll(polling.socket, group);

  expect(recorded).toMatchObject({ ...where, recordedCount: 1, nextSince: expect.any(String) });
  expect('batchEvent' in pushed && pushed.batchEvent.events).toMatchObject([
    { name: 'from poller', payload: 'p', orderKey: '20260105180000-0000001' },
  ]);
  expect(read.map((event) => [event.name, event.firedByNodeId])).toEqual([
    ['from ws', member.nodeId],
    ['from poller', polling.nodeId],
  ]);
  await expect(readAll(polling.socket, group, read[1].cursor)).resolves.toEqual([]);
});

test('twenty nodes firing at the same moment: a poller reading by cursor gets every event exactly once', async () => {
  const group = await openGroup(clients, { members: 20 });
  const where = { groupId: group.group.id, domain: group.domain };
  const polling = await poller(group);
  const before = await readAll(polling.socket, group);
  const at = firedAt();

  await Promise.all(
    group.members.map((member, i) =>
      member.client.call('fireEventsByNode', {
        ...where,
        nodeId: member.nodeId,
        events: [0, 1, 2].map((n) => ({ eventName: `n${i}-${n}`, firedAt: at })),
      }),
    ),
  );
  const events = await readAll(polling.socket, group, before.at(-1)?.cursor ?? '');

  const names = events.map((event) => event.name);
  expect(names).toHaveLength(60);
  expect(new Set(names).size).toBe(60);
  // Each sender's events in its own order.
  for (let i = 0; i < 20; i += 1) {
    expect(names.filter((name) => name.startsWith(`n${i}-`))).toEqual([`n${i}-0`, `n${i}-1`, `n${i}-2`]);
  }
});

test("pollGroupData answers a poller the events and every node's status in one request", async () => {
  const group = await openGroup(clients, { members: 1 });
  const where = { groupId: group.group.id, domain: group.domain };
  const member = group.members[0];
  const polling = await poller(group);
  await member.client.call('reportDataByNode', {
    ...where,
    nodeId: member.nodeId,
    data: [{ key: 'score', value: '7' }],
  });
  await member.client.call('fireEventsByNode', {
    ...where,
    nodeId: member.nodeId,
    events: [{ eventName: 'go', firedAt: firedAt() }],
  });

  const poll = await polling.socket.call('pollGroupData', { ...where, since: '' });

  expect(poll.events.map((event) => event.name)).toEqual(['go']);
  expect(poll.nodeStatuses).toEqual([
    expect.objectContaining({ nodeId: member.nodeId, data: [{ key: 'score', value: '7' }] }),
  ]);
  await expect(polling.socket.call('pollGroupData', { ...where, since: poll.events[0].cursor })).resolves.toMatchObject(
    {
      events: [],
    },
  );
});

test('a read of large events fits one WebSocket message, and reading on by cursor gets every one', async () => {
  const group = await openGroup(clients, { members: 1 });
  const where = { groupId: group.group.id, domain: group.domain };
  const member = group.members[0];
  const payload = 'x'.repeat(8_000);
  // 3 events a frame keeps each request under the 32 KB frame limit; 30 of them are ~240 KB to read back.
  for (let i = 0; i < 10; i += 1) {
    await member.client.call('fireEventsByNode', {
      ...where,
      nodeId: member.nodeId,
      events: Array.from({ length: 3 }, (_, n) => ({ eventName: `e${i * 3 + n}`, payload, firedAt: firedAt() })),
    });
  }

  const events = await readAll(group.host, group);

  expect(events.map((event) => event.name)).toEqual(Array.from({ length: 30 }, (_, i) => `e${i}`));
});

test('a cursor the mesh did not give is a ValidationError', async () => {
  const group = await openGroup(clients);
  await expect(
    group.host.call('getEventsSince', { groupId: group.group.id, domain: group.domain, since: 'EVENT#2026' }),
  ).rejects.toMatchObject({ errorType: 'ValidationError' });
});
