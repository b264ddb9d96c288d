/**
 * dissolveGroup: host only, every member hears it exactly once, and the group
 * is gone for every later operation.
 */
import type { Push } from '#shared/protocol/index';
import type { ProtocolSocket } from '#tools/protocol-socket';
import { openGroup, uniqueDomain, uniqueId, useClients } from '../ws-client';

jest.setTimeout(30_000);

const clients = useClients();
const isDissolve = (p: Push) => 'groupDissolve' in p;

describe('dissolveGroup', () => {
  it('by the host of a group with members: replies groupDissolve and each member receives exactly one groupDissolve push', async () => {
    const { group, domain, host, hostId, members } = await openGroup(clients, { members: 2 });

    const message = await host.call('dissolveGroup', { groupId: group.id, domain, hostId });

    expect(message).toMatchObject({ groupId: group.id, domain, groupDissolve: { groupId: group.id, domain } });
    expect(typeof message.groupDissolve?.message).toBe('string');
    for (const member of members) {
      const push = await member.client.nextPush(isDissolve);
      expect(push).toMatchObject({
        type: 'message',
        groupId: group.id,
        domain,
        from: hostId,
        groupDissolve: { groupId: group.id, domain },
      });
    }
    // Exactly one each, and none back to the host.
    await Promise.all(members.map((m) => m.client.expectNoPush(1_000, isDissolve)));
    expect(host.pushes.filter((p) => !('nodePresence' in p && p.nodePresence.change === 'joined'))).toEqual([]);
  });

  it('sent twice at once by the host: one succeeds, the other answers GroupNotFound, and each member gets exactly one groupDissolve', async () => {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const { group, domain, host, hostId, members } = await openGroup(clients, { members: 2 });
      const request = { groupId: group.id, domain, hostId };

      const replies = await Promise.all([host.reply('dissolveGroup', request), host.reply('dissolveGroup', request)]);

      expect(replies.map((reply) => reply.type).sort()).toEqual(['error', 'result']);
      const refused = replies.find((reply) => reply.type === 'error');
      expect(refused).toMatchObject({ errorType: 'GroupNotFound' });
      for (const member of members) await member.client.nextPush(isDissolve);
      await Promise.all(members.map((m) => m.client.expectNoPush(1_000, isDissolve)));
    }
  });

  it('removes the group, its nodes and their status', async () => {
    const { group, domain, host, hostId, members } = await openGroup(clients, { members: 1 });
    await members[0].client.call('reportDataByNode', {
      groupId: group.id,
      domain,
      nodeId: members[0].nodeId,
      data: [{ key: 'k', value: 'v' }],
    });

    await host.call('dissolveGroup', { groupId: group.id, domain, hostId });

    const observer = await clients.open();
    expect(await observer.call('listGroupsByDomain', { domain })).toEqual([]);
    await expectNoGroupData(observer, group.id, domain);
    const status = await observer.reply('getNodeStatus', { nodeId: members[0].nodeId, groupId: group.id, domain });
    if (status.type === 'error') expect(status.errorType).toBe('GroupNotFound');
    else expect(status.data).toBeNull();
  });

  it('by a member (not the host) is refused with Unauthorized and the group lives on', async () => {
    const { group, domain, host, hostId, members } = await openGroup(clients, { members: 1 });
    const [member] = members;

    await expect(
      member.client.call('dissolveGroup', { groupId: group.id, domain, hostId: member.nodeId }),
    ).rejects.toMatchObject({ errorType: 'Unauthorized' });
    await expect(member.client.call('dissolveGroup', { groupId: group.id, domain, hostId })).rejects.toMatchObject({
      errorType: 'Unauthorized',
    });

    expect((await host.call('listGroupsByDomain', { domain })).map((g) => g.id)).toEqual([group.id]);
    await member.client.expectNoPush(500, isDissolve);
  });

  it('by a connection with no node is refused with Unauthorized', async () => {
    const { group, domain, hostId } = await openGroup(clients);
    const stranger = await clients.open();

    await expect(stranger.call('dissolveGroup', { groupId: group.id, domain, hostId })).rejects.toMatchObject({
      errorType: 'Unauthorized',
    });
  });

  it('of a group that does not exist fails with GroupNotFound', async () => {
    const client = await clients.open();

    await expect(
      client.call('dissolveGroup', { groupId: 'no-such-group', domain: uniqueDomain(), hostId: uniqueId('host') }),
    ).rejects.toMatchObject({ errorType: 'GroupNotFound' });
  });

  it('twice fails the second time with GroupNotFound', async () => {
    const { group, domain, host, hostId } = await openGroup(clients);
    await host.call('dissolveGroup', { groupId: group.id, domain, hostId });

    await expect(host.call('dissolveGroup', { groupId: group.id, domain, hostId })).rejects.toMatchObject({
      errorType: 'GroupNotFound',
    });
  });

  it('makes every later operation on the group fail with GroupNotFound', async () => {
    const { group, domain, host, hostId, members } = await openGroup(clients, { members: 1 });
    const [member] = members;
    await host.call('dissolveGroup', { groupId: group.id, domain, hostId });
    const key = { groupId: group.id, domain };
    const newcomer = await clients.open();

    const attempts: [string, Promise<unknown>][] = [
      ['joinGroup (new node)', newcomer.call('joinGroup', { ...key, nodeId: uniqueId('late') })],
      ['leaveGroup', member.client.call('leaveGroup', { ...key, nodeId: member.nodeId })],
      ['dissolveGroup', host.call('dissolveGroup', { ...key, hostId })],
      ['renewHeartbeat', host.call('renewHeartbeat', { ...key, hostId })],
      ['sendMemberHeartbeat', member.client.call('sendMemberHeartbeat', { ...key, nodeId: member.nodeId })],
      [
        'reportDataByNode (member)',
        member.client.call('reportDataByNode', { ...key, nodeId: member.nodeId, data: [{ key: 'k', value: 'v' }] }),
      ],
      [
        'reportDataByNode (host)',
        host.call('reportDataByNode', { ...key, nodeId: hostId, data: [{ key: 'k', value: 'v' }] }),
      ],
      [
        'fireEventsByNode',
        member.client.call('fireEventsByNode', {
          ...key,
          nodeId: member.nodeId,
          events: [{ eventName: 'e', firedAt: new Date().toISOString() }],
        }),
      ],
    ];

    for (const [name, attempt] of attempts) {
      await expect(attempt.then(() => `${name} succeeded`)).rejects.toMatchObject({ errorType: 'GroupNotFound' });
    }
    await expectNoGroupData(newcomer, group.id, domain);
  });

  it('works with multibyte status data (Japanese, emoji, Chinese, Korean) and members see it intact first', async () => {
    const { group, domain, host, hostId, members } = await openGroup(clients, {
      members: 1,
      name: '多言語グループ 🌏',
    });
    const [member] = members;
    const data = [
      { key: '温度', value: '二十五度' },
      { key: '絵文字🎉', value: '😀👍🏽👨‍👩‍👧‍👦' },
      { key: '中文键', value: '你好，世界' },
      { key: '한국어', value: '안녕하세요 세계' },
    ];

    await host.call('reportDataByNode', { groupId: group.id, domain, nodeId: hostId, data });
    const statusPush = await member.client.nextPush((p) => 'nodeStatus' in p);
    const statuses = await member.client.call('listGroupStatuses', { groupId: group.id, domain });
    const dissolved = await host.call('dissolveGroup', { groupId: group.id, domain, hostId });

    expect('nodeStatus' in statusPush && statusPush.nodeStatus.data).toEqual(data);
    expect(statuses).toHaveLength(1);
    expect(sortByKey(statuses[0].data)).toEqual(sortByKey(data));
    expect(dissolved.groupDissolve).toMatchObject({ groupId: group.id, domain });
    await expect(member.client.nextPush(isDissolve)).resolves.toMatchObject({ groupId: group.id });
    await expectNoGroupData(host, group.id, domain);
  });
});

function sortByKey<T extends { key: string }>(entries: T[]): T[] {
  return [...entries].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Queries on a gone group may answer GroupNotFound or an empty list; either
 * way none of its nodes or status may show.
 */
async function expectNoGroupData(client: ProtocolSocket, groupId: string, domain: string): Promise<void> {
  for (const action of ['listNodesInGroup', 'listGroupStatuses']) {
    const reply = await client.reply(action, { groupId, domain });
    if (reply.type === 'error') expect(reply.errorType).toBe('GroupNotFound');
    else expect(reply.data).toEqual([]);
  }
}
