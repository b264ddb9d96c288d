/**
 * The PushOutbox on DynamoDB: one item per group, `C!OUTBOX` in the group's
 * partition, holding the pushes not yet fanned out as a list of JSON strings
 * (strings cost no marshalling and their size is known exactly).
 *
 *   pushes     list of push JSON texts, oldest first
 *   bytes      their UTF-8 bytes in all (bounds the item under 400 KB)
 *   head       pushes trimmed so far (the trim's optimistic lock)
 *   flushAt    the flush mark (epoch ms), absent when no flush is under way
 *   roundAt    when the last round was posted (epoch ms; 0 before any)
 *   ttl        three hours past the last append: an idle outbox is removed
 *
 * Calls: append, claim, trim, trimAndRelease and release are one UpdateItem each;
 * read is one strongly consistent Query (per 1 MB page) that returns the
 * outbox and the subscriptions together. A lone push therefore costs one
 * append, one read and one trimAndRelease besides the request's own calls.
 */
import { type DynamoDBDocumentClient, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { GroupKey, Subscriber } from '#shared/core/model';
import { OUTBOX_LIMITS } from '#shared/core/outbox';
import { ConditionFailed, OutboxFull, type OutboxState, type PushOutbox } from '#shared/core/ports';
import { utf8Bytes } from '#shared/protocol/limits';
import {
  groupPk,
  MAX_CONNECTION_SECONDS,
  OUTBOX_AND_SUBSCRIPTIONS_PREFIX,
  outboxKey,
  SK_OUTBOX,
  SUBSCRIPTION_PREFIX,
  toSubscriber,
  ttlAt,
} from './keys';
import { queryAll } from './store';

type Item = Record<string, unknown>;

export interface DynamoPushOutboxOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** JSON bytes the outbox may hold. Default OUTBOX_LIMITS.maxBytes. */
  maxBytes?: number;
}

export class DynamoPushOutbox implements PushOutbox {
  private readonly client: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly maxBytes: number;

  constructor(options: DynamoPushOutboxOptions) {
    this.client = options.client;
    this.table = options.tableName;
    this.maxBytes = options.maxBytes ?? OUTBOX_LIMITS.maxBytes;
  }

