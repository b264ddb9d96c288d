/**
 * Counts, in the local stack, the DynamoDB calls (by operation), SNS publish
 * requests and PostToConnection calls each action makes, in a group of a host
 * and two members; asserts the hot path and prints the whole table for the
 * docs. The counters are the stack's own (local/stats.ts), reset before
 * each action and read once the fan-out has settled.
 */
import type { Push } from '#shared/protocol/messages';
import type { ProtocolSocket } from '#tools/protocol-socket';
import { type CallCounts, callCounts, resetStats, settledStats } from '../stats';
import { openGroup, uniqueDomain, uniqueId, useClients } from '../ws-client';

jest.setTimeout(60_000);

const clients = useClients();

interface Row {
  action: string;
  note: string;
  counts: CallCounts;
}

/**
 * Resets the counters, runs `work` and reads them once they stop moving. A
 * reply is sent only after the request handler returned, and `work` waits for
 * the pushes it causes, so a short quiet period suffices.
 */
async function measure(rows: Row[], action: string, note: string, work: () => Promise<unknown>): Promise<CallCounts> {
  await resetStats();
  await work();
  const counts = callCounts(await settledStats({ quietMs: 150 }));
  rows.push({ action, note, counts });
  return counts;
}

function formatDynamo(byOperation: Record<string, number>): string {
  const entries = Object.entries(byOperation).filter(([, n]) => n > 0);
  if (entries.length === 0) return '0';
  return entries
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([operation, n]) => `${n} ${operation}`)
    .join(' + ');
}

function formatTable(rows: Row[]): string {
  const lines = [
    '| action | case | DynamoDB calls | SNS publish requests (messages) | PostToConnection | Lambda invocations |',
    '|---|---|---|---|---|---|',
  ];
  for (const { action, note, counts } of rows) {
    const invocations = Object.entries(counts.invocations)
      .map(([fn, n]) => `${fn} ${n}`)
      .join(', ');
    lines.push(
      `| ${action} | ${note} | ${formatDynamo(counts.dynamodb)} (${counts.dynamodbTotal}) | ` +
        `${counts.snsRequests} (${counts.snsEntries}) | ${counts.postToConnection} | ${invocations} |`,
    );
  }
  return lines.join('\n');
}

