/**
 * The IAM contract: what each function may call, on which ARNs. Every role
 * gets exactly these statements and nothing else, so a handler that starts
 * calling something new fails with AccessDenied until this file says so.
 *
 *   connect     nothing (it only accepts the connection)
 *   disconnect  DynamoDB GetItem, UpdateItem, DeleteItem (+ transactions of
 *               them) on the table (the unbind also sets the node's dropAt)
 *   request     DynamoDB GetItem, BatchGetItem, Query, PutItem, UpdateItem,
 *               DeleteItem, BatchWriteItem (+ transactions) on the table, and
 *               Query on the byDomain index (listGroupsByDomain); Scan of the
 *               byDomain index, which holds the group items alone (the
 *               operator console's watchMesh lists every group; only an
 *               admin's watch reads it);
 *               sns:Publish on the topic (flush requests);
 *               execute-api:ManageConnections POST and DELETE on this API's
 *               stage (a connection flooding far over its rate gets a last
 *               RateLimited frame and is closed)
 *   fanout      DynamoDB Query, UpdateItem, PutItem (sealed pages of the group
 *               log), DeleteItem (+ transactions) on the table, and GetItem
 *               (a watched group's round is appended to the console's log; an
 *               append that finds the log's head full reads it back to seal a
 *               page); sns:Publish on
 *               the topic (a long flush hands over, a failed round is retried,
 *               by a flush request); execute-api:ManageConnections POST on this
 *               API's stage
 *   sweep       DynamoDB Query on the byPending index (groups with pushes not
 *               yet posted) and UpdateItem on the table (it claims a dead
 *               flush); Query on the byDrop index (members due to be dropped),
 *               GetItem (their group), UpdateItem and PutItem (the claim, the
 *               presence push's append, a sealed page), DeleteItem (+
 *               transactions: the removal); sns:Publish on the topic (the new
 *               flush request, the presence push's flush)
 *   authorize   nothing (it checks a credential with the keys it is given,
 *               or fetches them from the identity provider's public JWKS URL)
 *
 * Every function also writes to its own log group, and only there
 * (ownLogsStatement; the console-site function, which serves the operator
 * console's page, has that statement alone). The fanout
 * role's one other grant, sqs:SendMessage on the dead-letter queue (its failure
 * destination), is declared with that destination in components/fanout.ts.
 *
 * An index is granted by name (`{tableArn}/index/{name}`), never `index/*`: a
 * new index is readable by no function until this file names it.
 *
 * There is no IAM action for TransactWriteItems: DynamoDB authorises each
 * operation inside a transaction as its single-item action (Put -> PutItem,
 * Update -> UpdateItem, Delete -> DeleteItem) and a ConditionCheck as
 * dynamodb:ConditionCheckItem. A function that runs transactions therefore
 * gets ConditionCheckItem besides its item actions, and its transactions may
 * only contain operations it is granted on their own.
 */
import * as pulumi from '@pulumi/pulumi';
import type { FunctionName } from './config';
// Relative, not '#shared/...': Pulumi's TypeScript loader does not read tsconfig paths.
import {
  BY_DOMAIN_INDEX,
  BY_DROP_INDEX,
  BY_NAME_INDEX,
  BY_PENDING_INDEX,
  MESH_TABLE,
} from '../shared/adapters/dynamodb/table';

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: pulumi.Input<string>[];
}

/** A global secondary index of the mesh table. */
export type IndexName = (typeof MESH_TABLE.globalSecondaryIndexes)[number]['name'];

/** One function's part of the contract. */
export interface FunctionContract {
  /** DynamoDB actions on the table itself (its items, and Query of its partitions). */
  table: readonly string[];
  /** Indexes the function queries: dynamodb:Query on each index's own ARN. */
  queriesIndexes: readonly IndexName[];
  /** Indexes the function scans whole: dynamodb:Scan on each index's own ARN. */
  scansIndexes?: readonly IndexName[];
  /** sns:Publish on the push topic. */
  publishes: boolean;
  /** execute-api:ManageConnections on this API and stage, POST to @connections only. */
  postsToConnections: boolean;
  /** execute-api:ManageConnections on this API and stage, DELETE of @connections only. */
  closesConnections: boolean;
}

/** What the two request functions (WebSocket and HTTPS) do on the table: the core's every read and write. */
const REQUEST_TABLE_ACTIONS = [
  'GetItem',
  'BatchGetItem',
  'Query',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'ConditionCheckItem',
] as const;

