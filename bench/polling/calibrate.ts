/**
 * pollGroupData's own calls, counted apart from the window's mixed traffic:
 * after the load has stopped and the stack has gone quiet, every poller polls
 * a few times and nothing else is sent, and the stack's counters are read
 * around those polls. The group then holds what the window left (every
 * node's status, a log with events), so a poll reads what it read in the
 * window, less the events in flight.
 */
import type { PollingNode } from '../drivers/poller';
import { type WindowCalls, diffStats, readStats, waitUntilQuiet } from '../stack-stats';

/** Polls per poller: enough that a stray heartbeat of another node is a rounding error. */
const ROUNDS = 3;
/**
 * How long to wait for the stack to go quiet before counting anyway. The
 * drain already saw every delivery, so what the load left is worked off in a
 * second or two; a stack still busy after this is busy with others' traffic
 * (a shared stack), which waiting longer would not end.
 */
const QUIET_MAX_MS = 10_000;

export interface PollCalibration {
  polls: number;
  /** DynamoDB calls of one pollGroupData, by operation. */
  perPoll: Record<string, number>;
  /** Everything the stack did meanwhile, for the record. */
  calls: WindowCalls;
}

export async function calibratePolls(statsUrl: string, pollers: PollingNode[]): Promise<PollCalibration> {
  await waitUntilQuiet(statsUrl, QUIET_MAX_MS);
  const startedAt = Date.now();
  const before = await readStats(statsUrl);
  const pollsBefore = pollers.reduce((total, p) => total + p.reads.polls, 0);
  for (let round = 0; round < ROUNDS; round += 1) await Promise.all(pollers.map((poller) => poller.poll()));
  const after = await readStats(statsUrl);
  const polls = pollers.reduce((total, p) => total + p.reads.polls, 0) - pollsBefore;
  const calls = diffStats(before, after, (Date.now() - startedAt) / 1000);
  const perPoll = Object.fromEntries(
    Object.entries(calls.dynamodbByOperation).map(([op, n]) => [op, polls > 0 ? n / polls : 0]),
  );
  return { polls, perPoll, calls };
}
