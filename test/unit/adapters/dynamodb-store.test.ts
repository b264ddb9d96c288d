import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { TTL_MARGIN_SECONDS, groupItem, nodeItem } from '#shared/adapters/dynamodb/keys';
import { DynamoMeshStore } from '#shared/adapters/dynamodb/store';
import { createDocumentClient } from '#shared/adapters/sdk-clients';
import type { GroupRecord, NodeRecord } from '#shared/core/model';
import { ConditionFailed } from '#shared/core/store-errors';

const TABLE = 'mesh-test';
const NOW = Date.parse('2026-01-12T08:00:00.000Z');
const key = { groupId: 'g-1', domain: 'example.org' };
const PK = 'G#g-1@example.org';

const ddb = mockClient(DynamoDBDocumentClient);

function newStore(): DynamoMeshStore {
  return new DynamoMeshStore({
    client: createDocumentClient({ region: 'eu-west-1' }),
    tableName: TABLE,
    clock: { now: () => NOW },
    retryBaseDelayMs: 0,
  });
}

function group(overrides: Partial<GroupRecord> = {}): GroupRecord {
  return {
    ...key,
    name: 'クラス',
    hostId: 'host',
    createdAt: NOW,
    expiresAt: NOW + 1_500_000,
    heartbeatAt: NOW,
    useWebSocket: true,
    ...overrides,
  };
}

function node(overrides: Partial<NodeRecord> = {}): NodeRecord {
  return {
    ...key,
    nodeId: 'node-1',
    name: 'node-1',
    isHost: false,
    epoch: 'ep-1',
    seq: 0,
    connectionId: 'conn-1',
    joinedAt: NOW,
    expiresAt: NOW + 600_000,
    data: {},
    statusAt: null,
    tokenHash: 'hash-1',
    useWebSocket: true,
    ...overrides,
  };
}

function conditionFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
}

function cancelled(...codes: string[]): TransactionCanceledException {
  return new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
}

afterEach(() => {
  ddb.reset();
});

