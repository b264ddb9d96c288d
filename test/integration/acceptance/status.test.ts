/**
 * reportDataByNode and the status queries: getNodeStatus and
 * listGroupStatuses return each node's merged map, latest value per key.
 */
import type { StatusEntry } from '#shared/protocol/index';
import { openGroup, uniqueId, useClients } from '../ws-client';

jest.setTimeout(30_000);

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const clients = useClients();

function byKey(entries: StatusEntry[]): Record<string, string> {
  return Object.fromEntries(entries.map((e) => [e.key, e.value]));
}

describe('reportDataByNode', () => {
  it('replies a MeshMessage carrying the nodeStatus it reported', async () => {
    const { group, domain, members } = await openGroup(clients, { members: 1 });
    const [member] = members;
    const data = [
      { key: 'x', value: '10' },
      { key: 'y', value: '-3.5' },
    ];

    const message = await member.client.call('reportDataByNode', {
      groupId: group.id,
      domain,
      nodeId: member.nodeId,
      data,
    });

    expect(message).toMatchObject({
      groupId: group.id,
      domain,
      nodeStatus: { nodeId: member.nodeId, groupId: group.id, domain, data },
    });
    expect(message.nodeStatus?.timestamp).toMatch(ISO_MS);
    expect(message.batchEvent ?? null).toBeNull();
  });

  it('accepts an empty string as a value', async () => {
    const { group, domain, host, hostId } = await openGroup(clients);

    await host.call('reportDataByNode', {
      groupId: group.id,
      domain,
      nodeId: hostId,
      data: [{ key: 'blank', value: '' }],
    });

    const status = await host.call('getNodeStatus', { nodeId: hostId, groupId: group.id, domain });
    expect(status?.data).toEqual([{ key: 'blank', value: '' }]);
  });
});

describe('getNodeStatus and listGroupStatuses', () => {
  it('read back what several nodes reported', async () => {
    const { group, domain, host, hostId, members } = await openGroup(clients, { members: 2 });
    const reports: [typeof host, string, StatusEntry[]][] = [
      [host, hostId, [{ key: 'role', value: 'host' }]],
      [
        members[0].client,
        members[0].nodeId,
        [
          { key: 'score', value: '1' },
          { key: 'level', value: '3' },
        ],
      ],
      [members[1].client, members[1].nodeId, [{ key: 'score', value: '7' }]],
    ];
    for (const [client, nodeId, data] of reports) {
      await client.call('reportDataByNode', { groupId: group.id, domain, nodeId, data });
    }
    const reader = await clients.open();

    const statuses = await reader.call('listGroupStatuses', { groupId: group.id, domain });

    expect(statuses).toHaveLength(3);
    for (const [, nodeId, data] of reports) {
      const status = statuses.find((s) => s.nodeId === nodeId);
      expect(status).toMatchObject({ nodeId, groupId: group.id, domain });
      expect(byKey(status!.data)).toEqual(byKey(data));
      expect(status!.timestamp).toMatch(ISO_MS);
      const single = await reader.call('getNodeStatus', { nodeId, groupId: group.id, domain });
      expect(single).toEqual(status);
    }
  });

  it('listGroupStatuses of a group where nobody reported is an empty list', async () => {
    const { group, domain, host } = await openGroup(clients, { members: 1 });

    expect(await host.call('listGroupStatuses', { groupId: group.id, domain })).toEqual([]);
  });

  it('getNodeStatus of a node that never reported, or is unknown, is null', async () => {
    const { group, domain, host, members } = await openGroup(clients, { members: 1 });

    expect(await host.call('getNodeStatus', { nodeId: members[0].nodeId, groupId: group.id, domain })).toBeNull();
    expect(await host.call('getNodeStatus', { nodeId: uniqueId('ghost'), groupId: group.id, domain })).toBeNull();
  });

  it("getNodeStatus without groupId and domain reads the caller's own group", async () => {
    const { group, domain, members } = await openGroup(clients, { members: 2 });
    const [reporter, reader] = members;
    await reporter.client.call('reportDataByNode', {
      groupId: group.id,
      domain,
      nodeId: reporter.nodeId,
      data: [{ key: 'k', value: 'v' }],
    });

    const status = await reader.client.call('getNodeStatus', { nodeId: reporter.nodeId });

    expect(status).toMatchObject({
      nodeId: reporter.nodeId,
      groupId: group.id,
      domain,
      data: [{ key: 'k', value: 'v' }],
    });
  });
});

describe('merged status', () => {
  it('reads the full map after two reports with different keys, while each push carries only its delta', async () => {
    const { group, domain, host, members } = await openGroup(clients, { members: 1 });
    const [member] = members;
    const report = (data: StatusEntry[]) =>
      member.client.call('reportDataByNode', { groupId: group.id, domain, nodeId: member.nodeId, data });

    await report([
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
    ]);
    await report([
      { key: 'b', value: '3' },
      { key: 'c', value: '4' },
    ]);

    // Seq 1 was the member's join.
    const first = await host.nextPush((p) => p.from === member.nodeId && p.seq === 2);
    const second = await host.nextPush((p) => p.from === member.nodeId && p.seq === 3);
    expect('nodeStatus' in first && byKey(first.nodeStatus.data)).toEqual({ a: '1', b: '2' });
    expect('nodeStatus' in second && byKey(second.nodeStatus.data)).toEqual({ b: '3', c: '4' });
    const status = await host.call('getNodeStatus', { nodeId: member.nodeId, groupId: group.id, domain });
    expect(byKey(status!.data)).toEqual({ a: '1', b: '3', c: '4' });
    const [listed] = await host.call('listGroupStatuses', { groupId: group.id, domain });
    expect(byKey(listed.data)).toEqual({ a: '1', b: '3', c: '4' });
  });

  it('keeps the last value when one report repeats a key', async () => {
    const { group, domain, host, hostId } = await openGroup(clients);

    await host.call('reportDataByNode', {
      groupId: group.id,
      domain,
      nodeId: hostId,
      data: [
        { key: 'k', value: 'first' },
        { key: 'k', value: 'last' },
      ],
    });

    const status = await host.call('getNodeStatus', { nodeId: hostId, groupId: group.id, domain });
    expect(byKey(status!.data)).toEqual({ k: 'last' });
  });
});

describe('paging of listNodesInGroup and listGroupStatuses', () => {
  it('returns every node, following nextToken until it is absent', async () => {
    const { group, domain, host, hostId, members } = await openGroup(clients, { members: 3 });
    const expected = [hostId, ...members.map((m) => m.nodeId)].sort();

    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const reply = await host.reply('listNodesInGroup', {
        groupId: group.id,
        domain,
        ...(nextToken ? { nextToken } : {}),
      });
      if (reply.type !== 'result') throw new Error(`listNodesInGroup failed: ${JSON.stringify(reply)}`);
      seen.push(...(reply.data as { id: string }[]).map((n) => n.id));
      nextToken = reply.nextToken;
    } while (nextToken);

    expect(seen.sort()).toEqual(expected);
  });
});
