/**
 * The store adapter (shared/adapters/dynamodb/store.ts) on DynamoDB Local
 * itself: the contract the in-memory fake keeps too, so every transaction,
 * condition and query the core relies on means on the real engine what the
 * fake makes it mean in the unit tests.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoMeshStore } from '#shared/adapters/dynamodb/store';
import { describeMeshStoreContract } from '../../contract/mesh-store.contract';
import { localDocumentClient, localTableName } from '../local-dynamodb';
import { uniqueDomain, uniqueId } from '../ws-client';

let db: DynamoDBDocumentClient;
let store: DynamoMeshStore;

beforeAll(() => {
  db = localDocumentClient();
  store = new DynamoMeshStore({ client: db, tableName: localTableName() });
});
afterAll(() => db?.destroy());

describeMeshStoreContract('DynamoDB adapter on DynamoDB Local', () => ({
  store,
  newKey: () => ({ groupId: uniqueId('store'), domain: uniqueDomain() }),
}));
