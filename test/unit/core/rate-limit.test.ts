import { ConnectionRateLimiter } from '#shared/core/rate-limit';

const settings = { connectionRequestsPerSecond: 10, connectionRequestBurst: 5, connectionRefusalsBeforeClose: 8 };
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
    // Prepare: never closed, so the rate alone is seen.
    const limiter = new ConnectionRateLimiter({ ...settings, connectionRefusalsBeforeClose: Infinity });

    // Act: 100 requests a second for 10 s.
    let ok = 0;
    for (let ms = 0; ms < 10_000; ms += 10) ok += admitted(limiter, 'c1', 1, T0 + ms);

    // Assess
    expect(ok).toBeGreaterThanOrEqual(100);
    expect(ok).toBeLessThanOrEqual(5 + 100);
  });

  it('closes a connection that keeps sending far over its rate, once, and not one that backs off', () => {
    // Prepare
    const limiter = new ConnectionRateLimiter(settings);
    const outcomes = (connectionId: string, n: number, at: number) => {
      const seen: string[] = [];
      for (let i = 0; i < n; i += 1) {
        try {
          limiter.admit(connectionId, at);
          seen.push('ok');
        } catch (error) {
          seen.push((error as { closesConnection: boolean }).closesConnection ? 'close' : 'refused');
        }
      }
      return seen;
    };

    // Act: a flood of 20 at once; a client that stops at its first refusal and waits a second each time.
    const flood = outcomes('flood', 20, T0);
    const polite = [0, 1, 2, 3, 4].flatMap((second) => outcomes('polite', 12, T0 + second * 1_000));

    // Assess: 5 admitted, 8 refusals allowed, the 9th says close, and only it; the polite one is never closed.
    expect(flood).toEqual([...Array(5).fill('ok'), ...Array(8).fill('refused'), 'close', ...Array(6).fill('refused')]);
    expect(polite).not.toContain('close');
  });
});
