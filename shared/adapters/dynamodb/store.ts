/**
 * The MeshStore on DynamoDB: one table (table.ts), items and keys in keys.ts.
 * The calls' mechanics live beside it: transactions (transact.ts), batches
 * (batch.ts), paged queries (query.ts), their backoff (retry.ts), shared
 * conditions (conditions.ts) and the mapping of failures to ConditionFailed
 * (errors.ts).
 *
 * Calls per method (the IAM policies in infra grant exactly what these need):
 *   getGroup          GetItem
 *   getGroupAndNode   BatchGetItem (+ one more per round of UnprocessedKeys)
 *   findHostGroup     GetItem (host record) [+ GetItem (group)]
 *   listGroups        Query byDomain (per 1 MB page)       } group-index.ts
 *   searchGroups      Query byName (until enough are found) }
 *   getConnection     GetItem
 *   createGroup       TransactWriteItems (group, host record, host node, subscription, connection)
 *   putNode           TransactWriteItems (ConditionCheck group, node, subscription, connection
 *                     [, delete previous subscription and connection])
 *   removeNode        TransactWriteItems (node, subscription, connection)
 *   listDueNodes      Query byDrop per shard          }
 *   claimDrop         UpdateItem                       } node-drops.ts
 *   removeDroppedNode TransactWriteItems (as removeNode) }
 *   deleteGroup       DeleteItem (group) + DeleteItem (host record, if still this group's)
 *                     + Query (node keys) + BatchWriteItem (25 deletes per call)
 *   setHostHeartbeat  UpdateItem
 *   setNodeExpiry     TransactWriteItems (node [, subscription])
 *   updateNode        UpdateItem (node-update.ts); releaseSeqs too, nothing when its condition fails
 *   listNodes         Query (usually one)
 *   listSubscribers   Query (per 1 MB page)
 *   dropConnection    GetItem + TransactWriteItems (connection, subscription, unbind node: node-drops.ts);
 *                     a second TransactWriteItems without the node when it is no longer bound to it
 *   dropSubscriber    TransactWriteItems (subscription, connection)
 *
 * Strongly consistent reads everywhere a request decides something (the byDomain
 * index cannot be read consistently). Expiry is not checked here: the store
 * returns what it finds and the core decides what is live.
 */
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  UpdateCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { ConnectionRecord, GroupKey, GroupRecord, HostRecord, NodeRecord, Subscriber } from '#shared/core/model';
import { type Clock, type DueNode, type MeshStore, type NodeChange, type SeqRange } from '#shared/core/ports';
import { batchDelete, batchGet } from './batch';
import { queryGroupsByNamePrefix, queryGroupsOfDomain } from './group-index';
import { notExists, unchangedSinceRead } from './conditions';
import { ignoreConditionFailed, mapConditionFailed } from './errors';
import { claimDrop, listDueNodes, nodeDeletes, removeDroppedNode, unbindConnection } from './node-drops';
import { nodeUpdateInput, seqReleaseInput } from './node-update';
import { queryAll } from './query';
import type { RetryPolicy } from './retry';
import { type TransactItem, transactWrite } from './transact';
import {
  connectionItem,
  connectionKey,
  dropIndexSk,
  groupItem,
  groupPk,
  hostItem,
  hostKey,
  metaKey,
  NODE_PREFIX,
  nodeItem,
  nodeKey,
  SUBSCRIPTION_PREFIX,
  subscriptionItem,
  subscriptionKey,
  toConnection,
  toGroup,
  toHostGroupKey,
  toNode,
  toSubscriber,
  ttlAt,
  type Key,
} from './keys';

type Item = Record<string, unknown>;

export interface DynamoMeshStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Dates the connection records' TTL. Default: the system clock. */
  clock?: Clock;
  /** Rounds for UnprocessedKeys/UnprocessedItems and transaction conflicts. Default 5. */
  maxAttempts?: number;
  /** First backoff between those rounds, doubled each round (with jitter). Default 20 ms. */
  retryBaseDelayMs?: number;
}

