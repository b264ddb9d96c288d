/**
 * The HTTPS endpoint for polling nodes under Pulumi's mocks, declared with a
 * credential configured and an Origin allow-list: an HTTP API with CORS for
 * those origins, one route `POST /` to the http function through a Lambda
 * proxy integration (payload 2.0), guarded by the same authorizer function as
 * $connect, a throttled, access-logged `$default` stage, and permissions
 * scoped to that route and that authorizer. The http function's role has the
 * table and the topic, and no Management API. (The operator console's routes
 * on the same API are test/infra/console-site.test.ts's.)
 */
import type * as pulumi from '@pulumi/pulumi';
import type { MeshOutputs } from '../../infra/program';
import { ACCOUNT, HTTP_API_ID, installMocks, REGION, settled, valueOf, type Declared } from './mocks';
import { CONSOLE_ROUTES } from '../../infra/components/console-site';

const STAGE = 'school';
const ORIGINS = 'https://school.example,https://editor.school.example';

let declared: Declared[];
let outputs: MeshOutputs;
const ofType = (type: string) => declared.filter((r) => r.type === type);
const httpOfType = (type: string) => ofType(type).filter((r) => r.inputs.apiId === HTTP_API_ID || r.id === HTTP_API_ID);
const consoleRouteKeys: readonly string[] = CONSOLE_ROUTES.map((route) => route.routeKey);
/** The polling endpoint's routes: every route of the HTTP API but the console page's. */
const pollingRoutes = () =>
  httpOfType('aws:apigatewayv2/route:Route').filter((r) => !consoleRouteKeys.includes(r.inputs.routeKey));
const functionOf = (fn: string) => ofType('aws:lambda/function:Function').find((r) => r.name === `mesh-${fn}`)!;
const executionArn = `arn:aws:execute-api:${REGION}:${ACCOUNT}:${HTTP_API_ID}`;

beforeAll(async () => {
  declared = await installMocks(STAGE);
  const { CONFIG_DEFAULTS } = await import('../../infra/config');
  const { declareMesh } = await import('../../infra/program');
  const pulumiSdk: typeof pulumi = await import('@pulumi/pulumi');
  outputs = declareMesh(
    {
      ...CONFIG_DEFAULTS,
      stageName: STAGE,
      allowedOrigins: ORIGINS,
      httpThrottle: { rateLimit: 200, burstLimit: 100 },
      http: { memoryMb: 768, timeoutSeconds: 8 },
    },
    () => new pulumiSdk.asset.AssetArchive({}),
    {
      domainSecret: pulumiSdk.secret('a-domain-secret-of-the-http-api-test'),
      authApiKeys: pulumiSdk.secret('ops:an-api-key-of-the-http-api-test-0123'),
    },
  );
  await settled();
}, 60_000);

describe('the HTTPS endpoint', () => {
  it('is an HTTP API whose CORS allows the configured origins, POST and a JSON body, and caches preflights', () => {
    const [api] = httpOfType('aws:apigatewayv2/api:Api');
    expect(api.inputs.protocolType).toBe('HTTP');
    expect(api.inputs.corsConfiguration).toEqual({
      allowOrigins: ['https://school.example', 'https://editor.school.example'],
      allowMethods: ['POST'],
      allowHeaders: ['content-type'],
      maxAge: 600,
    });
  });

  it('has one route, POST /, to a payload-2.0 Lambda proxy integration of the http function', () => {
    const routes = pollingRoutes();
    expect(routes.map((r) => r.inputs.routeKey)).toEqual(['POST /']);
    const integration = httpOfType('aws:apigatewayv2/integration:Integration').find(
      (i) => `integrations/${i.id}` === routes[0].inputs.target,
    )!;
    expect(integration.inputs).toMatchObject({
      integrationType: 'AWS_PROXY',
      payloadFormatVersion: '2.0',
      integrationUri: functionOf('http').state.invokeArn,
    });
    expect(functionOf('http').inputs).toMatchObject({ memorySize: 768, timeout: 8 });
  });

  it('puts the route behind the authorize function, reading the same token query parameter, uncached', () => {
    const [authorizer] = httpOfType('aws:apigatewayv2/authorizer:Authorizer');
    expect(authorizer.inputs).toMatchObject({
      authorizerType: 'REQUEST',
      identitySources: ['$request.querystring.token'],
      authorizerUri: functionOf('authorize').state.invokeArn,
      authorizerPayloadFormatVersion: '1.0',
      authorizerResultTtlInSeconds: 0,
    });
    const [route] = pollingRoutes();
    expect(route.inputs).toMatchObject({ authorizationType: 'CUSTOM', authorizerId: authorizer.id });
  });

  it('lets API Gateway invoke the http function for this route only, and the authorizer as this authorizer only', () => {
    const permissions = ofType('aws:lambda/permission:Permission').filter(
      (p) => p.inputs.sourceArn.startsWith(`${executionArn}/`) && !p.inputs.sourceArn.includes('/GET/console'),
    );
    const [authorizer] = httpOfType('aws:apigatewayv2/authorizer:Authorizer');
    expect(permissions.map((p) => [p.inputs.function, p.inputs.sourceArn]).sort()).toEqual(
      [
        [functionOf('http').state.name, `${executionArn}/*/POST/`],
        [functionOf('authorize').state.name, `${executionArn}/authorizers/${authorizer.id}`],
      ].sort(),
    );
    for (const permission of permissions) expect(permission.inputs.principal).toBe('apigateway.amazonaws.com');
  });

  it('throttles its $default stage as configured and writes access logs with retention', () => {
    const [stage] = httpOfType('aws:apigatewayv2/stage:Stage');
    expect(stage.inputs).toMatchObject({
      name: '$default',
      autoDeploy: true,
      defaultRouteSettings: { throttlingRateLimit: 200, throttlingBurstLimit: 100 },
    });
    const group = ofType('aws:cloudwatch/logGroup:LogGroup').find(
      (g) => g.state.arn === stage.inputs.accessLogSettings.destinationArn,
    )!;
    expect(group.inputs).toMatchObject({ name: `/mesh/${STAGE}/http-access`, retentionInDays: 14 });
  });

  it('gives the http function the table and the topic, and no way to post to or close connections', () => {
    const role = functionOf('http').inputs.role as string;
    const statements = ofType('aws:iam/rolePolicy:RolePolicy')
      .filter((p) => role.endsWith(`/${p.inputs.role}`))
      .flatMap((p) => JSON.parse(p.inputs.policy).Statement as { Action: string[] }[]);
    const actions = statements.flatMap((s) => s.Action);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:UpdateItem', 'dynamodb:Query', 'sns:Publish']));
    expect(actions.filter((a) => a.startsWith('execute-api:'))).toEqual([]);
  });

  it('exports the URL to POST to', async () => {
    expect(await valueOf(outputs.httpUrl)).toBe(`https://${HTTP_API_ID}.execute-api.${REGION}.amazonaws.com/`);
  });
});
