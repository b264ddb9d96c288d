/**
 * The SNS subscriber. A record carries either a flush request (the usual case:
 * post a group's outbox, one frame per member per window, see
 * shared/core/outbox.ts) or a single push published alone (too large for the
 * outbox, or the outbox full), posted to every other live member connection.
 *
 * Records run concurrently (SNS sends one per invocation in practice). If a
 * record fails, the invocation fails and SNS delivers it again (at least
 * once): receivers drop the copies by seq.
 */
import middy from '@middy/core';
import { SNSClient } from '@aws-sdk/client-sns';
import { createManagementApiClient, ManagementApiNotifier } from '#shared/adapters/apigw/notifier';
import { DynamoPushOutbox } from '#shared/adapters/dynamodb/outbox';
import { createDocumentClient, DynamoMeshStore } from '#shared/adapters/dynamodb/store';
import { SnsPushPublisher } from '#shared/adapters/sns/publisher';
import { systemClock } from '#shared/adapters/system';
import { coalescingSettings, fanoutConcurrency, managementEndpoint, tableName, topicArn } from '#shared/config';
import { deliverPush } from '#shared/core/fanout';
import { flushOutbox } from '#shared/core/outbox';
import type { FlushDeps } from '#shared/core/ports';
import { fanoutMessageOf, type SNSEvent, type SNSEventRecord } from '#shared/lambda/events';
import { logErrors } from '#shared/lambda/log-errors';
import { createLogger } from '#shared/lambda/logger';

const logger = createLogger({ function: 'fanout' });

const concurrency = fanoutConcurrency();
const documentClient = createDocumentClient();
const deps: FlushDeps = {
  store: new DynamoMeshStore({ client: documentClient, tableName: tableName(), clock: systemClock }),
  outbox: new DynamoPushOutbox({ client: documentClient, tableName: tableName() }),
  trigger: new SnsPushPublisher({ client: new SNSClient({}), topicArn: topicArn() }),
  notifier: new ManagementApiNotifier(createManagementApiClient(managementEndpoint(), concurrency)),
  clock: systemClock,
  concurrency,
  coalescing: coalescingSettings(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Totals of one invocation. */
export interface FanoutTotals {
  /** Frames posted. */
  sent: number;
  gone: number;
  /** Pushes fanned out (from outboxes, or alone). */
  pushes: number;
}

async function handleRecord(record: SNSEventRecord): Promise<FanoutTotals> {
  const message = fanoutMessageOf(record);
  if (message.type === 'flush') {
    const outcome = await flushOutbox(message, deps);
    if (outcome.failed > 0) logger.warn('posts failed in a flush', { ...outcome, groupId: message.groupId });
    return { sent: outcome.sent, gone: outcome.gone, pushes: outcome.pushes };
  }
  const outcome = await deliverPush(message, deps);
  return { sent: outcome.sent, gone: outcome.gone, pushes: 1 };
}

async function functionHandler(event: SNSEvent): Promise<FanoutTotals> {
  const settled = await Promise.allSettled(event.Records.map(handleRecord));
  const total: FanoutTotals = { sent: 0, gone: 0, pushes: 0 };
  const errors: unknown[] = [];
  for (const result of settled) {
    if (result.status === 'rejected') {
      errors.push(result.reason);
      continue;
    }
    total.sent += result.value.sent;
    total.gone += result.value.gone;
    total.pushes += result.value.pushes;
  }
  if (total.gone > 0) logger.info('stale connections dropped', { gone: total.gone });
  if (errors.length > 0) {
    throw new AggregateError(errors, `${errors.length} of ${event.Records.length} records not fully delivered`);
  }
  return total;
}

export const handler = middy(functionHandler).use(
  logErrors<SNSEvent>({
    logger,
    fields: (event) => ({ messageIds: event.Records.map((record) => record.Sns.MessageId) }),
  }),
);
