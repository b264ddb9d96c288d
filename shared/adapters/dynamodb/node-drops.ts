/**
 * The sweeper's side of presence on DynamoDB: listing the member nodes due to
 * be dropped (the sparse byDrop index, one Query per shard), claiming one
 * (UpdateItem: its seq and its place in the index, conditional on the place
 * it was listed at), and removing it (TransactWriteItems, conditional on the
 * claim still being the last write). The index keys live in keys.ts, where
 * every node item gets them.
 */
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ConnectionRecord, NodeRecord } from '#shared/core/model';
import type { DueNode } from '#shared/core/ports';
import { ConditionFailed } from '#shared/core/store-errors';
import { mapConditionFailed } from './errors';
import {
  connectionKey,
  dropIndexBefore,
  dropIndexPk,
  dropIndexSk,
  DROP_SHARDS,
  nodeKey,
  nodeOfDropIndexSk,
  subscriptionKey,
  toNode,
} from './keys';
import { queryAll } from './query';
import type { RetryPolicy } from './retry';
import { BY_DROP_INDEX } from './table';
import { type TransactItem, transactWrite } from './transact';

/** The deletes that take a node out of its group: the node (status with it), and its subscription and connection record when bound. */
export function nodeDeletes(table: string, node: NodeRecord, condition?: TransactItem['Delete']): TransactItem[] {
  const items: TransactItem[] = [{ Delete: { TableName: table, Key: nodeKey(node, node.nodeId), ...condition } }];
  if (node.connectionId !== null) {
    items.push(
      { Delete: { TableName: table, Key: subscriptionKey(node, node.connectionId) } },
      { Delete: { TableName: table, Key: connectionKey(node.connectionId) } },
    );
  }
  return items;
}

export async function listDueNodes(client: DynamoDBDocumentClient, table: string, now: number): Promise<DueNode[]> {
  const due: DueNode[] = [];
  for (let shard = 0; shard < DROP_SHARDS; shard += 1) {
    const items = await queryAll(client, {
      TableName: table,
      IndexName: BY_DROP_INDEX,
      KeyConditionExpression: '#pk = :pk AND #sk < :before',
      ExpressionAttributeNames: { '#pk': 'gsi4pk', '#sk': 'gsi4sk' },
      ExpressionAttributeValues: { ':pk': dropIndexPk(shard), ':before': dropIndexBefore(now) },
    });
    for (const item of items) {
      const node = nodeOfDropIndexSk(item.gsi4sk);
      if (node !== undefined) due.push(node);
    }
  }
  return due;
}

export async function claimDrop(
  client: DynamoDBDocumentClient,
  table: string,
  due: DueNode,
  retryAt: number,
): Promise<NodeRecord | undefined> {
  try {
    const result = await mapConditionFailed(
      client.send(
        new UpdateCommand({
          TableName: table,
          Key: nodeKey(due, due.nodeId),
          UpdateExpression: 'SET #seq = #seq + :one, #sk = :retry',
          // The index is read eventually consistent: this condition is what proves the node still due.
          ConditionExpression: 'attribute_exists(#pk) AND #sk = :listed',
          ExpressionAttributeNames: { '#seq': 'seq', '#sk': 'gsi4sk', '#pk': 'gsi4pk' },
          ExpressionAttributeValues: {
            ':one': 1,
            ':retry': dropIndexSk(retryAt, due),
            ':listed': dropIndexSk(due.dropAt, due),
          },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return toNode(result.Attributes, due, due.nodeId);
  } catch (error) {
    if (error instanceof ConditionFailed) return undefined;
    throw error;
  }
}

export async function removeDroppedNode(
  client: DynamoDBDocumentClient,
  table: string,
  node: NodeRecord,
  retry: RetryPolicy,
): Promise<boolean> {
  const bound = node.connectionId !== null;
  const unchanged: TransactItem['Delete'] = {
    TableName: table,
    Key: nodeKey(node, node.nodeId),
    ConditionExpression: `#seq = :seq AND #epoch = :epoch AND ${bound ? '#cid = :cid' : 'attribute_not_exists(#cid)'}`,
    ExpressionAttributeNames: { '#seq': 'seq', '#epoch': 'epoch', '#cid': 'connectionId' },
    ExpressionAttributeValues: {
      ':seq': node.seq,
      ':epoch': node.epoch,
      ...(bound ? { ':cid': node.connectionId } : {}),
    },
  };
  try {
    await transactWrite(client, nodeDeletes(table, node, unchanged), retry);
    return true;
  } catch (error) {
    if (error instanceof ConditionFailed) return false;
    throw error;
  }
}

/**
 * $disconnect's writes: the connection's record and subscription go, and its
 * node, if still bound to it, is unbound and given `dropAt` (the end of its
 * grace). A host's node gets the sort key alone, which does not index it (it
 * has no gsi4pk).
 */
export async function unbindConnection(
  client: DynamoDBDocumentClient,
  table: string,
  connection: ConnectionRecord,
  dropAt: number,
  retry: RetryPolicy,
): Promise<void> {
  const { connectionId } = connection;
  const deletes: TransactItem[] = [
    { Delete: { TableName: table, Key: connectionKey(connectionId) } },
    { Delete: { TableName: table, Key: subscriptionKey(connection, connectionId) } },
  ];
  const unbind: TransactItem = {
    Update: {
      TableName: table,
      Key: nodeKey(connection, connection.nodeId),
      UpdateExpression: 'REMOVE #cid SET #dropAt = :dropAt',
      ConditionExpression: '#cid = :cid',
      ExpressionAttributeNames: { '#cid': 'connectionId', '#dropAt': 'gsi4sk' },
      ExpressionAttributeValues: { ':cid': connectionId, ':dropAt': dropIndexSk(dropAt, connection) },
    },
  };
  try {
    await transactWrite(client, [...deletes, unbind], retry);
  } catch (error) {
    // The node left, expired or was rebound to another connection: only the rows go.
    if (!(error instanceof ConditionFailed)) throw error;
    await transactWrite(client, deletes, retry);
  }
}
