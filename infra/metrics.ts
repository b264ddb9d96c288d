/**
 * The mesh's own CloudWatch metrics. The functions (the request functions,
 * the fan-out and the sweeper) write them as Embedded Metric Format log
 * lines with Powertools' `Metrics`, which takes its namespace and its
 * `service` dimension from the two variables of `metricsEnvironment`;
 * CloudWatch turns those lines into metrics, with no PutMetricData call and
 * no IAM grant.
 *
 * The alarms (components/alarms.ts) and the dashboard
 * (components/dashboard.ts) name the same namespace and dimension.
 * CloudWatch finds a metric only by its exact set of dimensions, so a metric
 * the handlers emit with a dimension more than `service` is one the alarms
 * and the dashboard do not see.
 */

// Relative, not '#shared/...': Pulumi's TypeScript loader does not read tsconfig paths.
import { METRICS_ENV } from '../shared/config';
import { METRIC_NAMES, type MetricName } from '../shared/lambda/metric-names';

export { METRIC_NAMES, type MetricName };

/** POWERTOOLS_METRICS_NAMESPACE of every function. */
export const METRICS_NAMESPACE = 'Mesh';

/**
 * The metrics the alarms watch (components/alarms.ts says when each fires),
 * by the handlers' own names. The others are for the dashboard
 * (components/dashboard.ts), which plots every one of METRIC_NAMES.
 */
export const ALARMED_METRICS = {
  /** The fan-out gave a post up for a connection after its retries: a member missed frames. */
  abandonedPosts: METRIC_NAMES.abandonedPosts,
  /** The sweeper requested a new flush for a group whose flush had died or whose request was lost. */
  flushesRestarted: METRIC_NAMES.flushesRestarted,
  /** A request was answered InternalError: a dependency failed, and the request may not have been applied. */
  errors: METRIC_NAMES.errors,
  /** Requests refused for their caller's rate: runaway programs, or limits too tight for the classes. */
  rateLimited: METRIC_NAMES.rateLimited,
} as const;

/** The `service` dimension of the stack's metrics (POWERTOOLS_SERVICE_NAME). */
export function metricsServiceName(stageName: string): string {
  return `mesh-${stageName}`;
}

/** The Powertools variables every function gets. */
export function metricsEnvironment(stageName: string): Record<string, string> {
  return {
    [METRICS_ENV.serviceName]: metricsServiceName(stageName),
    [METRICS_ENV.namespace]: METRICS_NAMESPACE,
  };
}
