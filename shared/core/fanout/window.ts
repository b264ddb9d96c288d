/**
 * The adaptive window between two rounds of a group's fan-out.
 *
 * Every round costs one PostToConnection per member, whatever it carries, so
 * a group's cost follows its rounds, not its pushes; its latency follows the
 * window. The window therefore grows with the group's push rate: a group that
 * sends now and then is posted to at once (the shortest window), a busy one
 * gathers more pushes per frame. With the window proportional to the rate, a
 * round carries about `rate × window` pushes and the group's rounds per second
 * fall as its rate rises, so the busiest groups cost the fewest posts per push.
 * The bounds are settings (FanoutSettings); docs/performance.md has the bench
 * runs that chose them.
 */
import type { FanoutSettings } from '../settings';

/** Window (ms) per push/s of rate: 8.5 pushes/s (half Mesh v2's design load per group) → 170 ms; 17/s → 340 ms. */
export const WINDOW_MS_PER_PUSH_PER_SECOND = 20;

/** How much of the estimate the newest round makes (an exponentially weighted mean). */
const RATE_WEIGHT = 0.5;

/** A group silent this long starts its estimate afresh. */
const RATE_MEMORY_MS = 5_000;

/** The window after a round, for a group pushing at `rate` per second. */
export function windowFor(rate: number, settings: FanoutSettings): number {
  const wanted = rate * WINDOW_MS_PER_PUSH_PER_SECOND;
  return Math.round(Math.min(settings.windowMaxMs, Math.max(settings.windowMinMs, wanted)));
}

/**
 * The rate estimate after a round that posted `pushes` at `now`, the previous
 * round having been at `lastRoundAt` with estimate `lastRate`.
 */
export function nextRate(
  lastRate: number,
  lastRoundAt: number,
  now: number,
  pushes: number,
  settings: FanoutSettings,
): number {
  const since = now - lastRoundAt;
  if (lastRoundAt <= 0 || since >= RATE_MEMORY_MS) return pushes / (RATE_MEMORY_MS / 1000);
  // A round that follows at once (a backlog) spans at least the shortest window.
  const seen = (pushes * 1000) / Math.max(since, settings.windowMinMs);
  return RATE_WEIGHT * seen + (1 - RATE_WEIGHT) * lastRate;
}

/**
 * When a flush that an append starts should post its first round: at once if
 * the group had no round within its window, else one window after that round.
 */
export function firstRoundAt(now: number, lastRoundAt: number, rate: number, settings: FanoutSettings): number {
  const window = windowFor(rate, settings);
  return Math.min(now + window, Math.max(now, lastRoundAt + window));
}
