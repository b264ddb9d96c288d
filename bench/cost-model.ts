/**
 * Turns the calls a measured window made into US dollars per hour on AWS, and
 * prices the same traffic on Mesh v2's AppSync design beside it. Prices come
 * from bench/prices.ts only.
 */
import { windowFor } from '#shared/core/fanout/window';
import { DEFAULT_FANOUT, type FanoutSettings } from '#shared/core/settings';
import {
  DEFAULT_LAMBDA_MEMORY_MB,
  DYNAMODB_UNITS_PER_CALL,
  MESH_V2_DYNAMODB_PER_MESSAGE,
  PRICES,
  type PriceName,
  priceOf,
} from './prices';
import type { WindowCalls } from './stack-stats';

const FRAME_UNIT_BYTES = 32 * 1024;

/** The traffic both designs carry, counted over one window. */
export interface Traffic {
  seconds: number;
  /** Open WebSocket connections (one per node). */
  connections: number;
  membersPerGroup: number;
  /** Messages the clients sent: each a reportDataByNode / fireEventsByNode (an AppSync mutation). */
  statusReports: number;
  eventBatches: number;
}

export interface CostLine {
  item: string;
  price: PriceName;
  quantityPerHour: number;
  usdPerHour: number;
}

export interface CostSheet {
  lines: CostLine[];
  usdPerHour: number;
}

/** One line of a sheet: `quantityPerHour` units of one price. */
export function line(item: string, price: PriceName, quantityPerHour: number): CostLine {
  return { item, price, quantityPerHour, usdPerHour: priceOf(price, quantityPerHour) };
}

export function sheet(lines: CostLine[]): CostSheet {
  return { lines, usdPerHour: lines.reduce((total, l) => total + l.usdPerHour, 0) };
}

/** Messages in 32 KB units, from the frame count and bytes of one direction. */
function messageUnits(frames: number, bytes: number): number {
  if (frames === 0) return 0;
  return frames * Math.max(1, Math.ceil(bytes / frames / FRAME_UNIT_BYTES));
}

/**
 * The mesh on API Gateway WebSocket + Lambda (arm64) + SNS + DynamoDB on-demand.
 * Lambda durations are the local stack's measured means (handlers run
 * in-process on a loaded machine, so they are an upper bound for Lambda).
 */
export function meshCost(
  calls: WindowCalls,
  traffic: Traffic,
  memoryMb: Record<string, number> = DEFAULT_LAMBDA_MEMORY_MB,
): CostSheet {
  const hour = 3600 / calls.seconds;
  const lines: CostLine[] = [
    line(
      'API Gateway messages in (client requests)',
      'apiGatewayMessage',
      messageUnits(calls.ws.framesIn, calls.ws.bytesIn) * hour,
    ),
    line(
      'API Gateway messages out (replies + pushes)',
      'apiGatewayMessage',
      messageUnits(calls.ws.framesOut, calls.ws.bytesOut) * hour,
    ),
    line('API Gateway connection-minutes', 'apiGatewayConnectionMinute', traffic.connections * 60),
    line('Lambda invocations', 'lambdaRequest', calls.lambdaInvocations * hour),
  ];
  for (const [name, fn] of Object.entries(calls.lambda)) {
    const gb = (memoryMb[name] ?? 256) / 1024;
    // Lambda bills each invocation's duration rounded up to the millisecond.
    const gbSeconds = fn.invocations * (Math.ceil(fn.meanMs) / 1000) * gb * hour;
    lines.push(
      line(
        `Lambda ${name} GB-s (${memoryMb[name] ?? 256} MB × ${fn.meanMs.toFixed(1)} ms)`,
        'lambdaGbSecondArm64',
        gbSeconds,
      ),
    );
  }
  lines.push(line('SNS publish requests', 'snsPublish', calls.snsPublishRequests * hour));
  const units = dynamodbUnitsOf(calls.dynamodbByOperation, traffic.membersPerGroup);
  lines.push(line('DynamoDB read units', 'dynamodbReadUnit', units.read * hour));
  lines.push(line('DynamoDB write units', 'dynamodbWriteUnit', units.write * hour));
  return sheet(lines);
}

/** Request units of DynamoDB calls counted by operation, at DYNAMODB_UNITS_PER_CALL's size per call. */
export function dynamodbUnitsOf(
  byOperation: Record<string, number>,
  membersPerGroup: number,
): { read: number; write: number } {
  const reads = DYNAMODB_UNITS_PER_CALL.read as Record<string, (members: number) => number>;
  const writes = DYNAMODB_UNITS_PER_CALL.write as Record<string, (members: number) => number>;
  let read = 0;
  let write = 0;
  for (const [op, count] of Object.entries(byOperation)) {
    if (reads[op]) read += count * reads[op](membersPerGroup);
    else if (writes[op]) write += count * writes[op](membersPerGroup);
  }
  return { read, write };
}

/**
 * Mesh v2 on AppSync for the same traffic: each report or batch one mutation,
 * each message one real-time update per subscriber of the group (the sender is
 * subscribed too and receives its own message), the same connections, and the
 * DynamoDB calls of its resolvers.
 */