describe('updateNode (the hot path write)', () => {
  it('merges multibyte status keys through expression names, allocates seqs and returns the node as written', async () => {
    const written = node({ data: { 温度: '21.5' }, seq: 8, statusAt: NOW });
    ddb.on(UpdateCommand).resolves({ Attributes: nodeItem(written) });

    const result = await newStore().updateNode(key, 'node-1', 'conn-1', {
      data: { 温度: '21.5', '🎉 party': 'はい', 'a.b#c': '' },
      statusAt: NOW,
      seqCount: 2,
      now: NOW,
    });

    expect(result).toEqual(written);
    const calls = ddb.calls();
    expect(calls).toHaveLength(1);
    const input = ddb.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input.Key).toEqual({ pk: PK, sk: 'N#node-1' });
    expect(input.UpdateExpression).toBe('SET #data.#0=:0,#data.#1=:1,#data.#2=:2,#statusAt=:statusAt ADD #seq :n');
    expect(input.ConditionExpression).toBe('attribute_exists(#pk) AND #cid = :cid AND #exp >= :now');
    expect(input.ExpressionAttributeNames).toEqual({
      '#pk': 'pk',
      '#cid': 'connectionId',
      '#seq': 'seq',
      '#exp': 'expiresAt',
      '#data': 'data',
      // Stored behind the status map's prefix (shared/adapters/dynamodb/status-map.ts).
      '#0': '~温度',
      '#1': '~🎉 party',
      '#2': '~a.b#c',
      '#statusAt': 'statusAt',
    });
    expect(input.ExpressionAttributeValues).toEqual({
      ':cid': 'conn-1',
      ':n': 2,
      ':now': NOW,
      ':0': '21.5',
      ':1': 'はい',
      ':2': '',
      ':statusAt': NOW,
    });
    expect(input.ReturnValues).toBe('ALL_NEW');
  });

  it.each([
    {
      bound: 'grows the status bound only while it leaves room for the delta',
      statusBytes: { grow: 9, limit: 100 },
      set: '#sb=#sb+:grow',
      condition: '#sb <= :room',
      values: { ':grow': 9, ':room': 91 },
    },
    {
      bound: 'sets the exact status size only while the seq is the one read',
      statusBytes: { exact: 40, ifSeq: 6 },
      set: '#sb=:exact',
      condition: '#seq = :ifSeq',
      values: { ':exact': 40, ':ifSeq': 6 },
    },
  ])('$bound', async ({ statusBytes, set, condition, values }) => {
    ddb.on(UpdateCommand).resolves({ Attributes: nodeItem(node()) });

    await newStore().updateNode(key, 'node-1', 'conn-1', { data: { a: '1' }, seqCount: 1, now: NOW, statusBytes });

    const input = ddb.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input.UpdateExpression).toBe(`SET #data.#0=:0,${set} ADD #seq :n`);
    expect(input.ConditionExpression).toBe(`attribute_exists(#pk) AND #cid = :cid AND #exp >= :now AND ${condition}`);
    expect(input.ExpressionAttributeValues).toMatchObject(values);
  });

  it('only allocates seqs when no status is given, naming nothing it does not use', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: nodeItem(node()) });

    await newStore().updateNode(key, 'node-1', 'conn-1', { seqCount: 1, now: NOW });

    const input = ddb.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input.UpdateExpression).toBe('ADD #seq :n');
    expect(Object.values(input.ExpressionAttributeNames ?? {})).toEqual(['pk', 'connectionId', 'seq', 'expiresAt']);
  });

  it('keeps the expression under DynamoDB 4 KB limit with the largest report (256 keys)', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: nodeItem(node()) });
    const data = Object.fromEntries(Array.from({ length: 256 }, (_, i) => [`キー${i}`, 'v']));

    await newStore().updateNode(key, 'node-1', 'conn-1', {
      data,
      statusAt: NOW,
      seqCount: 1,
      now: NOW,
      statusBytes: { grow: 4000, limit: 16_384 },
    });

    const input = ddb.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input.UpdateExpression!.length).toBeLessThan(4096);
    expect(Object.keys(input.ExpressionAttributeNames ?? {})).toHaveLength(256 + 7);
  });

  it('turns a failed condition (node gone or bound to another connection) into ConditionFailed', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());

    await expect(newStore().updateNode(key, 'node-1', 'conn-2', { seqCount: 1, now: NOW })).rejects.toBeInstanceOf(
      ConditionFailed,
    );
  });

  it('lets other errors through unchanged', async () => {
    ddb.on(UpdateCommand).rejects(new Error('throttled'));

    await expect(newStore().updateNode(key, 'node-1', 'conn-1', { seqCount: 1, now: NOW })).rejects.toThrow(
      'throttled',
    );
  });
});

