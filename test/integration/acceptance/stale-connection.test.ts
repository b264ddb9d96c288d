/**
 * A connection that vanished without its $disconnect being seen leaves a
 * stale subscription row behind. The fan-out must then get 410 GoneException
 * from the Management API and delete that row (and its connection record),
 * never the sender's, while delivering to everyone else.
 *
 * The stale row is written straight into the stack's table with the real
 * DynamoDB client (the engine itself, not the counting proxy, so the stack's
 * counters only show what the handlers did).
 */
import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { connectionItem, connectionKey, groupPk, subscriptionItem } from '#shared/adapters/dynamodb/keys';
import type { GroupKey } from '#shared/core/model';
import { localDocumentClient, localTableName } from '../local-dynamodb';
import { callCounts, resetStats, settledStats } from '../stats';
import { openGroup, sleep, useClients } from '../ws-client';

jest.setTimeout(30_000);

const clients = useClients();

let dynamo: { db: DynamoDBDocumentClient; table: string };
beforeAll(() => {
  dynamo = { db: localDocumentClient(), table: localTableName() };
});
afterAll(() => dynamo?.db.destroy());

/** The connection ids subscribed to the group, read straight from the table. */
async function subscribedConnections(key: GroupKey): Promise<string[]> {
  const result = await dynamo.db.send(
    new QueryCommand({
      TableName: dynamo.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': groupPk(key), ':prefix': 'C#' },
      ConsistentRead: true,
    }),
  );
  return (result.Items ?? []).map((item) => String(item.sk).slice('C#'.length)).sort();
}

/** Writes a subscription (and connection record) for a connection the gateway does not know. */
async function insertStaleSubscription(key: GroupKey, nodeId: string): Promise<string> {
  const connectionId = `stale${randomUUID().replaceAll('-', '').slice(0, 11)}=`;
  const now = Date.now();
  await dynamo.db.send(
    new PutCommand({ TableName: dynamo.table, Item: subscriptionItem(key, connectionId, nodeId, now + 600_000) }),
  );
  await dynamo.db.send(
    new PutCommand({ TableName: dynamo.table, Item: connectionItem({ ...key, connectionId, nodeId }, now) }),
  );
  return connectionId;
}

async function connectionRecordExists(connectionId: string): Promise<boolean> {
  const result = await dynamo.db.send(
    new GetCommand({ TableName: dynamo.table, Key: connectionKey(connectionId), ConsistentRead: true }),
  );
  return result.Item !== undefined;
}

describe('a stale connection', () => {
  it("is deleted by the fan-out on 410, while the sender's and the live members' rows stay", async () => {
    const { group, domain, host, hostId, members } = await openGroup(clients, { members: 2 });
    const key = { groupId: group.id, domain };
    const [sender, receiver] = members;
    const live = await subscribedConnections(key);
    expect(live).toHaveLength(3);
    const stale = await insertStaleSubscription(key, receiver.nodeId);
    expect(await subscribedConnections(key)).toContain(stale);
    await settledStats();
    await resetStats();

    await sender.client.call('reportDataByNode', {
      ...key,
      nodeId: sender.nodeId,
      data: [{ key: 'k', value: 'v' }],
    });

    // Seq 1 was the sender's join.
    await expect(host.nextPush((p) => p.from === sender.nodeId)).resolves.toMatchObject({ seq: 2 });
    await expect(receiver.client.nextPush((p) => p.from === sender.nodeId)).resolves.toMatchObject({ seq: 2 });
    const counts = callCounts(await settledStats());
    // host, receiver and the stale connection were posted to; only the stale one answered 410.
    expect(counts.postToConnection).toBe(3);
    expect(counts.gone).toBe(1);
    expect(await subscribedConnections(key)).toEqual(live);
    expect(await connectionRecordExists(stale)).toBe(false);
    // The group works on: the next push goes out with no 410.
    await resetStats();
    await host.call('reportDataByNode', { ...key, nodeId: hostId, data: [{ key: 'k', value: 'w' }] });
    await sender.client.nextPush((p) => p.from === hostId);
    const after = callCounts(await settledStats());
    expect(after.postToConnection).toBe(2);
    expect(after.gone).toBe(0);
  });

  it("of the sender's own node is not posted to and not deleted by the sender's push", async () => {
    const { group, domain, host, members } = await openGroup(clients, { members: 1 });
    const key = { groupId: group.id, domain };
    const [sender] = members;
    const stale = await insertStaleSubscription(key, sender.nodeId);
    await settledStats();
    await resetStats();

    await sender.client.call('reportDataByNode', { ...key, nodeId: sender.nodeId, data: [{ key: 'k', value: 'v' }] });

    await host.nextPush((p) => p.from === sender.nodeId);
    const counts = callCounts(await settledStats());
    expect(counts.postToConnection).toBe(1);
    expect(counts.gone).toBe(0);
    expect(await subscribedConnections(key)).toContain(stale);
  });

  it('left by a socket dropped without a close handshake is removed by $disconnect and others keep receiving', async () => {
    const { group, domain, host, hostId, members } = await openGroup(clients, { members: 2 });
    const key = { groupId: group.id, domain };
    const [dropped, stays] = members;
    const before = await subscribedConnections(key);

    dropped.client.destroy();
    await dropped.client.closed;
    let now = before;
    for (let i = 0; i < 40 && now.length === before.length; i++) {
      await sleep(50);
      now = await subscribedConnections(key);
    }

    expect(now).toHaveLength(before.length - 1);
    const nodes = await host.call('listNodesInGroup', key);
    expect(nodes.map((n) => n.id)).toContain(dropped.nodeId);
    await host.call('reportDataByNode', { ...key, nodeId: hostId, data: [{ key: 'k', value: 'v' }] });
    await expect(stays.client.nextPush((p) => p.from === hostId)).resolves.toMatchObject({ from: hostId });
  });
});
