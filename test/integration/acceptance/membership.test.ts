/**
 * joinGroup, leaveGroup, listNodesInGroup and the identity rules a WebSocket
 * connection brings: a connection acts as one node of one group.
 */
import { openGroup, uniqueDomain, uniqueId, useClients } from '../ws-client';

jest.setTimeout(30_000);

const clients = useClients();

describe('joinGroup', () => {
  it("returns the Node with the group's expiresAt and the member heartbeat interval", async () => {
    const { group, domain } = await openGroup(clients);
    const member = await clients.open();
    const nodeId = uniqueId('member');

    const node = await member.call('joinGroup', { groupId: group.id, domain, nodeId });

    expect(node).toMatchObject({ id: nodeId, groupId: group.id, domain, expiresAt: group.expiresAt });
    // Mesh v2's default member heartbeat interval.
    expect(node.heartbeatIntervalSeconds).toBe(120);
    expect(typeof node.name).toBe('string');
  });

  it('refuses a group that does not exist with GroupNotFound', async () => {
    const member = await clients.open();

    await expect(
      member.call('joinGroup', { groupId: 'no-such-group', domain: uniqueDomain(), nodeId: uniqueId('member') }),
    ).rejects.toMatchObject({ errorType: 'GroupNotFound' });
  });

  it('refuses a group id from another domain with GroupNotFound', async () => {
    const { group } = await openGroup(clients);
    const member = await clients.open();

    await expect(
      member.call('joinGroup', { groupId: group.id, domain: uniqueDomain(), nodeId: uniqueId('member') }),
    ).rejects.toMatchObject({ errorType: 'GroupNotFound' });
  });

  it('adds the node to listNodesInGroup next to the host', async () => {
    const { group, domain, host, hostId, members } = await openGroup(clients, { members: 2 });

    const nodes = await host.call('listNodesInGroup', { groupId: group.id, domain });

    expect(nodes.map((n) => n.id).sort()).toEqual([hostId, ...members.map((m) => m.nodeId)].sort());
    for (const node of nodes) expect(node).toMatchObject({ groupId: group.id, domain });
  });

  it('is open to any connection for listNodesInGroup (a query, as in Mesh v2)', async () => {
    const { group, domain, hostId } = await openGroup(clients);
    const stranger = await clients.open();

    const nodes = await stranger.call('listNodesInGroup', { groupId: group.id, domain });

    expect(nodes.map((n) => n.id)).toEqual([hostId]);
  });
});

