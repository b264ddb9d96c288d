/**
 * The fan-out's trigger: the request function (on an append that finds no
 * flush under way), the fanout function (to hand a long flush over) and the
 * sweeper (to restart a dead one) publish flush requests to a standard SNS
 * topic; the fanout function, subscribed to it, posts the group's log to its
 * connections. Deliveries that finally fail land in an SQS dead-letter queue
 * (alarmed in alarms.ts); the group's pushes stay in its log, and the
 * sweeper restarts its flush.
 *
 * Two components, because the functions sit between them: every function's
 * environment names the topic, and the subscription needs the fanout function.
 *
 *   FanoutTopic         the topic, the dead-letter queue and its queue policy
 *   FanoutSubscription  the subscription (RedrivePolicy to the queue), SNS's
 *                       invoke permission, and the function's own failure
 *                       destination (the same queue)
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { MeshFunction } from './functions';

/** Two weeks (SQS's maximum) to look at a failed flush request before it is gone. */
const DLQ_RETENTION_SECONDS = 14 * 24 * 3600;

export class FanoutTopic extends pulumi.ComponentResource {
  readonly topic: aws.sns.Topic;
  readonly deadLetterQueue: aws.sqs.Queue;

  constructor(name: string, args: Record<string, never> = {}, opts?: pulumi.ComponentResourceOptions) {
    super('mesh:fanout:Topic', name, args, opts);

    // Standard, not FIFO: Lambda subscribes only to standard topics. Delivery
    // is at least once and unordered; pushes carry epoch/seq for the client.
    this.topic = new aws.sns.Topic(name, { fifoTopic: false }, { parent: this });

    this.deadLetterQueue = new aws.sqs.Queue(
      `${name}-dlq`,
      { messageRetentionSeconds: DLQ_RETENTION_SECONDS, sqsManagedSseEnabled: true },
      { parent: this },
    );

    // SNS writes undeliverable messages with its own principal, so the queue
    // must allow it, for this topic only.
    new aws.sqs.QueuePolicy(
      `${name}-dlq`,
      {
        queueUrl: this.deadLetterQueue.url,
        policy: pulumi.jsonStringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'TopicDeadLetters',
              Effect: 'Allow',
              Principal: { Service: 'sns.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: this.deadLetterQueue.arn,
              Condition: { ArnEquals: { 'aws:SourceArn': this.topic.arn } },
            },
          ],
        }),
      },
      { parent: this },
    );

    this.registerOutputs({ topicArn: this.topic.arn, deadLetterQueueUrl: this.deadLetterQueue.url });
  }
}

export interface FanoutSubscriptionArgs {
  topic: FanoutTopic;
  /** The fanout function. */
  subscriber: MeshFunction;
}

export class FanoutSubscription extends pulumi.ComponentResource {
  readonly subscription: aws.sns.TopicSubscription;

  constructor(name: string, args: FanoutSubscriptionArgs, opts?: pulumi.ComponentResourceOptions) {
    super('mesh:fanout:Subscription', name, {}, opts);
    const { topic, deadLetterQueue } = args.topic;
    const fn = args.subscriber.function;

    const permission = new aws.lambda.Permission(
      name,
      { action: 'lambda:InvokeFunction', function: fn.name, principal: 'sns.amazonaws.com', sourceArn: topic.arn },
      { parent: this },
    );

    // SNS retries a delivery it cannot make (throttled, no permission) on an
    // AWS-fixed schedule, then hands the message to the RedrivePolicy queue.
    this.subscription = new aws.sns.TopicSubscription(
      name,
      {
        topic: topic.arn,
        protocol: 'lambda',
        endpoint: fn.arn,
        redrivePolicy: pulumi.jsonStringify({ deadLetterTargetArn: deadLetterQueue.arn }),
      },
      { parent: this, dependsOn: [permission] },
    );

    // Once Lambda has accepted the event, SNS is done: a function error is
    // retried by Lambda (twice) and then goes to this on-failure destination,
    // written with the function's role.
    const sendDeadLetters = new aws.iam.RolePolicy(
      `${name}-dlq`,
      {
        role: args.subscriber.role.id,
        policy: pulumi.jsonStringify({
          Version: '2012-10-17',
          Statement: [
            { Sid: 'FailedPushes', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [deadLetterQueue.arn] },
          ],
        }),
      },
      { parent: this },
    );
    new aws.lambda.FunctionEventInvokeConfig(
      name,
      {
        functionName: fn.name,
        maximumRetryAttempts: 2,
        destinationConfig: { onFailure: { destination: deadLetterQueue.arn } },
      },
      { parent: this, dependsOn: [sendDeadLetters] },
    );

    this.registerOutputs({ subscriptionArn: this.subscription.arn });
  }
}
