/**
 * The IAM contract: what each function may call, on which ARNs. Every role
 * gets exactly these statements and nothing else, so a handler that starts
 * calling something new fails with AccessDenied until this file says so.
 *
 *   connect     no DynamoDB, no SNS (it only accepts the connection)
 *   disconnect  DynamoDB GetItem, UpdateItem, DeleteItem (+ transactions of them)
 *   request     DynamoDB GetItem, BatchGetItem, Query, PutItem, UpdateItem,
 *               DeleteItem, BatchWriteItem (+ transactions), on the table and
 *               its indexes; sns:Publish on the topic
 *   fanout      DynamoDB Query, UpdateItem (the group outboxes), DeleteItem
 *               (+ transactions); sns:Publish on the topic (a long flush
 *               hands over, a failed round is retried, by a flush request);
 *               execute-api:ManageConnections POST on this API's stage
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

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: pulumi.Input<string>[];
}

/** DynamoDB actions per function, from the contract above. */
export const DYNAMODB_ACTIONS: Record<FunctionName, string[]> = {
  connect: [],
  disconnect: ['GetItem', 'UpdateItem', 'DeleteItem', 'ConditionCheckItem'],
  request: [
    'GetItem',
    'BatchGetItem',
    'Query',
    'PutItem',
    'UpdateItem',
    'DeleteItem',
    'BatchWriteItem',
    'ConditionCheckItem',
  ],
  fanout: ['Query', 'UpdateItem', 'DeleteItem', 'ConditionCheckItem'],
};

/** Functions whose queries read the byDomain index (listGroupsByDomain). */
const READS_INDEXES: ReadonlySet<FunctionName> = new Set(['request']);

export interface ContractResources {
  tableArn: pulumi.Input<string>;
  topicArn: pulumi.Input<string>;
  /** `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/POST/@connections/*` */
  manageConnectionsArn: pulumi.Input<string>;
  /** ARN of the function's own log group; the function writes only there. */
  logGroupArn: pulumi.Input<string>;
}

/** The statements of one function's role policy. */
export function contractStatements(fn: FunctionName, r: ContractResources): PolicyStatement[] {
  const statements: PolicyStatement[] = [
    {
      // The log group is created by the stack (with its retention), so the
      // role needs no logs:CreateLogGroup and no "*" resource: only streams
      // and events of its own group.
      Sid: 'WriteOwnLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: [r.logGroupArn, pulumi.interpolate`${r.logGroupArn}:*`],
    },
  ];
  const dynamodb = DYNAMODB_ACTIONS[fn];
  if (dynamodb.length > 0) {
    const resources = [r.tableArn];
    if (READS_INDEXES.has(fn)) resources.push(pulumi.interpolate`${r.tableArn}/index/*`);
    statements.push({
      Sid: 'MeshTable',
      Effect: 'Allow',
      Action: dynamodb.map((action) => `dynamodb:${action}`),
      Resource: resources,
    });
  }
  if (fn === 'request' || fn === 'fanout') {
    // sns:Publish also authorises PublishBatch.
    statements.push({ Sid: 'PublishPushes', Effect: 'Allow', Action: ['sns:Publish'], Resource: [r.topicArn] });
  }
  if (fn === 'fanout') {
    statements.push({
      Sid: 'PostToConnections',
      Effect: 'Allow',
      Action: ['execute-api:ManageConnections'],
      Resource: [r.manageConnectionsArn],
    });
  }
  return statements;
}
