/**
 * Projected AWS latency of one push, hop by hop, beside the bench's local
 * figures. The local stack runs every part on one machine with no network
 * in between and DynamoDB Local instead of DynamoDB, so its latency says how
 * the code behaves under load, not what a member waits for in AWS. This
 * projection adds what only AWS has (published or assumed figures, each with
 * its source: aws-latencies.ts) to what the bench measured (the handlers' SDK
 * calls and CPU per push: push-work.ts), with the CPU scaled to the share of
 * a vCPU that the Pulumi program's Lambda memory buys.
 *
 * The push is one to a group that is not busy, with warm functions: its
 * request appends it and asks for a flush, SNS delivers the request, and the
 * fan-out claims the flush, reads the log and posts each receiver a frame.
 * The receivers' own network time to the Region is not in it.
 */
import type { FanoutSettings } from '#shared/core/settings';
import { AWS_LATENCIES, type HopLatency, LAMBDA_CPU_SOURCE, LAMBDA_MB_PER_VCPU } from './aws-latencies';
import type { PushWork } from './push-work';

export interface ProjectionSettings {
  /** Lambda memory (MB) of the two functions on a push's way (infra/config.ts). */
  memoryMb: { request: number; fanout: number };
  /** PostToConnection calls one fan-out invocation keeps in flight (MESH_FANOUT_CONCURRENCY). */
  postConcurrency: number;
  fanout: FanoutSettings;
}

export interface Hop {
  hop: string;
  p50Ms: number;
  p99Ms: number;
  source: string;
}

export interface AwsProjection {
  hops: Hop[];
  total: { p50Ms: number; p99Ms: number };
  /** How the total's p99 combines the hops'. */
  p99Combination: string;
  notes: string[];
}

/** The share of one vCPU a function of `memoryMb` gets. Node runs a handler on one thread, so more than one vCPU does not shorten it. */
export function vcpuShare(memoryMb: number): number {
  return Math.min(1, memoryMb / LAMBDA_MB_PER_VCPU);
}

