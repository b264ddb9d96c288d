/**
 * The human summary printed at the end of a run, from a BenchResult alone, so
 * what is printed is exactly what latest.json holds.
 */
import path from 'node:path';
import { formatProjection } from './aws-projection';
import { formatCost } from './cost-model';
import { formatCoresNeeded } from './cores';
import type { LatencySummary } from './ledger';
import { profileMessagesPerSecond } from './options';
import type { BenchResult, HandlerThreads } from './result-types';

/** `handler threads: request 2, fanout 2, … (--handler-threads request:2,fanout:2)`. */
function handlerThreadsLine(threads: HandlerThreads): string {
  const asked = threads.requested === null ? 'no --handler-threads' : `--handler-threads ${threads.requested}`;
  const ran = threads.byFunction
    ? Object.entries(threads.byFunction)
        .map(([name, n]) => `${name} ${n === 0 ? 'in the stack thread' : n}`)
        .join(', ')
    : 'not read (no stats)';
  return `handler threads: ${ran} (${asked})`;
}

export function summaryText(result: BenchResult, outDir: string): string {
  const m = result.mesh;
  const lat = (l: LatencySummary) => `p50 ${l.p50} ms, p90 ${l.p90} ms, p99 ${l.p99} ms, max ${l.max} ms`;
  const c = result.callsPerInboundMessage;
  const lines = [
    '',
    `== Mesh bench (${result.profile.groups} groups × ${result.profile.nodes} nodes, ×${result.profile.multiplier}, ${result.profile.durationS} s measured) ==`,
    handlerThreadsLine(result.target.handlerThreads),
    `mesh:      sent ${m.sent} items (profile: ${m.statusReports} status reports, ${m.eventBatches} batches / ${m.events} events; ${m.mergedAtSender} status values merged by the client before sending; ${m.clientMessages} client messages)`,
    `           expected ${m.expectedDeliveries}, delivered ${m.delivered}, lost ${m.lost}, duplicates ${m.duplicates}, out of order ${m.outOfOrder}`,
    `           raw at the socket: duplicates ${m.rawDuplicates}, out of order ${m.rawOutOfOrder}`,
    `           latency ${lat(m.latencyMs)}`,
    result.baseline
      ? `baseline:  delivered ${result.baseline.delivered}, lost ${result.baseline.lost}, latency ${lat(result.baseline.latencyMs)}`
      : 'baseline:  not run',
    result.ratio ? `ratio mesh/baseline: p50 ×${result.ratio.p50}, p99 ×${result.ratio.p99}` : '',
    'steps:',
    ...result.steps.map(
      (s) =>
        `  ×${String(s.multiplier).padEnd(3)} ${String(s.deliveredPerSec).padStart(7)} deliveries/s of ${String(s.expectedPerSec).padStart(7)}  p50 ${s.latencyMs.p50} ms  p99 ${s.latencyMs.p99} ms  ${s.verdict}`,
    ),
    `highest clean multiplier: ×${result.maxCleanMultiplier}`,
    `machine CPU busy during the base window: ${m.machineCpuBusyPct}% of ${result.machine.cpus} cores (all processes)`,
    result.coresNeeded
      ? formatCoresNeeded(result.coresNeeded)
      : 'cores needed: not measured (no local stack started, or no /proc)',
    ...(m.timings
      ? [
          `where the stack's time goes (mean per SDK call over the base window; stack process CPU ${m.timings.stackCpuPct}% of a core, event loop delay mean ${m.timings.eventLoop.meanMs.toFixed(1)} ms, p99 ${m.timings.eventLoop.p99Ms.toFixed(1)} ms):`,
          ...Object.entries(m.timings.calls)
            .sort((a, b) => b[1].calls * b[1].meanMs - a[1].calls * a[1].meanMs)
            .map(([name, t]) => `  ${name.padEnd(28)} ${String(t.calls).padStart(7)} calls  mean ${t.meanMs} ms`),
        ]
      : []),
    `calls per inbound message (${c.counted ? `counted in the ×${c.fromMultiplier} phase, scaled to ×${result.profile.multiplier}, Lambda durations of the ×${c.durationsFromMultiplier} phase, fan-out rounds as the design makes them in AWS: one per group per adaptive window` : 'modelled: no phase without loss had stats'}): ` +
      `DynamoDB read ${c.dynamodbRead}, write ${c.dynamodbWrite}, SNS publish ${c.snsPublish}, PostToConnection ${c.postToConnection}, Lambda ${c.lambdaInvocations}, bytes in ${c.bytesIn} / out ${c.bytesOut}`,
    `  DynamoDB by operation: ${Object.entries(c.dynamodbByOperation)
      .map(([op, n]) => `${op} ${n}`)
      .join(', ')}`,
    formatProjection(result.awsLatency),
    '',
    `Cost per hour at this load (${result.cost.traffic.statusReports + result.cost.traffic.eventBatches} messages in ${result.cost.traffic.seconds} s):`,
    formatCost(result.cost.mesh, result.cost.appsync),
    `At the Mesh v2 profile (×1, ${profileMessagesPerSecond({ groups: result.profile.groups, statusRate: result.profile.statusPerSecPerGroup, batchRate: result.profile.batchesPerSecPerGroup })} messages/s): mesh $${result.costPerHourUSDAtProfile.mesh}/h, AppSync $${result.costPerHourUSDAtProfile.appsync}/h.`,
    '',
    `wrote ${path.join(outDir, 'latest.json')} and ${path.join(outDir, 'latest.svg')}`,
  ];
  return lines
    .filter((l) => l !== '')
    .join('\n')
    .replace('\nProjected AWS latency', '\n\nProjected AWS latency')
    .replace('\nCost per hour', '\n\nCost per hour');
}
