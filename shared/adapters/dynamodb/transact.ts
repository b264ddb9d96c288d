/**
 * TransactWriteItems as the store needs it: idempotent under the SDK's own
 * retries, a failed condition as ConditionFailed, and a conflict with another
 * transaction on the same items (nothing wrong with this one) retried.
 */
import { randomUUID } from 'node:crypto';
import {
  type DynamoDBDocumentClient,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { ConditionFailed } from '#shared/core/store-errors';
import { cancellationCodes } from './errors';
import { backoff, type RetryPolicy } from './retry';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * TransactWriteItems with a client request token, so that the SDK's own
 * retry of a transaction that did commit is not applied (and refused) twice.
 * A cancellation for a failed condition is ConditionFailed; one caused only
 * by a concurrent transaction on the same items is retried.
 */
export async function transactWrite(
  client: DynamoDBDocumentClient,
  items: TransactItem[],
  retry: RetryPolicy,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.send(new TransactWriteCommand({ TransactItems: items, ClientRequestToken: randomUUID() }));
      return;
    } catch (error) {
      const reasons = cancellationCodes(error);
      if (reasons.includes('ConditionalCheckFailed')) {
        throw new ConditionFailed('a condition of the transaction failed', { cause: error });
      }
      const conflictOnly =
        reasons.length > 0 && reasons.every((code) => code === 'None' || code === 'TransactionConflict');
      if (!conflictOnly || attempt >= retry.maxAttempts) throw error;
      await backoff(retry, attempt);
    }
  }
}
