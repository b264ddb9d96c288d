/**
 * Polling nodes on the local stack, over the HTTPS endpoint (POST of a
 * request frame, handlers/http.ts), in the same groups as WebSocket members,
 * through the real handlers and DynamoDB Local. A poller joins with
 * useWebSocket false and proves which node it is with its nodeToken on every
 * request. Status and events go both ways, none lost or repeated: a
 * poller's recordEventsByNode reaches the WebSocket members as a push, and
 * their pushes reach the poller through getEventsSince / pollGroupData, all
 * from the one group log. Twenty nodes firing at once are read back complete
 * by cursor.
 */
import { DeleteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { groupPk, LOG_PAGE_PREFIX } from '#shared/adapters/dynamodb/keys';
import type { PolledEvent } from '#shared/protocol/types';
import { ProtocolHttp } from '#tools/protocol-http';
import { openGroup, sleep, uniqueId, useClients, type TestGroup } from '../ws-client';
import { localDocumentClient, localTableName } from '../local-dynamodb';
import { TEST_ENV, testEnv } from '../test-env';

jest.setTimeout(60_000);

const clients = useClients();
const firedAt = () => new Date().toISOString();

/** A node that polls over HTTPS: joined with useWebSocket false; it keeps the token the join handed out. */
async function poller(group: TestGroup): Promise<{ http: ProtocolHttp; nodeId: string }> {
  const http = new ProtocolHttp(testEnv(TEST_ENV.main.httpUrl));
  const nodeId = uniqueId('poller');
  const node = await http.call('joinGroup', {
    groupId: group.group.id,
    domain: group.domain,
    nodeId,
    useWebSocket: false,
  });
  expect(node).toMatchObject({ useWebSocket: false, pollingIntervalSeconds: 2, nodeToken: expect.any(String) });
  return { http, nodeId };
}

/** Every event after `since`, page by page, as a poller reads them. */
async function readAll(reader: Pick<ProtocolHttp, 'call'>, group: TestGroup, since = ''): Promise<PolledEvent[]> {
  const all: PolledEvent[] = [];
  for (;;) {
    const page = await reader.call('getEventsSince', { groupId: group.group.id, domain: group.domain, since });
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
  const recorded = await polling.http.call('recordEventsByNode', {
    ...where,
    nodeId: polling.nodeId,
    events: [{ eventName: 'from poller', payload: 'p', firedAt: firedAt(), orderKey: '20260105180000-0000001' }],
  });
  const pushed = await member.client.nextPush((push) => 'batchEvent' in push && push.from === polling.nodeId);
  const read = await readAll(polling.http, group);

  expect(recorded).toMatchObject({ ...where, recordedCount: 1, nextSince: expect.any(String) });
  expect('batchEvent' in pushed && pushed.batchEvent.events).toMatchObject([
    { name: 'from poller', payload: 'p', orderKey: '20260105180000-0000001' },
  ]);
  expect(read.map((event) => [event.name, event.firedByNodeId])).toEqual([
    ['from ws', member.nodeId],
    ['from poller', polling.nodeId],
  ]);
  await expect(readAll(polling.http, group, read[1].cursor)).resolves.toEqual([]);
});

test('twenty nodes firing at the same moment: a poller reading by cursor gets every event exactly once', async () => {
  const group = await openGroup(clients, { members: 20 });
  const where = { groupId: group.group.id, domain: group.domain };
  const polling = await poller(group);
  const before = await readAll(polling.http, group);
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
  const events = await readAll(polling.http, group, before.at(-1)?.cursor ?? '');

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

  const poll = await polling.http.call('pollGroupData', { ...where, since: '' });

  expect(poll.events.map((event) => event.name)).toEqual(['go']);
  expect(poll.nodeStatuses).toEqual([
    expect.objectContaining({ nodeId: member.nodeId, data: [{ key: 'score', value: '7' }] }),
  ]);
  await expect(polling.http.call('pollGroupData', { ...where, since: poll.events[0].cursor })).resolves.toMatchObject({
    events: [],
  });
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

test('status goes both ways between a poller and a WebSocket member, and a poller firing reaches the member as a push', async () => {
  const group = await openGroup(clients, { members: 1 });
  const where = { groupId: group.group.id, domain: group.domain };
  const member = group.members[0];
  const polling = await poller(group);

  await polling.http.call('reportDataByNode', { ...where, nodeId: polling.nodeId, data: [{ key: 'x', value: '1' }] });
  const statusPush = await member.client.nextPush((push) => 'nodeStatus' in push && push.from === polling.nodeId);
  await member.client.call('reportDataByNode', { ...where, nodeId: member.nodeId, data: [{ key: 'y', value: '2' }] });
  await polling.http.call('fireEventsByNode', {
    ...where,
    nodeId: polling.nodeId,
    events: [{ eventName: 'jump', firedAt: firedAt() }],
  });
  const eventPush = await member.client.nextPush((push) => 'batchEvent' in push && push.from === polling.nodeId);
  const poll = await polling.http.call('pollGroupData', { ...where, since: '' });

  expect('nodeStatus' in statusPush && statusPush.nodeStatus.data).toEqual([{ key: 'x', value: '1' }]);
  expect('batchEvent' in eventPush && eventPush.batchEvent.events.map((event) => event.name)).toEqual(['jump']);
  const statuses = Object.fromEntries(poll.nodeStatuses.map((status) => [status.nodeId, status.data]));
  expect(statuses[member.nodeId]).toEqual([{ key: 'y', value: '2' }]);
  expect(statuses[polling.nodeId]).toEqual([{ key: 'x', value: '1' }]);
  // The poller is listed as a node that polls.
  const nodes = await member.client.call('listNodesInGroup', where);
  expect(nodes.find((node) => node.id === polling.nodeId)).toMatchObject({ useWebSocket: false });
});

test('over HTTPS a node is its token: without it, or with another node’s, acting as it is 403 Unauthorized and changes nothing', async () => {
  const group = await openGroup(clients);
  const where = { groupId: group.group.id, domain: group.domain };
  const owner = await poller(group);
  const classmate = await poller(group);
  await owner.http.call('reportDataByNode', { ...where, nodeId: owner.nodeId, data: [{ key: 'k', value: 'mine' }] });

  const stranger = new ProtocolHttp(testEnv(TEST_ENV.main.httpUrl));
  const forged = { ...where, nodeId: owner.nodeId, data: [{ key: 'k', value: 'forged' }] };
  const refusals = [
    await stranger.reply('reportDataByNode', forged),
    await classmate.http.reply('reportDataByNode', forged),
    await classmate.http.reply('leaveGroup', { ...where, nodeId: owner.nodeId }),
    await stranger.reply('sendMemberHeartbeat', { ...where, nodeId: owner.nodeId }),
    await stranger.reply('joinGroup', { ...where, nodeId: owner.nodeId }),
  ];

  for (const { status, reply } of refusals) {
    expect(status).toBe(403);
    expect(reply).toMatchObject({ type: 'error', errorType: 'Unauthorized' });
  }
  const status = await group.host.call('getNodeStatus', { ...where, nodeId: owner.nodeId });
  expect(status?.data).toEqual([{ key: 'k', value: 'mine' }]);
  await expect(owner.http.call('sendMemberHeartbeat', { ...where, nodeId: owner.nodeId })).resolves.toBeDefined();
});

test('over HTTPS the reply is the WebSocket envelope, and an error gets a fitting status with the same errorType', async () => {
  const http = new ProtocolHttp(testEnv(TEST_ENV.main.httpUrl));
  const domain = await http.call('createDomain', {});
  expect(domain).toMatch(/^[0-9a-f]{32}$/);

  const created = await http.reply('createGroup', { name: 'g', hostId: uniqueId('host'), domain });
  expect(created).toMatchObject({ status: 200, reply: { type: 'result', action: 'createGroup', requestId: 'h-2' } });
  await expect(http.post('{not json')).resolves.toMatchObject({
    status: 400,
    reply: { type: 'error', errorType: 'ValidationError' },
  });
  await expect(http.reply('listGroupStatuses', { groupId: 'no-such-group', domain })).resolves.toMatchObject({
    status: 404,
    reply: { type: 'error', action: 'listGroupStatuses', errorType: 'GroupNotFound' },
  });
});

test('a cursor into what the log no longer keeps is 410 CursorExpired, and "" reads what it keeps', async () => {
  const group = await openGroup(clients, { members: 1 });
  const where = { groupId: group.group.id, domain: group.domain };
  const member = group.members[0];
  const polling = await poller(group);
  const start = await polling.http.call('pollGroupData', { ...where, since: '' });
  const payload = 'x'.repeat(3_000);
  // Posted pushes are sealed into pages once they pass 2 KB: these make several pages.
  for (let i = 0; i < 4; i += 1) {
    await member.client.call('fireEventsByNode', {
      ...where,
      nodeId: member.nodeId,
      events: [{ eventName: `big${i}`, payload, firedAt: firedAt() }],
    });
    await group.host.nextPush((push) => 'batchEvent' in push && push.from === member.nodeId);
  }
  const firstCursor = (await readAll(polling.http, group))[0].cursor;
  await dropSealedPages(where);

  const expired = await polling.http.reply('getEventsSince', { ...where, since: firstCursor });
  const fresh = await polling.http.call('pollGroupData', { ...where, since: '' });

  expect(start.events).toEqual([]);
  expect(expired).toMatchObject({ status: 410, reply: { type: 'error', errorType: 'CursorExpired' } });
  // Every page was dropped: reading afresh finds nothing kept, and no error.
  expect(fresh.events).toEqual([]);
});

/** DynamoDB's TTL deleting every sealed page of a group's log. */
async function dropSealedPages(key: { groupId: string; domain: string }): Promise<void> {
  const db = localDocumentClient();
  const sealedPages = async () =>
    (
      await db.send(
        new QueryCommand({
          TableName: localTableName(),
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :pages)',
          ExpressionAttributeValues: { ':pk': groupPk(key), ':pages': LOG_PAGE_PREFIX },
          ConsistentRead: true,
        }),
      )
    ).Items ?? [];
  try {
    // The fan-out seals what it posted after its round: wait for the pages.
    let Items = await sealedPages();
    for (let tries = 0; Items.length === 0 && tries < 50; tries += 1) {
      await sleep(100);
      Items = await sealedPages();
    }
    expect(Items.length).toBeGreaterThan(0);
    for (const page of Items) {
      await db.send(new DeleteCommand({ TableName: localTableName(), Key: { pk: page.pk, sk: page.sk } }));
    }
  } finally {
    db.destroy();
  }
}
