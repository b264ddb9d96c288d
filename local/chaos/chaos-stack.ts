/**
 * A stack process for chaos runs, with timings short enough that recovery
 * shows within seconds: the fan-out's window at most 500 ms, a flush that
 * made no progress for 1.5 s counts as stalled, the sweeper every second, SNS
 * retries from 100 ms. Faults are switched through its `/_local/faults`.
 */
import { ENV } from '#shared/config';
import type { FaultConfig } from '../faults';
import type { StatsSnapshot } from '../stats';
import { type StackProcess, startStackProcess } from '../stack-process';
import { LOCAL_ENV } from '../env';

/** The env a chaos stack runs with (the caller's own settings win). */
export const CHAOS_STACK_ENV: Record<string, string> = {
  [ENV.fanoutWindowMaxMs]: '500',
  [ENV.fanoutStaleFlushMs]: '1500',
  [LOCAL_ENV.sweepIntervalSeconds]: '1',
  [LOCAL_ENV.snsRetryBaseMs]: '100',
};

export function startChaosStack(
  env: Record<string, string> = {},
  onOutput?: (chunk: string) => void,
): Promise<StackProcess> {
  return startStackProcess({ env: { ...CHAOS_STACK_ENV, [ENV.tableName]: 'mesh_chaos', ...env }, onOutput });
}

async function call(url: string, method: string, body?: unknown): Promise<unknown> {
  const response = await fetch(url, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!response.ok) throw new Error(`${method} ${url} answered ${response.status}: ${await response.text()}`);
  return response.json();
}

/** Replaces the faults in force. */
export async function setFaults(faultsUrl: string, config: FaultConfig): Promise<void> {
  await call(faultsUrl, 'PUT', config);
}

/** Turns every fault off. */
export async function clearFaults(faultsUrl: string): Promise<void> {
  await call(faultsUrl, 'DELETE');
}

export async function readStats(statsUrl: string): Promise<StatsSnapshot> {
  return (await call(statsUrl, 'GET')) as StatsSnapshot;
}
