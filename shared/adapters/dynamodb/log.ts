/**
 * The GroupLog on DynamoDB, in the group's partition:
 *
 *   C!LOG      the head: recent pushes and the fan-out's state
 *     page        list of push JSON texts at positions pageStart, pageStart + 1, …
 *     pageStart   position of page[0]
 *     pos         the next position (ADD on every append: pageStart + size(page))
 *     pageBytes   bytes of page (bounds the item under 400 KB)
 *     cursor      every position below it has been posted
 *     flushToken  present while a flush is requested or running
 *     flushOwner  the invocation running it
 *     flushAt     when the flush was requested or last made progress (epoch ms)
 *     roundAt     when the last round that posted began; rate, the push rate estimate
 *     dissolvedAt set by the group's one dissolve: no append after it
 *     gsi2pk/sk   present while a flush is requested: the byPending index
 *                 (P#{shard} / {pendingSince}#[groupId,domain]), the sweeper's list
 *     ttl         three hours past the last append
 *   L#{end}    a sealed page: pushes at positions start … end - 1, sealedAt, and a
 *              ttl of the retention (MESH_EVENT_TTL_SECONDS) past the seal
 *
 * Calls: append, claim, advance (one, or two when a release lost to an
 * append), restart and the seal's head update are one UpdateItem each; a seal
 * is one PutItem before it; read is one strongly consistent Query of the head
 * and the subscriptions; readSealed and readRetained one Query of pages; listPending one Query
 * of the index per shard.
 */
import {
  GetCommand,
  PutCommand,
  type DynamoDBDocumentClient,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { GroupKey, Subscriber } from '#shared/core/model';
import { contiguousFrom } from '#shared/core/event-log';
import { type AdvanceStep, type Appended, type GroupLog, type LogHead, type RetainedPushes } from '#shared/core/ports';
import { GroupDissolved } from '#shared/core/store-errors';
import { utf8Bytes } from '#shared/protocol/limits';
import {
  groupPk,
  HEAD_AND_SUBSCRIPTIONS_PREFIX,
  logHeadKey,
  logPageSk,
  SK_LOG_HEAD,
  SUBSCRIPTION_PREFIX,
  toSubscriber,
  ttlAt,
} from './keys';
import { mapThrottled } from './errors';
import { queryAll } from './query';
import { BY_PENDING_INDEX } from './table';
import {
  appendInput,
  groupOfPendingSk,
  type Item,
  LOG_LIMITS,
  pendingPk,
  pendingSk,
  toAppended,
  toHead,
} from './log-items';

export { LOG_LIMITS };

export interface DynamoGroupLogOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** How long sealed pages are kept (MESH_EVENT_TTL_SECONDS). */
  retentionSeconds: number;
}

export class DynamoGroupLog implements GroupLog {
  private readonly client: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly retentionSeconds: number;

  constructor(options: DynamoGroupLogOptions) {
    this.client = options.client;
    this.table = options.tableName;
    this.retentionSeconds = options.retentionSeconds;
  }

  async append(
    key: GroupKey,
    pushes: string[],
    options: { now: number; token: string; dissolve?: boolean },
  ): Promise<Appended> {
    const bytes = pushes.reduce((total, text) => total + utf8Bytes(text), 0);
    for (let attempt = 1; ; attempt += 1) {
      const result = await mapThrottled(this.update(appendInput(key, pushes, bytes, options)));
      if (result !== undefined) return toAppended(result, pushes.length);
      // The condition failed: dissolved, or the head is full (its flush is far behind).
      const head = await this.getHead(key);
      if (head?.dissolvedAt !== undefined) throw new GroupDissolved('the group was dissolved');
      if (head === undefined) throw new Error(`the log head of ${groupPk(key)} belongs to another group`);
      if (attempt >= LOG_LIMITS.appendAttempts)
        throw new Error(`the log head of ${groupPk(key)} has no room for ${bytes} bytes`);
      await this.seal(key, head.pageStart, head.page.slice(0, LOG_LIMITS.maxSealPushes), options.now);
    }
  }

