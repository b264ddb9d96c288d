/**
 * Which of the stack's calls in the measured window are the pollers'. The
 * stack counts DynamoDB calls by operation, not by function, and the window
 * also carries the WebSocket nodes' traffic, so the calls are split:
 * - pollGroupData's own calls are counted apart, in a quiet spell after the
 *   window where the pollers only poll (calibrate.ts), and taken once per
 *   poll of the window;
 * - what is left is the write path (request or http function, SNS, the
 *   fan-out that takes each push into the log the pollers read), shared by
 *   every node's reports, events and heartbeats: the pollers' part is their
 *   share of those requests. A WebSocket node's heartbeat is not counted in
 *   the split (one every two minutes), and a poller's heartbeat counts as a
 *   write, though it starts no fan-out: both are noise at these rates.
 */
import type { WindowCalls } from '../stack-stats';

/** The pollers' part of the write path in the window. */
export interface PollerWritePath {
  /** pollerWrites / (pollerWrites + socketWrites). */
  share: number;
  dynamodbByOperation: Record<string, number>;
  snsPublishRequests: number;
  fanout: { invocations: number; meanMs: number };
}

export interface WindowSplit {
  window: WindowCalls;
  /** pollGroupData requests in the window. */
  polls: number;
  /** DynamoDB calls of one pollGroupData, by operation (calibrated). */
  perPoll: Record<string, number>;
  /** The pollers' reportDataByNode, recordEventsByNode and sendMemberHeartbeat requests in the window. */
  pollerWrites: number;
  /** The WebSocket nodes' reportDataByNode and fireEventsByNode requests in the window. */
  socketWrites: number;
}

export function pollerWritePath(split: WindowSplit): PollerWritePath {
  const { window, polls, perPoll, pollerWrites, socketWrites } = split;
  const share = pollerWrites + socketWrites > 0 ? pollerWrites / (pollerWrites + socketWrites) : 0;
  const dynamodbByOperation: Record<string, number> = {};
  for (const [op, count] of Object.entries(window.dynamodbByOperation)) {
    // A calibration a little above the window's own polls (noise in either) must not make a count negative.
    const writePath = Math.max(0, count - polls * (perPoll[op] ?? 0));
    if (writePath > 0) dynamodbByOperation[op] = writePath * share;
  }
  const fanout = window.lambda.fanout ?? { invocations: 0, meanMs: 0 };
  return {
    share,
    dynamodbByOperation,
    snsPublishRequests: window.snsPublishRequests * share,
    fanout: { invocations: fanout.invocations * share, meanMs: fanout.meanMs },
  };
}
