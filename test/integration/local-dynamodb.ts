/**
 * A DocumentClient on the integration run's DynamoDB Local (the globalSetup
 * exports its URL and table), for the suites that test an adapter directly.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TEST_ENV, testEnv } from './test-env';

export function localDocumentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: testEnv(TEST_ENV.main.dynamodbUrl),
      region: process.env.AWS_REGION ?? 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
}

/** The table the main stack of the run uses. */
export const localTableName = (): string => testEnv(TEST_ENV.main.tableName);
