/**
 * Jittered exponential backoff for reconnecting. "Equal jitter": the delay of
 * attempt n lies in [base/2, base] with base = min(max, initial · factor^n), so
 * clients cut by the same outage spread out, yet none retries at once in a loop.
 */
export interface BackoffOptions {
  /** Base delay of the first attempt. Default 250 ms. */
  initialDelayMs?: number;
  /** Cap of the base delay. Default 10 s. */
  maxDelayMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** A number in [0, 1); injectable for tests. Default Math.random. */
  random?: () => number;
}

export const BACKOFF_DEFAULTS = { initialDelayMs: 250, maxDelayMs: 10_000, factor: 2 } as const;

/** The delay before reconnect attempt `attempt` (0 for the first). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const initial = options.initialDelayMs ?? BACKOFF_DEFAULTS.initialDelayMs;
  const max = options.maxDelayMs ?? BACKOFF_DEFAULTS.maxDelayMs;
  const factor = options.factor ?? BACKOFF_DEFAULTS.factor;
  const random = options.random ?? Math.random;
  const base = Math.min(max, initial * Math.pow(factor, Math.max(0, attempt)));
  return Math.round(base / 2 + random() * (base / 2));
}