/** The contract above, per function. */
export const CONTRACT: Record<FunctionName, FunctionContract> = {
  connect: { table: [], queriesIndexes: [], publishes: false, postsToConnections: false, closesConnections: false },
  disconnect: {
    table: ['GetItem', 'UpdateItem', 'DeleteItem', 'ConditionCheckItem'],
    queriesIndexes: [],
    publishes: false,
    postsToConnections: false,
    closesConnections: false,
  },
  request: {
    table: REQUEST_TABLE_ACTIONS,
    queriesIndexes: [BY_DOMAIN_INDEX, BY_NAME_INDEX],
    // The console's watchMesh (DynamoConsoleStore.listAllGroups); the http function refuses console actions.
    scansIndexes: [BY_DOMAIN_INDEX],
    publishes: true,
    postsToConnections: true,
    closesConnections: true,
  },
  // The request function's table and topic, without the Management API: it has no connection to post to or close.
  http: {
    table: REQUEST_TABLE_ACTIONS,
    queriesIndexes: [BY_DOMAIN_INDEX, BY_NAME_INDEX],
    publishes: true,
    postsToConnections: false,
    closesConnections: false,
  },
  // GetItem: LogPublisher's append of a console report reads a full head back (DynamoGroupLog.append).
  fanout: {
    table: ['GetItem', 'Query', 'UpdateItem', 'PutItem', 'DeleteItem', 'ConditionCheckItem'],
    queriesIndexes: [],
    publishes: true,
    postsToConnections: true,
    closesConnections: false,
  },
  sweep: {
    table: ['GetItem', 'UpdateItem', 'PutItem', 'DeleteItem', 'ConditionCheckItem'],
    queriesIndexes: [BY_PENDING_INDEX, BY_DROP_INDEX],
    publishes: true,
    postsToConnections: false,
    closesConnections: false,
  },
  authorize: { table: [], queriesIndexes: [], publishes: false, postsToConnections: false, closesConnections: false },
};

export interface ContractResources {
  tableArn: pulumi.Input<string>;
  topicArn: pulumi.Input<string>;
  /** `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/POST/@connections/*` */
  manageConnectionsArn: pulumi.Input<string>;
  /** `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/DELETE/@connections/*` */
  closeConnectionsArn: pulumi.Input<string>;
  /** ARN of the function's own log group; the function writes only there. */
  logGroupArn: pulumi.Input<string>;
}

/** `{tableArn}/index/{name}`: the ARN IAM checks for a Query of that index. */
export function indexArn(tableArn: pulumi.Input<string>, index: IndexName): pulumi.Output<string> {
  return pulumi.interpolate`${tableArn}/index/${index}`;
}

/**
 * A function's grant to write its log: the log group is created by the stack
 * (with its retention), so the role needs no logs:CreateLogGroup and no "*"
 * resource, only streams and events of its own group.
 */
export function ownLogsStatement(logGroupArn: pulumi.Input<string>): PolicyStatement {
  return {
    Sid: 'WriteOwnLogs',
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: [logGroupArn, pulumi.interpolate`${logGroupArn}:*`],
  };
}

/** The statements of one function's role policy. */
export function contractStatements(fn: FunctionName, r: ContractResources): PolicyStatement[] {
  const contract = CONTRACT[fn];
  const statements: PolicyStatement[] = [ownLogsStatement(r.logGroupArn)];
  if (contract.table.length > 0) {
    statements.push({
      Sid: 'MeshTable',
      Effect: 'Allow',
      Action: contract.table.map((action) => `dynamodb:${action}`),
      Resource: [r.tableArn],
    });
  }
  if (contract.queriesIndexes.length > 0) {
    // A Query of an index is authorised on the index's ARN, not the table's.
    statements.push({
      Sid: 'MeshIndexes',
      Effect: 'Allow',
      Action: ['dynamodb:Query'],
      Resource: contract.queriesIndexes.map((index) => indexArn(r.tableArn, index)),
    });
  }
  if (contract.scansIndexes !== undefined && contract.scansIndexes.length > 0) {
    statements.push({
      Sid: 'MeshIndexScans',
      Effect: 'Allow',
      Action: ['dynamodb:Scan'],
      Resource: contract.scansIndexes.map((index) => indexArn(r.tableArn, index)),
    });
  }
  if (contract.publishes) {
    // sns:Publish also authorises PublishBatch.
    statements.push({ Sid: 'PublishPushes', Effect: 'Allow', Action: ['sns:Publish'], Resource: [r.topicArn] });
  }
  // One action for both: IAM tells a post from a close only by the method in the resource ARN.
  const connectionGrants = [
    { granted: contract.postsToConnections, Sid: 'PostToConnections', arn: r.manageConnectionsArn },
    { granted: contract.closesConnections, Sid: 'CloseConnections', arn: r.closeConnectionsArn },
  ];
  for (const { granted, Sid, arn } of connectionGrants) {
    if (granted) statements.push({ Sid, Effect: 'Allow', Action: ['execute-api:ManageConnections'], Resource: [arn] });
  }
  return statements;
}
