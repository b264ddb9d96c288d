import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoGroupLog } from '#shared/adapters/dynamodb/log';
import { createDocumentClient } from '#shared/adapters/sdk-clients';
import { WriteNotApplied } from '#shared/core/store-errors';

const ddb = mockClient(DynamoDBDocumentClient);
const key = { groupId: 'g-1', domain: 'example.org' };

afterEach(() => ddb.reset());

function newLog(): DynamoGroupLog {
  // No SDK retries: the throttle reaches the adapter at once.
  const client = createDocumentClient({ region: 'eu-west-1', maxAttempts: 1 });
  return new DynamoGroupLog({ client, tableName: 'mesh-test', retentionSeconds: 180 });
}

describe('DynamoGroupLog.append', () => {
  it('reports an append DynamoDB throttled as WriteNotApplied (nothing was appended), and another failure as it is', async () => {
    ddb
      .on(UpdateCommand)
      .rejectsOnce(new ProvisionedThroughputExceededException({ message: 'throttled', $metadata: {} }))
      .rejectsOnce(new Error('socket hang up'));
    const log = newLog();
    const append = () => log.append(key, ['{"seq":1}'], { now: 1, token: 't' });

    await expect(append()).rejects.toBeInstanceOf(WriteNotApplied);
    await expect(append()).rejects.toThrow('socket hang up');
  });
});
