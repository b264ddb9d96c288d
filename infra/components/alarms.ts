/**
 * CloudWatch alarms on what should never happen in a healthy mesh: a function
 * error or throttle, a push in the dead-letter queue, an API Gateway
 * integration or execution error. With an alarm email configured, every alarm
 * notifies an SNS topic that mails it (the address must confirm once).
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { FunctionName } from '../config';
import type { MeshFunction } from './functions';

export interface MeshAlarmsArgs {
  functions: Record<FunctionName, MeshFunction>;
  deadLetterQueue: aws.sqs.Queue;
  apiId: pulumi.Input<string>;
  stageName: string;
  /** Where alarm mail goes; empty or unset: no notification topic. Default: unset. */
  alarmEmail?: string;
  /** Evaluation period (s) of every alarm. Default: 300. */
  periodSeconds?: number;
}

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

    // Any datapoint above zero in one period; no data (no traffic) is fine.
    const alarm = (id: string, description: string, metric: Pick<aws.cloudwatch.MetricAlarmArgs, 'namespace' | 'metricName' | 'dimensions' | 'statistic'>) => {
      this.alarms.push(
        new aws.cloudwatch.MetricAlarm(
          `${name}-${id}`,
          {
            alarmDescription: description,
            ...metric,
            period,
            evaluationPeriods: 1,
            comparisonOperator: 'GreaterThanThreshold',
            threshold: 0,
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

    alarm('dlq-depth', 'Pushes that could not be fanned out wait in the dead-letter queue.', {
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: args.deadLetterQueue.name },
      statistic: 'Maximum',
    });

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

    this.registerOutputs({ alarmTopicArn: this.alarmTopic?.arn });
  }
}