describe('leaveGroup', () => {
  it('removes the node and its status data, with Japanese keys', async () => {
    const { group, domain, host, members } = await openGroup(clients, { members: 2 });
    const [leaver, stayer] = members;
    await leaver.client.call('reportDataByNode', {
      groupId: group.id,
      domain,
      nodeId: leaver.nodeId,
      data: [
        { key: '温度', value: '25度' },
        { key: 'スコア', value: '百' },
      ],
    });

    const left = await leaver.client.call('leaveGroup', { groupId: group.id, domain, nodeId: leaver.nodeId });

    expect(left).toMatchObject({ peerId: leaver.nodeId, groupId: group.id, domain });
    expect(typeof left.message).toBe('string');
    const nodes = await host.call('listNodesInGroup', { groupId: group.id, domain });
    expect(nodes.map((n) => n.id)).not.toContain(leaver.nodeId);
    expect(nodes.map((n) => n.id)).toContain(stayer.nodeId);
    const statuses = await host.call('listGroupStatuses', { groupId: group.id, domain });
    expect(statuses.map((s) => s.nodeId)).not.toContain(leaver.nodeId);
    expect(await host.call('getNodeStatus', { nodeId: leaver.nodeId, groupId: group.id, domain })).toBeNull();
  });

  it('stops pushes to the node that left', async () => {
    const { group, domain, host, hostId, members } = await openGroup(clients, { members: 1 });
    const [leaver] = members;
    await leaver.client.call('leaveGroup', { groupId: group.id, domain, nodeId: leaver.nodeId });

    await host.call('reportDataByNode', {
      groupId: group.id,
      domain,
      nodeId: hostId,
      data: [{ key: 'k', value: 'v' }],
    });

    await leaver.client.expectNoPush(1_000);
  });

  it('refuses a group that does not exist with GroupNotFound', async () => {
    const client = await clients.open();

    await expect(
      client.call('leaveGroup', { groupId: 'no-such-group', domain: uniqueDomain(), nodeId: uniqueId('member') }),
    ).rejects.toMatchObject({ errorType: 'GroupNotFound' });
  });

  it('refuses a node that is not in the group with NodeNotFound', async () => {
    const { group, domain } = await openGroup(clients);
    const stranger = await clients.open();

    await expect(
      stranger.call('leaveGroup', { groupId: group.id, domain, nodeId: uniqueId('ghost') }),
    ).rejects.toMatchObject({ errorType: 'NodeNotFound' });
  });

  it('refuses the host leaving its group (it dissolves instead) and keeps the group', async () => {
    const { group, domain, host, hostId } = await openGroup(clients);

    await expect(host.call('leaveGroup', { groupId: group.id, domain, nodeId: hostId })).rejects.toMatchObject({
      errorType: 'ValidationError',
    });
    expect((await host.call('listGroupsByDomain', { domain })).map((g) => g.id)).toEqual([group.id]);
  });

  it('lets a node that left join again, as a new node (new epoch, seq from 1: its join)', async () => {
    const { group, domain, host, members } = await openGroup(clients, { members: 1 });
    const [member] = members;
    const report = () =>
      member.client.call('reportDataByNode', {
        groupId: group.id,
        domain,
        nodeId: member.nodeId,
        data: [{ key: 'k', value: 'v' }],
      });
    await report();
    const firstLife = await host.nextPush((p) => p.from === member.nodeId);
    await member.client.call('leaveGroup', { groupId: group.id, domain, nodeId: member.nodeId });

    await member.client.call('joinGroup', { groupId: group.id, domain, nodeId: member.nodeId });
    await report();
    // The leave and the second life's join may share a round: two epochs of one id have no order between them.
    const left = await host.nextPush((p) => p.from === member.nodeId && p.epoch === firstLife.epoch);
    const secondLife = await host.nextPush((p) => p.from === member.nodeId && p.epoch !== firstLife.epoch);

    // The first life: its join (seq 1, taken by openGroup), its report, its leave.
    expect(firstLife).toMatchObject({ seq: 2, nodeStatus: { nodeId: member.nodeId } });
    expect(left).toMatchObject({ seq: 3, epoch: firstLife.epoch, nodePresence: { change: 'left' } });
    expect(secondLife).toMatchObject({ seq: 1, nodePresence: { change: 'joined' } });
  });
});

