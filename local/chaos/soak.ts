/**
 * `npm run chaos`: a mixed-fault soak on a local stack of its own (loopback
 * only, short fan-out timings, see chaos-stack.ts). Groups of MeshClient nodes
 * fire numbered events while the faults change every few seconds (SNS,
 * PostToConnection, DynamoDB, fan-out kills, then all at once); then the
 * faults clear, the firing stops, and the soak waits for every accepted push
 * to reach every other member. It prints the figures, and the same as one
 * `CHAOS_RESULT {json}` line; it exits 1 if anything was lost, emitted twice
 * or out of order.
 *
 *   npm run chaos                       # 60 s
 *   npm run chaos -- --seconds 120 --groups 4 --nodes 5 --rate 5 --seed 3
 */
import { parseArgs } from 'node:util';
import { ENV } from '#shared/config';
import type { FaultConfig } from '../faults';
import type { StatsSnapshot } from '../stats';
import { clearFaults, readStats, setFaults, startChaosStack } from './chaos-stack';
import { ChaosMesh } from './mesh-load';

/** The phases a soak cycles through; each gets an equal share of the time. */
export function phases(seed: number): { name: string; faults: FaultConfig }[] {
  return [
    {
      name: 'sns',
      faults: { seed, sns: { drop: 0.2, duplicate: 0.2, delay: { p: 0.3, minMs: 50, maxMs: 500 }, reorder: 0.2 } },
    },
    {
      name: 'posts',
      faults: {
        seed,
        postToConnection: { error500: 0.1, throttle429: 0.1, latency: { p: 0.3, minMs: 10, maxMs: 200 } },
      },
    },
    { name: 'dynamodb', faults: { seed, dynamodb: { throttle: 0.1, stall: { p: 0.05, minMs: 200, maxMs: 1500 } } } },
    // A kill after so many posts of one invocation, so the phase kills whatever the dice say.
    { name: 'fanout kills', faults: { seed, fanout: { killAfterPosts: 40, killPerPost: 0.02, maxKills: 3 } } },
    {
      name: 'everything',
      faults: {
        seed,
        sns: { drop: 0.1, duplicate: 0.1, delay: { p: 0.2, minMs: 50, maxMs: 300 }, reorder: 0.1 },
        postToConnection: { error500: 0.05, throttle429: 0.05, latency: { p: 0.2, minMs: 10, maxMs: 100 } },
        dynamodb: { throttle: 0.05, stall: { p: 0.02, minMs: 200, maxMs: 1000 } },
        fanout: { killAfterPosts: 60, killPerPost: 0.01, maxKills: 2 },
      },
    },
  ];
}

function options() {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '60' },
      groups: { type: 'string', default: '3' },
      nodes: { type: 'string', default: '4' },
      rate: { type: 'string', default: '4' },
      seed: { type: 'string', default: '1' },
      'settle-seconds': { type: 'string', default: '60' },
    },
  });
  const number = (name: keyof typeof values) => {
    const value = Number(values[name]);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
    return value;
  };
  return {
    seconds: number('seconds'),
    groups: number('groups'),
    nodes: Math.max(2, number('nodes')),
    rate: number('rate'),
    seed: Math.floor(number('seed')),
    settleSeconds: number('settle-seconds'),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const say = (line: string) => process.stdout.write(`${line}\n`);

function injectedSince(after: StatsSnapshot, before: StatsSnapshot): string {
  const parts = Object.entries(after.faults)
    .map(([name, n]) => [name, n - (before.faults[name] ?? 0)] as const)
    .filter(([, n]) => n > 0)
    .map(([name, n]) => `${name} ${n}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

async function main(): Promise<void> {
  const opts = options();
  say(
    `chaos soak: ${opts.seconds} s, ${opts.groups} groups × ${opts.nodes} nodes, ${opts.rate} events/s per node, seed ${opts.seed}`,
  );
  const stack = await startChaosStack({ [ENV.tableName]: 'mesh_soak' });
  const { wsUrl, statsUrl, faultsUrl } = stack.ready;
  let mesh: ChaosMesh | undefined;
  try {
    mesh = await ChaosMesh.open({
      url: wsUrl,
      groups: opts.groups,
      nodesPerGroup: opts.nodes,
      rate: opts.rate,
      label: 'soak',
    });
    const before = await readStats(statsUrl);
    const plan = phases(opts.seed);
    const phaseMs = (opts.seconds * 1000) / plan.length;
    mesh.startFiring();
    for (const phase of plan) {
      const phaseBefore = await readStats(statsUrl);
      await setFaults(faultsUrl, phase.faults);
      await sleep(phaseMs);
      say(`  phase ${phase.name.padEnd(13)} injected: ${injectedSince(await readStats(statsUrl), phaseBefore)}`);
    }
    await clearFaults(faultsUrl);
    mesh.stopFiring();
    const settle = await mesh.settle(opts.settleSeconds * 1000);
    const after = await readStats(statsUrl);
    const figures = mesh.figures();
    const clean =
      settle.settled &&
      figures.lost === 0 &&
      figures.duplicatedEmitted === 0 &&
      figures.outOfOrderEmitted === 0 &&
      figures.unexpected === 0;

    say('');
    say(`pushes accepted          ${figures.accepted} of ${figures.fired} fired`);
    say(`deliveries expected      ${figures.expected}`);
    say(`deliveries received      ${figures.received} (MeshClient emitted)`);
    say(`lost                     ${figures.lost}`);
    say(
      `duplicated               raw at the socket ${figures.duplicatedRaw}, after MeshClient ${figures.duplicatedEmitted}`,
    );
    say(
      `out of order             raw at the socket ${figures.outOfOrderRaw}, after MeshClient ${figures.outOfOrderEmitted}`,
    );
    say(`not accepted yet arrived ${figures.unexpected}`);
    say(
      `latency fire → emit      p50 ${figures.latencyMs.p50} ms, p99 ${figures.latencyMs.p99} ms, max ${figures.latencyMs.max} ms`,
    );
    say(`fault clear → delivered  ${settle.settled ? `${settle.ms} ms` : `not within ${opts.settleSeconds} s`}`);
    say(`faults injected          ${injectedSince(after, before)}`);
    say(`fan-out restarts         ${after.workers.fanout?.restarts ?? 0}; metrics ${JSON.stringify(after.metrics)}`);
    say(
      `client errors            ${mesh.clientErrors.length}${mesh.clientErrors.length ? ` (first: ${mesh.clientErrors[0]})` : ''}`,
    );
    say(
      `CHAOS_RESULT ${JSON.stringify({ ...figures, settled: settle.settled, clearToDeliveredMs: settle.ms, faults: after.faults, metrics: after.metrics })}`,
    );
    process.exitCode = clean ? 0 : 1;
  } finally {
    await mesh?.close().catch(() => undefined);
    await stack.stop(10_000);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `chaos soak failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
