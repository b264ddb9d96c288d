/**
 * The Pulumi program with the $connect authorizer on (under Pulumi's mocks):
 * a JWKS URL in the config and both authorizer secrets set. It declares a
 * REQUEST authorizer reading the `token` query parameter and backed by the
 * authorize function, lets API Gateway invoke that function as this
 * authorizer only, puts $connect behind it, and hands the credentials, as
 * secrets, to the authorize function alone. (program.test.ts declares the
 * same program with no credential: no authorizer at all.)
 */
import type * as pulumi from '@pulumi/pulumi';
import { ACCOUNT, API_ID, installMocks, isSecretInput, REGION, settled, type Declared, ofHttpApi } from './mocks';

const STAGE = 'school';
const API_KEYS = 'ops:an-api-key-of-the-authorizer-test-0123';
const JWT_SECRET = 'an-hs256-secret-of-the-authorizer-test-0123456789';
const JWKS_URL = 'https://id.school.example/.well-known/jwks.json';

let declared: Declared[];
const ofType = (type: string) => declared.filter((r) => r.type === type);
/** The WebSocket API's resources of a type (the HTTPS endpoint's are test/infra/http-api.test.ts's). */
const wsOfType = (type: string) => ofType(type).filter((r) => !ofHttpApi(r));
const functionOf = (fn: string) => ofType('aws:lambda/function:Function').find((r) => r.name === `mesh-${fn}`)!;

beforeAll(async () => {
  declared = await installMocks(STAGE);
  const { CONFIG_DEFAULTS } = await import('../../infra/config');
  const { declareMesh } = await import('../../infra/program');
  const pulumiSdk: typeof pulumi = await import('@pulumi/pulumi');
  declareMesh(
    { ...CONFIG_DEFAULTS, stageName: STAGE, authJwksUrl: JWKS_URL, authJwtIssuer: 'https://id.school.example/' },
    () => new pulumiSdk.asset.AssetArchive({}),
    {
      domainSecret: pulumiSdk.secret('a-domain-secret-of-the-authorizer-test'),
      authApiKeys: pulumiSdk.secret(API_KEYS),
      authJwtSecret: pulumiSdk.secret(JWT_SECRET),
    },
  );
  await settled();
}, 60_000);

describe('with a credential configured', () => {
  it('declares one REQUEST authorizer on the API, reading the token query parameter, backed by the authorize function', () => {
    const authorizers = wsOfType('aws:apigatewayv2/authorizer:Authorizer');
    expect(authorizers).toHaveLength(1);
    expect(authorizers[0].inputs).toMatchObject({
      apiId: API_ID,
      authorizerType: 'REQUEST',
      identitySources: ['route.request.querystring.token'],
      authorizerUri: functionOf('authorize').state.invokeArn,
    });
  });

  it('lets API Gateway invoke the authorize function as that authorizer only', () => {
    const [authorizer] = wsOfType('aws:apigatewayv2/authorizer:Authorizer');
    // The HTTPS endpoint's own authorizer permission is test/infra/http-api.test.ts's.
    const permissions = ofType('aws:lambda/permission:Permission').filter(
      (p) => p.inputs.function === functionOf('authorize').state.name && p.inputs.sourceArn.includes(`:${API_ID}/`),
    );
    expect(permissions.map((p) => p.inputs)).toEqual([
      expect.objectContaining({
        action: 'lambda:InvokeFunction',
        principal: 'apigateway.amazonaws.com',
        sourceArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${API_ID}/authorizers/${authorizer.id}`,
      }),
    ]);
  });

  it('puts $connect behind it, and no other route (WebSocket APIs authorize at connect only)', () => {
    const [authorizer] = wsOfType('aws:apigatewayv2/authorizer:Authorizer');
    const routes = wsOfType('aws:apigatewayv2/route:Route');
    const guarded = routes.filter((r) => r.inputs.authorizationType === 'CUSTOM');
    expect(guarded.map((r) => [r.inputs.routeKey, r.inputs.authorizerId])).toEqual([['$connect', authorizer.id]]);
  });

  it('hands the credentials to the authorize function alone, as secrets, and the JWT checks as settings', () => {
    const variables = functionOf('authorize').inputs.environment.variables;
    expect(variables).toMatchObject({
      MESH_AUTH_API_KEYS: API_KEYS,
      MESH_AUTH_JWT_SECRET: JWT_SECRET,
      MESH_AUTH_JWKS_URL: JWKS_URL,
      MESH_AUTH_JWT_ISSUER: 'https://id.school.example/',
      MESH_AUTH_JWT_AUDIENCE: '',
    });
    expect(isSecretInput(functionOf('authorize').rawInputs.environment)).toBe(true);
    for (const fn of ['connect', 'disconnect', 'request', 'http', 'fanout', 'sweep']) {
      expect(functionOf(fn).inputs.environment.variables).not.toHaveProperty('MESH_AUTH_API_KEYS');
      expect(functionOf(fn).inputs.environment.variables).not.toHaveProperty('MESH_AUTH_JWT_SECRET');
    }
  });

  it('gives the authorize function a role that may only write its own logs', () => {
    const role = functionOf('authorize').inputs.role;
    const policies = ofType('aws:iam/rolePolicy:RolePolicy').filter((p) => role.endsWith(`/${p.inputs.role}`));
    const actions = policies.flatMap((p) =>
      (JSON.parse(p.inputs.policy).Statement as { Action: string[] }[]).flatMap((s) => s.Action),
    );
    expect(actions.sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
  });
});