export class DynamoMeshStore implements MeshStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly clock: Clock;
  private readonly retry: RetryPolicy;

  constructor(options: DynamoMeshStoreOptions) {
    this.client = options.client;
    this.table = options.tableName;
    this.clock = options.clock ?? { now: () => Date.now() };
    this.retry = { maxAttempts: options.maxAttempts ?? 5, baseDelayMs: options.retryBaseDelayMs ?? 20 };
  }

  // ---- reads ---------------------------------------------------------------

  async getGroup(key: GroupKey): Promise<GroupRecord | undefined> {
    return toGroup(await this.get(metaKey(key)), key);
  }

  async getGroupAndNode(key: GroupKey, nodeId: string): Promise<{ group?: GroupRecord; node?: NodeRecord }> {
    const wanted = [metaKey(key), nodeKey(key, nodeId)];
    const items = await batchGet(this.client, this.table, wanted, this.retry);
    const bySk = new Map(items.map((item) => [item.sk as string, item]));
    return {
      group: toGroup(bySk.get(wanted[0].sk), key),
      node: toNode(bySk.get(wanted[1].sk), key, nodeId),
    };
  }

  async findHostGroup(domain: string, hostId: string): Promise<HostRecord | undefined> {
    const groupKey = toHostGroupKey(await this.get(hostKey(domain, hostId)), domain, hostId);
    if (groupKey === undefined) return undefined;
    return { groupId: groupKey.groupId, group: await this.getGroup(groupKey) };
  }

  async listGroups(domain: string): Promise<GroupRecord[]> {
    return queryGroupsOfDomain(this.client, this.table, domain);
  }

  async searchGroups(prefix: string, options: { now: number; max: number }): Promise<GroupRecord[]> {
    return queryGroupsByNamePrefix(this.client, this.table, prefix, options);
  }

  async getConnection(connectionId: string): Promise<ConnectionRecord | undefined> {
    return toConnection(await this.get(connectionKey(connectionId)), connectionId);
  }

  async listNodes(
    key: GroupKey,
    page: { after?: string; limit: number },
  ): Promise<{ nodes: NodeRecord[]; more: boolean }> {
    // One item more than asked tells whether another page exists.
    const want = page.limit + 1;
    const items: Item[] = [];
    let start: Item | undefined = page.after === undefined ? undefined : nodeKey(key, page.after);
    do {
      const result = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
          ExpressionAttributeValues: { ':pk': groupPk(key), ':prefix': NODE_PREFIX },
          ExclusiveStartKey: start,
          Limit: want - items.length,
          ConsistentRead: true,
        }),
      );
      items.push(...(result.Items ?? []));
      start = result.LastEvaluatedKey;
    } while (start !== undefined && items.length < want);
    const nodes = items.slice(0, page.limit).flatMap((item) => toNode(item, key) ?? []);
    return { nodes, more: items.length > page.limit };
  }

  async listSubscribers(key: GroupKey): Promise<Subscriber[]> {
    const items = await this.queryAll({
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ProjectionExpression: '#sk, #nodeId, #expiresAt',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk', '#nodeId': 'nodeId', '#expiresAt': 'expiresAt' },
      ExpressionAttributeValues: { ':pk': groupPk(key), ':prefix': SUBSCRIPTION_PREFIX },
      // A member that has just joined must get the next push.
      ConsistentRead: true,
    });
    return items.map(toSubscriber);
  }

  // ---- writes --------------------------------------------------------------

  async createGroup(group: GroupRecord, host: NodeRecord, replaces: string | undefined): Promise<void> {
    const items: TransactItem[] = [
      { Put: { TableName: this.table, Item: groupItem(group), ...notExists() } },
      {
        Put: {
          TableName: this.table,
          Item: hostItem(group),
          ...(replaces === undefined
            ? notExists()
            : {
                ConditionExpression: '#groupId = :replaces',
                ExpressionAttributeNames: { '#groupId': 'groupId' },
                ExpressionAttributeValues: { ':replaces': replaces },
              }),
        },
      },
      { Put: { TableName: this.table, Item: nodeItem(host) } },
      ...this.bindingPuts(host),
    ];
    await this.transact(items);
  }

  async putNode(node: NodeRecord, previousConnectionId: string | null): Promise<void> {
    const items: TransactItem[] = [
      {
        ConditionCheck: {
          TableName: this.table,
          Key: metaKey(node),
          ConditionExpression: '#groupId = :groupId AND #domain = :domain',
          ExpressionAttributeNames: { '#groupId': 'groupId', '#domain': 'domain' },
          ExpressionAttributeValues: { ':groupId': node.groupId, ':domain': node.domain },
        },
      },
      { Put: { TableName: this.table, Item: nodeItem(node), ...unchangedSinceRead(node) } },
      ...this.bindingPuts(node),
    ];
    if (previousConnectionId !== null && previousConnectionId !== node.connectionId) {
      items.push(
        { Delete: { TableName: this.table, Key: subscriptionKey(node, previousConnectionId) } },
        { Delete: { TableName: this.table, Key: connectionKey(previousConnectionId) } },
      );
    }
    await this.transact(items);
  }

  async removeNode(node: NodeRecord): Promise<void> {
    await this.transact(nodeDeletes(this.table, node));
  }

  /**
   * Deletes the group item first (the group is gone for every reader at once),
   * then the host record (only if it still points at this group) and the nodes.
   * The subscriptions (C#) are left to their TTL on purpose: the dissolve push
   * is published just before this and its fan-out, which runs a moment later,
   * reads them to reach the members. Nothing else reads them once the group is
   * gone, and $disconnect or a 410 removes them sooner.
   */
  async deleteGroup(group: GroupRecord): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.table, Key: metaKey(group) }));
    await ignoreConditionFailed(
      this.client.send(
        new DeleteCommand({
          TableName: this.table,
          Key: hostKey(group.domain, group.hostId),
          ConditionExpression: '#groupId = :groupId',
          ExpressionAttributeNames: { '#groupId': 'groupId' },
          ExpressionAttributeValues: { ':groupId': group.groupId },
        }),
      ),
    );
    const nodes = await this.queryAll({
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ProjectionExpression: '#pk, #sk',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
      ExpressionAttributeValues: { ':pk': groupPk(group), ':prefix': NODE_PREFIX },
      ConsistentRead: true,
    });
    const keys = nodes.map((item) => ({ pk: item.pk as string, sk: item.sk as string }));
    await batchDelete(this.client, this.table, keys, this.retry);
  }

  async setHostHeartbeat(key: GroupKey, at: number): Promise<void> {
    await mapConditionFailed(
      this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: metaKey(key),
          UpdateExpression: 'SET #heartbeatAt = :at',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#heartbeatAt': 'heartbeatAt', '#pk': 'pk' },
          ExpressionAttributeValues: { ':at': at },
        }),
      ),
    );
  }

  async setNodeExpiry(node: NodeRecord, expiresAt: number): Promise<void> {
    const bound = node.connectionId !== null;
    const items: TransactItem[] = [
      {
        Update: {
          TableName: this.table,
          Key: nodeKey(node, node.nodeId),
          // A member's dropAt (byDrop's sort key) moves with its expiry.
          UpdateExpression: 'SET #expiresAt = :expiresAt, #ttl = :ttl, #dropAt = :dropAt',
          ConditionExpression: bound ? 'attribute_exists(#pk) AND #connectionId = :cid' : 'attribute_exists(#pk)',
          ExpressionAttributeNames: {
            '#expiresAt': 'expiresAt',
            '#ttl': 'ttl',
            '#pk': 'pk',
            '#dropAt': 'gsi4sk',
            ...(bound ? { '#connectionId': 'connectionId' } : {}),
          },
          ExpressionAttributeValues: {
            ':expiresAt': expiresAt,
            ':ttl': ttlAt(expiresAt),
            ':dropAt': dropIndexSk(expiresAt, node),
            ...(bound ? { ':cid': node.connectionId } : {}),
          },
        },
      },
    ];
    if (node.connectionId !== null) {
      // A Put (not an Update) so a subscription lost to a race is restored whole.
      const item = subscriptionItem(node, node.connectionId, node.nodeId, expiresAt);
      items.push({ Put: { TableName: this.table, Item: item } });
    }
    await this.transact(items);
  }

  /**
   * The hot path's one write. Status keys are arbitrary text, so each goes
   * through an expression attribute name; names and values are numbered
   * (`#0`, `:0`) to keep the expression under DynamoDB's 4 KB limit at the
   * protocol's 256 keys per report.
   */
  async updateNode(key: GroupKey, nodeId: string, connectionId: string, change: NodeChange): Promise<NodeRecord> {
    const result = await mapConditionFailed(
      this.client.send(new UpdateCommand(nodeUpdateInput(this.table, key, nodeId, connectionId, change))),
    );
    const node = toNode(result.Attributes, key, nodeId);
    if (node === undefined) throw new Error('UpdateItem returned no node');
    return node;
  }

  async releaseSeqs(key: GroupKey, nodeId: string, connectionId: string, seqs: SeqRange): Promise<void> {
    const input = seqReleaseInput(this.table, key, nodeId, connectionId, seqs);
    await ignoreConditionFailed(this.client.send(new UpdateCommand(input)));
  }
  async dropConnection(connectionId: string, dropAt: number): Promise<void> {
    const connection = await this.getConnection(connectionId);
    if (connection !== undefined) await unbindConnection(this.client, this.table, connection, dropAt, this.retry);
  }

  async listDueNodes(now: number): Promise<DueNode[]> {
    return listDueNodes(this.client, this.table, now);
  }

  async claimDrop(due: DueNode, retryAt: number): Promise<NodeRecord | undefined> {
    return claimDrop(this.client, this.table, due, retryAt);
  }

  async removeDroppedNode(node: NodeRecord): Promise<boolean> {
    return removeDroppedNode(this.client, this.table, node, this.retry);
  }

  async dropSubscriber(key: GroupKey, subscriber: Subscriber): Promise<void> {
    // The connection is gone (410): both of its rows are garbage wherever they point.
    await this.transact([
      { Delete: { TableName: this.table, Key: subscriptionKey(key, subscriber.connectionId) } },
      { Delete: { TableName: this.table, Key: connectionKey(subscriber.connectionId) } },
    ]);
  }

  // ---- helpers -------------------------------------------------------------

  /** The subscription and connection record of a node bound to a connection. */
  private bindingPuts(node: NodeRecord): TransactItem[] {
    if (node.connectionId === null) return [];
    const connectionId = node.connectionId;
    return [
      { Put: { TableName: this.table, Item: subscriptionItem(node, connectionId, node.nodeId, node.expiresAt) } },
      {
        Put: {
          TableName: this.table,
          Item: connectionItem({ ...node, connectionId }, this.clock.now()),
        },
      },
    ];
  }

  private async get(key: Key): Promise<Item | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }));
    return result.Item;
  }

  private async queryAll(input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>): Promise<Item[]> {
    return queryAll(this.client, { ...input, TableName: this.table });
  }

  /** Every transaction goes through transact.ts: idempotency token, ConditionFailed, conflict retry. */
  private async transact(items: TransactItem[]): Promise<void> {
    await transactWrite(this.client, items, this.retry);
  }
}