/** Wall time in Lambda of `cpuMs` of CPU measured on this machine (one core here taken as one vCPU there). */
export function lambdaWallMs(cpuMs: number, memoryMb: number): number {
  return cpuMs / vcpuShare(memoryMb);
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** A hop of `times` calls of a latency from the table, with its source. */
function fromTable(hop: string, latency: HopLatency, times = 1): Hop {
  return { hop, p50Ms: round1(latency.p50Ms * times), p99Ms: round1(latency.p99Ms * times), source: latency.source };
}

/** The receiver at percentile `p` of a round of `posts`: its position, 1-based. */
function receiverAt(p: number, posts: number): number {
  return Math.max(1, Math.ceil(p * posts));
}

export function projectPush(work: PushWork, settings: ProjectionSettings): AwsProjection {
  const { memoryMb, postConcurrency, fanout } = settings;
  const { dynamodbCall } = AWS_LATENCIES;
  const cpuHop = (what: string, calls: { p50: number; p99: number }, mb: number): Hop => ({
    hop: what,
    p50Ms: round1(lambdaWallMs(calls.p50 * work.cpuMsPerCall, mb)),
    p99Ms: round1(lambdaWallMs(calls.p99 * work.cpuMsPerCall, mb)),
    source: `${work.cpuSource}: ${work.cpuMsPerCall} ms per call here ÷ ${vcpuShare(mb).toFixed(2)} vCPU (${mb} MB; ${LAMBDA_MB_PER_VCPU} MB = 1 vCPU, ${LAMBDA_CPU_SOURCE})`,
  });

  const requestCalls = work.requestDynamoDbCalls + work.requestSnsPublishes;
  // The posts of a round share one event loop: the median receiver waits for
  // the CPU of the posts before it, the last one for all of them; and for a
  // free slot among `postConcurrency`, one post's time per slot turn.
  const p50Receiver = receiverAt(0.5, work.postsPerRound);
  const p99Receiver = receiverAt(0.99, work.postsPerRound);
  const turns = (receiver: number) => Math.ceil(receiver / Math.max(postConcurrency, 1));
  const before = work.fanoutDynamoDbCallsBeforePosts;

  const hops: Hop[] = [
    fromTable('client → API Gateway → request Lambda', AWS_LATENCIES.apiGatewayToLambda),
    cpuHop(
      `request Lambda: handler CPU (${round1(requestCalls)} SDK calls)`,
      { p50: requestCalls, p99: requestCalls },
      memoryMb.request,
    ),
    {
      ...fromTable(
        `request Lambda: DynamoDB, ${round1(work.requestDynamoDbCalls)} calls in sequence`,
        dynamodbCall,
        work.requestDynamoDbCalls,
      ),
      source: `${work.callsSource}; ${dynamodbCall.source}`,
    },
    fromTable('request Lambda: SNS Publish → fan-out Lambda', AWS_LATENCIES.snsToLambda),
    {
      hop: 'fan-out window',
      // firstRoundAt (shared/core/fanout/window.ts): a group with no round in its
      // last window is posted to at once; one with a recent round waits for the
      // rest of its window, at most the shortest one while the group is sparse.
      p50Ms: 0,
      p99Ms: fanout.windowMinMs,
      source: `fan-out settings (DEFAULT_FANOUT, shared/core/settings.ts): an idle group is posted at once; a sparse one waits at most windowMinMs ${fanout.windowMinMs} ms`,
    },
    {
      ...fromTable(`fan-out Lambda: DynamoDB claim + read, ${round1(before)} calls`, dynamodbCall, before),
      source: `${work.callsSource}; ${dynamodbCall.source}`,
    },
    cpuHop(
      'fan-out Lambda: handler CPU (claim, read, posts up to the receiver)',
      { p50: before + p50Receiver, p99: before + p99Receiver },
      memoryMb.fanout,
    ),
    {
      hop: `PostToConnection → client (${round1(work.postsPerRound)} posts a round, ${postConcurrency} in flight)`,
      p50Ms: round1(turns(p50Receiver) * AWS_LATENCIES.postToConnection.p50Ms),
      p99Ms: round1(turns(p99Receiver) * AWS_LATENCIES.postToConnection.p99Ms),
      source: `${AWS_LATENCIES.postToConnection.source}; × ${turns(p50Receiver)} (p50) and ${turns(p99Receiver)} (p99) turns for a free slot`,
    },
  ];
  const sum = (pick: (hop: Hop) => number) => round1(hops.reduce((total, hop) => total + pick(hop), 0));
  const p99 = sum((hop) => hop.p99Ms);
  return {
    hops,
    total: { p50Ms: sum((hop) => hop.p50Ms), p99Ms: p99 },
    p99Combination:
      "sum of the hops' p99s: conservative, as if every hop were at its p99 at once (the p99 of the sum is lower)",
    notes: [
      `Under load the window grows with a group's push rate up to windowMaxMs ${fanout.windowMaxMs} ms: a busy group's push waits up to ${round1(fanout.windowMaxMs - fanout.windowMinMs)} ms more (p99 up to ${round1(p99 - fanout.windowMinMs + fanout.windowMaxMs)} ms).`,
      "Not included: the client's own network time to the Region (add its round trip) and cold starts.",
    ],
  };
}

/** The projection as the text section of the bench's summary. */
export function formatProjection(projection: AwsProjection): string {
  const ms = (n: number) => n.toFixed(1).padStart(8);
  const width = Math.max(...projection.hops.map((h) => h.hop.length), 5);
  return [
    'Projected AWS latency per hop (one push to a group that is not busy, warm functions):',
    `  ${'hop'.padEnd(width)}   p50 ms   p99 ms  source`,
    ...projection.hops.map((h) => `  ${h.hop.padEnd(width)} ${ms(h.p50Ms)} ${ms(h.p99Ms)}  ${h.source}`),
    `  ${'total'.padEnd(width)} ${ms(projection.total.p50Ms)} ${ms(projection.total.p99Ms)}  p50: sum of the hops' p50s; p99: ${projection.p99Combination}`,
    ...projection.notes.map((note) => `  ${note}`),
  ].join('\n');
}
