/**
 * The pollers' traffic in US dollars per hour: on this design (HTTP API, the
 * http function, their share of the write path, and the DynamoDB reads of
 * every pollGroupData), and on Mesh v2's AppSync for the same requests (each
 * poll a getEventsSince query, each report, batch and heartbeat a mutation).
 * Delivery to the WebSocket members is left out of both: PostToConnection
 * here, real-time updates there (the push profile prices it). Prices come
 * from bench/prices.ts only; no I/O.
 */
import { type CostLine, type CostSheet, dynamodbUnitsOf, line, sheet } from '../cost-model';
import { DEFAULT_LAMBDA_MEMORY_MB, DYNAMODB_UNITS_PER_CALL, MESH_V2_POLLING } from '../prices';
import type { PollerWritePath } from './attribution';

const READ_UNIT_BYTES = 4096;

/** What the pollers did in the measured window, counted by the bench and the stack. */
export interface PollingCounts {
  seconds: number;
  /** Nodes of the group, pollers and WebSocket nodes (sizes the Query of its statuses). */
  membersPerGroup: number;
  /** The pollers' HTTP requests in the window, by action. */
  requests: Record<string, number>;
  /** Events the pollers recorded in the window (Mesh v2 writes one item each). */
  pollerEvents: number;
  /** The http function in the window, from the stack's stats. */
  http: { invocations: number; meanMs: number };
  /** DynamoDB calls of one pollGroupData, by operation (calibrated). */
  perPoll: Record<string, number>;
  /** Mean JSON bytes of a poll's answer, and of the events in it. */
  pollReplyBytes: number;
  pollEventBytes: number;
  writePath: PollerWritePath;
}

/**
 * Read units of one pollGroupData: its calls at the price table's size, but
 * its Queries at least the statuses and events it answers (a node item with
 * status is larger than the connection items the table's Query size is for).
 * Strongly consistent reads, as the store makes them: 1 RRU per 4 KB.
 */
export function pollReadUnits(perPoll: Record<string, number>, replyBytes: number, membersPerGroup: number): number {
  const { Query: queries = 0, ...others } = perPoll;
  const queryUnits = Math.max(
    queries * DYNAMODB_UNITS_PER_CALL.read.Query(membersPerGroup),
    queries > 0 ? Math.ceil(replyBytes / READ_UNIT_BYTES) : 0,
  );
  return queryUnits + dynamodbUnitsOf(others, membersPerGroup).read;
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((total, n) => total + n, 0);

export function meshPollingCost(
  counts: PollingCounts,
  memoryMb: Record<string, number> = DEFAULT_LAMBDA_MEMORY_MB,
): CostSheet {
  const hour = 3600 / counts.seconds;
  const polls = counts.requests.pollGroupData ?? 0;
  const { writePath } = counts;
  const gbSeconds = (invocations: number, meanMs: number, fn: string) =>
    invocations * (Math.ceil(meanMs) / 1000) * ((memoryMb[fn] ?? 512) / 1024) * hour;
  const writeUnits = dynamodbUnitsOf(writePath.dynamodbByOperation, counts.membersPerGroup);
  const perPollText = Object.entries(counts.perPoll)
    .map(([op, n]) => `${op} ${round(n)}`)
    .join(' + ');
  const lines: CostLine[] = [
    line('HTTP API requests', 'httpApiRequest', sum(counts.requests) * hour),
    line('Lambda http invocations', 'lambdaRequest', counts.http.invocations * hour),
    line(
      `Lambda http GB-s (${memoryMb.http ?? 512} MB × ${counts.http.meanMs.toFixed(1)} ms)`,
      'lambdaGbSecondArm64',
      gbSeconds(counts.http.invocations, counts.http.meanMs, 'http'),
    ),
    line(
      `DynamoDB RRU of polls (${perPollText || 'no calls'} a poll)`,
      'dynamodbReadUnit',
      polls * pollReadUnits(counts.perPoll, counts.pollReplyBytes, counts.membersPerGroup) * hour,
    ),
    line('SNS publish (pollers’ share of the write path)', 'snsPublish', writePath.snsPublishRequests * hour),
    line('Lambda fanout invocations (pollers’ share)', 'lambdaRequest', writePath.fanout.invocations * hour),
    line(
      `Lambda fanout GB-s (pollers’ share, ${writePath.fanout.meanMs.toFixed(1)} ms)`,
      'lambdaGbSecondArm64',
      gbSeconds(writePath.fanout.invocations, writePath.fanout.meanMs, 'fanout'),
    ),
    line('DynamoDB RRU of the write path (pollers’ share)', 'dynamodbReadUnit', writeUnits.read * hour),
    line('DynamoDB WRU of the write path (pollers’ share)', 'dynamodbWriteUnit', writeUnits.write * hour),
  ];
  return sheet(lines);
}

/**
 * Mesh v2 for the same requests (MESH_V2_POLLING says where each figure is
 * read from). Its recordEventsByNode Lambda resolver is priced by the request
 * only: its duration was not measured, so this side is a floor.
 */
export function appsyncPollingCost(counts: PollingCounts): CostSheet {
  const hour = 3600 / counts.seconds;
  const polls = counts.requests.pollGroupData ?? 0;
  const reports = counts.requests.reportDataByNode ?? 0;
  const records = counts.requests.recordEventsByNode ?? 0;
  const heartbeats = counts.requests.sendMemberHeartbeat ?? 0;
  const v2 = MESH_V2_POLLING;
  const pollUnits = Math.max(
    v2.poll.minReadUnits,
    Math.ceil(counts.pollEventBytes / READ_UNIT_BYTES) * v2.poll.readUnitsPer4Kb,
  );
  return sheet([
    line('AppSync queries (getEventsSince, one a poll)', 'appsyncOperation', polls * hour),
    line(
      'AppSync mutations (reports, batches, heartbeats)',
      'appsyncOperation',
      (reports + records + heartbeats) * hour,
    ),
    line(
      'Lambda invocations (recordEventsByNode resolver)',
      'lambdaRequest',
      records * v2.recordEvents.lambdaInvocations * hour,
    ),
    line(
      'DynamoDB RRU',
      'dynamodbReadUnit',
      (polls * pollUnits +
        reports * v2.status.readUnits +
        records * v2.recordEvents.readUnits +
        heartbeats * v2.memberHeartbeat.readUnits) *
        hour,
    ),
    line(
      'DynamoDB WRU (one item per event recorded)',
      'dynamodbWriteUnit',
      (reports * v2.status.writeUnits +
        counts.pollerEvents * v2.recordEvents.writeUnitsPerEvent +
        heartbeats * v2.memberHeartbeat.writeUnits) *
        hour,
    ),
  ]);
}

function round(n: number): string {
  return String(Math.round(n * 100) / 100);
}
