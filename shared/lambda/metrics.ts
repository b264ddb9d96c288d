/**
 * The handlers' CloudWatch metrics, in the embedded metric format, through
 * Powertools for AWS Lambda's Metrics: each invocation's counts are printed
 * as one JSON line that CloudWatch turns into metrics, with no API call on
 * the hot path. Namespace and service come from POWERTOOLS_METRICS_NAMESPACE
 * and POWERTOOLS_SERVICE_NAME (the Pulumi program sets them; the alarms name
 * the same), with these defaults when unset. The local stack sums the same
 * lines into its stats.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS_ENV } from '#shared/config';

/** The metrics the fan-out and the sweeper emit, by name. */
export const METRIC_NAMES = {
  framesPosted: 'FramesPosted',
  gonePosts: 'GonePosts',
  postRetries: 'PostRetries',
  abandonedPosts: 'AbandonedPosts',
  flushesRestarted: 'FlushesRestarted',
} as const;

export type MetricName = (typeof METRIC_NAMES)[keyof typeof METRIC_NAMES];

/** One Metrics per function, made at module scope; the environment names the namespace and service (a constructor value would win over it). */
export function createMetrics(env: NodeJS.ProcessEnv = process.env): Metrics {
  return new Metrics({
    namespace: env[METRICS_ENV.namespace] || 'Mesh',
    serviceName: env[METRICS_ENV.serviceName] || 'mesh',
  });
}

/** Adds counts and publishes them as one line (always, zeros included, so a dashboard sees the function run). */
export function publishCounts(metrics: Metrics, counts: Partial<Record<MetricName, number>>): void {
  for (const [name, value] of Object.entries(counts)) metrics.addMetric(name, MetricUnit.Count, value ?? 0);
  metrics.publishStoredMetrics();
}