describe('getGroupAndNode (the hot path read)', () => {
  it('reads the group and the node in one consistent BatchGetItem', async () => {
    ddb.on(BatchGetCommand).resolves({
      Responses: { [TABLE]: [groupItem(group()), nodeItem(node({ data: { 温度: '20' }, seq: 4, statusAt: NOW }))] },
    });

    const found = await newStore().getGroupAndNode(key, 'node-1');

    expect(found.group).toEqual(group());
    expect(found.node).toEqual(node({ data: { 温度: '20' }, seq: 4, statusAt: NOW }));
    const calls = ddb.commandCalls(BatchGetCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input.RequestItems).toEqual({
      [TABLE]: {
        Keys: [
          { pk: PK, sk: 'META' },
          { pk: PK, sk: 'N#node-1' },
        ],
        ConsistentRead: true,
      },
    });
  });

  it('asks again for UnprocessedKeys until every key is read', async () => {
    const nodeKey = { pk: PK, sk: 'N#node-1' };
    ddb
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { [TABLE]: [groupItem(group())] }, UnprocessedKeys: { [TABLE]: { Keys: [nodeKey] } } })
      .resolvesOnce({ Responses: { [TABLE]: [] }, UnprocessedKeys: { [TABLE]: { Keys: [nodeKey] } } })
      .resolvesOnce({ Responses: { [TABLE]: [nodeItem(node())] } });

    const found = await newStore().getGroupAndNode(key, 'node-1');

    expect(found.group?.groupId).toBe('g-1');
    expect(found.node?.nodeId).toBe('node-1');
    const calls = ddb.commandCalls(BatchGetCommand);
    expect(calls).toHaveLength(3);
    expect(calls[1].args[0].input.RequestItems?.[TABLE].Keys).toEqual([nodeKey]);
  });

  it('gives up after the configured rounds rather than loop forever', async () => {
    const nodeKey = { pk: PK, sk: 'N#node-1' };
    ddb.on(BatchGetCommand).resolves({ UnprocessedKeys: { [TABLE]: { Keys: [nodeKey] } } });

    await expect(newStore().getGroupAndNode(key, 'node-1')).rejects.toThrow('unprocessed');
    expect(ddb.commandCalls(BatchGetCommand)).toHaveLength(5);
  });

  it('returns neither record when an item belongs to other ids that build the same key', async () => {
    // groupId "g" + domain "x@example.org" and groupId "g@x" + domain "example.org" share G#g@x@example.org.
    const other = { groupId: 'g', domain: 'x@example.org' };
    ddb.on(BatchGetCommand).resolves({
      Responses: { [TABLE]: [groupItem(group(other)), nodeItem(node(other))] },
    });

    const found = await newStore().getGroupAndNode({ groupId: 'g@x', domain: 'example.org' }, 'node-1');

    expect(found).toEqual({ group: undefined, node: undefined });
  });
});

describe('items', () => {
  it('give every item a ttl of its logical expiry plus the documented margin, and nodes an empty data map', async () => {
    ddb.on(TransactWriteCommand).resolves({});

    await newStore().createGroup(
      group(),
      node({ nodeId: 'host', isHost: true, expiresAt: group().expiresAt }),
      undefined,
    );

    const items = ddb.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems!.map((item) => item.Put!.Item!);
    const expiryTtl = Math.ceil(group().expiresAt / 1000) + TTL_MARGIN_SECONDS;
    const connectionTtl = Math.ceil(NOW / 1000) + 2 * 60 * 60 + TTL_MARGIN_SECONDS;
    expect(items.map((item) => [item.sk, item.ttl])).toEqual([
      ['META', expiryTtl],
      ['HOST', expiryTtl],
      ['N#host', expiryTtl],
      ['C#conn-1', expiryTtl],
      ['CONN', connectionTtl],
    ]);
    expect(items[2].data).toEqual({});
    expect(items[0]).toMatchObject({ gsi1pk: 'D#example.org', gsi1sk: '2026-01-12T08:00:00.000Z#g-1' });
  });
});

describe('createGroup', () => {
  it('writes group, host record, host node, subscription and connection in one transaction', async () => {
    ddb.on(TransactWriteCommand).resolves({});

    await newStore().createGroup(group(), node({ nodeId: 'host', isHost: true }), 'g-old');

    const input = ddb.commandCalls(TransactWriteCommand)[0].args[0].input;
    expect(input.ClientRequestToken).toEqual(expect.any(String));
    const items = input.TransactItems!;
    expect(items.map((item) => [item.Put!.Item!.pk, item.Put!.Item!.sk])).toEqual([
      [PK, 'META'],
      ['H#example.org#host', 'HOST'],
      [PK, 'N#host'],
      [PK, 'C#conn-1'],
      ['C#conn-1', 'CONN'],
    ]);
    expect(items[0].Put!.ConditionExpression).toBe('attribute_not_exists(#pk)');
    expect(items[1].Put!.ConditionExpression).toBe('#groupId = :replaces');
    expect(items[1].Put!.ExpressionAttributeValues).toEqual({ ':replaces': 'g-old' });
  });

  it('requires that no host record exists when it replaces none, and reports a lost race as ConditionFailed', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('None', 'ConditionalCheckFailed', 'None', 'None', 'None'));

    await expect(
      newStore().createGroup(group(), node({ nodeId: 'host', isHost: true }), undefined),
    ).rejects.toBeInstanceOf(ConditionFailed);
    const items = ddb.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems!;
    expect(items[1].Put!.ConditionExpression).toBe('attribute_not_exists(#pk)');
  });
});

