/**
 * The hot path's write (shared/adapters/dynamodb/node-update.ts) on DynamoDB
 * Local itself: the contract the in-memory fake keeps too, so its conditions
 * (live, bound, status bound, seq) are valid DynamoDB and mean what the core
 * expects.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoMeshStore } from '#shared/adapters/dynamodb/store';
import { describeNodeUpdateContract } from '../../contract/node-update.contract';
import { localDocumentClient, localTableName } from '../local-dynamodb';
import { uniqueDomain, uniqueId } from '../ws-client';

let db: DynamoDBDocumentClient;
let store: DynamoMeshStore;

beforeAll(() => {
  db = localDocumentClient();
  store = new DynamoMeshStore({ client: db, tableName: localTableName() });
});
afterAll(() => db?.destroy());

describeNodeUpdateContract('DynamoDB adapter on DynamoDB Local', () => ({
  store,
  newKey: () => ({ groupId: uniqueId('node'), domain: uniqueDomain() }),
}));