export function appsyncCost(traffic: Traffic): CostSheet {
  const hour = 3600 / traffic.seconds;
  const messages = traffic.statusReports + traffic.eventBatches;
  const perMessage = MESH_V2_DYNAMODB_PER_MESSAGE;
  return sheet([
    line('AppSync mutations', 'appsyncOperation', messages * hour),
    line('AppSync real-time updates', 'appsyncRealtimeUpdate', messages * traffic.membersPerGroup * hour),
    line('AppSync connection-minutes', 'appsyncConnectionMinute', traffic.connections * 60),
    line(
      'DynamoDB read units',
      'dynamodbReadUnit',
      (traffic.statusReports * perMessage.status.readUnits + traffic.eventBatches * perMessage.eventBatch.readUnits) *
        hour,
    ),
    line(
      'DynamoDB write units',
      'dynamodbWriteUnit',
      (traffic.statusReports * perMessage.status.writeUnits + traffic.eventBatches * perMessage.eventBatch.writeUnits) *
        hour,
    ),
  ]);
}

/** The headings of the two sheets in formatCost. */
export interface CostTitles {
  mesh: string;
  appsync: string;
}

const PUSH_TITLES: CostTitles = {
  mesh: 'Mesh on API Gateway WebSocket + Lambda + SNS + DynamoDB:',
  appsync: 'Mesh v2 on AppSync + DynamoDB, same traffic:',
};

/** Both sheets as a plain-text table, with the prices and their sources. */
export function formatCost(mesh: CostSheet, appsync: CostSheet, titles: CostTitles = PUSH_TITLES): string {
  const usd = (n: number) => `$${n.toFixed(n < 0.01 ? 5 : 3)}`;
  const qty = (n: number) =>
    n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(1);
  const rows = (s: CostSheet) =>
    s.lines.map(
      (l) => `  ${l.item.padEnd(58)} ${qty(l.quantityPerHour).padStart(10)}/h  ${usd(l.usdPerHour).padStart(10)}/h`,
    );
  const used = new Set([...mesh.lines, ...appsync.lines].map((l) => l.price));
  const ratio = appsync.usdPerHour / Math.max(mesh.usdPerHour, Number.EPSILON);
  return [
    titles.mesh,
    ...rows(mesh),
    `  ${'total'.padEnd(58)} ${''.padStart(12)}  ${usd(mesh.usdPerHour).padStart(10)}/h`,
    titles.appsync,
    ...rows(appsync),
    `  ${'total'.padEnd(58)} ${''.padStart(12)}  ${usd(appsync.usdPerHour).padStart(10)}/h`,
    `AppSync / mesh = ${ratio.toFixed(2)}×`,
    'Prices (us-east-1, on-demand):',
    ...[...used].map((name) => {
      const p = PRICES[name];
      return `  $${p.usd} per ${p.per === 1 ? '' : `${p.per / 1e6} million `}${p.unit} — ${p.source}`;
    }),
  ].join('\n');
}

/**
 * Calls scaled up from a lighter load count one fan-out round per push or so;
 * at the higher rate the window bounds the rounds: at most one per group per
 * window. This caps the per-round calls at `groups × seconds × 1000 /
 * windowMs` rounds (see withRounds). The result is an upper bound: it assumes
 * every window of every group has a round.
 */
export function capToWindow(calls: WindowCalls, groups: number, windowMs: number): WindowCalls {
  const rounds = calls.dynamodbByOperation.Query ?? 0;
  const bound = groups * calls.seconds * (1000 / Math.max(windowMs, 1));
  if (windowMs <= 0 || rounds <= bound) return calls;
  return withRounds(calls, bound);
}

/**
 * The fan-out rounds the design makes in AWS, where a flush keeps up: per
 * group one round per adaptive window at its push rate (window.ts), or one per
 * push while pushes are rarer than windows. A machine that cannot keep up
 * makes fewer, larger rounds than this, which would understate the price.
 */
export function designRounds(
  groups: number,
  seconds: number,
  pushesPerSecondPerGroup: number,
  settings: FanoutSettings,
): number {
  if (pushesPerSecondPerGroup <= 0) return 0;
  const windowMs = windowFor(pushesPerSecondPerGroup, settings);
  return groups * seconds * Math.min(pushesPerSecondPerGroup, 1000 / windowMs);
}

/**
 * The calls with the fan-out's rounds set to `rounds`, scaling the per-round
 * calls with them (the flush's Query and write, flush requests, fan-out
 * invocations, posts and their frames) and keeping their measured size per
 * round.
 */
