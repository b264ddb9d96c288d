/**
 * The SNS flush trigger (shared/adapters/sns/flush-trigger.ts) through the
 * real SDK client on the local SNS endpoint, its deliveries read by the
 * fan-out's parser (shared/lambda/flush-event.ts): the contract the core
 * tests' RecordingTrigger keeps too.
 */
import { SNSClient } from '@aws-sdk/client-sns';
import type { SNSEvent } from 'aws-lambda';
import { SnsFlushTrigger } from '#shared/adapters/sns/flush-trigger';
import type { FlushRequest } from '#shared/core/ports';
import { flushRequestOf } from '#shared/lambda/flush-event';
import { LocalLambda } from '#local/lambda';
import { silentLog } from '#local/log';
import { LocalSns } from '#local/sns';
import { LocalStats } from '#local/stats';
import { describeFlushTriggerContract } from '../../contract/flush-trigger.contract';

const TOPIC = 'arn:aws:sns:us-east-1:000000000000:mesh-contract';
let sns: LocalSns | undefined;
let client: SNSClient | undefined;

afterEach(async () => {
  client?.destroy();
  await sns?.stop();
});

describeFlushTriggerContract('SNS adapter on the local SNS endpoint', async () => {
  const stats = new LocalStats();
  const received: FlushRequest[] = [];
  const started = new LocalSns({ port: 0, stats, log: silentLog, maxDeliveryAttempts: 1, retryBaseDelayMs: 5 });
  sns = started;
  await started.start();
  const fanout = async (event: SNSEvent) => void received.push(...event.Records.map(flushRequestOf));
  started.subscribe(TOPIC, new LocalLambda({ name: 'fanout', handler: fanout, stats, log: silentLog }));
  client = new SNSClient({
    endpoint: started.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return {
    trigger: new SnsFlushTrigger({ client, topicArn: TOPIC }),
    delivered: async () => {
      await started.drain();
      return received;
    },
  };
});
