/**
 * renewHeartbeat, sendMemberHeartbeat and expiry. The expiry cases run on the
 * "short" stack (TEST_ENV.short), whose host and member heartbeat TTLs
 * are 3 s and intervals 1 s, so they wait seconds instead of minutes.
 */
import type { ProtocolSocket } from '#tools/protocol-socket';
import { TEST_ENV, testEnv } from '../test-env';
import { openGroup, sleep, uniqueDomain, uniqueId, useClients } from '../ws-client';

jest.setTimeout(30_000);

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const clients = useClients();

const shortUrl = (): string => testEnv(TEST_ENV.short.wsUrl);

/** Calls `beat` every `everyMs` until stopped, failing the test if a beat fails. */
function keepBeating(beat: () => Promise<unknown>, everyMs: number): { stop(): Promise<void> } {
  let failure: unknown;
  const timer = setInterval(() => {
    beat().catch((error) => (failure ??= error));
  }, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      if (failure) throw failure;
    },
  };
}

describe('renewHeartbeat (host)', () => {
  it('returns the same expiresAt as createGroup and the host heartbeat interval', async () => {
    const { group, domain, host, hostId } = await openGroup(clients);

    const beat = await host.call('renewHeartbeat', { groupId: group.id, domain, hostId });

    expect(beat).toEqual({ groupId: group.id, domain, expiresAt: group.expiresAt, heartbeatIntervalSeconds: 60 });
  });

  it('by a member is refused with Unauthorized', async () => {
    const { group, domain, hostId, members } = await openGroup(clients, { members: 1 });
    const [member] = members;

    await expect(
      member.client.call('renewHeartbeat', { groupId: group.id, domain, hostId: member.nodeId }),
    ).rejects.toMatchObject({ errorType: 'Unauthorized' });
    await expect(member.client.call('renewHeartbeat', { groupId: group.id, domain, hostId })).rejects.toMatchObject({
      errorType: 'Unauthorized',
    });
  });

  it('of a group that does not exist fails with GroupNotFound', async () => {
    const client = await clients.open();

    await expect(
      client.call('renewHeartbeat', { groupId: 'no-such-group', domain: uniqueDomain(), hostId: uniqueId('host') }),
    ).rejects.toMatchObject({ errorType: 'GroupNotFound' });
  });
});

describe('sendMemberHeartbeat', () => {
  it('returns the member heartbeat payload with a future expiresAt and the member interval', async () => {
    const { group, domain, members } = await openGroup(clients, { members: 1 });
    const [member] = members;

    const beat = await member.client.call('sendMemberHeartbeat', { groupId: group.id, domain, nodeId: member.nodeId });

    expect(beat).toMatchObject({ nodeId: member.nodeId, groupId: group.id, domain, heartbeatIntervalSeconds: 120 });
    expect(beat.expiresAt).toMatch(ISO_MS);
    expect(Date.parse(beat.expiresAt)).toBeGreaterThan(Date.now());
  });

  it('of a group that does not exist fails with GroupNotFound', async () => {
    const client = await clients.open();

    await expect(
      client.call('sendMemberHeartbeat', { groupId: 'no-such-group', domain: uniqueDomain(), nodeId: uniqueId('m') }),
    ).rejects.toMatchObject({ errorType: 'GroupNotFound' });
  });

  it('of a node that is not in the group fails with NodeNotFound', async () => {
    const { group, domain } = await openGroup(clients);
    const stranger = await clients.open();

    await expect(
      stranger.call('sendMemberHeartbeat', { groupId: group.id, domain, nodeId: uniqueId('ghost') }),
    ).rejects.toMatchObject({ errorType: 'NodeNotFound' });
  });

  it('of a node that left fails with NodeNotFound', async () => {
    const { group, domain, members } = await openGroup(clients, { members: 1 });
    const [member] = members;
    await member.client.call('leaveGroup', { groupId: group.id, domain, nodeId: member.nodeId });

    await expect(
      member.client.call('sendMemberHeartbeat', { groupId: group.id, domain, nodeId: member.nodeId }),
    ).rejects.toMatchObject({ errorType: 'NodeNotFound' });
  });
});

