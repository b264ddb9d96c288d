/**
 * Pushes: every other member of the group receives them, the sender does not,
 * no other group does, and each carries from / epoch / seq so receivers can
 * restore each sender's order.
 */
import type { Push } from '#shared/protocol/index';
import type { ProtocolSocket } from '#tools/protocol-socket';
import { openGroup, sleep, useClients } from '../ws-client';

jest.setTimeout(30_000);

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const clients = useClients();

describe('pushes', () => {
  it('deliver a nodeStatus to every other member (host included) and not to the sender', async () => {
    const { group, domain, host, members } = await openGroup(clients, { members: 2 });
    const [sender, other] = members;
    const data = [{ key: 'x', value: '1' }];

    await sender.client.call('reportDataByNode', { groupId: group.id, domain, nodeId: sender.nodeId, data });

    for (const receiver of [host, other.client]) {
      const push = await receiver.nextPush();
      expect(push).toMatchObject({
        type: 'message',
        groupId: group.id,
        domain,
        from: sender.nodeId,
        seq: 2, // seq 1 was its join (taken by openGroup)
        nodeStatus: { nodeId: sender.nodeId, groupId: group.id, domain, data },
      });
      expect(typeof push.epoch).toBe('string');
      expect(push.sentAt).toMatch(ISO_MS);
      expect('batchEvent' in push || 'groupDissolve' in push).toBe(false);
    }
    await sender.client.expectNoPush(1_000);
  });

  it('deliver a batchEvent to every other member and not to the sender', async () => {
    const { group, domain, host, hostId, members } = await openGroup(clients, { members: 2 });
    const firedAt = new Date().toISOString();

    await host.call('fireEventsByNode', {
      groupId: group.id,
      domain,
      nodeId: hostId,
      events: [{ eventName: 'go', payload: 'now', firedAt }],
    });

    for (const member of members) {
      await expect(member.client.nextPush()).resolves.toMatchObject({
        from: hostId,
        batchEvent: { firedByNodeId: hostId, events: [{ name: 'go', payload: 'now', timestamp: firedAt }] },
      });
    }
    await host.expectNoPush(1_000);
  });

  it('never cross to another group, even in the same domain', async () => {
    const a = await openGroup(clients, { members: 1 });
    const b = await openGroup(clients, { members: 1, domain: a.domain });

    await a.members[0].client.call('reportDataByNode', {
      groupId: a.group.id,
      domain: a.domain,
      nodeId: a.members[0].nodeId,
      data: [{ key: 'secret', value: 'a-only' }],
    });
    await a.host.call('fireEventsByNode', {
      groupId: a.group.id,
      domain: a.domain,
      nodeId: a.hostId,
      events: [{ eventName: 'a-only', firedAt: new Date().toISOString() }],
    });
    await a.host.call('dissolveGroup', { groupId: a.group.id, domain: a.domain, hostId: a.hostId });

    await expect(a.members[0].client.nextPush((p) => 'groupDissolve' in p)).resolves.toMatchObject({
      groupId: a.group.id,
    });
    await Promise.all([b.host.expectNoPush(500), b.members[0].client.expectNoPush(500)]);
  });

  it('carry from / epoch / seq: consecutive seqs per sender across reports and event batches, one epoch', async () => {
    const { group, domain, host, members } = await openGroup(clients, { members: 2 });
    const [a, b] = members;
    const key = { groupId: group.id, domain };
    for (let i = 0; i < 3; i++) {
      await a.client.call('reportDataByNode', { ...key, nodeId: a.nodeId, data: [{ key: 'i', value: String(i) }] });
      await b.client.call('fireEventsByNode', {
        ...key,
        nodeId: b.nodeId,
        events: [{ eventName: `b${i}`, firedAt: new Date().toISOString() }],
      });
    }
    await a.client.call('fireEventsByNode', {
      ...key,
      nodeId: a.nodeId,
      events: [{ eventName: 'a-last', firedAt: new Date().toISOString() }],
    });

    const fromA = await collect(host, (p) => p.from === a.nodeId, 4);
    const fromB = await collect(host, (p) => p.from === b.nodeId, 3);

    // Seq 1 of each member was its join (taken by openGroup).
    expect(fromA.map((p) => p.seq).sort((x, y) => x - y)).toEqual([2, 3, 4, 5]);
    expect(fromB.map((p) => p.seq).sort((x, y) => x - y)).toEqual([2, 3, 4]);
    expect(new Set(fromA.map((p) => p.epoch)).size).toBe(1);
    expect(new Set(fromB.map((p) => p.epoch)).size).toBe(1);
    // Restoring order by seq gives the order the sender acted in.
    const aInOrder = [...fromA].sort((x, y) => x.seq - y.seq);
    expect(aInOrder.map((p) => ('nodeStatus' in p ? p.nodeStatus.data[0].value : 'batch'))).toEqual([
      '0',
      '1',
      '2',
      'batch',
    ]);
  });

  it('keep up with 15 reports/s for a group for 2 s: every report accepted and pushed to every other member', async () => {
    const { group, domain, host, hostId, members } = await openGroup(clients, { members: 2 });
    const senders = [{ client: host, nodeId: hostId }, ...members.map((m) => ({ client: m.client, nodeId: m.nodeId }))];
    const perSender = 10; // 3 senders × 5 reports/s × 2 s = 15 reports/s for the group
    const replies: Promise<unknown>[] = [];

    const startedAt = Date.now();
    for (let i = 0; i < perSender; i++) {
      for (const sender of senders) {
        replies.push(
          sender.client.call('reportDataByNode', {
            groupId: group.id,
            domain,
            nodeId: sender.nodeId,
            data: [{ key: 'tick', value: String(i) }],
          }),
        );
      }
      await sleep(Math.max(0, startedAt + (i + 1) * 200 - Date.now()));
    }
    await Promise.all(replies);

    for (const receiver of senders) {
      for (const sender of senders.filter((s) => s !== receiver)) {
        const pushes = await collect(receiver.client, (p) => p.from === sender.nodeId, perSender);
        // A member's seq 1 was its join (taken by openGroup); the host has no join push.
        const first = sender.nodeId === hostId ? 1 : 2;
        expect(distinct(pushes.map((p) => p.seq))).toEqual(Array.from({ length: perSender }, (_, i) => i + first));
      }
      expect(receiver.client.pushes.filter((p) => p.from === receiver.nodeId)).toEqual([]);
      expect(receiver.client.invalidFrames).toEqual([]);
    }
  });
});

/** Takes `count` pushes matching `predicate` (distinct by from/epoch/seq, so a duplicate delivery is not counted twice). */
async function collect(client: ProtocolSocket, predicate: (p: Push) => boolean, count: number): Promise<Push[]> {
  const seen = new Map<string, Push>();
  while (seen.size < count) {
    const push = await client.nextPush(predicate);
    seen.set(`${push.from}/${push.epoch}/${push.seq}`, push);
  }
  return [...seen.values()];
}

function distinct(values: number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}
