/**
 * The Pulumi program under Pulumi's mocks: no CLI, no credentials, no AWS.
 * One declaration of the whole stack (dev-like config), then assertions on the
 * recorded resources, their inputs and the stack outputs.
 */
import type * as pulumi from '@pulumi/pulumi';
import {
  ACCOUNT,
  API_ID,
  HTTP_API_ID,
  installMocks,
  isSecretInput,
  REGION,
  settled,
  valueOf,
  type Declared,
  ofHttpApi,
} from './mocks';
import type { MeshConfig } from '../../infra/config';
import type { MeshOutputs } from '../../infra/program';
import { MESH_TABLE } from '#shared/adapters/dynamodb/table';
import { ACTIONS } from '#shared/protocol/requests';

const STAGE = 'dev';
const FUNCTIONS = ['connect', 'disconnect', 'request', 'http', 'fanout', 'sweep', 'authorize'] as const;
type Fn = (typeof FUNCTIONS)[number];

let declared: Declared[];
let outputs: MeshOutputs;
let config: MeshConfig;

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, string>>;
}

const ofType = (type: string) => declared.filter((r) => r.type === type);
/** The WebSocket API's resources of a type (the HTTPS endpoint's are test/infra/http-api.test.ts's). */
const wsOfType = (type: string) => ofType(type).filter((r) => !ofHttpApi(r));
const one = (type: string, name: string) => {
  const found = declared.filter((r) => r.type === type && r.name === name);
  if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
  return found[0];
};
const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
const functionOf = (fn: Fn) => one('aws:lambda/function:Function', `mesh-${fn}`);
const roleOf = (fn: Fn) => one('aws:iam/role:Role', `mesh-${fn}`);
/** Every statement of every inline policy on a role. */
const statementsOf = (roleName: string): Statement[] =>
  ofType('aws:iam/rolePolicy:RolePolicy')
    .filter((p) => p.inputs.role === roleName)
    .flatMap((p) => JSON.parse(p.inputs.policy).Statement as Statement[]);
/** The distinct actions of one service a function's role grants, on any resource. */
const actionsOf = (fn: Fn, prefix: string) =>
  [...new Set(statementsOf(roleOf(fn).state.name).flatMap((s) => list(s.Action)))]
    .filter((a) => a.startsWith(prefix))
    .sort();

/** The stack's mesh:domainSecret in these tests. */
const DOMAIN_SECRET = 'a-domain-secret-of-the-program-tests';

beforeAll(async () => {
  declared = await installMocks(STAGE);
  // The program is imported after setMocks, as Pulumi's mocks require.
  const { CONFIG_DEFAULTS } = await import('../../infra/config');
  const { declareMesh } = await import('../../infra/program');
  const pulumiSdk: typeof pulumi = await import('@pulumi/pulumi');
  config = {
    ...CONFIG_DEFAULTS,
    stageName: STAGE,
    logRetentionDays: 7,
    throttle: { rateLimit: 900, burstLimit: 450 },
    hotRouteThrottle: { rateLimit: 120, burstLimit: 60 },
    request: { memoryMb: 1024, timeoutSeconds: 12 },
    fanoutSettings: { ...CONFIG_DEFAULTS.fanoutSettings, windowMaxMs: 800 },
    settings: { ...CONFIG_DEFAULTS.settings, maxConnectionTimeSeconds: 300 },
    sweepIntervalMinutes: 2,
    pointInTimeRecovery: false,
    alarmEmail: 'ops@example.com',
    enableSourceMaps: true,
    allowedOrigins: 'https://school.example',
  };
  const stub = () =>
    new pulumiSdk.asset.AssetArchive({
      'index.js': new pulumiSdk.asset.StringAsset('exports.handler = async () => ({});'),
    });
  outputs = declareMesh(config, stub, { domainSecret: pulumiSdk.secret(DOMAIN_SECRET) });
  await settled();
}, 60_000);

