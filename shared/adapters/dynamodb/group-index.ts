/**
 * The two ways to find groups without knowing their ids, each one Query of
 * an index of the mesh table (table.ts): a domain's groups (byDomain, oldest
 * first) and every domain's groups whose name starts with a prefix (byName,
 * by name). Indexes are read eventually consistent, as DynamoDB allows for
 * them: a group created a moment ago may be missing from an answer.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { GroupRecord } from '#shared/core/model';
import { domainIndexPk, nameIndexPk, toGroup } from './keys';
import { queryAll, queryPages } from './query';
import { BY_DOMAIN_INDEX, BY_NAME_INDEX } from './table';

/** A domain's groups, oldest first, expired ones included (the core filters). */
export async function queryGroupsOfDomain(
  client: DynamoDBDocumentClient,
  table: string,
  domain: string,
): Promise<GroupRecord[]> {
  const items = await queryAll(client, {
    TableName: table,
    IndexName: BY_DOMAIN_INDEX,
    KeyConditionExpression: '#gsi1pk = :gsi1pk',
    ExpressionAttributeNames: { '#gsi1pk': 'gsi1pk' },
    ExpressionAttributeValues: { ':gsi1pk': domainIndexPk(domain) },
    ScanIndexForward: true,
  });
  return items.flatMap((item) => {
    const group = toGroup(item);
    return group !== undefined && group.domain === domain ? [group] : [];
  });
}

/**
 * Up to `max` groups of any domain whose name starts with `prefix`, by name,
 * none past its expiresAt at `now` (the filter saves returning them, not
 * reading them: TTL deletes expired groups up to days late).
 */
export async function queryGroupsByNamePrefix(
  client: DynamoDBDocumentClient,
  table: string,
  prefix: string,
  options: { now: number; max: number },
): Promise<GroupRecord[]> {
  const found: GroupRecord[] = [];
  const input = {
    TableName: table,
    IndexName: BY_NAME_INDEX,
    KeyConditionExpression: '#gsi3pk = :gsi3pk AND begins_with(#gsi3sk, :prefix)',
    FilterExpression: '#expiresAt >= :now',
    ExpressionAttributeNames: { '#gsi3pk': 'gsi3pk', '#gsi3sk': 'gsi3sk', '#expiresAt': 'expiresAt' },
    ExpressionAttributeValues: { ':gsi3pk': nameIndexPk(prefix), ':prefix': prefix, ':now': options.now },
  };
  for await (const items of queryPages(client, input)) {
    for (const item of items) {
      const group = toGroup(item);
      if (group !== undefined && group.name.startsWith(prefix)) found.push(group);
      if (found.length >= options.max) return found;
    }
  }
  return found;
}
