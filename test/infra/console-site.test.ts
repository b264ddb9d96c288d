/**
 * The operator console's page under Pulumi's mocks, declared with an admin
 * token and a credential configured: two routes on the HTTPS endpoint's HTTP
 * API, `GET /console` and `GET /console/{file}`, outside its authorizer, to a
 * payload-2.0 Lambda proxy integration of the console-site function, which
 * runs the console-site bundle, may be invoked for those routes only and may
 * write its own log and nothing else; the consoleUrl output opens the page
 * with the WebSocket stage's URL in the hash the page reads, and without the
 * token. The token itself goes to the request function alone. (Without a
 * token the page is deployed all the same: test/infra/program.test.ts.)
 */
import type * as pulumi from '@pulumi/pulumi';
import type { MeshOutputs } from '../../infra/program';
import { parseHash } from '../../console/params';
import {
  ACCOUNT,
  API_ID,
  HTTP_API_ID,
  installMocks,
  isSecretInput,
  ofHttpApi,
  REGION,
  settled,
  valueOf,
  type Declared,
} from './mocks';

const STAGE = 'ops';
const ADMIN_TOKEN = 'an-admin-token-of-the-console-site-test';
const FUNCTIONS = ['connect', 'disconnect', 'request', 'http', 'fanout', 'sweep', 'authorize'];
const executionArn = `arn:aws:execute-api:${REGION}:${ACCOUNT}:${HTTP_API_ID}`;

let declared: Declared[];
let outputs: MeshOutputs;
let pulumiSdk: typeof pulumi;
/** The bundles the program asked for, in order. */
const requested: string[] = [];

const ofType = (type: string) => declared.filter((r) => r.type === type);
const one = (type: string, name: string) => {
  const found = declared.filter((r) => r.type === type && r.name === name);
  if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
  return found[0];
};
const consoleFunction = () => one('aws:lambda/function:Function', 'mesh-console');
const functionOf = (fn: string) => one('aws:lambda/function:Function', `mesh-${fn}`);
const consoleRoutes = () =>
  ofType('aws:apigatewayv2/route:Route').filter((r) => ofHttpApi(r) && r.inputs.routeKey.startsWith('GET /console'));
const integrationOf = (route: Declared) =>
  ofType('aws:apigatewayv2/integration:Integration').find((i) => `integrations/${i.id}` === route.inputs.target)!;

beforeAll(async () => {
  declared = await installMocks(STAGE);
  const { CONFIG_DEFAULTS } = await import('../../infra/config');
  const { declareMesh } = await import('../../infra/program');
  pulumiSdk = await import('@pulumi/pulumi');
  outputs = declareMesh(
    { ...CONFIG_DEFAULTS, stageName: STAGE, logRetentionDays: 30 },
    (bundle) => {
      requested.push(bundle);
      return new pulumiSdk.asset.AssetArchive({});
    },
    {
      domainSecret: pulumiSdk.secret('a-domain-secret-of-the-console-site-test'),
      adminToken: pulumiSdk.secret(ADMIN_TOKEN),
      authApiKeys: pulumiSdk.secret('ops:an-api-key-of-the-console-site-test'),
    },
  );
  await settled();
}, 60_000);

