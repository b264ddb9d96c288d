/**
 * The one definition of the mesh's DynamoDB table. The local stack creates it
 * in DynamoDB Local with `createTableInput`; the Pulumi program declares the
 * same keys, index and TTL attribute from `MESH_TABLE`.
 *
 * Items (see docs/architecture.md for attributes and access patterns):
 *   pk = G#{groupId}@{domain}   sk = META              the group (gsi1: D#{domain} / {createdAt}#{groupId};
 *                                                      gsi3: N#{first character of name} / {name}#{createdAt}#{groupId})
 *   pk = G#{groupId}@{domain}   sk = N#{nodeId}         a node, its merged status and its push sequence
 *                                                      (members, gsi4: X#{shard} / {dropAt}#[groupId, domain, nodeId])
 *   pk = G#{groupId}@{domain}   sk = C#{connectionId}   a connection subscribed to the group's pushes
 *   pk = C#{connectionId}       sk = CONN               which group and node a connection is
 *   pk = H#{domain}#{hostId}    sk = HOST               the host's live group (idempotent createGroup)
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

export const MESH_TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds; DynamoDB's TTL deletes expired items lazily, so reads check expiry too. */
  ttlAttribute: 'ttl',
  attributes: [
    { name: 'pk', type: 'S' },
    { name: 'sk', type: 'S' },
    { name: 'gsi1pk', type: 'S' },
    { name: 'gsi1sk', type: 'S' },
    { name: 'gsi2pk', type: 'S' },
    { name: 'gsi2sk', type: 'S' },
    { name: 'gsi3pk', type: 'S' },
    { name: 'gsi3sk', type: 'S' },
    { name: 'gsi4pk', type: 'S' },
    { name: 'gsi4sk', type: 'S' },
  ],
  globalSecondaryIndexes: [
    {
      /** listGroupsByDomain: groups of a domain, oldest first. */
      name: 'byDomain',
      partitionKey: 'gsi1pk',
      sortKey: 'gsi1sk',
      projectionType: 'ALL',
    },
    {
      /**
       * The sweeper's work list: a group's log head carries these keys only
       * while it holds pushes not yet posted (a sparse index), so the
       * sweeper finds stalled fan-outs without a scan. Keys only: the head's
       * other attributes change on every append and must not cost index writes.
       */
      name: 'byPending',
      partitionKey: 'gsi2pk',
      sortKey: 'gsi2sk',
      projectionType: 'KEYS_ONLY',
    },
    {
      /**
       * searchGroupsByNamePrefix: groups of every domain by name. A group's
       * partition is its name's first character, so a prefix (at least one
       * character) is one begins_with Query, and creates spread over
       * partitions instead of all landing on one.
       */
      name: 'byName',
      partitionKey: 'gsi3pk',
      sortKey: 'gsi3sk',
      projectionType: 'ALL',
    },
    {
      /**
       * The sweeper's presence list: every member node carries these keys,
       * sorted by when it is to be dropped (its heartbeat's end, or the end
       * of the grace after its connection closed), so the nodes due are one
       * Query per shard. Keys only: the sort key names the node.
       */
      name: 'byDrop',
      partitionKey: 'gsi4pk',
      sortKey: 'gsi4sk',
      projectionType: 'KEYS_ONLY',
    },
  ],
  billingMode: 'PAY_PER_REQUEST',
} as const;

export const BY_DOMAIN_INDEX = MESH_TABLE.globalSecondaryIndexes[0].name;
export const BY_PENDING_INDEX = MESH_TABLE.globalSecondaryIndexes[1].name;
export const BY_NAME_INDEX = MESH_TABLE.globalSecondaryIndexes[2].name;
export const BY_DROP_INDEX = MESH_TABLE.globalSecondaryIndexes[3].name;

/** CreateTable input for the definition above (used by the local stack). */
export function createTableInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: MESH_TABLE.billingMode,
    AttributeDefinitions: MESH_TABLE.attributes.map((a) => ({ AttributeName: a.name, AttributeType: a.type })),
    KeySchema: [
      { AttributeName: MESH_TABLE.partitionKey, KeyType: 'HASH' },
      { AttributeName: MESH_TABLE.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: MESH_TABLE.globalSecondaryIndexes.map((index) => ({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: index.projectionType },
    })),
  };
}
