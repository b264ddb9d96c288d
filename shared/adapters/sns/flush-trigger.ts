/**
 * The FlushTrigger on SNS: a flush request is one message on the mesh topic,
 * which the fan-out Lambda subscribes to. The SDK retries throttling and
 * server errors itself; what still fails reaches the caller, which treats it
 * as a flush that will be restarted (shared/core/fanout/publisher.ts).
 *
 * The groupId attribute lets a subscription filter policy or a trace pick a
 * group's flushes without parsing the body.
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { FlushRequest, FlushTrigger } from '#shared/core/ports';

export class SnsFlushTrigger implements FlushTrigger {
  constructor(private readonly options: { client: SNSClient; topicArn: string }) {}

  async requestFlush(request: FlushRequest): Promise<void> {
    await this.options.client.send(
      new PublishCommand({
        TopicArn: this.options.topicArn,
        Message: JSON.stringify(request),
        MessageAttributes: { groupId: { DataType: 'String', StringValue: request.groupId } },
      }),
    );
  }
}