describe("the console's page", () => {
  it("is served on the HTTPS endpoint's HTTP API by two routes, GET /console and GET /console/{file}", () => {
    expect(consoleRoutes().map((r) => r.inputs.routeKey)).toEqual(['GET /console', 'GET /console/{file}']);
    for (const route of consoleRoutes()) expect(route.inputs.apiId).toBe(HTTP_API_ID);
    // Beside the polling endpoint's one route, and none on the WebSocket API.
    expect(
      ofType('aws:apigatewayv2/route:Route')
        .filter(ofHttpApi)
        .map((r) => r.inputs.routeKey)
        .sort(),
    ).toEqual(['GET /console', 'GET /console/{file}', 'POST /']);
    expect(
      ofType('aws:apigatewayv2/route:Route')
        .filter((r) => r.inputs.apiId === API_ID)
        .map((r) => r.inputs.routeKey),
    ).not.toContain('GET /console');
  });

  it('routes both to one payload-2.0 Lambda proxy integration of the console-site function', () => {
    const [page, file] = consoleRoutes().map(integrationOf);
    expect(page.id).toBe(file.id);
    expect(page.inputs).toMatchObject({
      apiId: HTTP_API_ID,
      integrationType: 'AWS_PROXY',
      payloadFormatVersion: '2.0',
      integrationUri: consoleFunction().state.invokeArn,
    });
  });

  it('leaves both routes outside the authorizer that guards POST /: the page holds no secret', () => {
    for (const route of consoleRoutes()) {
      expect(route.inputs.authorizationType).toBeUndefined();
      expect(route.inputs.authorizerId).toBeUndefined();
    }
    const polling = ofType('aws:apigatewayv2/route:Route').find((r) => ofHttpApi(r) && r.inputs.routeKey === 'POST /')!;
    expect(polling.inputs.authorizationType).toBe('CUSTOM');
  });

  it('lets API Gateway invoke the console-site function for these two routes only, in any stage', () => {
    const permissions = ofType('aws:lambda/permission:Permission').filter(
      (p) => p.inputs.function === consoleFunction().state.name,
    );
    expect(permissions.map((p) => p.inputs.sourceArn).sort()).toEqual([
      `${executionArn}/*/GET/console`,
      `${executionArn}/*/GET/console/*`,
    ]);
    for (const permission of permissions) {
      expect(permission.inputs).toMatchObject({
        action: 'lambda:InvokeFunction',
        principal: 'apigateway.amazonaws.com',
      });
    }
  });

  it('exports consoleUrl: the page, with the WebSocket stage in the hash the page reads, and no admin token', async () => {
    const consoleUrl = await valueOf(outputs.consoleUrl);
    const wsUrl = await valueOf(outputs.url);
    expect(wsUrl).toBe(`wss://${API_ID}.execute-api.${REGION}.amazonaws.com/${STAGE}`);
    expect(consoleUrl).toBe(
      `https://${HTTP_API_ID}.execute-api.${REGION}.amazonaws.com/console/#wsUrl=${encodeURIComponent(wsUrl)}`,
    );
    expect(parseHash(new URL(consoleUrl).hash)).toEqual({ wsUrl });
    expect(consoleUrl).not.toContain(ADMIN_TOKEN);
    expect(await pulumiSdk.isSecret(outputs.consoleUrl)).toBe(false);
  });
});

describe('the console-site function', () => {
  it('is given the console-site bundle, and runs index.handler on nodejs22.x, arm64, with the least memory', () => {
    // Every bundle once: each mesh function's, and the console-site's (the mocks do not show an archive's contents).
    expect([...requested].sort()).toEqual([...FUNCTIONS, 'console-site'].sort());
    expect(consoleFunction().inputs).toMatchObject({
      runtime: 'nodejs22.x',
      architectures: ['arm64'],
      handler: 'index.handler',
      memorySize: 128,
      timeout: 3,
    });
  });

  it('is given no environment: no table, no topic, no secret', () => {
    expect(consoleFunction().inputs.environment).toBeUndefined();
  });

  it("logs to its own log group, with the stack's retention", () => {
    const group = ofType('aws:cloudwatch/logGroup:LogGroup').find(
      (g) => g.inputs.name === consoleFunction().inputs.loggingConfig.logGroup,
    )!;
    expect(group.inputs).toEqual({ name: `/mesh/${STAGE}/lambda/console-site`, retentionInDays: 30 });
  });

  it('has a role of its own, which only Lambda assumes and which may write that log group and nothing else', () => {
    const role = one('aws:iam/role:Role', 'mesh-console');
    expect(consoleFunction().inputs.role).toBe(role.state.arn);
    expect(JSON.parse(role.inputs.assumeRolePolicy).Statement).toEqual([
      { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ]);
    const group = ofType('aws:cloudwatch/logGroup:LogGroup').find(
      (g) => g.inputs.name === `/mesh/${STAGE}/lambda/console-site`,
    )!;
    const policies = ofType('aws:iam/rolePolicy:RolePolicy').filter((p) => p.inputs.role === role.state.name);
    expect(policies.flatMap((p) => JSON.parse(p.inputs.policy).Statement)).toEqual([
      {
        Sid: 'WriteOwnLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: [group.state.arn, `${group.state.arn}:*`],
      },
    ]);
    // Nor a managed policy.
    expect(
      ofType('aws:iam/rolePolicyAttachment:RolePolicyAttachment').filter((a) => a.inputs.role === role.state.name),
    ).toEqual([]);
  });
});

describe('the admin token', () => {
  it('goes to the request function, as a secret', () => {
    expect(functionOf('request').inputs.environment.variables).toMatchObject({ MESH_ADMIN_TOKEN: ADMIN_TOKEN });
    expect(isSecretInput(functionOf('request').rawInputs.environment)).toBe(true);
  });

  it('goes to no other function: the http function refuses console actions, the fan-out only posts', () => {
    for (const fn of FUNCTIONS.filter((name) => name !== 'request')) {
      expect(functionOf(fn).inputs.environment.variables).not.toHaveProperty('MESH_ADMIN_TOKEN');
    }
    expect(JSON.stringify(consoleFunction().inputs)).not.toContain(ADMIN_TOKEN);
  });
});
