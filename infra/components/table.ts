/**
 * The mesh's DynamoDB table, declared from the one table definition the local
 * stack also uses (shared/adapters/dynamodb/table.ts): same keys, every index
 * and attribute of it (byDomain, byPending), same TTL attribute.
 *
 * DynamoDB adds or removes one global secondary index per table update, so a
 * deployed stack takes at most one new index of that definition per
 * `pulumi up`; the new index backfills before the update ends.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
// Relative, not '#shared/...': Pulumi's TypeScript loader does not read tsconfig paths.
import { MESH_TABLE } from '../../shared/adapters/dynamodb/table';

export interface MeshTableArgs {
  /** Continuous backups with point-in-time restore. Default: true. */
  pointInTimeRecovery?: boolean;
}

export class MeshTable extends pulumi.ComponentResource {
  readonly table: aws.dynamodb.Table;
  readonly name: pulumi.Output<string>;
  readonly arn: pulumi.Output<string>;

  constructor(name: string, args: MeshTableArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super('mesh:data:Table', name, {}, opts);

    this.table = new aws.dynamodb.Table(
      name,
      {
        // On demand: the mesh's load follows classrooms, not a steady rate.
        billingMode: MESH_TABLE.billingMode,
        hashKey: MESH_TABLE.partitionKey,
        rangeKey: MESH_TABLE.sortKey,
        // Key attributes only (DynamoDB refuses a declared attribute no key uses).
        attributes: MESH_TABLE.attributes.map((a) => ({ name: a.name, type: a.type })),
        globalSecondaryIndexes: MESH_TABLE.globalSecondaryIndexes.map((index) => ({
          name: index.name,
          hashKey: index.partitionKey,
          rangeKey: index.sortKey,
          projectionType: index.projectionType,
        })),
        // Garbage collection only: TTL deletes lazily, the store checks expiry on read.
        ttl: { attributeName: MESH_TABLE.ttlAttribute, enabled: true },
        pointInTimeRecovery: { enabled: args.pointInTimeRecovery ?? true },
      },
      { parent: this },
    );
    this.name = this.table.name;
    this.arn = this.table.arn;
    this.registerOutputs({ name: this.name, arn: this.arn });
  }
}
