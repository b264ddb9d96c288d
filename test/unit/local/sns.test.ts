/**
 * The SNS endpoint answers the real @aws-sdk/client-sns client (awsQuery) and
 * delivers each accepted message to the subscriber as an SNSEvent with one
 * record, asynchronously, retrying a failing subscriber.
 */
import { NotFoundException, PublishBatchCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { SNSEvent } from 'aws-lambda';
import { type LambdaHandler, LocalLambda } from '#local/lambda';
import { silentLog } from '#local/log';
import { LocalSns } from '#local/sns';
import { LocalStats } from '#local/stats';

const TOPIC = 'arn:aws:sns:us-east-1:000000000000:mesh-test';

let stats: LocalStats;
let sns: LocalSns;
let client: SNSClient;
/** The subscriber's behaviour for the current test. */
let subscriber: LambdaHandler;

beforeEach(async () => {
  stats = new LocalStats();
  sns = new LocalSns({ port: 0, stats, log: silentLog, maxDeliveryAttempts: 3, retryBaseDelayMs: 5 });
  await sns.start();
  sns.subscribe(
    TOPIC,
    new LocalLambda({ name: 'fanout', handler: (event, context) => subscriber(event, context), stats, log: silentLog }),
  );
  client = new SNSClient({
    endpoint: sns.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
});

afterEach(async () => {
  client.destroy();
  await sns.stop();
});

function recording(): SNSEvent[] {
  const events: SNSEvent[] = [];
  subscriber = async (event: SNSEvent) => void events.push(event);
  return events;
}

test('Publish answers a MessageId and the subscriber receives that message as an SNSEvent', async () => {
  const events = recording();
  const answer = await client.send(
    new PublishCommand({
      TopicArn: TOPIC,
      Message: '{"type":"message","text":"こんにちは 🎉 & <ok>"}',
      Subject: 'push',
      MessageAttributes: { kind: { DataType: 'String', StringValue: 'nodeStatus' } },
    }),
  );
  await sns.drain();

  expect(answer.MessageId).toMatch(/^[0-9a-f-]{36}$/);
  expect(events).toHaveLength(1);
  const [record] = events[0].Records;
  expect(events[0].Records).toHaveLength(1);
  expect(record).toEqual({
    EventSource: 'aws:sns',
    EventVersion: '1.0',
    EventSubscriptionArn: expect.stringMatching(new RegExp(`^${TOPIC}:[0-9a-f-]{36}$`)),
    Sns: {
      Type: 'Notification',
      MessageId: answer.MessageId,
      TopicArn: TOPIC,
      Subject: 'push',
      Message: '{"type":"message","text":"こんにちは 🎉 & <ok>"}',
      Timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      SignatureVersion: '1',
      Signature: expect.any(String),
      SigningCertUrl: expect.any(String),
      UnsubscribeUrl: expect.any(String),
      MessageAttributes: { kind: { Type: 'String', Value: 'nodeStatus' } },
    },
  });
  expect(stats.counters.sns.publish).toEqual({ calls: 1, entries: 1 });
});

test('PublishBatch reports every entry as Successful and delivers one record per invocation', async () => {
  const events = recording();
  const entries = Array.from({ length: 10 }, (_, i) => ({ Id: `e${i}`, Message: `message ${i}` }));
  const answer = await client.send(new PublishBatchCommand({ TopicArn: TOPIC, PublishBatchRequestEntries: entries }));
  await sns.drain();

  expect(answer.Failed ?? []).toEqual([]);
  expect(answer.Successful?.map((s) => s.Id)).toEqual(entries.map((e) => e.Id));
  expect(events.every((event) => event.Records.length === 1)).toBe(true);
  expect(events.map((event) => event.Records[0].Sns.Message).sort()).toEqual(entries.map((e) => e.Message).sort());
  expect(new Set(events.map((event) => event.Records[0].Sns.MessageId))).toEqual(
    new Set(answer.Successful?.map((s) => s.MessageId)),
  );
  expect(stats.counters.sns.publishBatch).toEqual({ calls: 1, entries: 10 });
});

test('PublishBatch reports a bad entry under Failed and still delivers the others', async () => {
  const events = recording();
  const answer = await client.send(
    new PublishBatchCommand({
      TopicArn: TOPIC,
      PublishBatchRequestEntries: [
        { Id: 'ok', Message: 'fine' },
        { Id: 'bad', Message: '' },
      ],
    }),
  );
  await sns.drain();
  expect(answer.Successful?.map((s) => s.Id)).toEqual(['ok']);
  expect(answer.Failed).toEqual([
    { Id: 'bad', Code: 'InvalidParameter', Message: expect.any(String), SenderFault: true },
  ]);
  expect(events.map((event) => event.Records[0].Sns.Message)).toEqual(['fine']);
});

test('PublishBatch over 10 entries is refused by name', async () => {
  recording();
  const entries = Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, Message: 'm' }));
  const failure = await client
    .send(new PublishBatchCommand({ TopicArn: TOPIC, PublishBatchRequestEntries: entries }))
    .catch((e) => e);
  expect(failure.name).toBe('TooManyEntriesInBatchRequestException');
});

