/**
 * The console store adapter (shared/adapters/dynamodb/console-store.ts) on
 * DynamoDB Local itself, with the store and the log adapters over the same
 * table: the contract the in-memory fake keeps too, so the Scan, the
 * viewer's items and the conditional mark on the log head mean on the real
 * engine what the fake makes them mean in the console's unit tests.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoConsoleStore } from '#shared/adapters/dynamodb/console-store';
import { DynamoGroupLog } from '#shared/adapters/dynamodb/log';
import { DynamoMeshStore } from '#shared/adapters/dynamodb/store';
import { describeConsoleStoreContract } from '../../contract/console-store.contract';
import { localDocumentClient, localTableName } from '../local-dynamodb';
import { uniqueDomain, uniqueId } from '../ws-client';

let db: DynamoDBDocumentClient;
let consoleStore: DynamoConsoleStore;
let store: DynamoMeshStore;
let log: DynamoGroupLog;

beforeAll(() => {
  db = localDocumentClient();
  const tableName = localTableName();
  consoleStore = new DynamoConsoleStore({ client: db, tableName, now: () => Date.now() });
  store = new DynamoMeshStore({ client: db, tableName });
  log = new DynamoGroupLog({ client: db, tableName, retentionSeconds: 180 });
});
afterAll(() => db?.destroy());

describeConsoleStoreContract('DynamoDB adapter on DynamoDB Local', () => ({
  console: consoleStore,
  store,
  log,
  newKey: () => ({ groupId: uniqueId('console'), domain: uniqueDomain() }),
}));
