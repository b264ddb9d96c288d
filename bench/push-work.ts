/**
 * What one push costs the handlers, from a measured window: the SDK calls
 * each function awaits on the push's way to the receivers, and the CPU one
 * SDK call takes on this machine. The AWS projection (aws-projection.ts)
 * turns these into Lambda time.
 *
 * The stack counts DynamoDB calls by operation, not by function, so they are
 * attributed by what a flush does (shared/core/fanout/flush.ts): one claim
 * (UpdateItem) per fan-out invocation, then per round one read (the Query
 * that capToWindow in cost-model.ts also counts rounds by) and one advance
 * (UpdateItem), and now and then a seal (PutItem of the page, UpdateItem of
 * the head). Every other DynamoDB call is the request function's.
 *
 * CPU is not kept per function either: the handlers' CPU (stack-cpu.ts) is
 * split evenly over the SDK calls they made. Most of a handler's CPU is the
 * AWS SDK's work per call (middleware, serialisation, signing), and on this
 * kind of machine a DynamoDB call and a PostToConnection cost the same within
 * a factor of two, so an even split is close enough for a projection.
 */
import type { ThreadCpu } from './stack-cpu';
import type { WindowCalls } from './stack-stats';

/**
 * Used when the handlers' CPU was not measured (a deployed target, no /proc):
 * the AWS SDK v3 measured on this project's 2-core machines at 1.0–1.6 ms of
 * CPU per DynamoDB call and 0.6–1.0 ms per PostToConnection.
 */
export const ASSUMED_CPU_MS_PER_SDK_CALL = 1.0;

export interface PushWork {
  /** DynamoDB calls one request invocation makes, one after another, before it asks for a flush. */
  requestDynamoDbCalls: number;
  /** SNS publishes (flush requests) per request invocation. */
  requestSnsPublishes: number;
  /** DynamoDB calls a fan-out round awaits before it posts: its share of the invocation's claim, and the read. */
  fanoutDynamoDbCallsBeforePosts: number;
  /** PostToConnection calls per round: one per receiver. */
  postsPerRound: number;
  /** CPU on this machine per SDK call the handlers made, ms. */
  cpuMsPerCall: number;
  /** Where the calls come from, for the printed sources. */
  callsSource: string;
  /** Where the CPU comes from. */
  cpuSource: string;
}

/** The handlers' CPU over a window, and what it includes. */
export interface HandlerCpu {
  ms: number;
  /** The handlers ran in the stack's main thread (`--profile`): the emulators' CPU is in it too. */
  includesEmulators: boolean;
}

/** Handler threads' CPU when the handlers have threads of their own; the whole process's otherwise. */
export function handlerCpuOf(cpu: ThreadCpu, handlersInThreads: boolean): HandlerCpu {
  return handlersInThreads
    ? { ms: cpu.otherThreadsMs, includesEmulators: false }
    : { ms: cpu.mainThreadMs + cpu.otherThreadsMs, includesEmulators: true };
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** The per-push figures of a window's calls; `counted` says whether the calls were counted or modelled. */
export function pushWorkOf(calls: WindowCalls, cpu: HandlerCpu | undefined, counted: boolean): PushWork {
  const dynamodb = Object.values(calls.dynamodbByOperation).reduce((total, n) => total + n, 0);
  const fanoutInvocations = calls.lambda.fanout?.invocations ?? 0;
  const rounds = Math.max(calls.dynamodbByOperation.Query ?? 0, fanoutInvocations, 1);
  const requests = Math.max(calls.lambda.request?.invocations ?? calls.ws.framesIn, 1);
  const seals = calls.dynamodbByOperation.PutItem ?? 0;
  const fanoutDynamoDb = fanoutInvocations + 2 * rounds + 2 * seals;
  const sdkCalls = dynamodb + calls.snsPublishRequests + calls.postToConnection;
  const measuredCpu = cpu !== undefined && cpu.ms > 0 && sdkCalls > 0;
  return {
    requestDynamoDbCalls: round3(Math.max(dynamodb - fanoutDynamoDb, 0) / requests),
    requestSnsPublishes: round3(calls.snsPublishRequests / requests),
    fanoutDynamoDbCallsBeforePosts: round3((fanoutInvocations + rounds) / rounds),
    postsPerRound: round3(calls.postToConnection / rounds),
    cpuMsPerCall: measuredCpu ? round3(cpu.ms / sdkCalls) : ASSUMED_CPU_MS_PER_SDK_CALL,
    callsSource: counted ? 'calls counted in this run' : 'calls modelled (no phase without loss had stats)',
    cpuSource: measuredCpu
      ? `measured: ${cpu.includesEmulators ? "the stack process's CPU (handlers in its main thread: emulators included, an upper bound)" : "the handler threads' CPU"} ÷ ${sdkCalls} SDK calls`
      : `assumed ${ASSUMED_CPU_MS_PER_SDK_CALL} ms per SDK call (not measured in this run)`,
  };
}