describe('findHostGroup', () => {
  it('returns the host record with the group it points at', async () => {
    ddb
      .on(GetCommand, { Key: { pk: 'H#example.org#host', sk: 'HOST' } })
      .resolves({
        Item: { pk: 'H#example.org#host', sk: 'HOST', groupId: 'g-1', domain: 'example.org', hostId: 'host' },
      })
      .on(GetCommand, { Key: { pk: PK, sk: 'META' } })
      .resolves({ Item: groupItem(group()) });

    expect(await newStore().findHostGroup('example.org', 'host')).toEqual({ groupId: 'g-1', group: group() });
  });

  it('returns the record without a group when the group item is gone', async () => {
    ddb
      .on(GetCommand, { Key: { pk: 'H#example.org#host', sk: 'HOST' } })
      .resolves({
        Item: { pk: 'H#example.org#host', sk: 'HOST', groupId: 'g-1', domain: 'example.org', hostId: 'host' },
      })
      .on(GetCommand, { Key: { pk: PK, sk: 'META' } })
      .resolves({});

    expect(await newStore().findHostGroup('example.org', 'host')).toEqual({ groupId: 'g-1', group: undefined });
  });

  it('returns undefined without a host record', async () => {
    ddb.on(GetCommand).resolves({});

    expect(await newStore().findHostGroup('example.org', 'host')).toBeUndefined();
    expect(ddb.commandCalls(GetCommand)).toHaveLength(1);
  });
});

describe('putNode', () => {
  it('checks the group, writes the node unless it changed since read, binds it, and drops the previous connection rows', async () => {
    ddb.on(TransactWriteCommand).resolves({});

    await newStore().putNode(node({ connectionId: 'conn-2', seq: 5 }), 'conn-1');

    const items = ddb.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems!;
    expect(items[0].ConditionCheck).toMatchObject({
      Key: { pk: PK, sk: 'META' },
      ConditionExpression: '#groupId = :groupId AND #domain = :domain',
    });
    expect(items[1].Put).toMatchObject({
      Item: { pk: PK, sk: 'N#node-1', connectionId: 'conn-2', seq: 5, data: {} },
      ConditionExpression: 'attribute_not_exists(#pk) OR #epoch <> :epoch OR #seq = :seq',
      ExpressionAttributeValues: { ':epoch': 'ep-1', ':seq': 5 },
    });
    expect(items[2].Put!.Item).toMatchObject({ pk: PK, sk: 'C#conn-2', nodeId: 'node-1' });
    expect(items[3].Put!.Item).toMatchObject({
      pk: 'C#conn-2',
      sk: 'CONN',
      groupId: 'g-1',
      domain: 'example.org',
      nodeId: 'node-1',
    });
    expect(items.slice(4)).toEqual([
      { Delete: { TableName: TABLE, Key: { pk: PK, sk: 'C#conn-1' } } },
      { Delete: { TableName: TABLE, Key: { pk: 'C#conn-1', sk: 'CONN' } } },
    ]);
  });

  it('maps a missing group to ConditionFailed', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None', 'None', 'None'));

    await expect(newStore().putNode(node(), null)).rejects.toBeInstanceOf(ConditionFailed);
  });

  it('retries a transaction cancelled only by a concurrent one', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled('None', 'TransactionConflict', 'None', 'None'))
      .resolvesOnce({});

    await newStore().putNode(node(), null);

    const calls = ddb.commandCalls(TransactWriteCommand);
    expect(calls).toHaveLength(2);
    expect(calls[0].args[0].input.ClientRequestToken).not.toBe(calls[1].args[0].input.ClientRequestToken);
  });
});

