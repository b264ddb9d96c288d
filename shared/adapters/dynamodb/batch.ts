/**
 * BatchGetItem and BatchWriteItem until every key is done. DynamoDB may leave
 * part of a batch unprocessed (throttling, size) without failing the call, so
 * the rest is sent again, with backoff, a bounded number of rounds.
 */
import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Key } from './keys';
import { backoff, type RetryPolicy } from './retry';

type Item = Record<string, unknown>;

/** BatchWriteItem takes at most 25 requests. */
const BATCH_WRITE_LIMIT = 25;

/** The items found for `keys`, strongly consistent, in no particular order. */
export async function batchGet(
  client: DynamoDBDocumentClient,
  table: string,
  keys: Key[],
  retry: RetryPolicy,
): Promise<Item[]> {
  const found: Item[] = [];
  let pending: Item[] = keys;
  for (let attempt = 1; ; attempt++) {
    const result = await client.send(
      new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } }),
    );
    found.push(...(result.Responses?.[table] ?? []));
    pending = result.UnprocessedKeys?.[table]?.Keys ?? [];
    if (pending.length === 0) return found;
    if (attempt >= retry.maxAttempts) throw new Error(`BatchGetItem left ${pending.length} keys unprocessed`);
    await backoff(retry, attempt);
  }
}

/** Deletes `keys`, 25 per call. */
export async function batchDelete(
  client: DynamoDBDocumentClient,
  table: string,
  keys: Key[],
  retry: RetryPolicy,
): Promise<void> {
  for (let i = 0; i < keys.length; i += BATCH_WRITE_LIMIT) {
    let pending = keys.slice(i, i + BATCH_WRITE_LIMIT).map((key) => ({ DeleteRequest: { Key: key } }));
    for (let attempt = 1; pending.length > 0; attempt++) {
      const result = await client.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
      pending = (result.UnprocessedItems?.[table] ?? []) as typeof pending;
      if (pending.length === 0) break;
      if (attempt >= retry.maxAttempts) throw new Error(`BatchWriteItem left ${pending.length} deletes unprocessed`);
      await backoff(retry, attempt);
    }
  }
}
