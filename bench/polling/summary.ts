/**
 * The polling profile's printed summary, from its result alone, so what is
 * printed is exactly what bench/results/polling/latest.json holds.
 */
import path from 'node:path';
import { formatCost } from '../cost-model';
import type { LatencySummary } from '../ledger';
import type { DeliverySide, PollingResult } from './result';

const COST_TITLES = {
  mesh: 'Mesh, the pollers on the HTTP API + Lambda + SNS + DynamoDB:',
  appsync: 'Mesh v2 on AppSync + DynamoDB, the same polling requests:',
};

const latency = (l: LatencySummary) => `p50 ${l.p50} ms, p99 ${l.p99} ms, max ${l.max} ms`;

function sideLine(name: string, s: DeliverySide, note = ''): string {
  return (
    `  ${name.padEnd(30)} expected ${s.expected}, delivered ${s.delivered}, lost ${s.lost}, duplicated ${s.duplicates}, out of order ${s.outOfOrder}` +
    `\n  ${''.padEnd(30)} latency fire → seen: ${latency(s.latencyMs)}${note}`
  );
}

function costLines(result: PollingResult): string[] {
  if (!result.cost || !result.costPerHourUSD || !result.calibration) {
    return ['Cost: not counted (no stack stats: give --stats-url, or let the bench start the stack).'];
  }
  const c = result.costCounts!;
  const perPoll = Object.entries(result.calibration.perPoll)
    .map(([op, n]) => `${op} ${n}`)
    .join(', ');
  return [
    `pollGroupData's DynamoDB calls (counted over ${result.calibration.polls} polls while nothing else was sent): ${perPoll || 'none'} a poll`,
    `the pollers' share of the write path (their reports, batches and heartbeats of all the group's): ${(c.writePath.share * 100).toFixed(1)}%`,
    '',
    `Cost per hour of the pollers' traffic (${result.group.pollers} pollers, ${result.requests.perSecond} requests/s; delivery to the WebSocket members left out of both):`,
    formatCost(result.cost.mesh, result.cost.appsync, COST_TITLES),
    `A Mesh v2 poller that also read the statuses each interval (listGroupStatuses; pollGroupData answers both in one request) would add $${result.cost.appsyncStatusQueriesUsdPerHour}/h of queries.`,
  ];
}

export function pollingSummaryText(result: PollingResult, outDir: string): string {
  const g = result.group;
  const e = result.events;
  const r = result.requests;
  const byAction = Object.entries(r.byAction)
    .sort((a, b) => b[1].count - a[1].count)
    .map(([action, { perSecond }]) => `${action} ${perSecond}/s`)
    .join(', ');
  const errors = Object.entries(r.errors)
    .map(([action, n]) => `${action} ${n}`)
    .join(', ');
  const p = result.polls;
  return [
    '',
    `== Mesh bench, polling profile (1 group: ${g.pollers} pollers every ${g.pollingIntervalSeconds} s + ${g.socketNodes} WebSocket nodes, ${g.durationS} s measured) ==`,
    `sent:      pollers ${result.sent.poller.statusReports} status reports and ${result.sent.poller.events} events, WebSocket nodes ${result.sent.socket.statusReports} status reports and ${result.sent.socket.events} events (${g.statusPerSecPerGroup} reports and ${g.batchesPerSecPerGroup} batches of ${g.eventsPerBatch.min}–${g.eventsPerBatch.max} events a second in the group)`,
    `events:    expected ${e.expected}, delivered ${e.delivered}, lost ${e.lost}, duplicated ${e.duplicates}, out of order ${e.outOfOrder}`,
    sideLine(
      'to pollers (pollGroupData):',
      e.toPollers,
      ` (includes the wait for the next poll: up to one ${g.pollingIntervalSeconds} s interval)`,
    ),
    sideLine('to WebSocket nodes (pushes):', e.toSockets),
    `status:    every node's last report seen by every other node: ${result.status.converged}/${result.status.pairs} pairs`,
    `HTTP:      ${r.perSecond} requests/s from the pollers (${byAction || 'none'}); failed: ${errors || 'none'}` +
      (r.httpInvocationsPerSecond === null
        ? ''
        : `; http function ${r.httpInvocationsPerSecond} invocations/s (stack's stats)`),
    `polls:     ${p.count} over the run, a mean ${p.meanEvents} events and ${(p.meanReplyBytes / 1024).toFixed(1)} KB an answer (events ${(p.meanEventBytes / 1024).toFixed(1)} KB); ${p.fullPages} full pages read on at once`,
    `drained in ${result.drainedMs} ms; verdict: ${result.verdict}`,
    '',
    ...costLines(result),
    '',
    `wrote ${path.join(outDir, 'latest.json')}`,
  ].join('\n');
}