describe('expiry on the short stack (heartbeat TTLs 3 s, intervals 1 s)', () => {
  it('tells hosts and members to beat every second', async () => {
    const { group, members } = await openGroup(clients, { members: 1, url: shortUrl() });

    expect(group.heartbeatIntervalSeconds).toBe(1);
    expect(members[0].node.heartbeatIntervalSeconds).toBe(1);
  });

  it('makes the group GroupNotFound for members once the host stops renewing for longer than the TTL', async () => {
    const { group, domain, members } = await openGroup(clients, { members: 1, url: shortUrl() });
    const [member] = members;
    const key = { groupId: group.id, domain, nodeId: member.nodeId };

    await sleep(4_000);

    await expect(member.client.call('sendMemberHeartbeat', key)).rejects.toMatchObject({ errorType: 'GroupNotFound' });
    await expect(
      member.client.call('reportDataByNode', { ...key, data: [{ key: 'k', value: 'v' }] }),
    ).rejects.toMatchObject({ errorType: 'GroupNotFound' });
    const newcomer = await clients.open(shortUrl());
    await expect(
      newcomer.call('joinGroup', { groupId: group.id, domain, nodeId: uniqueId('late') }),
    ).rejects.toMatchObject({ errorType: 'GroupNotFound' });
    expect(await newcomer.call('listGroupsByDomain', { domain })).toEqual([]);
  });

  it('keeps a renewing host and a beating member alive past the TTL, and drops a silent member (NodeNotFound, no more pushes)', async () => {
    const { group, domain, host, hostId, members } = await openGroup(clients, { members: 2, url: shortUrl() });
    const [beating, silent] = members;
    const hostBeats = keepBeating(() => host.call('renewHeartbeat', { groupId: group.id, domain, hostId }), 1_000);
    const memberBeats = keepBeating(
      () => beating.client.call('sendMemberHeartbeat', { groupId: group.id, domain, nodeId: beating.nodeId }),
      1_000,
    );

    await sleep(4_500);
    await Promise.all([hostBeats.stop(), memberBeats.stop()]);

    await expect(
      beating.client.call('sendMemberHeartbeat', { groupId: group.id, domain, nodeId: beating.nodeId }),
    ).resolves.toMatchObject({ nodeId: beating.nodeId });
    await expect(
      silent.client.call('sendMemberHeartbeat', { groupId: group.id, domain, nodeId: silent.nodeId }),
    ).rejects.toMatchObject({ errorType: 'NodeNotFound' });
    const nodes = await host.call('listNodesInGroup', { groupId: group.id, domain });
    expect(nodes.map((n) => n.id).sort()).toEqual([hostId, beating.nodeId].sort());
    expect((await host.call('listGroupsByDomain', { domain })).map((g) => g.id)).toEqual([group.id]);
    await host.call('reportDataByNode', {
      groupId: group.id,
      domain,
      nodeId: hostId,
      data: [{ key: 'k', value: 'v' }],
    });
    await expect(beating.client.nextPush((p) => p.from === hostId)).resolves.toMatchObject({ from: hostId });
    await silent.client.expectNoPush(500);
  });
});

describe('expiry by maxConnectionTimeSeconds', () => {
  it('makes a group created with maxConnectionTimeSeconds 2 gone after 2 s: not listed, not joinable', async () => {
    const domain = uniqueDomain();
    const hostId = uniqueId('host');
    const host = await clients.open();
    const group = await host.call('createGroup', { name: 'brief', hostId, domain, maxConnectionTimeSeconds: 2 });
    expect(Date.parse(group.expiresAt) - Date.parse(group.createdAt)).toBe(2_000);
    const member: ProtocolSocket = await clients.open();
    await member.call('joinGroup', { groupId: group.id, domain, nodeId: uniqueId('early') });

    await sleep(Math.max(0, Date.parse(group.expiresAt) - Date.now()) + 500);

    expect(await member.call('listGroupsByDomain', { domain })).toEqual([]);
    const late = await clients.open();
    await expect(late.call('joinGroup', { groupId: group.id, domain, nodeId: uniqueId('late') })).rejects.toMatchObject(
      {
        errorType: 'GroupNotFound',
      },
    );
    await expect(host.call('renewHeartbeat', { groupId: group.id, domain, hostId })).rejects.toMatchObject({
      errorType: 'GroupNotFound',
    });
  });

  it('lets the host create a new group in the domain once its group expired', async () => {
    const domain = uniqueDomain();
    const hostId = uniqueId('host');
    const first = await clients.open();
    const expired = await first.call('createGroup', { name: 'brief', hostId, domain, maxConnectionTimeSeconds: 1 });
    await sleep(Math.max(0, Date.parse(expired.expiresAt) - Date.now()) + 300);

    const second = await clients.open();
    const fresh = await second.call('createGroup', { name: 'again', hostId, domain });

    expect(fresh.id).not.toBe(expired.id);
    expect((await second.call('listGroupsByDomain', { domain })).map((g) => g.id)).toEqual([fresh.id]);
  });
});
