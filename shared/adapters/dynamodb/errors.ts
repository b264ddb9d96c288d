/**
 * DynamoDB's failures as the core sees them. The core only knows
 * ConditionFailed (shared/core/ports.ts); the SDK reports a failed condition
 * by error name, and a cancelled transaction by a code per item.
 */
import { ConditionFailed, WriteNotApplied } from '#shared/core/store-errors';

export function errorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? (error as { name?: string }).name : undefined;
}

/** The per-item codes of a TransactionCanceledException ([] for any other error). */
export function cancellationCodes(error: unknown): string[] {
  if (errorName(error) !== 'TransactionCanceledException') return [];
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.map((reason) => reason.Code ?? 'None');
}

/**
 * DynamoDB's refusals of a whole request for its rate: nothing of the
 * request was applied (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html).
 */
const THROTTLED = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded']);

/** A write DynamoDB throttled past the SDK's retries throws WriteNotApplied instead. */
export async function mapThrottled<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (THROTTLED.has(errorName(error) ?? ''))
      throw new WriteNotApplied('DynamoDB throttled the write', { cause: error });
    throw error;
  }
}

/** A single-item write whose condition failed throws ConditionFailed instead. */
export async function mapConditionFailed<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (errorName(error) === 'ConditionalCheckFailedException') {
      throw new ConditionFailed('the condition of the write failed', { cause: error });
    }
    throw error;
  }
}

/** For a write whose condition only guards against undoing someone else's: failing it is fine. */
export async function ignoreConditionFailed(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
  }
}
