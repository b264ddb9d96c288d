/**
 * `npm run cost [-- --from bench/results/latest.json]`: prices the calls of the
 * latest bench run on AWS and on Mesh v2's AppSync design. Without a bench
 * result (or with `--model`), it prices the Mesh v2 profile (10 groups × 40
 * nodes, 15 reports and 2 batches per second per group) from the calls the
 * design makes per message (cost-model.ts, modelledCalls).
 *
 * `--window MS` prices a longer fan-out window than the run's: the counted
 * rounds are capped again at one per group per MS (a shorter window than the
 * run's cannot be priced from its counts).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_FANOUT } from '#shared/core/settings';
import type { BenchResult } from './bench';
import {
  type Traffic,
  appsyncCost,
  capToWindow,
  formatCost,
  meshCost,
  modelledCalls,
  scaleTraffic,
  scaleWindow,
} from './cost-model';
import { lambdaMemoryMb } from './prices';
import { REPO_ROOT } from './processes';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const fromIndex = argv.indexOf('--from');
  const file = path.resolve(REPO_ROOT, fromIndex >= 0 ? argv[fromIndex + 1] : 'bench/results/latest.json');
  const memory = await lambdaMemoryMb();
  const windowIndex = argv.indexOf('--window');
  const windowArg = windowIndex >= 0 ? Number(argv[windowIndex + 1]) : undefined;
  if (windowArg !== undefined && !(windowArg >= 0)) throw new Error('--window needs a number of milliseconds');
  if (!argv.includes('--model') && existsSync(file)) {
    const result = JSON.parse(readFileSync(file, 'utf8')) as BenchResult;
    const { traffic } = result.cost;
    const runWindow = result.profile.fanoutWindowMs ?? DEFAULT_FANOUT.windowMinMs;
    if (windowArg !== undefined && windowArg < runWindow) {
      throw new Error(`--window ${windowArg} is shorter than the run's ${runWindow} ms: its counts cannot price it`);
    }
    const windowMs = windowArg ?? runWindow;
    const calls = capToWindow(result.calls, result.profile.groups, windowMs);
    if (windowArg !== undefined) console.log(`Fan-out rounds capped at one per group per ${windowMs} ms.`);
    console.log(
      `From ${path.relative(process.cwd(), file)} (${result.finishedAt}): ${traffic.connections} connections, ` +
        `${traffic.statusReports} status reports + ${traffic.eventBatches} event batches in ${traffic.seconds} s, ` +
        `calls ${result.callsPerInboundMessage.counted ? 'counted by the local stack' : 'modelled'}.`,
    );
    console.log(formatCost(meshCost(calls, traffic, memory), appsyncCost(traffic)));
    const toProfile = 1 / result.profile.multiplier;
    if (toProfile !== 1) {
      console.log(`\nThe same calls per message at the Mesh v2 profile (×1, ${traffic.connections} connections):`);
      console.log(
        formatCost(
          meshCost(capToWindow(scaleWindow(calls, toProfile), result.profile.groups, windowMs), traffic, memory),
          appsyncCost(scaleTraffic(traffic, toProfile)),
        ).split('\nPrices')[0],
      );
    }
    return;
  }
  const traffic: Traffic = { seconds: 1, connections: 400, membersPerGroup: 40, statusReports: 150, eventBatches: 20 };
  console.log('Mesh v2 profile, modelled (no bench result; run `npm run bench` to count the calls):');
  console.log(
    formatCost(
      meshCost(modelledCalls(traffic, undefined, windowArg ?? DEFAULT_FANOUT.windowMinMs), traffic, memory),
      appsyncCost(traffic),
    ),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
