/**
 * The authorize function as API Gateway invokes it: a REQUEST event of
 * $connect. It answers an Allow policy for the route with the principal as
 * context, which callerOf reads back from every later event; or throws
 * "Unauthorized" (API Gateway's 401), logging why for the operator only.
 */
import { SignJWT } from 'jose';
import type { AuthorizerEvent, WebSocketEvent } from '#shared/lambda/events';
import { callerOf, MalformedEvent } from '#shared/lambda/events';
import { captureLogs, fixture, lambdaContext, setHandlerEnv } from './support';

type AuthorizeModule = typeof import('#handlers/authorize');

const JWT_SECRET = 'an-hs256-secret-of-the-authorize-tests-0123';
const API_KEY = 'an-api-key-of-the-authorize-tests-012345';
const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/$connect';

let authorize: AuthorizeModule['handler'];
let logs: ReturnType<typeof captureLogs>;

beforeAll(() => {
  setHandlerEnv();
  Object.assign(process.env, { MESH_AUTH_JWT_SECRET: JWT_SECRET, MESH_AUTH_API_KEYS: `ops:${API_KEY}` });
  ({ handler: authorize } = require('#handlers/authorize') as AuthorizeModule);
});

afterAll(() => {
  delete process.env.MESH_AUTH_JWT_SECRET;
  delete process.env.MESH_AUTH_API_KEYS;
});

beforeEach(() => {
  logs = captureLogs();
});

afterEach(() => logs.restore());

function requestEvent(query?: Record<string, string>): AuthorizerEvent {
  const connect = fixture<WebSocketEvent>('connect.json');
  return {
    ...connect,
    type: 'REQUEST',
    methodArn: METHOD_ARN,
    queryStringParameters: query ?? null,
  } as AuthorizerEvent;
}

const teacherToken = () =>
  new SignJWT({ mesh_domains: ['class-5b'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('teacher-7')
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(JWT_SECRET));

describe('authorize', () => {
  it('allows this $connect for a valid JWT, with its subject and domains as the context', async () => {
    const answer = await authorize(requestEvent({ token: await teacherToken() }), lambdaContext('mesh-authorize'));

    expect(answer).toEqual({
      principalId: 'teacher-7',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: METHOD_ARN }],
      },
      // The subject is in the map too: an HTTP API hands its Lambda integration the map alone.
      context: { subject: 'teacher-7', domains: '["class-5b"]' },
    });
  });

  it('allows a valid API key, with any domain', async () => {
    const answer = await authorize(requestEvent({ token: API_KEY }), lambdaContext('mesh-authorize'));

    expect(answer).toMatchObject({ principalId: 'ops', context: { subject: 'ops', domains: '' } });
  });

  it.each([
    ['no query string', undefined],
    ['no token', { other: 'x' }],
    ['a wrong token', { token: 'not-a-key-of-this-deployment-0000000' }],
  ])('throws "Unauthorized" for %s, and logs why as info', async (_what, query) => {
    await expect(authorize(requestEvent(query), lambdaContext('mesh-authorize'))).rejects.toThrow(/^Unauthorized$/);

    const lines = logs.lines();
    expect(lines.map((line) => line.level)).toEqual(['INFO']);
    expect(String(lines[0].message)).toMatch(/^connection refused/);
  });
});

describe("callerOf reads the authorizer's answer back from a later event", () => {
  const message = (authorizer: unknown) => {
    const event = fixture<WebSocketEvent>('message.json');
    return { ...event, requestContext: { ...event.requestContext, authorizer } } as WebSocketEvent;
  };

  it('as the principal: its subject, and its domains or null for any', () => {
    expect(callerOf(message({ principalId: 'teacher-7', domains: '["class-5b"]' })).principal).toEqual({
      subject: 'teacher-7',
      domains: ['class-5b'],
    });
    expect(callerOf(message({ principalId: 'ops', domains: '' })).principal).toEqual({ subject: 'ops', domains: null });
  });

  it('as no principal when no authorizer ran', () => {
    expect(callerOf(fixture<WebSocketEvent>('message.json'))).not.toHaveProperty('principal');
  });

  it('refusing an answer no authorizer of the mesh gives', () => {
    expect(() => callerOf(message({ principalId: 'x' }))).toThrow(MalformedEvent);
    expect(() => callerOf(message({ principalId: 'x', domains: '{"not":"a list"}' }))).toThrow(MalformedEvent);
    expect(() => callerOf(message({ principalId: 'x', domains: 'not json' }))).toThrow(MalformedEvent);
  });
});