export function withRounds(calls: WindowCalls, target: number): WindowCalls {
  const rounds = calls.dynamodbByOperation.Query ?? 0;
  if (rounds <= 0) return calls;
  const bound = target;
  const f = bound / rounds;
  const cut = (n: number) => n * f;
  const posts = calls.postToConnection;
  const replies = Math.max(calls.ws.framesOut - posts, 0);
  const frameShare = calls.ws.framesOut > 0 ? (replies + cut(posts)) / calls.ws.framesOut : 1;
  const fanout = calls.lambda.fanout;
  const droppedInvocations = fanout ? fanout.invocations - cut(fanout.invocations) : 0;
  return {
    ...calls,
    dynamodbByOperation: {
      ...calls.dynamodbByOperation,
      Query: bound,
      UpdateItem: (calls.dynamodbByOperation.UpdateItem ?? 0) - (rounds - bound),
    },
    dynamodbRead: calls.dynamodbRead - (rounds - bound),
    dynamodbWrite: calls.dynamodbWrite - (rounds - bound),
    snsPublishRequests: cut(calls.snsPublishRequests),
    snsPublishedMessages: cut(calls.snsPublishedMessages),
    snsDeliveries: cut(calls.snsDeliveries),
    postToConnection: cut(posts),
    postToConnectionGone: cut(calls.postToConnectionGone),
    lambda: fanout ? { ...calls.lambda, fanout: { ...fanout, invocations: cut(fanout.invocations) } } : calls.lambda,
    lambdaInvocations: calls.lambdaInvocations - droppedInvocations,
    ws: { ...calls.ws, framesOut: replies + cut(posts), bytesOut: calls.ws.bytesOut * frameShare },
  };
}

/** The same traffic and calls at `factor` times the message rate (calls scale linearly with messages). */
export function scaleTraffic(traffic: Traffic, factor: number): Traffic {
  return {
    ...traffic,
    statusReports: traffic.statusReports * factor,
    eventBatches: traffic.eventBatches * factor,
  };
}

export function scaleWindow(calls: WindowCalls, factor: number): WindowCalls {
  const x = (n: number) => n * factor;
  return {
    ...calls,
    dynamodbByOperation: Object.fromEntries(Object.entries(calls.dynamodbByOperation).map(([op, n]) => [op, x(n)])),
    dynamodbRead: x(calls.dynamodbRead),
    dynamodbWrite: x(calls.dynamodbWrite),
    snsPublishRequests: x(calls.snsPublishRequests),
    snsPublishedMessages: x(calls.snsPublishedMessages),
    snsDeliveries: x(calls.snsDeliveries),
    postToConnection: x(calls.postToConnection),
    postToConnectionGone: x(calls.postToConnectionGone),
    lambda: Object.fromEntries(
      Object.entries(calls.lambda).map(([name, fn]) => [name, { ...fn, invocations: x(fn.invocations) }]),
    ),
    lambdaInvocations: x(calls.lambdaInvocations),
    ws: {
      ...calls.ws,
      framesIn: x(calls.ws.framesIn),
      bytesIn: x(calls.ws.bytesIn),
      framesOut: x(calls.ws.framesOut),
      bytesOut: x(calls.ws.bytesOut),
    },
  };
}

/**
 * The calls the design makes for `traffic` when they cannot be counted (a
 * deployed stage has no stats endpoint; `npm run cost` before any bench run).
 * Per report or batch: one request frame in and one reply out, a request
 * invocation (UpdateItem of the node, UpdateItem appending to the group's
 * log; no read). Fan-out rounds: as the design makes them (designRounds), at
 * most one per group per `windowMs`; each is a flush request (SNS publish and
 * an invocation, an upper bound: a busy flush keeps going), a Query, a claim
 * and an advance, and one frame to every member (an upper bound: a member
 * that sent every push of the round gets none).
 * Durations are assumptions: 15 ms request, 40 ms fan-out round of 40 posts.
 */
export function modelledCalls(traffic: Traffic, pushBytes = 450, windowMs = DEFAULT_FANOUT.windowMinMs): WindowCalls {
  const messages = traffic.statusReports + traffic.eventBatches;
  const groups = traffic.connections / Math.max(traffic.membersPerGroup, 1);
  const perGroupPerSecond = messages / Math.max(traffic.seconds, Number.EPSILON) / Math.max(groups, 1);
  const rounds = Math.min(
    designRounds(groups, traffic.seconds, perGroupPerSecond, DEFAULT_FANOUT),
    groups * traffic.seconds * (1000 / Math.max(windowMs, 1)),
  );
  const posts = rounds * traffic.membersPerGroup;
  const pushesPerRound = rounds > 0 ? messages / rounds : 0;
  return {
    seconds: traffic.seconds,
    dynamodbByOperation: { UpdateItem: messages * 2 + rounds * 2, Query: rounds },
    dynamodbRead: rounds,
    dynamodbWrite: messages * 2 + rounds * 2,
    snsPublishRequests: rounds,
    snsPublishedMessages: rounds,
    snsDeliveries: rounds,
    postToConnection: posts,
    postToConnectionGone: 0,
    lambda: {
      request: { invocations: messages, errors: 0, meanMs: 15 },
      fanout: { invocations: rounds, errors: 0, meanMs: 40 },
    },
    lambdaInvocations: messages + rounds,
    ws: {
      framesIn: messages,
      bytesIn: messages * 300,
      framesOut: messages + posts,
      bytesOut: messages * 120 + posts * pushBytes * pushesPerRound,
      connections: traffic.connections,
    },
  };
}
