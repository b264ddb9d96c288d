/**
 * MeshClient end to end: several Node clients (the `ws` transport) against the
 * local stack. Status and events reach the others; a 1,000-event burst arrives
 * complete and in order; a large batch is split and reassembled; a client
 * whose TCP connection is cut reconnects, rejoins, loses nothing it produced
 * and converges; dissolve reaches every member; a group expires.
 *
 * The test prints its measurements (messages per 1,000 events, cut → events
 * flowing again) as one line each, prefixed "measured:".
 */
import { MeshClient, type MeshClientOptions } from '#client/index';
import type { MeshEvent } from '#shared/protocol/types';
import { useMeshClients, waitFor } from './mesh-clients';
import { TEST_ENV, testEnv } from './test-env';
import { uniqueDomain } from './ws-client';

jest.setTimeout(60_000);

const newClient = useMeshClients();

/** A host and `members` members in a fresh group; the members replay raw, for exact timing. */
async function meshOf(members: number, options: Partial<MeshClientOptions> = {}) {
  const domain = uniqueDomain('client');
  const host = newClient('host', { domain, ...options });
  const group = await host.createGroup('client test');
  const nodes: MeshClient[] = [];
  for (let i = 0; i < members; i += 1) {
    const member = newClient(`member${i + 1}`, { domain, eventReplay: 'raw', ...options });
    await member.joinGroup(group.id, domain);
    nodes.push(member);
  }
  return { host, members: nodes, group, domain };
}

function record(client: MeshClient): { names: string[]; events: { event: MeshEvent; at: number }[] } {
  const got = { names: [] as string[], events: [] as { event: MeshEvent; at: number }[] };
  client.on('event', (event) => {
    got.names.push(event.name);
    got.events.push({ event, at: Date.now() });
  });
  return got;
}

const range = (n: number, prefix = 'e') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

function measured(line: string): void {
  process.stdout.write(`measured: ${line}\n`);
}

