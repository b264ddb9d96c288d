/**
 * The store adapter (shared/adapters/dynamodb/store.ts, with the hot path's
 * write in node-update.ts) on DynamoDB Local itself: the contracts the
 * in-memory fake keeps too, so every transaction, condition and query the
 * core relies on means on the real engine what the fake makes it mean in the
 * unit tests.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoMeshStore } from '#shared/adapters/dynamodb/store';
import { describeMeshStoreContract } from '../../contract/mesh-store.contract';
import { describeNodeDropsContract } from '../../contract/node-drops.contract';
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

const subject = () => ({ store, newKey: () => ({ groupId: uniqueId('store'), domain: uniqueDomain() }) });
describeMeshStoreContract('DynamoDB adapter on DynamoDB Local', subject);
describeNodeUpdateContract('DynamoDB adapter on DynamoDB Local', subject);
describeNodeDropsContract('DynamoDB adapter on DynamoDB Local', subject);
