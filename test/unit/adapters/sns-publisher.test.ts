import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { batchEntries, PublishFailed, SnsPushPublisher } from '#shared/adapters/sns/publisher';
import type { Push } from '#shared/protocol/messages';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:mesh-pushes';
const sns = mockClient(SNSClient);

function push(seq: number, payload = 'x'): Push {
  return {
    type: 'message',
    groupId: 'g-1',
    domain: 'example.org',
    from: 'node-1',
    epoch: 'ep',
    seq,
    sentAt: '2026-01-12T08:00:00.000Z',
    nodeStatus: {
      nodeId: 'node-1',
      groupId: 'g-1',
      domain: 'example.org',
      data: [{ key: '状態', value: payload }],
      timestamp: '2026-01-12T08:00:00.000Z',
    },
  };
}

function newPublisher(): SnsPushPublisher {
  return new SnsPushPublisher({ client: new SNSClient({ region: 'eu-west-1' }), topicArn: TOPIC, retryBaseDelayMs: 0 });
}

function sentBatches() {
  return sns.commandCalls(PublishBatchCommand).map((call) => call.args[0].input);
}

afterEach(() => {
  sns.reset();
});

describe('SnsPushPublisher', () => {
  it('publishes nothing for no pushes', async () => {
    await newPublisher().publish([]);

    expect(sns.calls()).toHaveLength(0);
  });

  it('sends at most 10 entries per PublishBatch, in order, each entry the push JSON with unique ids', async () => {
    sns.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });
    const pushes = Array.from({ length: 23 }, (_, i) => push(i + 1));

    await newPublisher().publish(pushes);

    const batches = sentBatches();
    expect(batches.map((batch) => batch.PublishBatchRequestEntries!.length)).toEqual([10, 10, 3]);
    expect(batches.every((batch) => batch.TopicArn === TOPIC)).toBe(true);
    const entries = batches.flatMap((batch) => batch.PublishBatchRequestEntries!);
    expect(entries.map((entry) => JSON.parse(entry.Message!).seq)).toEqual(pushes.map((p) => p.seq));
    expect(new Set(entries.map((entry) => entry.Id)).size).toBe(23);
    expect(entries[0].MessageAttributes).toEqual({ groupId: { DataType: 'String', StringValue: 'g-1' } });
  });

  it('keeps every PublishBatch within 256 KiB in total', async () => {
    sns.on(PublishBatchCommand).resolves({ Failed: [] });
    // ~100 KB each (3 bytes per character): two fit in 256 KiB, three do not.
    const pushes = [1, 2, 3].map((seq) => push(seq, 'あ'.repeat(33_000)));

    await newPublisher().publish(pushes);

    const batches = sentBatches();
    expect(batches.map((batch) => batch.PublishBatchRequestEntries!.length)).toEqual([2, 1]);
    for (const batch of batches) {
      const bytes = batch.PublishBatchRequestEntries!.reduce((sum, entry) => sum + Buffer.byteLength(entry.Message!), 0);
      expect(bytes).toBeLessThanOrEqual(256 * 1024);
    }
  });

  it('refuses a single push larger than an SNS message can be', () => {
    const entry = { Id: 'p0', Message: 'x'.repeat(256 * 1024 + 1) };

    expect(() => batchEntries([entry])).toThrow(PublishFailed);
  });

  it('sends again only the entries that failed, and succeeds when they go through', async () => {
    sns
      .on(PublishBatchCommand)
      .resolvesOnce({
        Successful: [{ Id: 'p0' }, { Id: 'p2' }],
        Failed: [{ Id: 'p1', Code: 'InternalError', SenderFault: false, Message: 'try again' }],
      })
      .resolvesOnce({ Successful: [{ Id: 'p1' }], Failed: [] });

    await newPublisher().publish([push(1), push(2), push(3)]);

    const batches = sentBatches();
    expect(batches).toHaveLength(2);
    expect(batches[1].PublishBatchRequestEntries!.map((entry) => entry.Id)).toEqual(['p1']);
    expect(JSON.parse(batches[1].PublishBatchRequestEntries![0].Message!).seq).toBe(2);
  });

  it('throws after the last attempt when an entry keeps failing', async () => {
    sns.on(PublishBatchCommand).resolves({ Failed: [{ Id: 'p0', Code: 'InternalError', SenderFault: false }] });

    await expect(newPublisher().publish([push(1)])).rejects.toThrow(PublishFailed);
    expect(sns.commandCalls(PublishBatchCommand)).toHaveLength(3);
  });

  it('does not retry an entry the sender got wrong', async () => {
    sns.on(PublishBatchCommand).resolves({ Failed: [{ Id: 'p0', Code: 'InvalidParameter', SenderFault: true }] });

    await expect(newPublisher().publish([push(1)])).rejects.toThrow('InvalidParameter');
    expect(sns.commandCalls(PublishBatchCommand)).toHaveLength(1);
  });

  it('lets a failed call through (the request then fails)', async () => {
    sns.on(PublishBatchCommand).rejects(new Error('AuthorizationError'));

    await expect(newPublisher().publish([push(1)])).rejects.toThrow('AuthorizationError');
  });
});
