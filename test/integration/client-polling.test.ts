/**
 * MeshClient over the HTTPS endpoint (transport 'polling'), in one group with
 * WebSocket clients, against the local stack: status and events reach both
 * ways, none lost, repeated or out of order; 'auto' takes the WebSocket where
 * it opens and falls back to polling where the upgrade is refused (a web
 * filter answering 503), and works the same.
 */
import { refusingFilter } from './refusing-filter';
import type { MeshClient } from '#client/index';
import { useMeshClients, waitFor } from './mesh-clients';
import { TEST_ENV, testEnv } from './test-env';
import { uniqueDomain } from './ws-client';

jest.setTimeout(60_000);

const newClient = useMeshClients({ httpUrl: testEnv(TEST_ENV.main.httpUrl), eventReplay: 'raw' });

/** The names of the events `client` emits, in order. */
function eventsOf(client: MeshClient): string[] {
  const names: string[] = [];
  client.on('event', (event) => names.push(event.name));
  return names;
}

test('a polling member and WebSocket members exchange status and events both ways, none lost, repeated or reordered', async () => {
  const domain = uniqueDomain('polling');
  const host = newClient('host', { domain });
  const group = await host.createGroup('mixed');
  const poller = newClient('poller', { domain, transport: 'polling' });
  const member = newClient('member', { domain });
  await poller.joinGroup(group.id, domain);
  await member.joinGroup(group.id, domain);
  const atPoller = eventsOf(poller);
  const atMember = eventsOf(member);

  for (let i = 0; i < 20; i += 1) {
    host.fireEvent(`h${i}`);
    poller.fireEvent(`p${i}`);
  }
  host.setData('score', '7');
  poller.setData({ x: '1', y: '2' });

  await waitFor('the poller to get every host event', () => atPoller.length >= 20);
  await waitFor('the member to get every event of both', () => atMember.length >= 40);
  await waitFor('both statuses to arrive', () => poller.remoteData()[host.nodeId]?.score === '7');
  await waitFor('the poller status at the member', () => member.remoteData()[poller.nodeId]?.y === '2');

  const hostEvents = Array.from({ length: 20 }, (_, i) => `h${i}`);
  const pollerEvents = Array.from({ length: 20 }, (_, i) => `p${i}`);
  expect(atPoller).toEqual(hostEvents);
  expect(atMember.filter((name) => name.startsWith('h'))).toEqual(hostEvents);
  expect(atMember.filter((name) => name.startsWith('p'))).toEqual(pollerEvents);
  expect(poller.stats()).toMatchObject({ transport: 'polling', duplicatesDropped: 0, seqsSkipped: 0 });
  const nodes = await member.listNodesInGroup();
  expect(nodes.find((node) => node.id === poller.nodeId)).toMatchObject({ useWebSocket: false });
});

test("'auto' stays on the WebSocket where it opens, and falls back to polling where the upgrade is refused", async () => {
  const filter = await refusingFilter();
  try {
    const domain = uniqueDomain('auto');
    const host = newClient('host', { domain, transport: 'auto' });
    const group = await host.createGroup('auto');
    const blocked = newClient('blocked', { domain, transport: 'auto', url: filter.url, autoProbeMs: 2_000 });
    await blocked.joinGroup(group.id, domain);
    const atBlocked = eventsOf(blocked);
    const atHost = eventsOf(host);

    host.fireEvent('to the blocked one');
    blocked.fireEvent('from the blocked one');
    await waitFor('events both ways', () => atBlocked.length >= 1 && atHost.length >= 1);

    expect(host.stats().transport).toBe('websocket');
    expect(blocked.stats().transport).toBe('polling');
    expect(atBlocked).toEqual(['to the blocked one']);
    expect(atHost).toEqual(['from the blocked one']);
  } finally {
    await filter.close();
  }
});

test('a polling host runs its group: members join, and its dissolve reaches them', async () => {
  const domain = uniqueDomain('polling-host');
  const host = newClient('host', { domain, transport: 'polling' });
  const group = await host.createGroup('polled');
  const member = newClient('member', { domain });
  await member.joinGroup(group.id, domain);
  const atMember = eventsOf(member);
  let dissolved = false;
  member.on('dissolve', () => (dissolved = true));

  host.fireEvent('hello');
  await waitFor('the host event at the member', () => atMember.length === 1);
  await host.leave();

  await waitFor('the dissolve at the member', () => dissolved);
  expect(atMember).toEqual(['hello']);
});