describe('WebSocket API', () => {
  const routeKeys = ['$connect', '$disconnect', ...ACTIONS, '$default'];
  const handlerOf = (routeKey: string): Fn =>
    routeKey === '$connect' ? 'connect' : routeKey === '$disconnect' ? 'disconnect' : 'request';

  it('is a WebSocket API selecting routes by the action field', () => {
    const [api] = wsOfType('aws:apigatewayv2/api:Api');
    expect(api.inputs.protocolType).toBe('WEBSOCKET');
    expect(api.inputs.routeSelectionExpression).toBe('$request.body.action');
  });

  it('has one route per action plus $connect, $disconnect and $default, and no other', () => {
    const keys = wsOfType('aws:apigatewayv2/route:Route').map((r) => r.inputs.routeKey);
    expect(keys.sort()).toEqual([...routeKeys].sort());
  });

  it.each(routeKeys)('routes %s to a Lambda proxy integration of the right function', (routeKey) => {
    const route = wsOfType('aws:apigatewayv2/route:Route').find((r) => r.inputs.routeKey === routeKey)!;
    expect(route.inputs.apiId).toBe(API_ID);
    const integration = wsOfType('aws:apigatewayv2/integration:Integration').find(
      (i) => `integrations/${i.id}` === route.inputs.target,
    );
    expect(integration).toBeDefined();
    expect(integration!.inputs.integrationType).toBe('AWS_PROXY');
    expect(integration!.inputs.integrationUri).toBe(functionOf(handlerOf(routeKey)).state.invokeArn);
  });

  it.each(routeKeys)('lets API Gateway invoke the function of %s from this stage and route only', (routeKey) => {
    const sourceArn = `arn:aws:execute-api:${REGION}:${ACCOUNT}:${API_ID}/${STAGE}/${routeKey}`;
    const permissions = ofType('aws:lambda/permission:Permission').filter((p) => p.inputs.sourceArn === sourceArn);
    expect(permissions).toHaveLength(1);
    expect(permissions[0].inputs).toMatchObject({
      action: 'lambda:InvokeFunction',
      principal: 'apigateway.amazonaws.com',
      function: functionOf(handlerOf(routeKey)).state.name,
    });
  });

  it('gives every request route and $default a route response, so replies need no PostToConnection', () => {
    const routes = wsOfType('aws:apigatewayv2/route:Route');
    const responses = wsOfType('aws:apigatewayv2/routeResponse:RouteResponse');
    for (const route of routes) {
      const twoWay = route.inputs.routeKey !== '$connect' && route.inputs.routeKey !== '$disconnect';
      const response = responses.filter((r) => r.inputs.routeId === route.id);
      if (twoWay) {
        expect(route.inputs.routeResponseSelectionExpression).toBe('$default');
        expect(response.map((r) => r.inputs.routeResponseKey)).toEqual(['$default']);
      } else {
        expect(route.inputs.routeResponseSelectionExpression).toBeUndefined();
        expect(response).toHaveLength(0);
      }
    }
  });

  it('throttles the stage by default and the hot routes on their own', () => {
    const [stage] = wsOfType('aws:apigatewayv2/stage:Stage');
    expect(stage.inputs).toMatchObject({ apiId: API_ID, name: STAGE, autoDeploy: true });
    expect(stage.inputs.defaultRouteSettings).toMatchObject({ throttlingRateLimit: 900, throttlingBurstLimit: 450 });
    const hot = Object.fromEntries(stage.inputs.routeSettings.map((s: { routeKey: string }) => [s.routeKey, s]));
    expect(Object.keys(hot).sort()).toEqual(['fireEventsByNode', 'reportDataByNode']);
    for (const setting of Object.values(hot)) {
      expect(setting).toMatchObject({ throttlingRateLimit: 120, throttlingBurstLimit: 60 });
    }
  });

  it('writes access logs to a log group with retention', () => {
    const [stage] = wsOfType('aws:apigatewayv2/stage:Stage');
    const group = ofType('aws:cloudwatch/logGroup:LogGroup').find(
      (g) => g.state.arn === stage.inputs.accessLogSettings.destinationArn,
    );
    expect(group?.inputs.retentionInDays).toBe(7);
    expect(JSON.parse(stage.inputs.accessLogSettings.format)).toHaveProperty('connectionId', '$context.connectionId');
  });

  it("sets the account's API Gateway logging role, with AWS's managed push-to-CloudWatch policy", () => {
    const [account] = ofType('aws:apigateway/account:Account');
    const role = ofType('aws:iam/role:Role').find((r) => r.state.arn === account.inputs.cloudwatchRoleArn)!;
    expect(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal).toEqual({
      Service: 'apigateway.amazonaws.com',
    });
    const attachments = ofType('aws:iam/rolePolicyAttachment:RolePolicyAttachment').filter(
      (a) => a.inputs.role === role.state.name,
    );
    expect(attachments.map((a) => a.inputs.policyArn)).toEqual([
      'arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs',
    ]);
  });
});