  async read(key: GroupKey): Promise<{ head?: LogHead; subscribers: Subscriber[] }> {
    const items = await queryAll(this.client, {
      TableName: this.table,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
      ExpressionAttributeValues: { ':pk': groupPk(key), ':prefix': HEAD_AND_SUBSCRIPTIONS_PREFIX },
      // A member that has just joined must get the next round, and the round
      // must see every push appended before it.
      ConsistentRead: true,
    });
    let head: LogHead | undefined;
    const subscribers: Subscriber[] = [];
    for (const item of items) {
      // Ids are free text: an item of another group sharing the partition key is not ours.
      if (item.groupId !== key.groupId || item.domain !== key.domain) continue;
      if (item.sk === SK_LOG_HEAD) head = toHead(item);
      else if (typeof item.sk === 'string' && item.sk.startsWith(SUBSCRIPTION_PREFIX))
        subscribers.push(toSubscriber(item));
    }
    return { head, subscribers };
  }

  async readSealed(key: GroupKey, from: number, to: number): Promise<string[]> {
    const kept = await this.sealedPushes(key, from, to);
    const pushes: string[] = [];
    while (kept.has(from + pushes.length)) pushes.push(kept.get(from + pushes.length)!);
    return pushes;
  }

  async readRetained(key: GroupKey, from: number, to: number): Promise<RetainedPushes> {
    return contiguousFrom(await this.sealedPushes(key, from, to), to);
  }

  /** The sealed pushes kept at positions from … to - 1, by position: one Query of the pages. */
  private async sealedPushes(key: GroupKey, from: number, to: number): Promise<Map<number, string>> {
    const kept = new Map<number, string>();
    if (to <= from) return kept;
    const pages = await queryAll(this.client, {
      TableName: this.table,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :first AND :last',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
      // A page is keyed by its end: every page ending above `from` may hold positions from `from` on.
      ExpressionAttributeValues: { ':pk': groupPk(key), ':first': logPageSk(from + 1), ':last': logPageSk(to) },
      ConsistentRead: true,
    });
    // Two seals racing can leave overlapping pages (the loser's stays until its TTL): each position once.
    for (const page of pages) {
      if (page.groupId !== key.groupId || page.domain !== key.domain) continue;
      const start = Number(page.start);
      const texts = Array.isArray(page.pushes) ? page.pushes : [];
      texts.forEach((text, n) => {
        if (start + n >= from && start + n < to && !kept.has(start + n)) kept.set(start + n, String(text));
      });
    }
    return kept;
  }