describe('removeNode and setNodeExpiry', () => {
  it('removeNode deletes the node (with its status), its subscription and its connection record', async () => {
    ddb.on(TransactWriteCommand).resolves({});

    await newStore().removeNode(node());

    const items = ddb.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems!;
    expect(items.map((item) => item.Delete!.Key)).toEqual([
      { pk: PK, sk: 'N#node-1' },
      { pk: PK, sk: 'C#conn-1' },
      { pk: 'C#conn-1', sk: 'CONN' },
    ]);
  });

  it('setNodeExpiry moves the node and its subscription, only while the node is bound to its connection', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    const expiresAt = NOW + 900_000;

    await newStore().setNodeExpiry(node(), expiresAt);

    const items = ddb.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems!;
    expect(items[0].Update).toMatchObject({
      Key: { pk: PK, sk: 'N#node-1' },
      UpdateExpression: 'SET #expiresAt = :expiresAt, #ttl = :ttl, #dropAt = :dropAt',
      ConditionExpression: 'attribute_exists(#pk) AND #connectionId = :cid',
      ExpressionAttributeValues: {
        ':expiresAt': expiresAt,
        ':ttl': Math.ceil(expiresAt / 1000) + TTL_MARGIN_SECONDS,
        ':cid': 'conn-1',
      },
    });
    expect(items[1].Put!.Item).toMatchObject({ pk: PK, sk: 'C#conn-1', nodeId: 'node-1', expiresAt });
  });

  it('setNodeExpiry reports a node that is gone as ConditionFailed', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'));

    await expect(newStore().setNodeExpiry(node(), NOW)).rejects.toBeInstanceOf(ConditionFailed);
  });

  it('setHostHeartbeat updates the group only while it exists', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());

    await expect(newStore().setHostHeartbeat(key, NOW)).rejects.toBeInstanceOf(ConditionFailed);
    expect(ddb.commandCalls(UpdateCommand)[0].args[0].input).toMatchObject({
      Key: { pk: PK, sk: 'META' },
      UpdateExpression: 'SET #heartbeatAt = :at',
      ConditionExpression: 'attribute_exists(#pk)',
    });
  });
});

describe('deleteGroup', () => {
  it('deletes the group, the host record if still its own, and every node in batches of 25, keeping subscriptions', async () => {
    const nodeKeys = Array.from({ length: 30 }, (_, i) => ({ pk: PK, sk: `N#n${i}` }));
    ddb.on(DeleteCommand, { Key: { pk: PK, sk: 'META' } }).resolves({});
    ddb.on(DeleteCommand, { Key: { pk: 'H#example.org#host', sk: 'HOST' } }).rejects(conditionFailed());
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: nodeKeys.slice(0, 20), LastEvaluatedKey: nodeKeys[19] })
      .resolvesOnce({ Items: nodeKeys.slice(20) });
    ddb.on(BatchWriteCommand).resolves({});

    await newStore().deleteGroup(group());

    const deletes = ddb.commandCalls(DeleteCommand).map((call) => call.args[0].input);
    expect(deletes.map((input) => input.Key)).toEqual([
      { pk: PK, sk: 'META' },
      { pk: 'H#example.org#host', sk: 'HOST' },
    ]);
    expect(deletes[1].ConditionExpression).toBe('#groupId = :groupId');
    const query = ddb.commandCalls(QueryCommand)[0].args[0].input;
    expect(query.ExpressionAttributeValues).toEqual({ ':pk': PK, ':prefix': 'N#' });
    const batches = ddb.commandCalls(BatchWriteCommand).map((call) => call.args[0].input.RequestItems![TABLE]);
    expect(batches.map((batch) => batch.length)).toEqual([25, 5]);
    const deleted = batches.flat().map((request) => request.DeleteRequest!.Key!.sk as string);
    expect(deleted).toEqual(nodeKeys.map((k) => k.sk));
    expect(deleted.some((sk) => sk.startsWith('C#'))).toBe(false);
  });

  it('writes again the deletes DynamoDB left unprocessed', async () => {
    const request = { DeleteRequest: { Key: { pk: PK, sk: 'N#n0' } } };
    ddb.on(DeleteCommand).resolves({});
    ddb.on(QueryCommand).resolves({ Items: [{ pk: PK, sk: 'N#n0' }] });
    ddb
      .on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { [TABLE]: [request] } })
      .resolvesOnce({});

    await newStore().deleteGroup(group());

    expect(ddb.commandCalls(BatchWriteCommand)).toHaveLength(2);
  });
});

