/**
 * The SNS subscriber: each record is a flush request for one group's log
 * (shared/core/fanout/flush.ts): post its pushes from the cursor, one frame
 * per member per round, until the cursor reaches the log's end.
 *
 * Records run concurrently (SNS sends one per invocation in practice). A
 * record that fails makes the invocation fail and SNS delivers it again; a
 * flush that is lost whatever SNS does is restarted by an append or the
 * sweeper, so nothing accepted waits on this retry alone.
 */
import middy from '@middy/core';
import { ManagementApiNotifier } from '#shared/adapters/apigw/notifier';
import { DynamoGroupLog } from '#shared/adapters/dynamodb/log';
import { DynamoMeshStore } from '#shared/adapters/dynamodb/store';
import { createDocumentClient, createManagementApiClient, createSnsClient } from '#shared/adapters/sdk-clients';
import { SnsFlushTrigger } from '#shared/adapters/sns/flush-trigger';
import { randomIds, systemClock } from '#shared/adapters/system';
import {
  fanoutConcurrency,
  fanoutSettings,
  managementEndpoint,
  meshSettings,
  tableName,
  topicArn,
} from '#shared/config';
import { flushGroup, type FlushOutcome } from '#shared/core/fanout/flush';
import { LogPublisher } from '#shared/core/fanout/publisher';
import { RoundMonitor } from '#shared/core/fanout/round-monitor';
import type { FlushDeps } from '#shared/core/ports';
import { flushRequestOf, type SNSEvent, type SNSEventRecord } from '#shared/lambda/flush-event';
import { logErrors } from '#shared/lambda/log-errors';
import { createLogger } from '#shared/lambda/logger';
import { createMetrics, METRIC_NAMES, publishCounts } from '#shared/lambda/metrics';

const logger = createLogger({ function: 'fanout' });
const metrics = createMetrics();

const concurrency = fanoutConcurrency();
const documentClient = createDocumentClient();
const log = new DynamoGroupLog({
  client: documentClient,
  tableName: tableName(),
  retentionSeconds: meshSettings().eventTtlSeconds,
});
const trigger = new SnsFlushTrigger({ client: createSnsClient(), topicArn: topicArn() });
const deps: Omit<FlushDeps, 'owner'> = {
  log,
  store: new DynamoMeshStore({ client: documentClient, tableName: tableName(), clock: systemClock }),
  trigger,
  // Rounds of watched groups go to the console's log (the watch mark comes with the head each round reads).
  monitor: new RoundMonitor(
    new LogPublisher({ log, trigger, clock: systemClock, ids: randomIds, fanout: fanoutSettings() }),
    randomIds.token(),
  ),
  notifier: new ManagementApiNotifier(createManagementApiClient(managementEndpoint(), concurrency)),
  clock: systemClock,
  fanout: fanoutSettings(),
  concurrency,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Totals of one invocation. */
export type FanoutTotals = Pick<FlushOutcome, 'pushes' | 'sent' | 'gone' | 'retries' | 'abandoned'>;

async function handleRecord(record: SNSEventRecord): Promise<FlushOutcome> {
  const request = flushRequestOf(record);
  // Each record is its own owner: two copies of one request in one invocation must not both post.
  const outcome = await flushGroup(request, { ...deps, owner: randomIds.token() });
  if (outcome.abandoned > 0) {
    logger.warn('posts given up after every retry', { groupId: request.groupId, domain: request.domain, ...outcome });
  }
  return outcome;
}

async function functionHandler(event: SNSEvent): Promise<FanoutTotals> {
  const settled = await Promise.allSettled(event.Records.map(handleRecord));
  const total: FanoutTotals = { pushes: 0, sent: 0, gone: 0, retries: 0, abandoned: 0 };
  const errors: unknown[] = [];
  for (const result of settled) {
    if (result.status === 'rejected') {
      errors.push(result.reason);
      continue;
    }
    for (const name of Object.keys(total) as (keyof FanoutTotals)[]) total[name] += result.value[name];
  }
  publishCounts(metrics, {
    [METRIC_NAMES.framesPosted]: total.sent,
    [METRIC_NAMES.gonePosts]: total.gone,
    [METRIC_NAMES.postRetries]: total.retries,
    [METRIC_NAMES.abandonedPosts]: total.abandoned,
  });
  if (errors.length > 0) {
    throw new AggregateError(errors, `${errors.length} of ${event.Records.length} flushes failed`);
  }
  return total;
}

export const handler = middy(functionHandler).use(
  logErrors<SNSEvent>({
    logger,
    fields: (event) => ({ messageIds: event.Records.map((record) => record.Sns.MessageId) }),
  }),
);
