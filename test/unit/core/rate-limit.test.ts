import { ConnectionRateLimiter } from '#shared/core/rate-limit';

const settings = { connectionRequestsPerSecond: 10, connectionRequestBurst: 5 };
const T0 = 1_000_000;

/** How many of `n` requests at `at` the limiter admits. */
function admitted(limiter: ConnectionRateLimiter, connectionId: string, n: number, at: number): number {
  let ok = 0;
  for (let i = 0; i < n; i += 1) {
    try {
      limiter.admit(connectionId, at);
      ok += 1;
    } catch (error) {
      expect(error).toMatchObject({ errorType: 'RateLimited' });
    }
  }
  return ok;
}

describe('ConnectionRateLimiter', () => {
  it('admits a burst, then refuses with RateLimited until the rate refills', () => {
    // Prepare
    const limiter = new ConnectionRateLimiter(settings);

    // Act
    const burst = admitted(limiter, 'c1', 8, T0);
    const after100ms = admitted(limiter, 'c1', 3, T0 + 100);
    const afterASecond = admitted(limiter, 'c1', 20, T0 + 1_100);

    // Assess: 5 at once, 1 token per 100 ms, and never more than the burst saved up.
    expect([burst, after100ms, afterASecond]).toEqual([5, 1, 5]);
  });

  it('keeps each connection to its own bucket', () => {
    // Prepare
    const limiter = new ConnectionRateLimiter(settings);
    admitted(limiter, 'flood', 50, T0);

    // Act
    const other = admitted(limiter, 'calm', 5, T0);

    // Assess
    expect(other).toBe(5);
  });

  it('holds a steady sender at the rate: 10 a second over 10 seconds, after the burst', () => {
    // Prepare
    const limiter = new ConnectionRateLimiter(settings);

    // Act: 100 requests a second for 10 s.
    let ok = 0;
    for (let ms = 0; ms < 10_000; ms += 10) ok += admitted(limiter, 'c1', 1, T0 + ms);

    // Assess
    expect(ok).toBeGreaterThanOrEqual(100);
    expect(ok).toBeLessThanOrEqual(5 + 100);
  });
});
