/**
 * What every chaos test does: a stack process of the file's own (so its
 * faults disturb no other suite), fresh groups of MeshClient nodes per
 * scenario, faults on while they fire and until delivery is complete, and the
 * assertions every fault must pass: every accepted push reaches every other
 * member, MeshClient emits it exactly once and in its sender's order, and
 * nothing arrives that was not accepted.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type StatsSnapshot } from '#local/stats';
import type { FaultConfig } from '#local/faults';
import type { StackProcess } from '#local/stack-process';
import { clearFaults, readStats, setFaults, startChaosStack } from '#local/chaos/chaos-stack';
import type { ChaosFigures } from '#local/chaos/ledger';
import { ChaosMesh, type ChaosMeshOptions } from '#local/chaos/mesh-load';

export interface ScenarioOptions extends Partial<Omit<ChaosMeshOptions, 'url'>> {
  faults: FaultConfig;
  /** How long the nodes fire (default 3 s). */
  fireMs?: number;
  /** How long delivery may take to complete after the firing stops (default 20 s). */
  settleMs?: number;
  /** Keep the faults on while delivery completes (default), or clear them when the firing stops. */
  clearAfterFiring?: boolean;
}

export interface ScenarioResult {
  figures: ChaosFigures;
  settled: boolean;
  /** From the end of the firing to complete delivery. */
  settleMs: number;
  /** The stack's fault counters during the scenario. */
  injected: Record<string, number>;
  stats: StatsSnapshot;
  clientErrors: string[];
  /** Members in each group, the sender included. */
  nodesPerGroup: number;
  /** Seqs the receivers skipped after their gap timeout. */
  seqsSkipped: number;
}

/** Starts the file's chaos stack in beforeAll and stops it in afterAll. */
export function useChaosStack(name: string, env: Record<string, string> = {}): () => StackProcess {
  let stack: StackProcess | undefined;
  const logFile = path.join(os.tmpdir(), `mesh-chaos-${name}-${process.pid}.log`);
  beforeAll(async () => {
    const log = fs.createWriteStream(logFile);
    stack = await startChaosStack({ MESH_TABLE_NAME: `mesh_chaos_${name.replace(/\W/g, '_')}`, ...env }, (chunk) =>
      log.write(chunk),
    );
  }, 90_000);
  afterAll(async () => {
    await stack?.stop(10_000);
  }, 30_000);
  return () => {
    if (!stack) throw new Error(`the ${name} chaos stack did not start (log: ${logFile})`);
    return stack;
  };
}

function diff(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [name, n] of Object.entries(after)) if (n - (before[name] ?? 0) > 0) delta[name] = n - (before[name] ?? 0);
  return delta;
}

/** Runs traffic through `faults` on `stack` and reports what came of it. */
export async function runScenario(stack: StackProcess, options: ScenarioOptions): Promise<ScenarioResult> {
  const { faultsUrl, statsUrl, wsUrl } = stack.ready;
  const meshOptions = { url: wsUrl, groups: 2, nodesPerGroup: 3, rate: 5, ...options };
  const mesh = await ChaosMesh.open(meshOptions);
  const before = await readStats(statsUrl);
  try {
    await setFaults(faultsUrl, options.faults);
    mesh.startFiring();
    await new Promise((resolve) => setTimeout(resolve, options.fireMs ?? 3_000));
    mesh.stopFiring();
    if (options.clearAfterFiring) await clearFaults(faultsUrl);
    const { settled, ms } = await mesh.settle(options.settleMs ?? 20_000);
    await clearFaults(faultsUrl);
    const stats = await readStats(statsUrl);
    return {
      figures: mesh.figures(),
      settled,
      settleMs: ms,
      injected: diff(stats.faults, before.faults),
      stats,
      clientErrors: mesh.clientErrors,
      nodesPerGroup: meshOptions.nodesPerGroup,
      seqsSkipped: mesh.seqsSkipped(),
    };
  } finally {
    await clearFaults(faultsUrl).catch(() => undefined);
    await mesh.close();
  }
}

/**
 * The guarantees under any fault. With `refusals` (DynamoDB throttling past
 * the SDK's retries) a request may be refused, but only with an error reply
 * the client saw; everything else must be accepted. A refused publish whose
 * seq was already allocated leaves a gap at each other member that never
 * fills (MeshClient sends the batch again under new seqs): only those may be
 * skipped, so a run without refusals skips none.
 */
export function expectExactlyOnceInOrder(result: ScenarioResult, options: { refusals?: boolean } = {}): void {
  const { figures } = result;
  // One line per scenario in the test output: what the fault did and what came of it.
  process.stdout.write(
    `chaos: injected ${JSON.stringify(result.injected)}; accepted ${figures.accepted}, expected ${figures.expected}, ` +
      `received ${figures.received}, refused with an error reply ${result.clientErrors.length}, lost ${figures.lost}, duplicated raw ${figures.duplicatedRaw}, out of order raw ${figures.outOfOrderRaw}, ` +
      `latency p50 ${figures.latencyMs.p50} p99 ${figures.latencyMs.p99} max ${figures.latencyMs.max} ms, seqs skipped ${result.seqsSkipped}, settled in ${result.settleMs} ms\n`,
  );
  expect(figures.accepted).toBeGreaterThan(0);
  if (options.refusals && figures.accepted < figures.fired) expect(result.clientErrors.length).toBeGreaterThan(0);
  else expect(figures.accepted).toBe(figures.fired);
  expect({ settled: result.settled, lost: figures.lost }).toEqual({ settled: true, lost: 0 });
  expect(figures.received).toBe(figures.expected);
  expect(figures.duplicatedEmitted).toBe(0);
  expect(figures.outOfOrderEmitted).toBe(0);
  expect(figures.unexpected).toBe(0);
  expect(result.seqsSkipped).toBeLessThanOrEqual(result.clientErrors.length * (result.nodesPerGroup - 1));
}
