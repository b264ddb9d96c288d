import { backoffDelay } from '#client/backoff';

describe('backoffDelay', () => {
  const options = { initialDelayMs: 250, maxDelayMs: 10_000, factor: 2 };

  it('doubles the base each attempt, between half and all of it', () => {
    const low = [0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, { ...options, random: () => 0 }));
    const high = [0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, { ...options, random: () => 0.999999 }));

    expect(low).toEqual([125, 250, 500, 1000, 2000, 4000]);
    expect(high).toEqual([250, 500, 1000, 2000, 4000, 8000]);
  });

  it('caps the base at maxDelayMs', () => {
    expect(backoffDelay(6, { ...options, random: () => 0 })).toBe(5000);
    expect(backoffDelay(50, { ...options, random: () => 0.999999 })).toBe(10_000);
  });

  it('spreads clients cut at the same moment', () => {
    const delays = new Set(Array.from({ length: 20 }, (_, i) => backoffDelay(3, { ...options, random: () => i / 20 })));
    expect(delays.size).toBe(20);
  });
});
