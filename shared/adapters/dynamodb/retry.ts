/**
 * How often and how patiently the store repeats a call DynamoDB only partly
 * did (UnprocessedKeys, UnprocessedItems) or refused for a concurrent
 * transaction. Exponential backoff with jitter, so racing requests spread out.
 */

export interface RetryPolicy {
  /** Rounds in all, the first call included. */
  maxAttempts: number;
  /** Wait after the first round, doubled each round. */
  baseDelayMs: number;
}

/** Waits before the round after `attempt` (1-based): base × 2^(attempt − 1), scaled by 0.5–1. */
export function backoff(policy: RetryPolicy, attempt: number): Promise<void> {
  const delay = policy.baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
  return new Promise((resolve) => setTimeout(resolve, delay));
}