describe('MeshClient against the local stack', () => {
  it('delivers status and events to every other node, never back to the sender', async () => {
    const { host, members } = await meshOf(2);
    const [a, b] = members;
    const toHost = record(host);
    const toA = record(a);
    const toB = record(b);

    host.setData({ score: 1, name: 'cat' });
    a.fireEvent('go', 'payload');

    await waitFor('the host status at both members', () =>
      [a, b].every((m) => m.remoteData()[host.nodeId]?.score === '1' && m.remoteData()[host.nodeId]?.name === 'cat'),
    );
    await waitFor('the event at the host and b', () => toHost.names.length === 1 && toB.names.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(toHost.events[0].event).toMatchObject({ name: 'go', payload: 'payload', firedByNodeId: a.nodeId });
    expect(toA.names).toEqual([]);
    expect(host.remoteData()[host.nodeId]).toBeUndefined();
  });

  it("members that join at once get each other's first status at once, none waiting the gap timeout", async () => {
    // Arrange: ten members join together, as a class does when the teacher says "join".
    const domain = uniqueDomain('client-joins');
    const host = newClient('host', { domain });
    const group = await host.createGroup('joining together');
    const members = Array.from({ length: 10 }, (_, i) => newClient(`joiner${i + 1}`, { domain }));
    await Promise.all(members.map((member) => member.joinGroup(group.id, domain)));

    // Act: each sends its first status.
    const sentAt = Date.now();
    for (const member of members) member.setData({ ready: 'yes' });
    const everyoneReady = () =>
      members.every((member) =>
        members.every((other) => other === member || member.remoteData()[other.nodeId]?.ready === 'yes'),
      );
    await waitFor("every member's status at every other member", everyoneReady);
    const tookMs = Date.now() - sentAt;
    measured(`10 members joined at once: every first status everywhere ${tookMs} ms after sending`);

    // Assess: no receiver skipped a seq, so none held a push for the gap timeout (1 s).
    for (const member of members) expect(member.stats().seqsSkipped).toBe(0);
    expect(tookMs).toBeLessThan(1000);
  });

  it('delivers 1,000 events fired over one second complete and in order, in a handful of messages', async () => {
    const { host, members } = await meshOf(2);
    const received = members.map(record);

    // 1,000 events over one second: 10 every 10 ms.
    let fired = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        for (let i = 0; i < 10; i += 1) host.fireEvent(`e${fired++}`);
        if (fired >= 1000) {
          clearInterval(timer);
          resolve();
        }
      }, 10);
    });
    await waitFor('1,000 events at each member', () => received.every((r) => r.names.length >= 1000));
    await new Promise((resolve) => setTimeout(resolve, 300));

    for (const r of received) expect(r.names).toEqual(range(1000));
    const messages = host.stats().sent.fireEventsByNode ?? 0;
    measured(`1,000 events fired over one second were sent in ${messages} fireEventsByNode messages`);
    expect(messages).toBeGreaterThanOrEqual(2);
    expect(messages).toBeLessThanOrEqual(10);
  });

  it('splits a large batch into messages of at most 32 KB and reassembles it in order', async () => {
    const { host, members } = await meshOf(1);
    const [member] = members;
    const received = record(member);
    // 1,000 events with 300-character multibyte payloads at once: ~1 MB of JSON.
    const payload = (i: number) => `${i}:` + 'メッシュ🎵'.repeat(50);

    for (let i = 0; i < 1000; i += 1) host.fireEvent(`big${i}`, payload(i));
    await waitFor('1,000 large events', () => received.names.length >= 1000, 30_000);

    expect(received.names).toEqual(range(1000, 'big'));
    expect(received.events.map((e) => e.event.payload)).toEqual(range(1000).map((_, i) => payload(i)));
    const stats = host.stats();
    measured(
      `1,000 events of ~1 KB each were sent in ${stats.sent.fireEventsByNode} messages, ${stats.bytesSent} bytes in all`,
    );
    expect(stats.sent.fireEventsByNode).toBeGreaterThan(20);
    expect(stats.reconnects).toBe(0);
  });

  it("reconnects after a TCP cut, rejoins, loses nothing it produced and converges on everyone's status", async () => {
    const { host, members } = await meshOf(2);
    const [cut, observer] = members;
    const atObserver = record(observer);
    const atHost = record(host);
    cut.setData({ phase: 'before' });
    host.setData({ hostKey: 'before' });
    await waitFor('statuses before the cut', () => cut.remoteData()[host.nodeId]?.hostKey === 'before');

    // The cut client fires an event every 20 ms throughout.
    let fired = 0;
    const firing = setInterval(() => cut.fireEvent(`c${fired++}`), 20);
    await new Promise((resolve) => setTimeout(resolve, 300));

    const reconnected = new Promise<void>((resolve) => cut.once('reconnected', () => resolve()));
    const cutAt = Date.now();
    const firstDuringCut = fired;
    (cut.rawSocket as { _socket: { destroy(): void } })._socket.destroy();
    cut.setData({ phase: 'during' });
    host.setData({ hostKey: 'changed while the other was away' });
    await reconnected;
    await new Promise((resolve) => setTimeout(resolve, 500));
    clearInterval(firing);

    await waitFor('every event at the observer and the host', () =>
      [atObserver, atHost].every((r) => r.names.length >= fired),
    );
    await waitFor(
      'converged statuses',
      () =>
        observer.remoteData()[cut.nodeId]?.phase === 'during' &&
        host.remoteData()[cut.nodeId]?.phase === 'during' &&
        cut.remoteData()[host.nodeId]?.hostKey === 'changed while the other was away',
    );
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(atObserver.names).toEqual(range(fired, 'c'));
    expect(atHost.names).toEqual(range(fired, 'c'));
    const flowingAgain = atObserver.events.find((e) => e.event.name === `c${firstDuringCut}`)!.at - cutAt;
    const stats = cut.stats();
    measured(
      `socket cut → reconnected ${stats.lastDowntimeMs} ms; cut → first event fired during the cut received ${flowingAgain} ms`,
    );
    expect(stats.reconnects).toBe(1);
    expect(cut.group).not.toBeNull();
  });

  it('tells every member when the host dissolves the group', async () => {
    const { host, members } = await meshOf(3);
    const dissolved = members.map((member) => new Promise((resolve) => member.once('dissolve', resolve)));

    await host.leave();

    const payloads = await Promise.all(dissolved);
    expect(payloads).toHaveLength(3);
    for (const member of members) expect(member.group).toBeNull();
  });

  it('ends in expired when the group passes its maxConnectionTimeSeconds', async () => {
    const url = testEnv(TEST_ENV.short.wsUrl);
    const domain = uniqueDomain('client-expiry');
    const host = newClient('host', { url, domain });
    const member = newClient('member', { url, domain });
    const group = await host.createGroup('short-lived', { maxConnectionTimeSeconds: 2 });
    await member.joinGroup(group.id, domain);
    const expired = [host, member].map((client) => new Promise((resolve) => client.once('expired', resolve)));
    const disconnected = jest.fn();
    member.on('disconnect', disconnected);

    const infos = await Promise.all(expired);

    expect(infos).toEqual([
      { groupId: group.id, domain, expiresAt: group.expiresAt },
      { groupId: group.id, domain, expiresAt: group.expiresAt },
    ]);
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(group.expiresAt));
    await expect(member.joinGroup(group.id, domain)).rejects.toMatchObject({ errorType: 'GroupNotFound' });
    expect(disconnected).not.toHaveBeenCalled();
  });
});
