/**
 * CloudWatch alarms on what should never happen in a healthy mesh: a function
 * error or throttle, a flush request in the dead-letter queue, an API Gateway
 * integration or execution error, a post the fan-out gave up, a flush the
 * sweeper had to restart. With an alarm email configured, every alarm
 * notifies an SNS topic that mails it (the address must confirm once).
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

/** When an alarm fires: a comparison of one period's statistic with a threshold. */
interface Trigger {
  periodSeconds: number;
  comparisonOperator: 'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold';
  threshold: number;
}

/**
 * A restarted flush is rare and already repaired: one mail for a quarter of an
 * hour of them, rather than one per sweep.
 */
const RESTARTED_FLUSH_PERIOD_SECONDS = 900;

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
            evaluationPeriods: 1,
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

    // The mesh's own metrics (infra/metrics.ts). Neither failure fails an
    // invocation, so the Lambda alarms above do not see them.
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

    this.registerOutputs({ alarmTopicArn: this.alarmTopic?.arn });
  }
}