describe('calls per action (host + 2 members)', () => {
  it('keep a lone push to 2 UpdateItem (node, log append) + 1 flush request, and a claim, 1 Query and 1 release in the flush + one post per other member', async () => {
    const rows: Row[] = [];
    const domain = uniqueDomain();
    const hostId = uniqueId('host');
    let host!: ProtocolSocket;
    // Let the $disconnects of earlier tests finish before counting.
    await settledStats();

    await measure(rows, '$connect', 'open a connection', async () => {
      host = await clients.open();
    });
    await measure(rows, 'createDomain', '', () => host.call('createDomain', {}));
    const group = await (async () => {
      let created!: Awaited<ReturnType<typeof host.call<'createGroup'>>>;
      await measure(rows, 'createGroup', 'new group', async () => {
        created = await host.call('createGroup', { name: 'counted', hostId, domain });
      });
      return created;
    })();
    await measure(rows, 'createGroup', 'idempotent repeat (same host connection)', () =>
      host.call('createGroup', { name: 'counted', hostId, domain }),
    );
    const key = { groupId: group.id, domain };

    const joined: { client: ProtocolSocket; nodeId: string; nodeToken?: string }[] = [];
    for (const n of [1, 2, 3]) {
      const client = await clients.open();
      const nodeId = uniqueId(`member${n}`);
      let nodeToken: string | undefined;
      await measure(rows, 'joinGroup', n === 1 ? 'new node' : `new node (${n} in group before)`, async () => {
        ({ nodeToken } = await client.call('joinGroup', { ...key, nodeId }));
      });
      joined.push({ client, nodeId, nodeToken });
    }
    const [m1, m2, m3] = joined;

    await measure(rows, 'listGroupsByDomain', '1 group', () => m1.client.call('listGroupsByDomain', { domain }));
    await measure(rows, 'listNodesInGroup', '4 nodes', () => m1.client.call('listNodesInGroup', key));
    await measure(rows, 'getNodeStatus', 'no status yet', () =>
      m1.client.call('getNodeStatus', { ...key, nodeId: m2.nodeId }),
    );
    await measure(rows, 'renewHeartbeat', '', () => host.call('renewHeartbeat', { ...key, hostId }));
    await measure(rows, 'sendMemberHeartbeat', '', () =>
      m1.client.call('sendMemberHeartbeat', { ...key, nodeId: m1.nodeId }),
    );
    await measure(rows, 'leaveGroup', 'member 3 leaves (host + 2 members stay)', () =>
      m3.client.call('leaveGroup', { ...key, nodeId: m3.nodeId }),
    );

    const report = await measure(rows, 'reportDataByNode', 'member, 2 keys; 2 other members', async () => {
      await m1.client.call('reportDataByNode', {
        ...key,
        nodeId: m1.nodeId,
        data: [
          { key: 'x', value: '1' },
          { key: 'y', value: '2' },
        ],
      });
      await Promise.all([host.nextPush(), m2.client.nextPush()]);
    });
    const fire = await measure(rows, 'fireEventsByNode', 'member, 3 events; 2 other members', async () => {
      const firedAt = new Date().toISOString();
      await m1.client.call('fireEventsByNode', {
        ...key,
        nodeId: m1.nodeId,
        events: [
          { eventName: 'a', firedAt },
          { eventName: 'b', firedAt },
          { eventName: 'c', firedAt },
        ],
      });
      await Promise.all([host.nextPush(), m2.client.nextPush()]);
    });
    await measure(rows, 'getNodeStatus', 'with status', () =>
      m2.client.call('getNodeStatus', { ...key, nodeId: m1.nodeId }),
    );
    await measure(rows, 'listGroupStatuses', '3 nodes, 1 with status', () => m2.client.call('listGroupStatuses', key));
    await measure(rows, '(ValidationError)', 'a malformed request', () => m2.client.rawReply('{"action":'));

    await measure(rows, '$disconnect', 'member 2 closes', async () => {
      await m2.client.close();
    });
    const rejoining = await clients.open();
    await measure(rows, 'joinGroup', 'rejoin of a live node on a new connection', () =>
      rejoining.call('joinGroup', { ...key, nodeId: m2.nodeId, nodeToken: m2.nodeToken }),
    );
    await measure(rows, 'dissolveGroup', 'host; 2 members to notify', async () => {
      await host.call('dissolveGroup', { ...key, hostId });
      await Promise.all([m1.client.nextPush(), rejoining.nextPush()]);
    });

    console.log(
      `Calls per action, measured in the local stack (group of a host and 2 members):\n\n${formatTable(rows)}\n`,
    );

    for (const hot of [report, fire]) {
      // Request: node write, log append (and the group's GetItem the first time a
      // request container meets the group). Flush: claim, one query, one advance-and-release;
      // and, once the head holds 2 KB of posted pushes, a seal (one PutItem, one UpdateItem).
      const { GetItem: groupReads = 0, PutItem: seals = 0, ...rest } = hot.dynamodb;
      expect(groupReads).toBeLessThanOrEqual(1);
      expect(seals).toBeLessThanOrEqual(1);
      expect(rest).toEqual({ UpdateItem: 4 + seals, Query: 1 });
      expect(hot.snsRequests).toBe(1);
      expect(hot.postToConnection).toBe(2);
      expect(hot.gone).toBe(0);
    }
    const connect = rows[0].counts;
    expect(connect.dynamodbTotal).toBe(0);
    expect(connect.snsRequests).toBe(0);
  });

  it('coalesce a burst: its pushes reach each member in fewer frames than pushes, for fewer queries and flush requests', async () => {
    const { group, domain, host, members } = await openGroup(clients, { members: 3 });
    const key = { groupId: group.id, domain };
    const [a, b, c] = members;
    await settledStats();
    await resetStats();
    const hostFramesBefore = host.pushFrames;

    // Six reports, three from each of two members, sent at once. The first is posted at once (the group was idle);
    // the others gather in the rounds that follow, a window (at least 50 ms) apart: how many rounds depends on
    // how fast this machine appends them, never one per push.
    await Promise.all(
      [a, b].flatMap((member) =>
        [1, 2, 3].map((n) =>
          member.client.call('reportDataByNode', {
            ...key,
            nodeId: member.nodeId,
            data: [{ key: 'n', value: String(n) }],
          }),
        ),
      ),
    );
    // The burst's status pushes.
    const statusFrom = (nodeId: string) => (push: Push) => 'nodeStatus' in push && push.from === nodeId;
    const fromAorB = (push: Push) => statusFrom(a.nodeId)(push) || statusFrom(b.nodeId)(push);
    const hostPushes = [];
    for (let i = 0; i < 6; i++) hostPushes.push(await host.nextPush(fromAorB));
    const cPushes = [];
    for (let i = 0; i < 6; i++) cPushes.push(await c.client.nextPush(fromAorB));
    for (let i = 0; i < 3; i++) await a.client.nextPush(statusFrom(b.nodeId));
    for (let i = 0; i < 3; i++) await b.client.nextPush(statusFrom(a.nodeId));
    const counts = callCounts(await settledStats({ quietMs: 300 }));

    // Every push of each sender arrived once. (The three reports of a sender
    // run concurrently, so their seqs and their appends may interleave: the
    // receiver orders by seq, as MeshClient does.)
    for (const pushes of [hostPushes, cPushes]) {
      for (const sender of [a.nodeId, b.nodeId]) {
        const seqs = pushes.filter((push) => push.from === sender).map((push) => push.seq);
        const sorted = [...seqs].sort((x, y) => x - y);
        expect(new Set(seqs).size).toBe(3);
        expect(sorted[2] - sorted[0]).toBe(2);
      }
    }
    // Without coalescing: 6 pushes × 3 other members = 18 posts, 6 queries, 6 SNS messages.
    // The window gathers them: at most a few rounds, each one post per member.
    expect(counts.postToConnection).toBeLessThan(18);
    expect(counts.dynamodb.Query ?? 0).toBeLessThan(6);
    expect(counts.snsRequests).toBeLessThan(6);
    expect(host.pushFrames - hostFramesBefore).toBeLessThan(6);
    // The six reports read no node: each is proven by its own conditional write.
    expect(counts.dynamodb.BatchGetItem ?? 0).toBe(0);
  });
});
