/**
 * The sweeper, run on a schedule (EventBridge in AWS, a timer in the local
 * stack). It restarts the flush of every group whose log holds pushes that
 * no live flush is posting (shared/core/fanout/sweep.ts): the safety net that
 * bounds delivery after any fault of SNS, Lambda or DynamoDB. And it drops
 * the member nodes whose heartbeat lapsed or whose connection closed past the
 * grace, telling their groups (shared/core/drop-sweep.ts).
 */
import middy from '@middy/core';
import { DynamoGroupLog } from '#shared/adapters/dynamodb/log';
import { DynamoMeshStore } from '#shared/adapters/dynamodb/store';
import { createDocumentClient, createSnsClient } from '#shared/adapters/sdk-clients';
import { SnsFlushTrigger } from '#shared/adapters/sns/flush-trigger';
import { randomIds, systemClock } from '#shared/adapters/system';
import { fanoutSettings, meshSettings, tableName, topicArn } from '#shared/config';
import { dropDueNodes, type DropOutcome, type DropSweepDeps } from '#shared/core/drop-sweep';
import { LogPublisher } from '#shared/core/fanout/publisher';
import { sweepStalledFlushes, type SweepDeps, type SweepOutcome } from '#shared/core/fanout/sweep';
import { logErrors } from '#shared/lambda/log-errors';
import { createLogger } from '#shared/lambda/logger';
import { createMetrics, METRIC_NAMES, publishCounts } from '#shared/lambda/metrics';

const logger = createLogger({ function: 'sweep' });
const metrics = createMetrics();

const client = createDocumentClient();
const settings = meshSettings();
const log = new DynamoGroupLog({ client, tableName: tableName(), retentionSeconds: settings.eventTtlSeconds });
const deps: SweepDeps = {
  log,
  trigger: new SnsFlushTrigger({ client: createSnsClient(), topicArn: topicArn() }),
  clock: systemClock,
  ids: randomIds,
  fanout: fanoutSettings(),
};
const dropDeps: DropSweepDeps = {
  store: new DynamoMeshStore({ client, tableName: tableName(), clock: systemClock }),
  publisher: new LogPublisher({
    ...deps,
    onFlushRequestFailed: (key, error) =>
      logger.warn('flush request failed; the next sweep restarts it', { ...key, error }),
  }),
  clock: systemClock,
  settings,
};

async function functionHandler(): Promise<SweepOutcome & { drops: DropOutcome }> {
  const outcome = await sweepStalledFlushes(deps);
  const drops = await dropDueNodes(dropDeps);
  publishCounts(metrics, {
    [METRIC_NAMES.flushesRestarted]: outcome.restarted,
    [METRIC_NAMES.nodesDropped]: drops.dropped,
  });
  // A restart means a flush died or its request was lost: rare, and worth a line each time.
  if (outcome.restarted > 0 || outcome.failed > 0) logger.warn('stalled flushes restarted', { ...outcome });
  if (drops.failed > 0) logger.warn('some node drops failed; the next sweep retries them', { ...drops });
  return { ...outcome, drops };
}

export const handler = middy(functionHandler).use(logErrors({ logger }));
