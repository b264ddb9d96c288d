/**
 * The handlers' CloudWatch metrics, in the embedded metric format, through
 * Powertools for AWS Lambda's Metrics: each invocation's counts are printed
 * as one JSON line that CloudWatch turns into metrics, with no API call on
 * the hot path. Their names are metric-names.ts's; the request functions
 * count through request-metrics.ts. Namespace and service come from
 * POWERTOOLS_METRICS_NAMESPACE and POWERTOOLS_SERVICE_NAME (the Pulumi
 * program sets them; the alarms name the same), with these defaults when
 * unset. The local stack sums the same lines into its stats.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS_ENV } from '#shared/config';
import type { MetricName } from './metric-names';

export { METRIC_NAMES, type MetricName } from './metric-names';

/** One Metrics per function, made at module scope; the environment names the namespace and service (a constructor value would win over it). */
export function createMetrics(env: NodeJS.ProcessEnv = process.env): Metrics {
  return new Metrics({
    namespace: env[METRICS_ENV.namespace] || 'Mesh',
    serviceName: env[METRICS_ENV.serviceName] || 'mesh',
  });
}

/**
 * Adds counts and publishes them as one line, zeros included: the fan-out and
 * the sweeper give every count of theirs on each run, so a dashboard sees them
 * run; the request functions give only what they counted (request-metrics.ts).
 */
export function publishCounts(metrics: Metrics, counts: Partial<Record<MetricName, number>>): void {
  for (const [name, value] of Object.entries(counts)) metrics.addMetric(name, MetricUnit.Count, value ?? 0);
  metrics.publishStoredMetrics();
}