describe('identity of a connection', () => {
  it("refuses a request naming another node's nodeId with Unauthorized, for every node action", async () => {
    const { group, domain, host, hostId, members } = await openGroup(clients, { members: 2 });
    const [impostor, victim] = members;
    const key = { groupId: group.id, domain, nodeId: victim.nodeId };

    await expect(
      impostor.client.call('reportDataByNode', { ...key, data: [{ key: 'k', value: 'forged' }] }),
    ).rejects.toMatchObject({ errorType: 'Unauthorized' });
    await expect(
      impostor.client.call('fireEventsByNode', {
        ...key,
        events: [{ eventName: 'forged', firedAt: new Date().toISOString() }],
      }),
    ).rejects.toMatchObject({ errorType: 'Unauthorized' });
    await expect(impostor.client.call('sendMemberHeartbeat', key)).rejects.toMatchObject({
      errorType: 'Unauthorized',
    });
    await expect(impostor.client.call('leaveGroup', key)).rejects.toMatchObject({ errorType: 'Unauthorized' });
    await expect(
      impostor.client.call('reportDataByNode', {
        groupId: group.id,
        domain,
        nodeId: hostId,
        data: [{ key: 'k', value: 'forged' }],
      }),
    ).rejects.toMatchObject({ errorType: 'Unauthorized' });

    // Nothing changed: the victim is still there, nobody got a forged push, no status was written.
    const nodes = await host.call('listNodesInGroup', { groupId: group.id, domain });
    expect(nodes.map((n) => n.id)).toContain(victim.nodeId);
    expect(await host.call('listGroupStatuses', { groupId: group.id, domain })).toEqual([]);
    await host.expectNoPush(500);
    await victim.client.expectNoPush(0);
  });

  it('refuses a connection that has no node naming a node of the group with Unauthorized', async () => {
    const { group, domain, members } = await openGroup(clients, { members: 1 });
    const stranger = await clients.open();

    await expect(
      stranger.call('reportDataByNode', {
        groupId: group.id,
        domain,
        nodeId: members[0].nodeId,
        data: [{ key: 'k', value: 'forged' }],
      }),
    ).rejects.toMatchObject({ errorType: 'Unauthorized' });
  });

  it('moves a node to a new connection that joins as it with its nodeToken: the old connection loses it and its pushes', async () => {
    const { group, domain, host, hostId, members } = await openGroup(clients, { members: 1 });
    const [member] = members;
    const successor = await clients.open();

    await successor.call('joinGroup', {
      groupId: group.id,
      domain,
      nodeId: member.nodeId,
      nodeToken: member.node.nodeToken,
    });

    await expect(
      member.client.call('reportDataByNode', {
        groupId: group.id,
        domain,
        nodeId: member.nodeId,
        data: [{ key: 'stale', value: 'connection' }],
      }),
    ).rejects.toMatchObject({ errorType: 'Unauthorized' });
    await host.call('reportDataByNode', {
      groupId: group.id,
      domain,
      nodeId: hostId,
      data: [{ key: 'k', value: 'v' }],
    });
    await expect(successor.nextPush((p) => p.from === hostId)).resolves.toMatchObject({ from: hostId });
    await member.client.expectNoPush(500);
  });

  it('allows one group per connection: a member of one group cannot join another', async () => {
    const first = await openGroup(clients, { members: 1 });
    const second = await openGroup(clients);
    const [member] = first.members;

    const reply = await member.client.reply('joinGroup', {
      groupId: second.group.id,
      domain: second.domain,
      nodeId: uniqueId('second'),
    });

    expect(reply).toMatchObject({ type: 'error', errorType: 'ValidationError' });
    const nodes = await second.host.call('listNodesInGroup', { groupId: second.group.id, domain: second.domain });
    expect(nodes.map((n) => n.id)).toEqual([second.hostId]);
  });

  it('allows one group per connection: a host cannot create a second group', async () => {
    const { host, domain } = await openGroup(clients);

    const reply = await host.reply('createGroup', { name: 'second', hostId: uniqueId('host'), domain });

    expect(reply).toMatchObject({ type: 'error', errorType: 'ValidationError' });
    expect(await host.call('listGroupsByDomain', { domain })).toHaveLength(1);
  });
});

describe('a closed connection ($disconnect)', () => {
  it('keeps the node in the group and lets a new connection rejoin as it (with its nodeToken) and report, continuing its seq', async () => {
    const { group, domain, host, members } = await openGroup(clients, { members: 1 });
    const [member] = members;
    const report = (client: typeof member.client, value: string) =>
      client.call('reportDataByNode', {
        groupId: group.id,
        domain,
        nodeId: member.nodeId,
        data: [{ key: 'k', value }],
      });
    await report(member.client, 'before');
    const beforePush = await host.nextPush((p) => p.from === member.nodeId);

    await member.client.close();
    // $disconnect runs asynchronously after the close; the node must stay either way.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const nodes = await host.call('listNodesInGroup', { groupId: group.id, domain });
    expect(nodes.map((n) => n.id)).toContain(member.nodeId);

    const reconnected = await clients.open();
    const node = await reconnected.call('joinGroup', {
      groupId: group.id,
      domain,
      nodeId: member.nodeId,
      nodeToken: member.node.nodeToken,
    });
    expect(node.id).toBe(member.nodeId);
    await report(reconnected, 'after');
    const afterPush = await host.nextPush((p) => p.from === member.nodeId);

    expect(afterPush.epoch).toBe(beforePush.epoch);
    expect(afterPush.seq).toBe(beforePush.seq + 1);
    expect(await host.call('getNodeStatus', { nodeId: member.nodeId, groupId: group.id, domain })).toMatchObject({
      data: [{ key: 'k', value: 'after' }],
    });
  });

  it('stops pushes to the closed connection but keeps delivering to the others', async () => {
    const { group, domain, hostId, host, members } = await openGroup(clients, { members: 2 });
    const [gone, stays] = members;
    await gone.client.close();

    await host.call('reportDataByNode', {
      groupId: group.id,
      domain,
      nodeId: hostId,
      data: [{ key: 'k', value: 'v' }],
    });

    await expect(stays.client.nextPush((p) => p.from === hostId)).resolves.toMatchObject({ from: hostId });
  });
});
