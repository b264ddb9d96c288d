/**
 * The polling profile (`npm run bench -- --polling`): one group of polling
 * nodes over HTTPS and WebSocket nodes, all sending the profile's status
 * reports and event batches, for a warm-up and a measured window; then a
 * drain until every event reached every other node, pollGroupData's own
 * calls counted apart (calibrate.ts), and the result written to
 * {out}/polling/latest.json and printed. The nodes run in this process: 40
 * pollers make some twenty requests a second, far from a load worker's need.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { StackProcess } from '#local/stack-process';
import { type BenchIo, consoleIo } from '../bench-io';
import type { LoadProfile } from '../ipc';
import { loadProfileOf, type BenchOptions } from '../options';
import { REPO_ROOT, startBenchStack } from '../processes';
import { type WindowCalls, diffStats, readStats } from '../stack-stats';
import { assemblePolling } from './assemble';
import { calibratePolls } from './calibrate';
import { type MixedGroup, closeMixedGroup, openMixedGroup, startPolling } from './group';
import { type LoadWindow, runLoad } from './load';
import type { PollingResult } from './result';
import { pollingSummaryText } from './summary';
import { PollingTally } from './tally';

interface Target {
  wsUrl: string;
  httpUrl: string;
  statsUrl: string | undefined;
}

/** The client-side counts and the stack's counters at one moment. */
interface Reading {
  atMs: number;
  requests: Record<string, number>;
  socketWrites: number;
  stats: Awaited<ReturnType<typeof readStats>> | undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runPollingBench(options: BenchOptions, io: BenchIo = consoleIo): Promise<PollingResult> {
  const outDir = path.resolve(REPO_ROOT, options.out, 'polling');
  mkdirSync(outDir, { recursive: true });
  const runId = randomBytes(3).toString('hex');
  const profile = loadProfileOf(options);
  let stack: StackProcess | undefined;
  let group: MixedGroup | undefined;
  try {
    let target: Target;
    if (options.url) {
      target = { wsUrl: options.url, httpUrl: options.httpUrl!, statsUrl: options.statsUrl };
    } else {
      const started = Date.now();
      stack = await startBenchStack(options, outDir, runId);
      target = { wsUrl: stack.ready.wsUrl, httpUrl: stack.ready.httpUrl, statsUrl: stack.ready.statsUrl };
      io.print(`local stack ready in ${Date.now() - started} ms: ${target.wsUrl}, ${target.httpUrl}`);
    }
    const tally = new PollingTally();
    const joinStarted = Date.now();
    group = await openMixedGroup(
      {
        wsUrl: target.wsUrl,
        httpUrl: target.httpUrl,
        domain: `bench-${runId}-polling`,
        idPrefix: `polling-${runId}`,
        socketNodes: options.socketNodes,
        pollers: options.pollers,
      },
      tally,
    );
    io.print(
      `polling: ${options.pollers} pollers (every ${group.pollingIntervalMs / 1000} s, heartbeat every ${group.heartbeatIntervalMs / 1000} s) and ${options.socketNodes} WebSocket nodes joined one group in ${Date.now() - joinStarted} ms`,
    );
    startPolling(group);
    const { first, last } = await measure(group, tally, profile, options, target.statsUrl, io);
    const drainedMs = await drain(tally, options.drain * 1000);
    io.progress(`[polling] drained in ${drainedMs} ms: ${deliveredText(tally)}`, true);
    await Promise.all(group.pollers.map((poller) => poller.stop()));
    const calibration = target.statsUrl ? await calibratePolls(target.statsUrl, group.pollers) : undefined;
    const seconds = (last.atMs - first.atMs) / 1000;
    const window: WindowCalls | undefined =
      first.stats && last.stats ? diffStats(first.stats, last.stats, seconds) : undefined;
    const requests = Object.fromEntries(
      Object.entries(last.requests)
        .map(([action, n]) => [action, n - (first.requests[action] ?? 0)] as const)
        .filter(([, n]) => n > 0),
    );
    const result = await assemblePolling(options, {
      target: { wsUrl: target.wsUrl, httpUrl: target.httpUrl, local: !options.url },
      profile,
      group,
      tally,
      seconds,
      requests,
      socketWrites: last.socketWrites - first.socketWrites,
      window,
      calibration,
      drainedMs,
    });
    writeFileSync(path.join(outDir, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
    io.print(pollingSummaryText(result, outDir));
    return result;
  } finally {
    if (group) await closeMixedGroup(group);
    await stack?.stop();
  }
}

/** The warm-up and the measured window: the load, a progress line, and a reading as the window opens and closes. */
async function measure(
  group: MixedGroup,
  tally: PollingTally,
  profile: LoadProfile,
  options: BenchOptions,
  statsUrl: string | undefined,
  io: BenchIo,
): Promise<{ first: Reading; last: Reading }> {
  const startAt = Date.now() + 300;
  const window: LoadWindow = {
    startAt,
    measureFrom: startAt + options.warmup * 1000,
    endAt: startAt + (options.warmup + options.duration) * 1000,
  };
  const reading = async (): Promise<Reading> => {
    // The client-side counts are taken at once; the stack's answer follows within milliseconds.
    const requests: Record<string, number> = {};
    for (const poller of group.pollers) {
      for (const [action, n] of Object.entries(poller.requests)) requests[action] = (requests[action] ?? 0) + n;
    }
    const socketWrites = group.sockets.reduce((total, node) => total + node.messagesSent(), 0);
    const atMs = Date.now();
    const stats = statsUrl ? await readStats(statsUrl).catch(() => undefined) : undefined;
    return { atMs, requests, socketWrites, stats };
  };
  const at = (ms: number) => sleep(Math.max(0, ms - Date.now())).then(reading);
  const first = at(window.measureFrom);
  const last = at(window.endAt);
  const totalS = options.warmup + options.duration;
  const ticker = setInterval(() => {
    const elapsed = Math.max(0, (Date.now() - startAt) / 1000);
    const phase = Date.now() < window.measureFrom ? 'warm-up' : Date.now() < window.endAt ? 'measuring' : 'closing';
    io.progress(`[polling] ${elapsed.toFixed(0)}/${totalS}s ${phase}  ${deliveredText(tally)}`, false);
  }, 1000);
  try {
    await runLoad(group.nodes, profile, window);
    return { first: await first, last: await last };
  } finally {
    clearInterval(ticker);
  }
}

function deliveredText(tally: PollingTally): string {
  const { poller, socket } = tally.ledgers;
  return `events to pollers ${poller.counts.delivered}/${tally.expected.poller}, to WebSocket nodes ${socket.counts.delivered}/${tally.expected.socket}`;
}

/**
 * Waits until every event that left was delivered and every node's last
 * report was seen, twice in a row 300 ms apart, or `drainMs`; then a short
 * grace so late duplicates are counted too. The pollers keep polling
 * meanwhile: a poller sees what is left at its next poll.
 */
async function drain(tally: PollingTally, drainMs: number): Promise<number> {
  const started = Date.now();
  let settled = 0;
  while (settled < 2 && Date.now() - started < drainMs) {
    await sleep(settled > 0 ? 300 : 50);
    settled = tally.complete() ? settled + 1 : 0;
  }
  await sleep(250);
  return Date.now() - started;
}