describe('listings', () => {
  it('listNodes resumes after the given node, reads one more than asked, and says whether more exist', async () => {
    ddb.on(QueryCommand).resolves({
      Items: [nodeItem(node({ nodeId: 'b' })), nodeItem(node({ nodeId: 'c' })), nodeItem(node({ nodeId: 'd' }))],
    });

    const page = await newStore().listNodes(key, { after: 'a', limit: 2 });

    expect(page.nodes.map((n) => n.nodeId)).toEqual(['b', 'c']);
    expect(page.more).toBe(true);
    const input = ddb.commandCalls(QueryCommand)[0].args[0].input;
    expect(input).toMatchObject({
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeValues: { ':pk': PK, ':prefix': 'N#' },
      ExclusiveStartKey: { pk: PK, sk: 'N#a' },
      Limit: 3,
      ConsistentRead: true,
    });
  });

  it('listNodes says no more at the end', async () => {
    ddb.on(QueryCommand).resolves({ Items: [nodeItem(node({ nodeId: 'a' }))] });

    expect(await newStore().listNodes(key, { limit: 2 })).toEqual({ nodes: [node({ nodeId: 'a' })], more: false });
  });

  it('listSubscribers reads every page of the group subscriptions, projected', async () => {
    ddb
      .on(QueryCommand)
      .resolvesOnce({
        Items: [{ sk: 'C#conn-1', nodeId: 'node-1', expiresAt: NOW }],
        LastEvaluatedKey: { pk: PK, sk: 'C#conn-1' },
      })
      .resolvesOnce({ Items: [{ sk: 'C#conn-2', nodeId: '노드', expiresAt: NOW + 1 }] });

    const subscribers = await newStore().listSubscribers(key);

    expect(subscribers).toEqual([
      { connectionId: 'conn-1', nodeId: 'node-1', expiresAt: NOW },
      { connectionId: 'conn-2', nodeId: '노드', expiresAt: NOW + 1 },
    ]);
    const calls = ddb.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(calls[0].ProjectionExpression).toBe('#sk, #nodeId, #expiresAt');
    expect(calls[0].ExpressionAttributeValues).toEqual({ ':pk': PK, ':prefix': 'C#' });
    expect(calls[1].ExclusiveStartKey).toEqual({ pk: PK, sk: 'C#conn-1' });
  });

  it('listGroups queries the byDomain index oldest first and drops items of another domain', async () => {
    ddb.on(QueryCommand).resolves({
      Items: [groupItem(group()), groupItem(group({ groupId: 'g-2', domain: 'other' }))],
    });

    expect(await newStore().listGroups('example.org')).toEqual([group()]);
    expect(ddb.commandCalls(QueryCommand)[0].args[0].input).toMatchObject({
      IndexName: 'byDomain',
      ExpressionAttributeValues: { ':gsi1pk': 'D#example.org' },
      ScanIndexForward: true,
    });
  });
});

describe('dropSubscriber (a 410 in the fan-out)', () => {
  it('deletes exactly the stale connection subscription and connection record', async () => {
    ddb.on(TransactWriteCommand).resolves({});

    await newStore().dropSubscriber(key, { connectionId: 'stale', nodeId: 'node-2', expiresAt: NOW });

    const calls = ddb.calls();
    expect(calls).toHaveLength(1);
    const items = ddb.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems!;
    expect(items).toEqual([
      { Delete: { TableName: TABLE, Key: { pk: PK, sk: 'C#stale' } } },
      { Delete: { TableName: TABLE, Key: { pk: 'C#stale', sk: 'CONN' } } },
    ]);
  });
});