describe('Lambda functions', () => {
  it.each(FUNCTIONS)('%s runs index.handler on nodejs22.x, arm64', (fn) => {
    expect(functionOf(fn).inputs).toMatchObject({
      runtime: 'nodejs22.x',
      architectures: ['arm64'],
      handler: 'index.handler',
    });
  });

  it('take memory and timeout from the config', () => {
    for (const fn of FUNCTIONS) {
      expect(functionOf(fn).inputs).toMatchObject({
        memorySize: config[fn].memoryMb,
        timeout: config[fn].timeoutSeconds,
      });
    }
    expect(functionOf('request').inputs).toMatchObject({ memorySize: 1024, timeout: 12 });
    // The sweeper keeps its defaults in this config.
    expect(functionOf('sweep').inputs).toMatchObject({ memorySize: 256, timeout: 60 });
  });

  it('get the table, the topic, the Management API endpoint and the MESH_* settings in their environment', () => {
    const [table] = ofType('aws:dynamodb/table:Table');
    const topic = one('aws:sns/topic:Topic', 'mesh-pushes');
    for (const fn of FUNCTIONS) {
      expect(functionOf(fn).inputs.environment.variables).toMatchObject({
        MESH_TABLE_NAME: table.state.name,
        MESH_TOPIC_ARN: topic.state.arn,
        MESH_MANAGEMENT_ENDPOINT: `https://${API_ID}.execute-api.${REGION}.amazonaws.com/${STAGE}`,
        MESH_MAX_CONNECTION_TIME_SECONDS: '300',
        MESH_HOST_HEARTBEAT_INTERVAL_SECONDS: String(config.settings.hostHeartbeatIntervalSeconds),
        MESH_MEMBER_HEARTBEAT_TTL_SECONDS: String(config.settings.memberHeartbeatTtlSeconds),
        MESH_EVENT_TTL_SECONDS: String(config.settings.eventTtlSeconds),
        MESH_FANOUT_CONCURRENCY: String(config.fanoutConcurrency),
        // mesh:enableSourceMaps is on in this config.
        NODE_OPTIONS: '--enable-source-maps',
      });
    }
  });

  it('get the fan-out window bounds, the stale and the longest flush, and no single window any more', () => {
    for (const fn of FUNCTIONS) {
      const variables = functionOf(fn).inputs.environment.variables;
      expect(variables).toMatchObject({
        MESH_FANOUT_WINDOW_MIN_MS: String(config.fanoutSettings.windowMinMs),
        MESH_FANOUT_WINDOW_MAX_MS: '800',
        MESH_FANOUT_STALE_FLUSH_MS: String(config.fanoutSettings.staleFlushMs),
        MESH_FANOUT_MAX_FLUSH_MS: String(config.fanoutSettings.maxFlushMs),
      });
      expect(variables).not.toHaveProperty('MESH_FANOUT_WINDOW_MS');
      expect(variables).not.toHaveProperty('undefined');
    }
  });

  it('declare no authorizer when no credential is configured: $connect stays open, as in Mesh v2', () => {
    expect(wsOfType('aws:apigatewayv2/authorizer:Authorizer')).toEqual([]);
    const connect = wsOfType('aws:apigatewayv2/route:Route').find((r) => r.inputs.routeKey === '$connect')!;
    expect(connect.inputs.authorizationType).toBeUndefined();
    expect(connect.inputs.authorizerId).toBeUndefined();
    for (const fn of FUNCTIONS) {
      expect(functionOf(fn).inputs.environment.variables).not.toHaveProperty('MESH_AUTH_API_KEYS');
      expect(functionOf(fn).inputs.environment.variables).not.toHaveProperty('MESH_AUTH_JWT_SECRET');
    }
  });

  it('give no function MESH_ADMIN_TOKEN when mesh:adminToken is unset: the console is off', () => {
    for (const fn of FUNCTIONS) {
      expect(functionOf(fn).inputs.environment.variables).not.toHaveProperty('MESH_ADMIN_TOKEN');
    }
  });

  it('give $connect the Origin allow-list of the config', () => {
    expect(functionOf('connect').inputs.environment.variables).toMatchObject({
      MESH_ALLOWED_ORIGINS: 'https://school.example',
    });
  });

  it('hand the domain secret, as a secret, to the two request functions only, the ones that read it', () => {
    const readers: Fn[] = ['request', 'http'];
    for (const fn of readers) {
      expect(functionOf(fn).inputs.environment.variables).toMatchObject({ MESH_DOMAIN_SECRET: DOMAIN_SECRET });
      // Secret in the engine's eyes: encrypted in the state, masked in the CLI.
      expect(isSecretInput(functionOf(fn).rawInputs.environment)).toBe(true);
    }
    for (const fn of FUNCTIONS.filter((name) => !readers.includes(name))) {
      expect(functionOf(fn).inputs.environment.variables).not.toHaveProperty('MESH_DOMAIN_SECRET');
    }
  });

  it("get Powertools' metrics namespace and a service name per stage", () => {
    for (const fn of FUNCTIONS) {
      expect(functionOf(fn).inputs.environment.variables).toMatchObject({
        POWERTOOLS_SERVICE_NAME: `mesh-${STAGE}`,
        POWERTOOLS_METRICS_NAMESPACE: 'Mesh',
      });
    }
  });

  it('log to their own log group, which has a retention', () => {
    const groups = FUNCTIONS.map((fn) => functionOf(fn).inputs.loggingConfig.logGroup);
    expect(new Set(groups).size).toBe(FUNCTIONS.length);
    for (const name of groups) {
      const group = ofType('aws:cloudwatch/logGroup:LogGroup').filter((g) => g.inputs.name === name);
      expect(group.map((g) => g.inputs.retentionInDays)).toEqual([7]);
    }
  });

  it('each have their own role that only Lambda can assume', () => {
    const roles = FUNCTIONS.map((fn) => functionOf(fn).inputs.role);
    expect(new Set(roles).size).toBe(FUNCTIONS.length);
    for (const fn of FUNCTIONS) {
      expect(functionOf(fn).inputs.role).toBe(roleOf(fn).state.arn);
      expect(JSON.parse(roleOf(fn).inputs.assumeRolePolicy).Statement).toEqual([
        { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ]);
    }
  });
});

describe('IAM: least privilege per the contract', () => {
  const tableArn = () => ofType('aws:dynamodb/table:Table')[0].state.arn as string;
  const allPolicyStatements = (): Statement[] => [
    ...ofType('aws:iam/rolePolicy:RolePolicy').flatMap((p) => JSON.parse(p.inputs.policy).Statement),
    ...ofType('aws:sqs/queuePolicy:QueuePolicy').flatMap((p) => JSON.parse(p.inputs.policy).Statement),
  ];

  it('grants no dynamodb, sns, sqs, execute-api or logs action on a wildcard resource', () => {
    const statements = allPolicyStatements();
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      const services = list(statement.Action).map((a) => a.split(':')[0]);
      expect(services.every((s) => ['dynamodb', 'sns', 'sqs', 'execute-api', 'logs'].includes(s))).toBe(true);
      for (const resource of list(statement.Resource)) {
        expect(resource).not.toBe('*');
        // An ARN naming a concrete account, region and resource (a trailing :* or /@connections/* only).
        expect(resource).toMatch(new RegExp(`^arn:aws:[a-z-]+:${REGION}:${ACCOUNT}:[^*]+`));
        // Indexes by name: a new index is readable by no one until iam.ts names it.
        expect(resource).not.toMatch(/\/index\/\*/);
      }
      expect(list(statement.Action).some((a) => a.endsWith(':*') || a === '*')).toBe(false);
    }
  });

  it('gives each function exactly the DynamoDB actions of the contract', () => {
    expect(actionsOf('connect', 'dynamodb:')).toEqual([]);
    expect(actionsOf('disconnect', 'dynamodb:')).toEqual(
      ['dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'].sort(),
    );
    const requestActions = [
      'dynamodb:BatchGetItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ];
    // Scan (of the byDomain index only, below): the console's watchMesh lists every group; http refuses console actions.
    expect(actionsOf('request', 'dynamodb:')).toEqual([...requestActions, 'dynamodb:Scan'].sort());
    expect(actionsOf('http', 'dynamodb:')).toEqual(requestActions.sort());
    // Both append to a group log (PutItem: its sealed pages; GetItem: an append that finds the head full reads it):
    // the fan-out its console reports, the sweeper its presence pushes.
    const logWriterActions = [
      'dynamodb:ConditionCheckItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ];
    expect(actionsOf('fanout', 'dynamodb:')).toEqual(logWriterActions);
    expect(actionsOf('sweep', 'dynamodb:')).toEqual(logWriterActions);
  });

  /** Each DynamoDB resource of a function's role with the actions granted on it. */
  const dynamoGrants = (fn: Fn): Record<string, string[]> => {
    const grants: Record<string, string[]> = {};
    for (const statement of statementsOf(roleOf(fn).state.name)) {
      const actions = list(statement.Action).filter((a) => a.startsWith('dynamodb:'));
      if (actions.length === 0) continue;
      for (const resource of list(statement.Resource))
        grants[resource] = [...(grants[resource] ?? []), ...actions].sort();
    }
    return grants;
  };

  it('scopes DynamoDB to the table, and each index to the functions that query it', () => {
    const table = tableArn();
    expect(dynamoGrants('connect')).toEqual({});
    expect(Object.keys(dynamoGrants('disconnect'))).toEqual([table]);
    expect(Object.keys(dynamoGrants('fanout'))).toEqual([table]);
    const tableActions = actionsOf('http', 'dynamodb:');
    // listGroupsByDomain and searchGroupsByNamePrefix; the request function also scans byDomain (the console's
    // watchMesh: the index holds the group items alone), and nothing of theirs scans the table.
    expect(dynamoGrants('http')).toEqual({
      [table]: tableActions,
      [`${table}/index/byDomain`]: ['dynamodb:Query'],
      [`${table}/index/byName`]: ['dynamodb:Query'],
    });
    expect(dynamoGrants('request')).toEqual({
      [table]: tableActions,
      [`${table}/index/byDomain`]: ['dynamodb:Query', 'dynamodb:Scan'],
      [`${table}/index/byName`]: ['dynamodb:Query'],
    });
  });

  it('lets the sweeper query the byPending and byDrop indexes, read and write items, and nothing more on DynamoDB', () => {
    const table = tableArn();
    expect(dynamoGrants('sweep')).toEqual({
      [`${table}/index/byPending`]: ['dynamodb:Query'],
      [`${table}/index/byDrop`]: ['dynamodb:Query'],
      // Dropping a node: GetItem its group, claim it, append its presence push, remove it.
      [table]: [
        'dynamodb:ConditionCheckItem',
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
      ],
    });
  });

  it('gives the sweeper no grant beyond its log group, the byPending index, the table and the topic', () => {
    const services = statementsOf(roleOf('sweep').state.name).flatMap((s) =>
      list(s.Action).map((a) => a.split(':')[0]),
    );
    expect([...new Set(services)].sort()).toEqual(['dynamodb', 'logs', 'sns']);
  });

  it('lets only request, http, fanout and sweep publish (flush requests), and only to the push topic', () => {
    const topic = one('aws:sns/topic:Topic', 'mesh-pushes');
    for (const fn of FUNCTIONS) {
      const sns = statementsOf(roleOf(fn).state.name).filter((s) => list(s.Action).some((a) => a.startsWith('sns:')));
      if (fn === 'request' || fn === 'http' || fn === 'fanout' || fn === 'sweep') {
        expect(sns).toEqual([expect.objectContaining({ Action: ['sns:Publish'], Resource: [topic.state.arn] })]);
      } else {
        expect(sns).toEqual([]);
      }
    }
  });

  it('lets fanout post to connections and request post and close them, on this API and stage only', () => {
    const on = (method: string) =>
      `arn:aws:execute-api:${REGION}:${ACCOUNT}:${API_ID}/${STAGE}/${method}/@connections/*`;
    for (const fn of FUNCTIONS) {
      const manage = statementsOf(roleOf(fn).state.name).filter((s) =>
        list(s.Action).some((a) => a.startsWith('execute-api:')),
      );
      const resources = manage.flatMap((s) => list(s.Resource)).sort();
      expect(manage.every((s) => list(s.Action).join() === 'execute-api:ManageConnections')).toBe(true);
      // fanout posts the pushes; request posts a flooding connection's last RateLimited frame and closes it.
      if (fn === 'fanout') expect(resources).toEqual([on('POST')]);
      else if (fn === 'request') expect(resources).toEqual([on('DELETE'), on('POST')]);
      else expect(resources).toEqual([]);
    }
  });

  it('lets each function write only to its own log group', () => {
    for (const fn of FUNCTIONS) {
      const group = ofType('aws:cloudwatch/logGroup:LogGroup').find(
        (g) => g.inputs.name === functionOf(fn).inputs.loggingConfig.logGroup,
      )!;
      const logs = statementsOf(roleOf(fn).state.name).filter((s) => list(s.Action).some((a) => a.startsWith('logs:')));
      expect(logs).toEqual([
        expect.objectContaining({
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: [group.state.arn, `${group.state.arn}:*`],
        }),
      ]);
    }
  });

  it('lets only fanout send to the dead-letter queue (its failure destination)', () => {
    const dlq = one('aws:sqs/queue:Queue', 'mesh-pushes-dlq');
    for (const fn of FUNCTIONS) {
      const sqs = statementsOf(roleOf(fn).state.name).filter((s) => list(s.Action).some((a) => a.startsWith('sqs:')));
      expect(sqs).toEqual(
        fn === 'fanout' ? [expect.objectContaining({ Action: ['sqs:SendMessage'], Resource: [dlq.state.arn] })] : [],
      );
    }
  });
});

describe('DynamoDB table', () => {
  it('has the keys and every attribute and index of the shared table definition', () => {
    const [table] = ofType('aws:dynamodb/table:Table');
    expect(table.inputs).toMatchObject({
      billingMode: 'PAY_PER_REQUEST',
      hashKey: MESH_TABLE.partitionKey,
      rangeKey: MESH_TABLE.sortKey,
    });
    expect(table.inputs.hashKey).toBe('pk');
    expect(table.inputs.rangeKey).toBe('sk');
    expect(table.inputs.attributes).toEqual(MESH_TABLE.attributes.map((a) => ({ name: a.name, type: a.type })));
    expect(table.inputs.globalSecondaryIndexes).toEqual(
      MESH_TABLE.globalSecondaryIndexes.map((index) => ({
        name: index.name,
        hashKey: index.partitionKey,
        rangeKey: index.sortKey,
        projectionType: index.projectionType,
      })),
    );
  });

  it("has the byDomain and byName indexes (whole groups) and the byPending and byDrop indexes (keys only, the sweeper's work lists)", () => {
    const [table] = ofType('aws:dynamodb/table:Table');
    expect(table.inputs.globalSecondaryIndexes).toEqual([
      { name: 'byDomain', hashKey: 'gsi1pk', rangeKey: 'gsi1sk', projectionType: 'ALL' },
      { name: 'byPending', hashKey: 'gsi2pk', rangeKey: 'gsi2sk', projectionType: 'KEYS_ONLY' },
      { name: 'byName', hashKey: 'gsi3pk', rangeKey: 'gsi3sk', projectionType: 'ALL' },
      { name: 'byDrop', hashKey: 'gsi4pk', rangeKey: 'gsi4sk', projectionType: 'KEYS_ONLY' },
    ]);
  });

  it('declares exactly the attributes that some key uses (DynamoDB refuses any other)', () => {
    const [table] = ofType('aws:dynamodb/table:Table');
    const keys = [
      table.inputs.hashKey,
      table.inputs.rangeKey,
      ...table.inputs.globalSecondaryIndexes.flatMap((index: { hashKey: string; rangeKey: string }) => [
        index.hashKey,
        index.rangeKey,
      ]),
    ];
    expect(table.inputs.attributes.map((a: { name: string }) => a.name).sort()).toEqual([...new Set(keys)].sort());
  });

  it('expires items by the ttl attribute', () => {
    const [table] = ofType('aws:dynamodb/table:Table');
    expect(table.inputs.ttl).toEqual({ attributeName: 'ttl', enabled: true });
  });

  it('follows the config for point-in-time recovery', async () => {
    const [table] = ofType('aws:dynamodb/table:Table');
    expect(table.inputs.pointInTimeRecovery).toEqual({ enabled: false });

    const { MeshTable } = await import('../../infra/components/table');
    new MeshTable('pitr-default');
    await settled();
    expect(one('aws:dynamodb/table:Table', 'pitr-default').inputs.pointInTimeRecovery).toEqual({ enabled: true });
  });
});

describe('SNS fan-out', () => {
  it('is a standard topic (Lambda cannot subscribe to FIFO topics)', () => {
    expect(one('aws:sns/topic:Topic', 'mesh-pushes').inputs.fifoTopic).toBe(false);
  });

  it('subscribes the fanout function with a redrive policy to the dead-letter queue', () => {
    const topic = one('aws:sns/topic:Topic', 'mesh-pushes');
    const dlq = one('aws:sqs/queue:Queue', 'mesh-pushes-dlq');
    const subscription = one('aws:sns/topicSubscription:TopicSubscription', 'mesh-pushes');
    expect(subscription.inputs).toMatchObject({
      topic: topic.state.arn,
      protocol: 'lambda',
      endpoint: functionOf('fanout').state.arn,
    });
    expect(JSON.parse(subscription.inputs.redrivePolicy)).toEqual({ deadLetterTargetArn: dlq.state.arn });
  });

  it('lets SNS write dead letters to the queue, from this topic only', () => {
    const topic = one('aws:sns/topic:Topic', 'mesh-pushes');
    const dlq = one('aws:sqs/queue:Queue', 'mesh-pushes-dlq');
    const [policy] = ofType('aws:sqs/queuePolicy:QueuePolicy');
    expect(policy.inputs.queueUrl).toBe(dlq.state.url);
    expect(JSON.parse(policy.inputs.policy).Statement).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: dlq.state.arn,
        Condition: { ArnEquals: { 'aws:SourceArn': topic.state.arn } },
      }),
    ]);
  });

  it('lets SNS invoke the fanout function, from this topic only', () => {
    const topic = one('aws:sns/topic:Topic', 'mesh-pushes');
    const fromSns = ofType('aws:lambda/permission:Permission').filter(
      (p) => p.inputs.principal === 'sns.amazonaws.com',
    );
    expect(fromSns.map((p) => p.inputs)).toEqual([
      expect.objectContaining({
        action: 'lambda:InvokeFunction',
        function: functionOf('fanout').state.name,
        sourceArn: topic.state.arn,
      }),
    ]);
  });

  it("sends the fanout function's failed events to the same dead-letter queue", () => {
    const dlq = one('aws:sqs/queue:Queue', 'mesh-pushes-dlq');
    const invokeConfig = one('aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig', 'mesh-pushes');
    expect(invokeConfig.inputs).toMatchObject({
      functionName: functionOf('fanout').state.name,
      destinationConfig: { onFailure: { destination: dlq.state.arn } },
    });
  });
});

