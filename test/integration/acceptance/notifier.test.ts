/**
 * The Management API notifier (shared/adapters/apigw/notifier.ts) through the
 * real SDK client on the local stack's API Gateway emulator: the contract the
 * fan-out tests' FakeNotifier keeps too. The connection id is the one the
 * stack stored for a member that joined a group, as the fan-out reads it.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { ManagementApiNotifier } from '#shared/adapters/apigw/notifier';
import { DynamoMeshStore } from '#shared/adapters/dynamodb/store';
import { createManagementApiClient } from '#shared/adapters/sdk-clients';
import { describeNotifierContract } from '../../contract/notifier.contract';
import { localDocumentClient, localTableName } from '../local-dynamodb';
import { TEST_ENV, testEnv } from '../test-env';
import { openGroup, useClients } from '../ws-client';

let db: DynamoDBDocumentClient;
let store: DynamoMeshStore;
let management: ApiGatewayManagementApiClient;
let notifier: ManagementApiNotifier;
const clients = useClients();

beforeAll(() => {
  // The client reads its region and credentials from the environment, as in a Lambda.
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  db = localDocumentClient();
  store = new DynamoMeshStore({ client: db, tableName: localTableName() });
  management = createManagementApiClient(testEnv(TEST_ENV.main.managementUrl));
  notifier = new ManagementApiNotifier(management);
});
afterAll(() => {
  db?.destroy();
  management?.destroy();
});

describeNotifierContract('Management API adapter on the local stack', () => ({
  notifier,
  async open() {
    const { group, domain, host, hostId } = await openGroup(clients);
    const subscribers = await store.listSubscribers({ groupId: group.id, domain });
    const { connectionId } = subscribers.find((s) => s.nodeId === hostId)!;
    return {
      connectionId,
      nextFrame: () => new Promise<string>((resolve) => host.socket.once('message', (raw) => resolve(raw.toString()))),
      closedByServer: () => new Promise<number>((resolve) => host.socket.once('close', (code) => resolve(code))),
      close: async () => {
        await host.close();
        // The close handshake ends before the stack's $disconnect has run: wait for its record to go.
        for (let i = 0; i < 100 && (await store.getConnection(connectionId)) !== undefined; i++) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      },
    };
  },
}));