  async append(key: GroupKey, pushes: string[], now: number): Promise<{ flushMarkAt?: number; lastRoundAt?: number }> {
    const bytes = pushes.reduce((total, text) => total + utf8Bytes(text), 0);
    if (bytes > this.maxBytes) throw new OutboxFull(`${bytes} bytes of pushes exceed the outbox's ${this.maxBytes}`);
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: outboxKey(key),
          UpdateExpression:
            'SET #pushes = list_append(if_not_exists(#pushes, :empty), :pushes), #flushAt = if_not_exists(#flushAt, :now), ' +
            '#roundAt = if_not_exists(#roundAt, :zero), #head = if_not_exists(#head, :zero), ' +
            '#groupId = :groupId, #domain = :domain, #ttl = :ttl ADD #bytes :bytes',
          ConditionExpression: 'attribute_not_exists(#bytes) OR #bytes <= :room',
          ExpressionAttributeNames: {
            '#pushes': 'pushes',
            '#flushAt': 'flushAt',
            '#roundAt': 'roundAt',
            '#head': 'head',
            '#groupId': 'groupId',
            '#domain': 'domain',
            '#ttl': 'ttl',
            '#bytes': 'bytes',
          },
          ExpressionAttributeValues: {
            ':empty': [],
            ':pushes': pushes,
            ':now': now,
            ':zero': 0,
            ':groupId': key.groupId,
            ':domain': key.domain,
            ':ttl': ttlAt(now + MAX_CONNECTION_SECONDS * 1000),
            ':bytes': bytes,
            ':room': this.maxBytes - bytes,
          },
          // The old values of the attributes set: flushAt and roundAt are used
          // (the old list comes back too; returned values cost no capacity).
          ReturnValues: 'UPDATED_OLD',
        }),
      );
      const mark = result.Attributes?.flushAt;
      const roundAt = result.Attributes?.roundAt;
      return {
        flushMarkAt: typeof mark === 'number' ? mark : undefined,
        lastRoundAt: typeof roundAt === 'number' && roundAt > 0 ? roundAt : undefined,
      };
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') throw new OutboxFull('the outbox is full', { cause: error });
      // DynamoDB refuses an update that would take the item over 400 KB.
      if (errorName(error) === 'ValidationException' && /size/i.test(String((error as Error).message))) {
        throw new OutboxFull('the outbox item would be too large', { cause: error });
      }
      throw error;
    }
  }

  async claim(key: GroupKey, staleMark: number, now: number): Promise<boolean> {
    return this.conditionalUpdate({
      Key: outboxKey(key),
      UpdateExpression: 'SET #flushAt = :now',
      ConditionExpression: '#flushAt = :stale',
      ExpressionAttributeNames: { '#flushAt': 'flushAt' },
      ExpressionAttributeValues: { ':now': now, ':stale': staleMark },
    });
  }


  async read(key: GroupKey): Promise<{ outbox?: OutboxState; subscribers: Subscriber[] }> {
    const items = await queryAll(this.client, {
      TableName: this.table,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
      ExpressionAttributeValues: { ':pk': groupPk(key), ':prefix': OUTBOX_AND_SUBSCRIPTIONS_PREFIX },
      // A member that has just joined must get the next round, and the
      // round must see every push appended before it.
      ConsistentRead: true,
    });
    let outbox: OutboxState | undefined;
    const subscribers: Subscriber[] = [];
    for (const item of items) {
      // Ids are free text: an item of another group sharing the partition key is not ours.
      if (item.groupId !== key.groupId || item.domain !== key.domain) continue;
      if (item.sk === SK_OUTBOX) outbox = toOutbox(item);
      else if (typeof item.sk === 'string' && item.sk.startsWith(SUBSCRIPTION_PREFIX)) subscribers.push(toSubscriber(item));
    }
    return { outbox, subscribers };
  }

  async trim(key: GroupKey, head: number, count: number, bytes: number, now: number): Promise<void> {
    const trimmed = await this.conditionalUpdate({
      Key: outboxKey(key),
      UpdateExpression: `SET #head = :next, #flushAt = :now, #roundAt = :now REMOVE ${removesOf(count)} ADD #bytes :minus`,
      ConditionExpression: '#head = :head',
      ExpressionAttributeNames: TRIM_NAMES,
      ExpressionAttributeValues: { ':head': head, ':next': head + count, ':now': now, ':minus': -bytes },
    });
    if (!trimmed) throw new ConditionFailed('another flush trimmed the outbox first');
  }

  async trimAndRelease(key: GroupKey, head: number, count: number, bytes: number, now: number): Promise<boolean> {
    return this.conditionalUpdate({
      Key: outboxKey(key),
      UpdateExpression: `SET #head = :next, #roundAt = :now REMOVE ${removesOf(count)}, #flushAt ADD #bytes :minus`,
      ConditionExpression: '#head = :head AND size(#pushes) = :count',
      ExpressionAttributeNames: TRIM_NAMES,
      ExpressionAttributeValues: { ':head': head, ':next': head + count, ':count': count, ':minus': -bytes, ':now': now },
    });
  }

  async release(key: GroupKey): Promise<boolean> {
    return this.conditionalUpdate({
      Key: outboxKey(key),
      UpdateExpression: 'REMOVE #flushAt',
      ConditionExpression: 'attribute_exists(#pk) AND size(#pushes) = :zero',
      ExpressionAttributeNames: { '#pk': 'pk', '#flushAt': 'flushAt', '#pushes': 'pushes' },
      ExpressionAttributeValues: { ':zero': 0 },
    });
  }

  /** One UpdateItem with a condition: false (nothing written) when the condition failed. */
  private async conditionalUpdate(input: Omit<UpdateCommandInput, 'TableName'>): Promise<boolean> {
    try {
      await this.client.send(new UpdateCommand({ TableName: this.table, ...input }));
      return true;
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

}

/** The attribute names of both trims. */
const TRIM_NAMES = { '#pushes': 'pushes', '#head': 'head', '#flushAt': 'flushAt', '#roundAt': 'roundAt', '#bytes': 'bytes' };

/** `#pushes[0], #pushes[1], …`: the first `count` list elements, for REMOVE. */
function removesOf(count: number): string {
  return Array.from({ length: count }, (_, i) => `#pushes[${i}]`).join(', ');
}

function toOutbox(item: Item): OutboxState {
  const pushes = Array.isArray(item.pushes) ? item.pushes.filter((push): push is string => typeof push === 'string') : [];
  return {
    head: typeof item.head === 'number' ? item.head : 0,
    pushes,
    flushMarkAt: typeof item.flushAt === 'number' ? item.flushAt : undefined,
  };
}

function errorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? (error as { name?: string }).name : undefined;
}