  async seal(key: GroupKey, pageStart: number, pushes: string[], now: number): Promise<boolean> {
    const count = Math.min(pushes.length, LOG_LIMITS.maxSealPushes);
    if (count === 0) return false;
    const sealed = pushes.slice(0, count);
    const end = pageStart + count;
    await this.client.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: groupPk(key),
          sk: logPageSk(end),
          groupId: key.groupId,
          domain: key.domain,
          start: pageStart,
          end,
          pushes: sealed,
          sealedAt: now,
          ttl: ttlAt(now + this.retentionSeconds * 1000),
        },
      }),
    );
    const removes = Array.from({ length: count }, (_, i) => `#page[${i}]`).join(', ');
    const moved = await this.update({
      Key: logHeadKey(key),
      UpdateExpression: `SET #pageStart = :end REMOVE ${removes} ADD #pageBytes :minus`,
      ConditionExpression: '#pageStart = :start',
      ExpressionAttributeNames: { '#page': 'page', '#pageStart': 'pageStart', '#pageBytes': 'pageBytes' },
      ExpressionAttributeValues: {
        ':start': pageStart,
        ':end': end,
        ':minus': -sealed.reduce((t, s) => t + utf8Bytes(s), 0),
      },
    });
    return moved !== undefined;
  }

  async claim(key: GroupKey, token: string, owner: string, now: number, staleBefore: number): Promise<boolean> {
    const claimed = await this.update({
      Key: logHeadKey(key),
      UpdateExpression: 'SET #owner = :owner, #flushAt = :now',
      ConditionExpression: '#token = :token AND (attribute_not_exists(#owner) OR #owner = :owner OR #flushAt < :stale)',
      ExpressionAttributeNames: { '#owner': 'flushOwner', '#flushAt': 'flushAt', '#token': 'flushToken' },
      ExpressionAttributeValues: { ':owner': owner, ':now': now, ':token': token, ':stale': staleBefore },
    });
    return claimed !== undefined;
  }

  async advance(key: GroupKey, step: AdvanceStep): Promise<'released' | 'advanced' | 'lost'> {
    const names: Record<string, string> = { '#cursor': 'cursor', '#owner': 'flushOwner', '#flushAt': 'flushAt' };
    const values: Record<string, unknown> = { ':owner': step.owner, ':from': step.from, ':to': step.to };
    const sets = ['#cursor = :to'];
    if (step.to > step.from) {
      Object.assign(names, { '#roundAt': 'roundAt', '#rate': 'rate' });
      Object.assign(values, { ':roundAt': step.roundAt, ':rate': step.rate });
      sets.push('#roundAt = :roundAt', '#rate = :rate');
    }
    const condition = '#owner = :owner AND #cursor = :from';
    if (step.release) {
      const released = await this.update({
        Key: logHeadKey(key),
        UpdateExpression: `SET ${sets.join(', ')} REMOVE #token, #owner, #flushAt, #gsi2pk, #gsi2sk`,
        ConditionExpression: `${condition} AND #pos = :to`,
        ExpressionAttributeNames: {
          ...names,
          '#token': 'flushToken',
          '#gsi2pk': 'gsi2pk',
          '#gsi2sk': 'gsi2sk',
          '#pos': 'pos',
        },
        ExpressionAttributeValues: values,
      });
      if (released !== undefined) return 'released';
    }
    const advanced = await this.update({
      Key: logHeadKey(key),
      UpdateExpression: `SET ${[...sets, '#flushAt = :at'].join(', ')}${step.disown ? ' REMOVE #owner' : ''}`,
      ConditionExpression: condition,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ...values, ':at': step.now },
    });
    return advanced === undefined ? 'lost' : 'advanced';
  }

  async restart(
    key: GroupKey,
    token: string,
    options: { now: number; staleBefore: number; expected?: string },
  ): Promise<boolean> {
    const expected = options.expected === undefined ? '' : ' AND #token = :expected';
    const restarted = await this.update({
      Key: logHeadKey(key),
      UpdateExpression: 'SET #token = :token, #flushAt = :now REMOVE #owner',
      ConditionExpression: `attribute_exists(#token) AND #flushAt < :stale AND #groupId = :groupId AND #domain = :domain${expected}`,
      ExpressionAttributeNames: {
        '#token': 'flushToken',
        '#flushAt': 'flushAt',
        '#owner': 'flushOwner',
        '#groupId': 'groupId',
        '#domain': 'domain',
      },
      ExpressionAttributeValues: {
        ':token': token,
        ':now': options.now,
        ':stale': options.staleBefore,
        ':groupId': key.groupId,
        ':domain': key.domain,
        ...(options.expected === undefined ? {} : { ':expected': options.expected }),
      },
    });
    return restarted !== undefined;
  }

  async listPending(before: number): Promise<GroupKey[]> {
    const keys: GroupKey[] = [];
    for (let shard = 0; shard < LOG_LIMITS.pendingShards; shard += 1) {
      const items = await queryAll(this.client, {
        TableName: this.table,
        IndexName: BY_PENDING_INDEX,
        KeyConditionExpression: '#pk = :pk AND #sk < :before',
        ExpressionAttributeNames: { '#pk': 'gsi2pk', '#sk': 'gsi2sk' },
        ExpressionAttributeValues: { ':pk': pendingPk(shard), ':before': pendingSk(before) },
      });
      for (const item of items) {
        const key = groupOfPendingSk(item.gsi2sk);
        if (key !== undefined) keys.push(key);
      }
    }
    return keys;
  }

  private async getHead(key: GroupKey): Promise<LogHead | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.table, Key: logHeadKey(key), ConsistentRead: true }),
    );
    const item = result.Item;
    return item !== undefined && item.groupId === key.groupId && item.domain === key.domain ? toHead(item) : undefined;
  }

  /** One UpdateItem with a condition: the updated attributes, or undefined when the condition failed (nothing written). */
  private async update(input: Omit<UpdateCommandInput, 'TableName'>): Promise<Item | undefined> {
    try {
      const result = await this.client.send(new UpdateCommand({ TableName: this.table, ...input }));
      return result.Attributes ?? {};
    } catch (error) {
      if ((error as { name?: string } | null)?.name === 'ConditionalCheckFailedException') return undefined;
      throw error;
    }
  }
}
