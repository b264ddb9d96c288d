/**
 * The core's dependencies as the request functions build them once per cold
 * start: the WebSocket one (handlers/request.ts) and the HTTPS one
 * (handlers/http.ts) act on the same table, log and topic, so they build
 * them here, one way. A missing setting fails here, not on a request.
 */
import { DynamoConsoleStore } from '#shared/adapters/dynamodb/console-store';
import { DynamoGroupLog } from '#shared/adapters/dynamodb/log';
import { DynamoMeshStore } from '#shared/adapters/dynamodb/store';
import { createDocumentClient, createSnsClient } from '#shared/adapters/sdk-clients';
import { SnsFlushTrigger } from '#shared/adapters/sns/flush-trigger';
import { randomIds, systemClock } from '#shared/adapters/system';
import { adminToken, domainSecret, fanoutSettings, meshSettings, tableName, topicArn } from '#shared/config';
import { LogPublisher } from '#shared/core/fanout/publisher';
import { KnownGroups } from '#shared/core/known-groups';
import type { MeshDeps } from '#shared/core/ports';
import type { Logger } from './logger';

export interface MeshDepsOptions {
  /** The operator console's store and admin token: only the WebSocket's function has viewers (a connection to post to). */
  withConsole?: boolean;
}

export function createMeshDeps(logger: Logger, { withConsole = false }: MeshDepsOptions = {}): MeshDeps {
  const documentClient = createDocumentClient();
  const settings = meshSettings();
  const log = new DynamoGroupLog({
    client: documentClient,
    tableName: tableName(),
    retentionSeconds: settings.eventTtlSeconds,
  });
  return {
    store: new DynamoMeshStore({ client: documentClient, tableName: tableName(), clock: systemClock }),
    // Pushes are appended to their group's log; the fan-out posts them one frame per member per round.
    publisher: new LogPublisher({
      log,
      trigger: new SnsFlushTrigger({ client: createSnsClient(), topicArn: topicArn() }),
      clock: systemClock,
      ids: randomIds,
      fanout: fanoutSettings(),
      // The pushes are in the log: the sweeper restarts their flush. Worth a line, not an error reply.
      onFlushRequestFailed: (key, error) =>
        logger.warn('flush request failed; the sweeper will restart it', { ...key, error }),
    }),
    // Polling nodes read the same logs.
    events: log,
    // Lives as long as the container: the hot path reads a group once, not per request.
    knownGroups: new KnownGroups(),
    clock: systemClock,
    ids: randomIds,
    settings,
    domainSecret: domainSecret(),
    ...(withConsole
      ? {
          console: new DynamoConsoleStore({
            client: documentClient,
            tableName: tableName(),
            now: () => systemClock.now(),
          }),
          adminToken: adminToken(),
        }
      : {}),
  };
}
