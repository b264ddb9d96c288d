/**
 * The SNS subscriber: each record's message is one Push; it is posted to every
 * other live member connection of the group through the Management API.
 *
 * Records run concurrently (SNS sends one per invocation in practice; each
 * push bounds its own PostToConnection calls by MESH_FANOUT_CONCURRENCY). If
 * any record fails, the invocation fails and the push is delivered again
 * (at least once): receivers drop the copies by seq.
 */
import middy from '@middy/core';
import { createManagementApiClient, ManagementApiNotifier } from '#shared/adapters/apigw/notifier';
import { createDocumentClient, DynamoMeshStore } from '#shared/adapters/dynamodb/store';
import { systemClock } from '#shared/adapters/system';
import { fanoutConcurrency, managementEndpoint, tableName } from '#shared/config';
import { deliverPush, type FanoutOutcome } from '#shared/core/fanout';
import type { FanoutDeps } from '#shared/core/ports';
import { pushOf, type SNSEvent, type SNSEventRecord } from '#shared/lambda/events';
import { logErrors } from '#shared/lambda/log-errors';
import { createLogger } from '#shared/lambda/logger';

const logger = createLogger({ function: 'fanout' });

const concurrency = fanoutConcurrency();
const deps: FanoutDeps = {
  store: new DynamoMeshStore({ client: createDocumentClient(), tableName: tableName(), clock: systemClock }),
  notifier: new ManagementApiNotifier(createManagementApiClient(managementEndpoint(), concurrency)),
  clock: systemClock,
  concurrency,
};

async function deliverRecord(record: SNSEventRecord): Promise<FanoutOutcome> {
  return deliverPush(pushOf(record), deps);
}

async function functionHandler(event: SNSEvent): Promise<FanoutOutcome> {
  const settled = await Promise.allSettled(event.Records.map(deliverRecord));
  const total: FanoutOutcome = { sent: 0, gone: 0, skipped: 0 };
  const errors: unknown[] = [];
  for (const result of settled) {
    if (result.status === 'rejected') {
      errors.push(result.reason);
      continue;
    }
    total.sent += result.value.sent;
    total.gone += result.value.gone;
    total.skipped += result.value.skipped;
  }
  if (total.gone > 0) logger.info('stale connections dropped', { gone: total.gone });
  if (errors.length > 0) {
    throw new AggregateError(errors, `${errors.length} of ${event.Records.length} pushes not fully delivered`);
  }
  return total;
}

export const handler = middy(functionHandler).use(
  logErrors<SNSEvent>({
    logger,
    fields: (event) => ({ messageIds: event.Records.map((record) => record.Sns.MessageId) }),
  }),
);
