/**
 * CloudWatch alarms on what should never happen in a healthy mesh: a function
 * error or throttle, a flush request in the dead-letter queue, an API Gateway
 * integration or execution error, a post the fan-out gave up, a flush the
 * sweeper had to restart, requests answered InternalError for minutes on
 * end, a flood of RateLimited refusals. With an alarm email configured, every
 * alarm notifies an SNS topic that mails it (the address must confirm once).
 *
 * Not alarmed, for the dashboard only (components/dashboard.ts): GonePosts (a
 * client that left without its $disconnect arriving first, a closed laptop
 * lid: its node is dropped and no living member misses anything),
 * PollingFallbacks (a school behind a filter is served, by polling; worth
 * watching, not waking anyone), and the traffic counts.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { FunctionName } from '../config';
import { ALARMED_METRICS, METRICS_NAMESPACE } from '../metrics';
import type { MeshFunction } from './functions';

export interface MeshAlarmsArgs {
  functions: Record<FunctionName, MeshFunction>;
  deadLetterQueue: aws.sqs.Queue;
  apiId: pulumi.Input<string>;
  stageName: string;
  /** The `service` dimension of the mesh's own metrics (POWERTOOLS_SERVICE_NAME, infra/metrics.ts). */
  metricsService: string;
  /** Where alarm mail goes; empty or unset: no notification topic. Default: unset. */
  alarmEmail?: string;
  /** Evaluation period (s) of every alarm but the restarted-flush one. Default: 300. */
  periodSeconds?: number;
}

type Metric = Pick<aws.cloudwatch.MetricAlarmArgs, 'namespace' | 'metricName' | 'dimensions' | 'statistic'>;

/** When an alarm fires: a comparison of each period's statistic with a threshold, in every one of the last `evaluationPeriods` (default 1). */
interface Trigger {
  periodSeconds: number;
  comparisonOperator: 'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold';
  threshold: number;
  evaluationPeriods?: number;
}

/**
 * A restarted flush is rare and already repaired: one mail for a quarter of an
 * hour of them, rather than one per sweep.
 */
const RESTARTED_FLUSH_PERIOD_SECONDS = 900;

/**
 * Periods in a row with InternalError replies before the alarm fires. One
 * period of them is a blip (a throttled table, a cold dependency) that the
 * clients' retries ride out; two in a row is a dependency failing for
 * minutes, and requests failing with it.
 */
const INTERNAL_ERROR_PERIODS = 2;

/**
 * RateLimited refusals a second, averaged over a period, above which the
 * refusals are trouble. A runaway program on a WebSocket earns about its
 * refusal allowance (MESH_CONNECTION_REFUSALS_BEFORE_CLOSE, 60) before its
 * connection is closed, so a few of them stay well under one a second over
 * five minutes. Over it: many at once (a class running the same loop), one
 * reconnecting in a loop, an HTTPS caller that ignores its 429s, or limits
 * too tight for what the classes really send.
 */
const RATE_LIMITED_PER_SECOND = 1;

export class MeshAlarms extends pulumi.ComponentResource {
  readonly alarms: aws.cloudwatch.MetricAlarm[] = [];
  readonly alarmTopic?: aws.sns.Topic;