test('publishing to an unknown topic raises NotFoundException', async () => {
  recording();
  const failure = await client.send(new PublishCommand({ TopicArn: `${TOPIC}-missing`, Message: 'x' })).catch((e) => e);
  expect(failure).toBeInstanceOf(NotFoundException);
  expect(failure.$metadata.httpStatusCode).toBe(404);
});

test('an unknown action gets an awsQuery InvalidAction error', async () => {
  const answer = await fetch(sns.url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'Action=CreateTopic&Version=2010-03-31&Name=x',
  });
  expect(answer.status).toBe(400);
  expect(await answer.text()).toContain('<Code>InvalidAction</Code>');
});

test('the publisher has its answer before the subscriber runs', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let finished = false;
  subscriber = async () => {
    await gate;
    finished = true;
  };
  await client.send(new PublishCommand({ TopicArn: TOPIC, Message: 'x' }));
  expect(finished).toBe(false);
  release();
  await sns.drain();
  expect(finished).toBe(true);
});

test('deliveries run concurrently, not one after another', async () => {
  let running = 0;
  let most = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  subscriber = async () => {
    running += 1;
    most = Math.max(most, running);
    if (most === 3) release();
    await gate;
    running -= 1;
  };
  await client.send(
    new PublishBatchCommand({
      TopicArn: TOPIC,
      PublishBatchRequestEntries: ['a', 'b', 'c'].map((Id) => ({ Id, Message: Id })),
    }),
  );
  await sns.drain();
  expect(most).toBe(3);
});

test('a failing subscriber is retried until it succeeds', async () => {
  const attempts: string[] = [];
  subscriber = async (event: SNSEvent) => {
    attempts.push(event.Records[0].Sns.MessageId);
    if (attempts.length < 3) throw new Error('temporarily broken');
  };
  const { MessageId } = await client.send(new PublishCommand({ TopicArn: TOPIC, Message: 'x' }));
  await sns.drain();
  expect(attempts).toEqual([MessageId, MessageId, MessageId]);
  expect(stats.counters.sns).toMatchObject({ deliveries: 1, deliveryRetries: 2, deliveryDropped: 0 });
  expect(stats.counters.lambda.fanout).toMatchObject({ invocations: 3, errors: 2 });
});

test('a message that keeps failing is dropped after the last attempt and counted', async () => {
  let attempts = 0;
  subscriber = async () => {
    attempts += 1;
    throw new Error('always broken');
  };
  await client.send(new PublishCommand({ TopicArn: TOPIC, Message: 'x' }));
  await sns.drain();
  expect(attempts).toBe(3);
  expect(stats.counters.sns).toMatchObject({ deliveries: 0, deliveryRetries: 2, deliveryDropped: 1 });
});