describe('dropConnection ($disconnect)', () => {
  const connectionItem = { pk: 'C#conn-1', sk: 'CONN', groupId: 'g-1', domain: 'example.org', nodeId: 'node-1' };

  it('deletes the rows and unbinds the node in one transaction', async () => {
    ddb.on(GetCommand).resolves({ Item: connectionItem });
    ddb.on(TransactWriteCommand).resolves({});

    await newStore().dropConnection('conn-1', 5_000);

    expect(ddb.commandCalls(GetCommand)[0].args[0].input).toMatchObject({
      Key: { pk: 'C#conn-1', sk: 'CONN' },
      ConsistentRead: true,
    });
    const items = ddb.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems!;
    expect(items[0].Delete!.Key).toEqual({ pk: 'C#conn-1', sk: 'CONN' });
    expect(items[1].Delete!.Key).toEqual({ pk: PK, sk: 'C#conn-1' });
    expect(items[2].Update).toMatchObject({
      Key: { pk: PK, sk: 'N#node-1' },
      UpdateExpression: 'REMOVE #cid SET #dropAt = :dropAt',
      ConditionExpression: '#cid = :cid',
      ExpressionAttributeValues: { ':cid': 'conn-1' },
    });
  });

  it('still deletes the rows when the node is gone or bound to another connection', async () => {
    ddb.on(GetCommand).resolves({ Item: connectionItem });
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled('None', 'None', 'ConditionalCheckFailed'))
      .resolvesOnce({});

    await newStore().dropConnection('conn-1', 5_000);

    const calls = ddb.commandCalls(TransactWriteCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1].args[0].input.TransactItems!.map((item) => item.Delete!.Key)).toEqual([
      { pk: 'C#conn-1', sk: 'CONN' },
      { pk: PK, sk: 'C#conn-1' },
    ]);
  });

  it('writes nothing for a connection that never became a node', async () => {
    ddb.on(GetCommand).resolves({});

    await newStore().dropConnection('conn-1', 5_000);

    expect(ddb.calls()).toHaveLength(1);
  });
});

describe('IAM contract', () => {
  // What the Pulumi program grants each function (docs/architecture.md). Items
  // inside TransactWriteItems need the per-item permission as well.
  const disconnectGrants = ['GetCommand', 'UpdateCommand', 'DeleteCommand', 'TransactWriteCommand'];
  const fanoutGrants = ['QueryCommand', 'DeleteCommand', 'TransactWriteCommand'];

  function usedCommands(): string[] {
    return [...new Set(ddb.calls().map((call) => (call.args[0] as object).constructor.name))];
  }

  it('dropConnection uses only what the disconnect function is granted', async () => {
    ddb
      .on(GetCommand)
      .resolves({ Item: { pk: 'C#c', sk: 'CONN', groupId: 'g-1', domain: 'example.org', nodeId: 'n' } });
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled('None', 'None', 'ConditionalCheckFailed'))
      .resolves({});

    await newStore().dropConnection('c', 5_000);

    expect(disconnectGrants).toEqual(expect.arrayContaining(usedCommands()));
    const itemKinds = ddb
      .commandCalls(TransactWriteCommand)
      .flatMap((call) => call.args[0].input.TransactItems!.flatMap((item) => Object.keys(item)));
    expect(['Delete', 'Update']).toEqual(expect.arrayContaining(itemKinds));
  });

  it('listSubscribers and dropSubscriber use only what the fan-out function is granted', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(TransactWriteCommand).resolves({});

    await newStore().listSubscribers(key);
    await newStore().dropSubscriber(key, { connectionId: 'c', nodeId: 'n', expiresAt: NOW });

    expect(fanoutGrants).toEqual(expect.arrayContaining(usedCommands()));
    const itemKinds = ddb
      .commandCalls(TransactWriteCommand)
      .flatMap((call) => call.args[0].input.TransactItems!.flatMap((item) => Object.keys(item)));
    expect(new Set(itemKinds)).toEqual(new Set(['Delete']));
  });
});
