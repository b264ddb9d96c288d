/**
 * Presence on the short stack (member TTL 3 s, disconnect grace 2 s, the
 * sweeper every second): MeshClients learn who joins, leaves or is dropped,
 * through the same log and fan-out as every other push and in order with
 * them, over a WebSocket and over polling alike; a client that comes back
 * within the grace is never announced as gone.
 */
import { MeshClient, type MeshClientOptions, type MemberChange } from '#client/index';
import { waitFor } from './mesh-clients';
import { TEST_ENV, testEnv } from './test-env';
import { connect, sleep, uniqueDomain, uniqueId } from './ws-client';

jest.setTimeout(60_000);

const open: MeshClient[] = [];
afterEach(async () => {
  const clients = open.splice(0);
  await Promise.all(clients.map((client) => client.leave().catch(() => undefined)));
  for (const client of clients) client.close();
});

function shortClient(name: string, domain: string, options: Partial<MeshClientOptions> = {}): MeshClient {
  const client = new MeshClient({
    url: testEnv(TEST_ENV.short.wsUrl),
    httpUrl: testEnv(TEST_ENV.short.httpUrl),
    nodeId: uniqueId(name),
    domain,
    eventReplay: 'raw',
    ...options,
  });
  open.push(client);
  return client;
}

/** What `client` learns, as one timeline: joins, statuses, events and leaves, in the order they come. */
function timelineOf(client: MeshClient, about: () => string): string[] {
  const seen: string[] = [];
  const note = (what: string) => (change: MemberChange) => {
    if (change.nodeId === about()) seen.push(`${what} ${change.change}`);
  };
  client.on('join', note('join'));
  client.on('leave', note('leave'));
  client.on('status', (nodeId, changes) => {
    if (nodeId === about()) seen.push(`status ${Object.values(changes).join()}`);
  });
  client.on('event', (event) => {
    if (event.firedByNodeId === about()) seen.push(`event ${event.name}`);
  });
  return seen;
}

async function hostedGroup(domain: string) {
  const host = shortClient('host', domain);
  const group = await host.createGroup('presence');
  const other = shortClient('other', domain);
  await other.joinGroup(group.id, domain);
  return { host, other, group };
}

test("a join, the joiner's status and event, and its leave reach every member in that order", async () => {
  const domain = uniqueDomain('presence');
  const { host, other, group } = await hostedGroup(domain);
  const pupil = shortClient('pupil', domain);
  const atHost = timelineOf(host, () => pupil.nodeId);
  const atOther = timelineOf(other, () => pupil.nodeId);

  await pupil.joinGroup(group.id, domain);
  expect(pupil.members().sort()).toEqual([host.nodeId, other.nodeId, pupil.nodeId].sort());
  pupil.setData({ score: '1' });
  pupil.fireEvent('hello');
  await waitFor('the status and event at the host', () => atHost.length >= 3);
  await pupil.leave();

  const want = ['join joined', 'status 1', 'event hello', 'leave left'];
  await waitFor('the leave at both', () => atHost.length === 4 && atOther.length === 4);
  expect(atHost).toEqual(want);
  expect(atOther).toEqual(want);
  expect(host.members()).toEqual([host.nodeId, other.nodeId].sort());
  expect(host.remoteData()).not.toHaveProperty(pupil.nodeId);
});

test('a member gone past the grace is dropped as disconnected; one back within it is not announced', async () => {
  const domain = uniqueDomain('presence');
  const { host, other, group } = await hostedGroup(domain);
  const gone = shortClient('gone', domain);
  const back = shortClient('back', domain);
  await gone.joinGroup(group.id, domain);
  await back.joinGroup(group.id, domain);
  await waitFor('both joins at the host', () => host.members().length === 4);
  const changes: string[] = [];
  host.on('leave', (change) =>
    changes.push(`leave ${change.nodeId === gone.nodeId ? 'gone' : 'back'} ${change.change}`),
  );
  host.on('join', (change) => changes.push(`join ${change.nodeId === gone.nodeId ? 'gone' : 'back'} ${change.change}`));

  const startedAt = Date.now();
  gone.close(); // no leave: the node stays at the server, unbound, until the grace ends
  const reconnected = new Promise((resolve) => back.once('reconnected', resolve));
  (back.rawSocket as { _socket: { destroy(): void } })._socket.destroy();
  await reconnected;

  await waitFor('the drop', () => changes.length > 0);
  const droppedAfterMs = Date.now() - startedAt;
  await sleep(3_000);

  expect(changes).toEqual(['leave gone disconnected']);
  // The grace (2 s), then the next sweep (every 1 s) and the fan-out's round.
  expect(droppedAfterMs).toBeGreaterThanOrEqual(2_000);
  expect(droppedAfterMs).toBeLessThan(6_000);
  expect(host.members()).toEqual([host.nodeId, other.nodeId, back.nodeId].sort());
});

test('a member whose heartbeat lapsed is dropped as expired', async () => {
  const domain = uniqueDomain('presence');
  const { host, group } = await hostedGroup(domain);
  // A raw connection that joins and never beats: its node lives the member TTL (3 s).
  const silent = await connect(testEnv(TEST_ENV.short.wsUrl));
  const nodeId = uniqueId('silent');
  const left = new Promise<MemberChange>((resolve) =>
    host.on('leave', (change) => change.nodeId === nodeId && resolve(change)),
  );
  try {
    await silent.call('joinGroup', { groupId: group.id, domain, nodeId });
    await waitFor('the join at the host', () => host.members().includes(nodeId));

    await expect(left).resolves.toMatchObject({ nodeId, change: 'expired', groupId: group.id, domain });
    expect(host.members()).not.toContain(nodeId);
  } finally {
    silent.destroy();
  }
});

test('a polling member learns joins and leaves too, in order with the events', async () => {
  const domain = uniqueDomain('presence');
  const { host, other, group } = await hostedGroup(domain);
  const poller = shortClient('poller', domain, { transport: 'polling' });
  await poller.joinGroup(group.id, domain);
  const pupil = shortClient('pupil', domain);
  const seen = timelineOf(poller, () => pupil.nodeId);

  await pupil.joinGroup(group.id, domain);
  pupil.fireEvent('hi');
  await waitFor('the event at the poller', () => seen.includes('event hi'));
  await pupil.leave();
  await waitFor('the leave at the poller', () => seen.includes('leave left'));

  expect(seen.filter((line) => !line.startsWith('status'))).toEqual(['join joined', 'event hi', 'leave left']);
  expect(poller.members()).toEqual([host.nodeId, other.nodeId, poller.nodeId].sort());
});
