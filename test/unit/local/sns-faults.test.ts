/**
 * SNS delivery faults: a message accepted by Publish is dropped, delivered
 * twice, delayed, or overtaken by one published after it, as the faults say;
 * the publisher cannot tell (its answer is the same).
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { SNSEvent } from 'aws-lambda';
import { FaultInjector } from '#local/faults';
import { LocalLambda } from '#local/lambda';
import { silentLog } from '#local/log';
import { LocalSns, REORDER_MAX_HOLD_MS } from '#local/sns';
import { LocalStats } from '#local/stats';

const TOPIC = 'arn:aws:sns:us-east-1:000000000000:mesh-faults';

let stats: LocalStats;
let faults: FaultInjector;
let sns: LocalSns;
let client: SNSClient;
/** Each delivery: the message body and when its invocation started. */
let delivered: { body: string; id: string; at: number }[];

beforeEach(async () => {
  stats = new LocalStats();
  faults = new FaultInjector({}, 'main', (name) => stats.fault(name));
  delivered = [];
  sns = new LocalSns({ port: 0, stats, faults, log: silentLog });
  await sns.start();
  const record = async (event: SNSEvent) => {
    const { Message, MessageId } = event.Records[0].Sns;
    delivered.push({ body: Message, id: MessageId, at: Date.now() });
  };
  sns.subscribe(TOPIC, new LocalLambda({ name: 'fanout', handler: record, stats, log: silentLog }));
  client = new SNSClient({
    endpoint: sns.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    maxAttempts: 1,
  });
});

afterEach(async () => {
  client.destroy();
  await sns.stop();
});

const publish = (body: string) => client.send(new PublishCommand({ TopicArn: TOPIC, Message: body }));

test('drop: Publish answers as usual but the message never reaches the subscriber', async () => {
  faults.set({ sns: { drop: 1 } });

  const answers = await Promise.all([publish('a'), publish('b')]);
  await sns.drain();

  expect(answers.every((answer) => typeof answer.MessageId === 'string')).toBe(true);
  expect(delivered).toEqual([]);
  expect(stats.counters.faults).toEqual({ 'sns.drop': 2 });
  expect(stats.counters.sns.deliveries).toBe(0);
});

test('duplicate: the subscriber gets the same message (same MessageId) twice', async () => {
  faults.set({ sns: { duplicate: 1 } });

  const { MessageId } = await publish('twice');
  await sns.drain();

  expect(delivered.map(({ body, id }) => [body, id])).toEqual([
    ['twice', MessageId],
    ['twice', MessageId],
  ]);
  expect(stats.counters.faults).toEqual({ 'sns.duplicate': 1 });
});

test('delay: the delivery starts within the range after the publish', async () => {
  faults.set({ sns: { delay: { p: 1, minMs: 150, maxMs: 200 } } });

  const published = Date.now();
  await publish('later');
  await sns.drain();

  expect(delivered[0].at - published).toBeGreaterThanOrEqual(145);
  expect(delivered[0].at - published).toBeLessThan(400);
});

test('reorder: a message published later is delivered first', async () => {
  faults.set({ sns: { reorder: 1 } });
  await publish('first');
  faults.set({});
  await publish('second');
  await sns.drain();

  expect(delivered.map((d) => d.body)).toEqual(['second', 'first']);
  expect(delivered[1].at - delivered[0].at).toBeLessThan(REORDER_MAX_HOLD_MS);
});

test('reorder with nothing after it: the held delivery still goes out, after the hold', async () => {
  faults.set({ sns: { reorder: 1 } });

  const published = Date.now();
  await publish('alone');
  await sns.drain();

  expect(delivered.map((d) => d.body)).toEqual(['alone']);
  expect(delivered[0].at - published).toBeGreaterThanOrEqual(REORDER_MAX_HOLD_MS - 10);
});
