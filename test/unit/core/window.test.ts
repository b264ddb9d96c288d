/**
 * The adaptive window (shared/core/fanout/window.ts): counted from the start
 * of a group's last round, and set by a rate estimate that is steady under the
 * round-to-round scatter of a group's push counts and quick to follow a group
 * whose rate changes.
 */
import { firstRoundAt, nextRate, windowFor } from '#shared/core/fanout/window';
import { DEFAULT_FANOUT } from '#shared/core/settings';

const settings = DEFAULT_FANOUT;

/** The estimate after rounds every `periodMs`, each carrying the next count of `counts`, from `rate` at time 0. */
function estimateAfter(rate: number, periodMs: number, counts: number[]): number {
  let at = 10_000;
  for (const pushes of counts) {
    rate = nextRate(rate, at, at + periodMs, pushes, settings);
    at += periodMs;
  }
  return rate;
}

describe('the first round of a flush', () => {
  it('comes one window after the last round began, or at once when that is past', () => {
    const window = windowFor(8.5, settings);

    expect(firstRoundAt(10_000, 10_000 - 100, 8.5, settings)).toBe(10_000 - 100 + window);
    expect(firstRoundAt(10_000, 10_000 - window - 1, 8.5, settings)).toBe(10_000);
  });
});

describe('the rate estimate', () => {
  it('holds the window of a group at half the design load when one round carries twice its share', () => {
    // 8.5 pushes/s in rounds 200 ms apart: 1.7 a round; this one carries 4.
    const after = estimateAfter(8.5, 200, [4]);

    expect(windowFor(8.5, settings)).toBe(196);
    expect(windowFor(after, settings)).toBeLessThan(196 * 1.15);
  });

  it("reaches most of a group's new rate within a few seconds", () => {
    // From 1 push/s to 10/s: 2 pushes in every round 200 ms apart, for 4 s.
    const after = estimateAfter(
      1,
      200,
      Array.from({ length: 20 }, () => 2),
    );

    expect(after).toBeGreaterThan(8);
    expect(after).toBeLessThanOrEqual(10);
  });

  it('counts a round that follows at once (a backlog) over at least the shortest window', () => {
    const after = nextRate(10, 10_000, 10_000, 100, settings);

    expect(after).toBeLessThan(10 + 100 / (settings.windowMinMs / 1000));
    expect(after).toBeGreaterThan(10);
  });

  it('starts afresh after a silence', () => {
    expect(nextRate(40, 10_000, 20_000, 5, settings)).toBe(1);
    expect(nextRate(40, 0, 20_000, 5, settings)).toBe(1);
  });
});