describe('sweep schedule', () => {
  const rule = () => one('aws:cloudwatch/eventRule:EventRule', 'mesh-sweep');

  it('runs the sweeper on a rate of the configured minutes', () => {
    expect(ofType('aws:cloudwatch/eventRule:EventRule')).toHaveLength(1);
    expect(rule().inputs.scheduleExpression).toBe('rate(2 minutes)');
    expect(rule().inputs.eventPattern).toBeUndefined();
  });

  it('targets the sweep function, and only it', () => {
    const targets = ofType('aws:cloudwatch/eventTarget:EventTarget');
    expect(targets.map((t) => t.inputs)).toEqual([
      expect.objectContaining({ rule: rule().state.name, arn: functionOf('sweep').state.arn }),
    ]);
  });

  it('lets EventBridge invoke the sweep function, from this rule only', () => {
    const fromEvents = ofType('aws:lambda/permission:Permission').filter(
      (p) => p.inputs.principal === 'events.amazonaws.com',
    );
    expect(fromEvents.map((p) => p.inputs)).toEqual([
      expect.objectContaining({
        action: 'lambda:InvokeFunction',
        function: functionOf('sweep').state.name,
        sourceArn: rule().state.arn,
      }),
    ]);
    expect(rule().state.arn).toBe(`arn:aws:events:${REGION}:${ACCOUNT}:rule/mesh-sweep`);
  });

  it('does not retry a failed or late run (the next run sweeps the same groups)', () => {
    expect(one('aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig', 'mesh-sweep').inputs).toEqual(
      expect.objectContaining({
        functionName: functionOf('sweep').state.name,
        maximumRetryAttempts: 0,
        maximumEventAgeInSeconds: 120,
      }),
    );
    expect(
      one('aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig', 'mesh-sweep').inputs.destinationConfig,
    ).toBeUndefined();
  });

  it('writes one minute in the singular, as EventBridge requires', async () => {
    const { rateExpression, SweepSchedule } = await import('../../infra/components/sweep');
    expect([1, 2, 15].map(rateExpression)).toEqual(['rate(1 minute)', 'rate(2 minutes)', 'rate(15 minutes)']);

    const { MeshFunction } = await import('../../infra/components/functions');
    const pulumiSdk: typeof pulumi = await import('@pulumi/pulumi');
    const sweeper = new MeshFunction('every-minute', {
      fn: 'sweep',
      code: new pulumiSdk.asset.AssetArchive({}),
      size: config.sweep,
      environment: {},
      logRetentionDays: 1,
      resources: {
        tableArn: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/t`,
        topicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:t`,
        manageConnectionsArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:a/s/POST/@connections/*`,
        closeConnectionsArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:a/s/DELETE/@connections/*`,
      },
    });
    new SweepSchedule('every-minute', { sweeper, intervalMinutes: 1 });
    await settled();
    expect(one('aws:cloudwatch/eventRule:EventRule', 'every-minute').inputs.scheduleExpression).toBe('rate(1 minute)');
    expect(
      one('aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig', 'every-minute').inputs
        .maximumEventAgeInSeconds,
    ).toBe(60);
  });
});

describe('alarms', () => {
  const alarms = () => ofType('aws:cloudwatch/metricAlarm:MetricAlarm');

  it('watch errors and throttles of every function', () => {
    for (const fn of FUNCTIONS) {
      const metrics = alarms()
        .filter(
          (a) => a.inputs.namespace === 'AWS/Lambda' && a.inputs.dimensions.FunctionName === functionOf(fn).state.name,
        )
        .map((a) => a.inputs.metricName)
        .sort();
      expect(metrics).toEqual(['Errors', 'Throttles']);
    }
  });

  it('fire on any message in the dead-letter queue', () => {
    const dlq = one('aws:sqs/queue:Queue', 'mesh-pushes-dlq');
    const depth = alarms().filter((a) => a.inputs.dimensions.QueueName === dlq.state.name);
    expect(depth.map((a) => a.inputs)).toEqual([
      expect.objectContaining({
        metricName: 'ApproximateNumberOfMessagesVisible',
        comparisonOperator: 'GreaterThanThreshold',
        threshold: 0,
      }),
    ]);
  });

  it("watch the API stage's integration and execution errors", () => {
    const api = alarms().filter((a) => a.inputs.namespace === 'AWS/ApiGateway');
    expect(api.map((a) => a.inputs.metricName).sort()).toEqual(['ExecutionError', 'IntegrationError']);
    for (const alarm of api) expect(alarm.inputs.dimensions).toEqual({ ApiId: API_ID, Stage: STAGE });
  });

  it('fire on any post the fan-out gave up, in 5 minutes, from the Mesh metrics the functions emit', () => {
    const matching = alarms().filter((a) => a.inputs.metricName === 'AbandonedPosts');
    expect(matching).toHaveLength(1);
    const [abandoned] = matching;
    expect(abandoned.inputs).toMatchObject({
      namespace: 'Mesh',
      dimensions: { service: `mesh-${STAGE}` },
      statistic: 'Sum',
      period: 300,
      evaluationPeriods: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      threshold: 1,
      treatMissingData: 'notBreaching',
    });
  });

  it('fire on any flush the sweeper restarted, in 15 minutes', () => {
    const matching = alarms().filter((a) => a.inputs.metricName === 'FlushesRestarted');
    expect(matching).toHaveLength(1);
    const [restarted] = matching;
    expect(restarted.inputs).toMatchObject({
      namespace: 'Mesh',
      dimensions: { service: `mesh-${STAGE}` },
      statistic: 'Sum',
      period: 900,
      evaluationPeriods: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      threshold: 1,
      treatMissingData: 'notBreaching',
    });
  });

  it('fire on InternalError replies in two 5-minute periods in a row, not on one blip', () => {
    const matching = alarms().filter((a) => a.inputs.namespace === 'Mesh' && a.inputs.metricName === 'Errors');
    expect(matching).toHaveLength(1);
    expect(matching[0].inputs).toMatchObject({
      dimensions: { service: `mesh-${STAGE}` },
      statistic: 'Sum',
      period: 300,
      evaluationPeriods: 2,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      threshold: 1,
      treatMissingData: 'notBreaching',
    });
  });

  it('fire on more than one RateLimited refusal a second over 5 minutes', () => {
    const matching = alarms().filter((a) => a.inputs.metricName === 'RateLimited');
    expect(matching).toHaveLength(1);
    expect(matching[0].inputs).toMatchObject({
      namespace: 'Mesh',
      dimensions: { service: `mesh-${STAGE}` },
      statistic: 'Sum',
      period: 300,
      evaluationPeriods: 1,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: 300,
      treatMissingData: 'notBreaching',
    });
  });

  it("watch the Mesh metrics under exactly the namespace and service the functions' Powertools writes", () => {
    const mesh = alarms().filter((a) => a.inputs.namespace !== undefined && !a.inputs.namespace.startsWith('AWS/'));
    expect(mesh.map((a) => a.inputs.metricName).sort()).toEqual([
      'AbandonedPosts',
      'Errors',
      'FlushesRestarted',
      'RateLimited',
    ]);
    for (const fn of ['request', 'http', 'fanout', 'sweep'] as const) {
      const variables = functionOf(fn).inputs.environment.variables;
      for (const alarm of mesh) {
        expect(alarm.inputs.namespace).toBe(variables.POWERTOOLS_METRICS_NAMESPACE);
        expect(alarm.inputs.dimensions).toEqual({ service: variables.POWERTOOLS_SERVICE_NAME });
      }
    }
  });

  it('mail the configured address through their own topic', () => {
    const [mail] = ofType('aws:sns/topicSubscription:TopicSubscription').filter((s) => s.inputs.protocol === 'email');
    expect(mail.inputs.endpoint).toBe('ops@example.com');
    for (const alarm of alarms()) expect(alarm.inputs.alarmActions).toEqual([mail.inputs.topic]);
  });
});

describe('stack outputs', () => {
  it('give the wss:// URL, the Management API endpoint, the table and the topic', async () => {
    expect(await valueOf(outputs.url)).toBe(`wss://${API_ID}.execute-api.${REGION}.amazonaws.com/${STAGE}`);
    expect(await valueOf(outputs.managementEndpoint)).toBe(
      `https://${API_ID}.execute-api.${REGION}.amazonaws.com/${STAGE}`,
    );
    expect(await valueOf(outputs.tableName)).toBe(ofType('aws:dynamodb/table:Table')[0].state.name);
    expect(await valueOf(outputs.topicArn)).toBe(one('aws:sns/topic:Topic', 'mesh-pushes').state.arn);
    expect(await valueOf(outputs.topicName)).toBe('mesh-pushes');
    expect(Object.keys(await valueOf(outputs.functionNames)).sort()).toEqual([...FUNCTIONS].sort());
  });

  it("give the operator console's URL even without mesh:adminToken (the page then says the console is off)", async () => {
    expect(await valueOf(outputs.consoleUrl)).toBe(
      `https://${HTTP_API_ID}.execute-api.${REGION}.amazonaws.com/console/#wsUrl=${encodeURIComponent(
        `wss://${API_ID}.execute-api.${REGION}.amazonaws.com/${STAGE}`,
      )}`,
    );
  });
});
