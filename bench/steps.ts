/**
 * The order of phases on one target: the base phase, then steps up while
 * clean or down until clean, and which multiplier counts as the highest
 * clean one. Apart from target-run.ts, which runs a single phase.
 */
import type { LoadProfile } from './ipc';
import type { BenchOptions } from './options';
import type { PhaseSummary } from './result-types';
import type { TargetRun } from './target-run';

/**
 * Runs the base phase, then steps: up (×2, ×4, …) while clean, or, when the
 * base phase is not clean, down (×½, ×¼, … to 1/64 of it) until one is, so the
 * result still says how much of the profile this machine carries.
 */
export async function drive(run: TargetRun, options: BenchOptions, profile: LoadProfile, multipliers?: number[]) {
  const phases: PhaseSummary[] = [];
  const base = await run.phase(options.multiplier, options.duration, profile);
  phases.push(base.summary);
  const step = async (m: number) => {
    const result = await run.phase(m, options.stepDuration, profile);
    phases.push(result.summary);
    result.histogram.destroy();
    return result.summary.clean;
  };
  if (multipliers) {
    for (const m of multipliers) await step(m);
  } else if (options.step && base.summary.clean) {
    for (let m = options.multiplier * 2; m <= options.maxMultiplier; m *= 2) if (!(await step(m))) break;
  } else if (options.step) {
    for (let m = options.multiplier / 2; m >= options.multiplier / 64; m /= 2) if (await step(m)) break;
  }
  return { phases, baseHistogram: base.histogram };
}

/** The highest multiplier that was clean, counting up from the base (or the clean one found below it). */
export function highestClean(phases: { multiplier: number; clean: boolean }[]): number {
  const [base, ...steps] = phases;
  if (!base) return 0;
  if (!base.clean) return Math.max(0, ...steps.filter((p) => p.clean).map((p) => p.multiplier));
  let highest = base.multiplier;
  for (const p of steps) {
    if (!p.clean || p.multiplier < highest) break;
    highest = p.multiplier;
  }
  return highest;
}
