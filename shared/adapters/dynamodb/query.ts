/**
 * Reading a query result page by page. A Query returns at most 1 MB per call,
 * so the store and the group log both page on LastEvaluatedKey until it is gone.
 */
import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';

type Item = Record<string, unknown>;

/** The items of each page of a query, one call per page, for a reader that may stop early. */
export async function* queryPages(
  client: DynamoDBDocumentClient,
  input: Omit<QueryCommandInput, 'ExclusiveStartKey'>,
): AsyncGenerator<Item[]> {
  let start: Item | undefined;
  do {
    const result = await client.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    yield result.Items ?? [];
    start = result.LastEvaluatedKey;
  } while (start !== undefined);
}

/** Every item a query matches, one call per 1 MB page. */
export async function queryAll(
  client: DynamoDBDocumentClient,
  input: Omit<QueryCommandInput, 'ExclusiveStartKey'>,
): Promise<Item[]> {
  const items: Item[] = [];
  for await (const page of queryPages(client, input)) items.push(...page);
  return items;
}
