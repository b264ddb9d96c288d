/**
 * Readings taken around a measured window that have no module of their own:
 * the machine's CPU busy share (os.cpus) and, with --profile, the stack's SDK
 * call timings. The stack's counters, threads and processes are read in
 * stack-stats.ts, stack-cpu.ts and process-cpu.ts.
 */
import type os from 'node:os';
import type { StackTimings } from './profile-stack';
import type { PhaseTimings } from './result-types';

export function cpuBusyPct(before: os.CpuInfo[], after: os.CpuInfo[]): number {
  let busy = 0;
  let total = 0;
  after.forEach((cpu, i) => {
    const prior = before[i]?.times ?? { user: 0, nice: 0, sys: 0, idle: 0, irq: 0 };
    const d = (k: keyof os.CpuInfo['times']) => cpu.times[k] - prior[k];
    const all = d('user') + d('nice') + d('sys') + d('idle') + d('irq');
    busy += all - d('idle');
    total += all;
  });
  return total > 0 ? Math.round((busy / total) * 1000) / 10 : 0;
}

export async function readTimings(url: string): Promise<StackTimings | undefined> {
  try {
    const response = await fetch(url);
    return response.ok ? ((await response.json()) as StackTimings) : undefined;
  } catch {
    return undefined;
  }
}

export function diffTimings(before: StackTimings, after: StackTimings, windowMs: number): PhaseTimings {
  const calls: PhaseTimings['calls'] = {};
  for (const [name, t] of Object.entries(after.calls)) {
    const prior = before.calls[name] ?? { calls: 0, totalMs: 0, maxMs: 0 };
    const n = t.calls - prior.calls;
    if (n > 0) calls[name] = { calls: n, meanMs: Math.round(((t.totalMs - prior.totalMs) / n) * 10) / 10 };
  }
  const cpuMs = after.cpuUserMs + after.cpuSystemMs - before.cpuUserMs - before.cpuSystemMs;
  return { calls, eventLoop: after.eventLoop, stackCpuPct: Math.round((cpuMs / windowMs) * 1000) / 10 };
}
