/**
 * The adaptive window between the starts of two rounds of a group's fan-out.
 *
 * Every round costs one PostToConnection per member, whatever it carries, so
 * a group's cost follows its rounds, not its pushes; its latency follows the
 * window. The window therefore grows with the group's push rate: a group that
 * sends now and then is posted to at once (the shortest window), a busy one
 * gathers more pushes per frame. With the window proportional to the rate, a
 * round carries about `rate × window` pushes and the group's rounds per second
 * fall as its rate rises, so the busiest groups cost the fewest posts per push.
 *
 * The window runs from the start of one round (its read) to the start of the
 * next: it is the round's period. So it bounds both a push's wait for its round
 * and the group's posts per second (members × 1000 / window), and a round
 * whose posts are slow does not add their time to the next wait. Counted from
 * a round's end, the period was the window plus the round, and a push's wait
 * carried the round's scatter on top of the window's: at half the design load
 * the period's 99th percentile was 309–328 ms against 218–231 ms now, for the
 * same rounds (docs/performance.md).
 * The bounds are settings (FanoutSettings); docs/performance.md has the bench
 * runs that chose them.
 */
import type { FanoutSettings } from '../settings';

/**
 * Window (ms) per push/s of rate: 8.5 pushes/s (half Mesh v2's design load per
 * group) → 196 ms from round to round; 17/s → 391 ms. That is the period a
 * window of 20 ms per push/s counted from a round's end gives with the round's
 * own 20–40 ms, so counting from the start costs no more rounds.
 */
export const WINDOW_MS_PER_PUSH_PER_SECOND = 23;

/**
 * The time constant (ms) of the rate estimate, a mean weighted over time: a
 * round `since` ms after the last one weighs 1 − e^(−since/τ), so the estimate
 * counts the pushes of about the last τ whatever the rounds' spacing. A round
 * of a group at half the design load carries one to three pushes: a fixed
 * weight per round (0.5) made the window follow those counts, and a push that
 * met a long window waited the longest. Over 2 s the ×0.5 window stays within
 * a few percent of its mean, and a group that gets busier is followed within a
 * few seconds.
 */
const RATE_TIME_CONSTANT_MS = 2_000;

/** A group silent this long starts its estimate afresh. */
const RATE_MEMORY_MS = 5_000;

/** The window, round start to round start, of a group pushing at `rate` per second. */
export function windowFor(rate: number, settings: FanoutSettings): number {
  const wanted = rate * WINDOW_MS_PER_PUSH_PER_SECOND;
  return Math.round(Math.min(settings.windowMaxMs, Math.max(settings.windowMinMs, wanted)));
}

/**
 * The rate estimate after a round that began at `now` and posted `pushes`: the
 * pushes appended since the previous round began, at `lastRoundAt`, which left
 * the estimate `lastRate`.
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
  const span = Math.max(since, settings.windowMinMs);
  const weight = 1 - Math.exp(-span / RATE_TIME_CONSTANT_MS);
  return weight * ((pushes * 1000) / span) + (1 - weight) * lastRate;
}

/**
 * When a flush that an append starts should post its first round: at once if
 * the group's last round began more than a window ago, else one window after
 * that round began.
 */
export function firstRoundAt(now: number, lastRoundAt: number, rate: number, settings: FanoutSettings): number {
  const window = windowFor(rate, settings);
  return Math.min(now + window, Math.max(now, lastRoundAt + window));
}
