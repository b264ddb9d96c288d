/**
 * The ConsoleStore on DynamoDB: what the operator console reads and writes
 * beyond the MeshStore, only ever while someone watches.
 *
 * Calls per method:
 *   listAllGroups   Scan of the byDomain index (per 1 MB page): only group items are in it, so a
 *                   snapshot reads every group and nothing else; an operator's renewal every few
 *                   seconds is its only reader
 *   putViewer       TransactWriteItems (the console log's subscription, the connection record)
 *   putGroupViewer  PutItem (a subscription in the group's partition)
 *   removeViewer    TransactWriteItems (both of putViewer's items)
 *   markWatched     UpdateItem of the group's log head (nothing when the group has no log yet)
 */
import { type DynamoDBDocumentClient, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { GroupKey, GroupRecord } from '#shared/core/model';
import type { ConsoleStore } from '#shared/core/ports';
import { VIEWER_NODE_ID } from '#shared/core/viewers';
import { CONSOLE_LOG } from '#shared/protocol/console';
import { ignoreConditionFailed } from './errors';
import { connectionItem, connectionKey, logHeadKey, subscriptionItem, subscriptionKey, toGroup } from './keys';
import { BY_DOMAIN_INDEX } from './table';
import type { RetryPolicy } from './retry';
import { transactWrite } from './transact';

export interface DynamoConsoleStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  now: () => number;
  retry?: RetryPolicy;
}

export class DynamoConsoleStore implements ConsoleStore {
  private readonly retry: RetryPolicy;

  constructor(private readonly options: DynamoConsoleStoreOptions) {
    this.retry = options.retry ?? { maxAttempts: 5, baseDelayMs: 20 };
  }

  async listAllGroups(): Promise<GroupRecord[]> {
    const { client, tableName } = this.options;
    const groups: GroupRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await client.send(
        new ScanCommand({ TableName: tableName, IndexName: BY_DOMAIN_INDEX, ExclusiveStartKey: start }),
      );
      for (const item of page.Items ?? []) {
        const group = toGroup(item);
        if (group !== undefined) groups.push(group);
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return groups;
  }

  async putViewer(connectionId: string, expiresAt: number): Promise<void> {
    const { tableName } = this.options;
    await transactWrite(
      this.options.client,
      [
        { Put: { TableName: tableName, Item: subscriptionItem(CONSOLE_LOG, connectionId, VIEWER_NODE_ID, expiresAt) } },
        // The connection record makes $disconnect remove the viewer, as it removes a member.
        {
          Put: {
            TableName: tableName,
            Item: connectionItem({ ...CONSOLE_LOG, connectionId, nodeId: VIEWER_NODE_ID }, this.options.now()),
          },
        },
      ],
      this.retry,
    );
  }

  async putGroupViewer(key: GroupKey, connectionId: string, expiresAt: number): Promise<void> {
    const item = subscriptionItem(key, connectionId, VIEWER_NODE_ID, expiresAt);
    await this.options.client.send(new PutCommand({ TableName: this.options.tableName, Item: item }));
  }

  async removeViewer(connectionId: string): Promise<void> {
    const { tableName } = this.options;
    await transactWrite(
      this.options.client,
      [
        { Delete: { TableName: tableName, Key: subscriptionKey(CONSOLE_LOG, connectionId) } },
        { Delete: { TableName: tableName, Key: connectionKey(connectionId) } },
      ],
      this.retry,
    );
  }

  async markWatched(key: GroupKey, until: number | null): Promise<void> {
    const on = until !== null;
    await ignoreConditionFailed(
      this.options.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: logHeadKey(key),
          UpdateExpression: on ? 'SET #watchedUntil = :until' : 'REMOVE #watchedUntil',
          // A group with no log yet gets none from this: its first push makes the head.
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#watchedUntil': 'watchedUntil', '#pk': 'pk' },
          ...(on ? { ExpressionAttributeValues: { ':until': until } } : {}),
        }),
      ),
    );
  }
}
