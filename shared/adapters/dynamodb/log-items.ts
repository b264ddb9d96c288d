/**
 * The items of the group log (log.ts): the head's append update, an append's
 * result and the head read back from their attributes, and the byPending
 * index's keys. What the items hold is described at the top of log.ts.
 */
import type { UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { GroupKey } from '#shared/core/model';
import type { Appended, LogHead } from '#shared/core/ports';
import { logHeadKey, MAX_CONNECTION_SECONDS, shardOf, ttlAt } from './keys';

export type Item = Record<string, unknown>;

export const LOG_LIMITS = {
  /** Bytes of pushes the head may hold (DynamoDB's item limit is 400 KB); a full head is sealed by the append that finds it so. */
  maxHeadBytes: 300 * 1024,
  /** Pushes one seal moves: each is named in a REMOVE, and an expression is at most 4 KB. */
  maxSealPushes: 300,
  /** Shards of the byPending index's partition key, so no one index partition takes every flush start and end. */
  pendingShards: 4,
  /** Attempts of an append that finds the head full (each seals first). */
  appendAttempts: 3,
} as const;

export function appendInput(
  key: GroupKey,
  pushes: string[],
  bytes: number,
  options: { now: number; token: string; dissolve?: boolean },
): Omit<UpdateCommandInput, 'TableName'> {
  const sets = [
    '#page = list_append(if_not_exists(#page, :empty), :pushes)',
    '#pageStart = if_not_exists(#pageStart, :zero)',
    '#cursor = if_not_exists(#cursor, :zero)',
    '#roundAt = if_not_exists(#roundAt, :zero)',
    '#rate = if_not_exists(#rate, :zero)',
    '#token = if_not_exists(#token, :token)',
    '#flushAt = if_not_exists(#flushAt, :now)',
    '#gsi2pk = if_not_exists(#gsi2pk, :shard)',
    '#gsi2sk = if_not_exists(#gsi2sk, :since)',
    '#groupId = :groupId',
    '#domain = :domain',
    '#ttl = :ttl',
  ];
  if (options.dissolve) sets.push('#dissolvedAt = :now');
  return {
    Key: logHeadKey(key),
    // The new values of what it set: pos and the flush state (the page comes back too; returned values cost no capacity).
    ReturnValues: 'UPDATED_NEW',
    UpdateExpression: `SET ${sets.join(', ')} ADD #pos :count, #pageBytes :bytes`,
    // Ids are free text: a head of another group sharing the partition key is never written to.
    ConditionExpression:
      '(attribute_not_exists(#groupId) OR (#groupId = :groupId AND #domain = :domain)) AND ' +
      'attribute_not_exists(#dissolvedAt) AND (attribute_not_exists(#pageBytes) OR #pageBytes <= :room)',
    ExpressionAttributeNames: {
      '#page': 'page',
      '#pageStart': 'pageStart',
      '#cursor': 'cursor',
      '#roundAt': 'roundAt',
      '#rate': 'rate',
      '#token': 'flushToken',
      '#flushAt': 'flushAt',
      '#gsi2pk': 'gsi2pk',
      '#gsi2sk': 'gsi2sk',
      '#groupId': 'groupId',
      '#domain': 'domain',
      '#ttl': 'ttl',
      '#dissolvedAt': 'dissolvedAt',
      '#pos': 'pos',
      '#pageBytes': 'pageBytes',
    },
    ExpressionAttributeValues: {
      ':empty': [],
      ':pushes': pushes,
      ':zero': 0,
      ':token': options.token,
      ':now': options.now,
      ':shard': pendingPk(shardOf(key, LOG_LIMITS.pendingShards)),
      ':since': `${pendingSk(options.now)}#${JSON.stringify([key.groupId, key.domain])}`,
      ':groupId': key.groupId,
      ':domain': key.domain,
      ':ttl': ttlAt(options.now + MAX_CONNECTION_SECONDS * 1000),
      ':count': pushes.length,
      ':bytes': bytes,
      ':room': LOG_LIMITS.maxHeadBytes - bytes,
    },
  };
}

export function toAppended(attributes: Item, count: number): Appended {
  return {
    first: numberOf(attributes.pos) - count,
    flushToken: String(attributes.flushToken),
    flushAt: numberOf(attributes.flushAt),
    roundAt: numberOf(attributes.roundAt),
    rate: numberOf(attributes.rate),
  };
}

export function toHead(item: Item): LogHead {
  const page = Array.isArray(item.page) ? item.page.filter((text): text is string => typeof text === 'string') : [];
  return {
    pos: numberOf(item.pos),
    pageStart: numberOf(item.pageStart),
    page,
    cursor: numberOf(item.cursor),
    flushToken: typeof item.flushToken === 'string' ? item.flushToken : undefined,
    flushOwner: typeof item.flushOwner === 'string' ? item.flushOwner : undefined,
    flushAt: typeof item.flushAt === 'number' ? item.flushAt : undefined,
    roundAt: numberOf(item.roundAt),
    rate: numberOf(item.rate),
    dissolvedAt: typeof item.dissolvedAt === 'number' ? item.dissolvedAt : undefined,
    watchedUntil: typeof item.watchedUntil === 'number' ? item.watchedUntil : undefined,
  };
}

export function numberOf(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

export function pendingPk(shard: number): string {
  return `P#${shard}`;
}

/** Epoch ms, zero-padded so that the index sorts by it. */
export function pendingSk(at: number): string {
  return String(Math.max(0, Math.floor(at))).padStart(15, '0');
}

/** The group a byPending sort key names (JSON after the time: ids are free text). */
export function groupOfPendingSk(sk: unknown): GroupKey | undefined {
  if (typeof sk !== 'string') return undefined;
  const at = sk.indexOf('#');
  try {
    const [groupId, domain] = JSON.parse(sk.slice(at + 1)) as unknown[];
    return typeof groupId === 'string' && typeof domain === 'string' ? { groupId, domain } : undefined;
  } catch {
    return undefined;
  }
}
