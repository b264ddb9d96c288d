/**
 * What the request functions count, for both transports (handlers/request.ts
 * on the WebSocket, handlers/http.ts over HTTPS), and the middleware that
 * publishes it: at most one EMF line per invocation (metrics.ts), none when
 * there is nothing to count, so a heartbeat or a query adds no log line to
 * the hot path.
 *
 *   GroupsCreated, Joins  createGroup / joinGroup results (a reconnect's
 *                         rejoin, which resends them, included)
 *   Pushes                results of the actions in PUSHING_ACTIONS: their
 *                         pushes are in the group's log, the fan-out posts them
 *   RateLimited, Errors   replies with errorType RateLimited / InternalError,
 *                         by the rule the error replies follow (error-reply.ts)
 *   PollingRequests       every invocation of the HTTPS function
 *   PollingFallbacks      HTTPS requests with `transportFallback: true`, which
 *                         a client sends once per fallback (docs/protocol.md)
 *
 * The counts live beside the function's Metrics, at module scope: Lambda
 * runs one invocation at a time per container, so each line holds that
 * invocation's counts. Where several run at once (the local stack's request
 * thread) a line may carry another's, and the sums stay exact.
 */
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj, Request } from '@middy/core';
import type { Action, RequestEnvelope } from '#shared/protocol/args';
import type { ErrorType } from '#shared/protocol/messages';
import { errorTypeOf } from './error-reply';
import { METRIC_NAMES, type MetricName } from './metric-names';
import { createMetrics, publishCounts } from './metrics';

export type RequestTransport = 'websocket' | 'https';

/** The actions whose result means pushes were accepted: appended to the group's log, for the fan-out to post. */
export const PUSHING_ACTIONS: ReadonlySet<Action> = new Set<Action>([
  'reportDataByNode',
  'fireEventsByNode',
  'recordEventsByNode',
  'dissolveGroup',
]);

/** The metric a result of each counted action adds to. */
const RESULT_METRICS: Partial<Record<Action, MetricName>> = {
  createGroup: METRIC_NAMES.groupsCreated,
  joinGroup: METRIC_NAMES.joins,
  ...Object.fromEntries([...PUSHING_ACTIONS].map((action) => [action, METRIC_NAMES.pushes])),
};

/**
 * The metric an error reply of each counted type adds to. The other refusals
 * (ValidationError, GroupNotFound, …) are the clients' business, not the
 * operator's.
 */
const ERROR_METRICS: Partial<Record<ErrorType, MetricName>> = {
  RateLimited: METRIC_NAMES.rateLimited,
  InternalError: METRIC_NAMES.errors,
};

export class RequestMetrics {
  private counts: Partial<Record<MetricName, number>> = {};

  /** One per function, made at module scope, as its Metrics. */
  constructor(
    private readonly transport: RequestTransport,
    private readonly metrics: Metrics = createMetrics(),
  ) {}

  /** A result reply of `action`. */
  countResult(action: Action): void {
    this.add(RESULT_METRICS[action]);
  }

  /** An error reply of `errorType`; thrown errors are counted by the middleware, this is for replies sent otherwise. */
  countRefusal(errorType: ErrorType): void {
    this.add(ERROR_METRICS[errorType]);
  }

  /** A parsed HTTPS request: a fallback when it says so. */
  countFallback(request: Pick<RequestEnvelope, 'transportFallback'>): void {
    if (request.transportFallback === true) this.add(METRIC_NAMES.pollingFallbacks);
  }

  /**
   * Counts each HTTPS invocation and each thrown error (as the error reply
   * it becomes), and publishes the invocation's counts as it ends, whether
   * it answered or threw.
   */
  middleware<TEvent, TResult>(): MiddlewareObj<TEvent, TResult> {
    const requestMetricsBefore = (): void => {
      if (this.transport === 'https') this.add(METRIC_NAMES.pollingRequests);
    };
    const requestMetricsAfter = (): void => this.publish();
    const requestMetricsOnError = (request: Request<TEvent, TResult>): void => {
      this.countRefusal(errorTypeOf(request.error));
      this.publish();
      // Nothing returned: the error-reply middleware answers.
    };
    return { before: requestMetricsBefore, after: requestMetricsAfter, onError: requestMetricsOnError };
  }

  private add(name: MetricName | undefined): void {
    if (name !== undefined) this.counts[name] = (this.counts[name] ?? 0) + 1;
  }

  private publish(): void {
    const counts = this.counts;
    this.counts = {};
    if (Object.keys(counts).length > 0) publishCounts(this.metrics, counts);
  }
}
