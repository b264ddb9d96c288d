/**
 * A DocumentClient on the integration run's DynamoDB Local (the globalSetup
 * exports its URL and table), for the suites that test an adapter directly.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export function localDocumentClient(): DynamoDBDocumentClient {
  const endpoint = process.env.MESH_TEST_DYNAMODB_URL;
  if (!endpoint) throw new Error('MESH_TEST_DYNAMODB_URL is not set (the integration globalSetup exports the engine URL)');
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint,
      region: process.env.AWS_REGION ?? 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
}

/** The table the main stack of the run uses. */
export const localTableName = (): string => process.env.MESH_TEST_TABLE_NAME ?? 'mesh';
