/**
 * The PushPublisher on SNS: every push becomes one SNS message (its JSON) on
 * the mesh topic, which the fan-out Lambda subscribes to.
 *
 * Pushes go out with PublishBatch, at most 10 entries and 256 KiB per call.
 * PublishBatch answers HTTP 200 even when some entries failed, so each entry's
 * result is checked: failed entries are sent again a few times (a sender fault,
 * such as a too-large message, is not: it would fail again), then the publish
 * throws, and the request that made the pushes gets an InternalError.
 */
import { PublishBatchCommand, type PublishBatchRequestEntry, type SNSClient } from '@aws-sdk/client-sns';
import type { FlushRequest, FlushTrigger, PushPublisher } from '#shared/core/ports';
import { LIMITS, utf8Bytes } from '#shared/protocol/limits';
import type { Push } from '#shared/protocol/messages';

export interface SnsPushPublisherOptions {
  client: SNSClient;
  topicArn: string;
  /** Calls per entry before giving up. Default 3. */
  maxAttempts?: number;
  /** First backoff between rounds, doubled each round. Default 25 ms. */
  retryBaseDelayMs?: number;
}

/** Thrown when some pushes could not be published after every attempt. */
export class PublishFailed extends Error {
  override name = 'PublishFailed';
  constructor(readonly failures: { id: string; code?: string; message?: string; senderFault?: boolean }[]) {
    super(
      `${failures.length} push(es) not published: ` +
        failures.map((f) => `${f.id} ${f.code ?? 'unknown'}${f.message ? ` (${f.message})` : ''}`).join('; '),
    );
  }
}

/**
 * Also the FlushTrigger: a flush request is one SNS message on the same topic
 * (`{"type":"flush",…}`), so one subscription and one function serve both.
 */
export class SnsPushPublisher implements PushPublisher, FlushTrigger {
  private readonly client: SNSClient;
  private readonly topicArn: string;
  private readonly maxAttempts: number;
  private readonly retryBaseDelayMs: number;

  constructor(options: SnsPushPublisherOptions) {
    this.client = options.client;
    this.topicArn = options.topicArn;
    this.maxAttempts = options.maxAttempts ?? 3;
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? 25;
  }

  async publish(pushes: Push[]): Promise<void> {
    const entries = pushes.map(toEntry);
    // In order, one batch after the other: SNS keeps no order, but receivers
    // reorder by seq and a shorter gap means fewer held pushes.
    for (const batch of batchEntries(entries)) await this.publishBatch(batch);
  }

  async requestFlush(request: FlushRequest): Promise<void> {
    await this.publishBatch([
      {
        Id: 'f0',
        Message: JSON.stringify(request),
        MessageAttributes: { groupId: { DataType: 'String', StringValue: request.groupId } },
      },
    ]);
  }

  private async publishBatch(batch: PublishBatchRequestEntry[]): Promise<void> {
    let pending = batch;
    for (let attempt = 1; ; attempt++) {
      const result = await this.client.send(
        new PublishBatchCommand({ TopicArn: this.topicArn, PublishBatchRequestEntries: pending }),
      );
      const failed = result.Failed ?? [];
      if (failed.length === 0) return;
      const fatal = failed.filter((entry) => entry.SenderFault);
      if (fatal.length > 0 || attempt >= this.maxAttempts) {
        throw new PublishFailed(
          (fatal.length > 0 ? fatal : failed).map((entry) => ({
            id: entry.Id ?? '?',
            code: entry.Code,
            message: entry.Message,
            senderFault: entry.SenderFault,
          })),
        );
      }
      const retry = new Set(failed.map((entry) => entry.Id));
      pending = pending.filter((entry) => retry.has(entry.Id));
      await sleep(this.retryBaseDelayMs * 2 ** (attempt - 1));
    }
  }
}

/**
 * The entry of one push. Ids only need to be unique within a call; the index
 * in the publish call is. The groupId attribute lets a subscription filter
 * policy or a trace pick a group's pushes without parsing the body.
 */
function toEntry(push: Push, index: number): PublishBatchRequestEntry {
  return {
    Id: `p${index}`,
    Message: JSON.stringify(push),
    MessageAttributes: { groupId: { DataType: 'String', StringValue: push.groupId } },
  };
}

/** What SNS counts for an entry: the body plus each attribute's name, type and value. */
export function entryBytes(entry: PublishBatchRequestEntry): number {
  let bytes = utf8Bytes(entry.Message ?? '');
  for (const [name, value] of Object.entries(entry.MessageAttributes ?? {})) {
    bytes += utf8Bytes(name) + utf8Bytes(value.DataType ?? '') + utf8Bytes(value.StringValue ?? '');
    bytes += value.BinaryValue?.byteLength ?? 0;
  }
  return bytes;
}

/** Cuts entries, in order, into PublishBatch calls within LIMITS' entry count and total size. */
export function batchEntries(entries: PublishBatchRequestEntry[]): PublishBatchRequestEntry[][] {
  const batches: PublishBatchRequestEntry[][] = [];
  let current: PublishBatchRequestEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = entryBytes(entry);
    if (size > LIMITS.maxSnsBatchBytes) {
      throw new PublishFailed([{ id: entry.Id ?? '?', code: 'TooLarge', message: `${size} bytes`, senderFault: true }]);
    }
    if (current.length === LIMITS.maxSnsBatchEntries || bytes + size > LIMITS.maxSnsBatchBytes) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