  constructor(name: string, args: MeshAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mesh:ops:Alarms', name, {}, opts);
    const period = args.periodSeconds ?? 300;

    if (args.alarmEmail) {
      this.alarmTopic = new aws.sns.Topic(`${name}-alarms`, {}, { parent: this });
      new aws.sns.TopicSubscription(
        `${name}-alarms-email`,
        { topic: this.alarmTopic.arn, protocol: 'email', endpoint: args.alarmEmail },
        { parent: this },
      );
    }
    const actions = this.alarmTopic ? [this.alarmTopic.arn] : [];

    // By default: any datapoint above zero in one period. No data (no
    // traffic, or nothing went wrong) is fine.
    const anyInPeriod: Trigger = { periodSeconds: period, comparisonOperator: 'GreaterThanThreshold', threshold: 0 };
    const alarm = (id: string, description: string, metric: Metric, trigger: Trigger = anyInPeriod) => {
      this.alarms.push(
        new aws.cloudwatch.MetricAlarm(
          `${name}-${id}`,
          {
            alarmDescription: description,
            ...metric,
            period: trigger.periodSeconds,
            evaluationPeriods: trigger.evaluationPeriods ?? 1,
            comparisonOperator: trigger.comparisonOperator,
            threshold: trigger.threshold,
            treatMissingData: 'notBreaching',
            alarmActions: actions,
            okActions: actions,
          },
          { parent: this },
        ),
      );
    };

    for (const [fn, meshFunction] of Object.entries(args.functions)) {
      const dimensions = { FunctionName: meshFunction.function.name };
      alarm(`${fn}-errors`, `The ${fn} function failed (uncaught error or timeout).`, {
        namespace: 'AWS/Lambda',
        metricName: 'Errors',
        dimensions,
        statistic: 'Sum',
      });
      alarm(`${fn}-throttles`, `The ${fn} function was throttled (account or reserved concurrency).`, {
        namespace: 'AWS/Lambda',
        metricName: 'Throttles',
        dimensions,
        statistic: 'Sum',
      });
    }

    alarm(
      'dlq-depth',
      'Flush requests that could not be delivered wait in the dead-letter queue (the sweeper restarts those flushes).',
      {
        namespace: 'AWS/SQS',
        metricName: 'ApproximateNumberOfMessagesVisible',
        dimensions: { QueueName: args.deadLetterQueue.name },
        statistic: 'Maximum',
      },
    );

    // WebSocket APIs publish no 5XXError metric: IntegrationError counts
    // failed Lambda invocations, ExecutionError failures inside API Gateway.
    const apiDimensions = { ApiId: args.apiId, Stage: args.stageName };
    alarm('api-integration-errors', 'API Gateway got an error from a Lambda integration.', {
      namespace: 'AWS/ApiGateway',
      metricName: 'IntegrationError',
      dimensions: apiDimensions,
      statistic: 'Sum',
    });
    alarm('api-execution-errors', 'API Gateway failed to run a route.', {
      namespace: 'AWS/ApiGateway',
      metricName: 'ExecutionError',
      dimensions: apiDimensions,
      statistic: 'Sum',
    });

    // The mesh's own metrics (infra/metrics.ts). None of these failures fails
    // an invocation, so the Lambda alarms above do not see them.
    const meshDimensions = { service: args.metricsService };
    alarm(
      'abandoned-posts',
      'The fan-out gave up posting to a connection after its retries: a member missed pushes (throttling or API Gateway errors). See the fanout log.',
      {
        namespace: METRICS_NAMESPACE,
        metricName: ALARMED_METRICS.abandonedPosts,
        dimensions: meshDimensions,
        statistic: 'Sum',
      },
      { periodSeconds: period, comparisonOperator: 'GreaterThanOrEqualToThreshold', threshold: 1 },
    );
    alarm(
      'flushes-restarted',
      "The sweeper restarted a group's flush: a flush died or its flush request was lost. The pushes went out late; see the fanout and sweep logs.",
      {
        namespace: METRICS_NAMESPACE,
        metricName: ALARMED_METRICS.flushesRestarted,
        dimensions: meshDimensions,
        statistic: 'Sum',
      },
      {
        periodSeconds: RESTARTED_FLUSH_PERIOD_SECONDS,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        threshold: 1,
      },
    );

    // Refusals and failures of the request functions: replies, not failed
    // invocations, so the Lambda Errors alarms do not see them either.
    alarm(
      'internal-errors',
      `Requests were answered InternalError in ${INTERNAL_ERROR_PERIODS} periods in a row: a dependency (DynamoDB, SNS) keeps failing and requests may not have been applied. See the request and http logs ("request failed").`,
      {
        namespace: METRICS_NAMESPACE,
        metricName: ALARMED_METRICS.errors,
        dimensions: meshDimensions,
        statistic: 'Sum',
      },
      {
        periodSeconds: period,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        threshold: 1,
        evaluationPeriods: INTERNAL_ERROR_PERIODS,
      },
    );
    alarm(
      'rate-limited',
      `More than ${RATE_LIMITED_PER_SECOND} request a second refused with RateLimited over a period: runaway programs, a client reconnecting in a loop, or limits too tight. See the request and http logs ("request refused").`,
      {
        namespace: METRICS_NAMESPACE,
        metricName: ALARMED_METRICS.rateLimited,
        dimensions: meshDimensions,
        statistic: 'Sum',
      },
      {
        periodSeconds: period,
        comparisonOperator: 'GreaterThanThreshold',
        threshold: RATE_LIMITED_PER_SECOND * period,
      },
    );

    this.registerOutputs({ alarmTopicArn: this.alarmTopic?.arn });
  }
}
