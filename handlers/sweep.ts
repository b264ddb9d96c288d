/**
 * The sweeper, run on a schedule (EventBridge in AWS, a timer in the local
 * stack): restarts the flush of every group whose log holds pushes that no
 * live flush is posting (shared/core/fanout/sweep.ts). It is the safety net
 * that bounds delivery after any fault of SNS, Lambda or DynamoDB.
 */
import middy from '@middy/core';
import { DynamoGroupLog } from '#shared/adapters/dynamodb/log';
import { createDocumentClient, createSnsClient } from '#shared/adapters/sdk-clients';
import { SnsFlushTrigger } from '#shared/adapters/sns/flush-trigger';
import { randomIds, systemClock } from '#shared/adapters/system';
import { fanoutSettings, meshSettings, tableName, topicArn } from '#shared/config';
import { sweepStalledFlushes, type SweepDeps, type SweepOutcome } from '#shared/core/fanout/sweep';
import { logErrors } from '#shared/lambda/log-errors';
import { createLogger } from '#shared/lambda/logger';
import { createMetrics, METRIC_NAMES, publishCounts } from '#shared/lambda/metrics';

const logger = createLogger({ function: 'sweep' });
const metrics = createMetrics();

const deps: SweepDeps = {
  log: new DynamoGroupLog({
    client: createDocumentClient(),
    tableName: tableName(),
    retentionSeconds: meshSettings().eventTtlSeconds,
  }),
  trigger: new SnsFlushTrigger({ client: createSnsClient(), topicArn: topicArn() }),
  clock: systemClock,
  ids: randomIds,
  fanout: fanoutSettings(),
};

async function functionHandler(): Promise<SweepOutcome> {
  const outcome = await sweepStalledFlushes(deps);
  publishCounts(metrics, { [METRIC_NAMES.flushesRestarted]: outcome.restarted });
  // A restart means a flush died or its request was lost: rare, and worth a line each time.
  if (outcome.restarted > 0 || outcome.failed > 0) logger.warn('stalled flushes restarted', { ...outcome });
  return outcome;
}

export const handler = middy(functionHandler).use(logErrors({ logger }));
