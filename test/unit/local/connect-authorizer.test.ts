/**
 * The gateway runs the $connect authorizer as API Gateway does: no
 * credential, 401 without invoking it; its "Unauthorized", 401; a policy that
 * does not allow the route, 403; any other failure, 500; an allowing answer
 * becomes `requestContext.authorizer` of every event of the connection.
 */
import { type LambdaHandler, LocalLambda } from '#local/lambda';
import { silentLog } from '#local/log';
import { LocalStats } from '#local/stats';
import { closeAll, connect, eventually, inbox, refusedWith, startGateway } from './gateway-harness';

afterEach(closeAll);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the events are API Gateway's shapes, read by path
type AnyEvent = any;

const policy = (effect: 'Allow' | 'Deny', resource: string) => ({
  principalId: 'teacher-7',
  policyDocument: {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
  },
  context: { domains: '["class-5b"]' },
});

/** A gateway whose $connect, messages and $disconnect record their events, behind `authorize`. */
async function guardedGateway(authorize: LambdaHandler) {
  const events: AnyEvent[] = [];
  const authorizerEvents: AnyEvent[] = [];
  const record = (answer: unknown) => async (event: AnyEvent) => {
    events.push(event);
    return answer;
  };
  const fn = new LocalLambda({
    name: 'authorize',
    handler: async (event: AnyEvent, context) => {
      authorizerEvents.push(event);
      return authorize(event, context);
    },
    stats: new LocalStats(),
    log: silentLog,
  });
  const { gateway, stats } = await startGateway(
    {
      $connect: { handler: record({ statusCode: 200 }) },
      $default: { handler: record({ statusCode: 200, body: 'ok' }), twoWay: true },
      $disconnect: { handler: record(undefined) },
    },
    { connectAuthorizer: { fn, queryParameter: 'token' }, region: 'eu-west-1' },
  );
  return { gateway, stats, events, authorizerEvents };
}

describe('the $connect authorizer', () => {
  it('refuses an upgrade without the credential with 401, and is not invoked', async () => {
    const { gateway, stats, authorizerEvents, events } = await guardedGateway(async () => policy('Allow', '*'));

    expect(await refusedWith(gateway.url)).toBe('Unexpected server response: 401');
    expect(await refusedWith(`${gateway.url}/?token=`)).toBe('Unexpected server response: 401');

    expect(authorizerEvents).toEqual([]);
    expect(events).toEqual([]);
    expect(stats.counters.ws).toMatchObject({ connectionsRefused: 2, connectionsTotal: 0 });
  });

  it('answers 401 for its "Unauthorized", 500 for any other failure, and $connect never runs', async () => {
    const refusing = await guardedGateway(async () => {
      throw new Error('Unauthorized');
    });
    const failing = await guardedGateway(async () => {
      throw new Error('the key server is down');
    });

    expect(await refusedWith(`${refusing.gateway.url}/?token=t`)).toBe('Unexpected server response: 401');
    expect(await refusedWith(`${failing.gateway.url}/?token=t`)).toBe('Unexpected server response: 500');
    expect([...refusing.events, ...failing.events]).toEqual([]);
  });

  it('answers 403 for a policy that denies the route or allows another one, 500 for no policy', async () => {
    const denying = await guardedGateway(async (event: AnyEvent) => policy('Deny', event.methodArn));
    const elsewhere = await guardedGateway(async () => policy('Allow', 'arn:aws:execute-api:*:*:other/*'));
    const empty = await guardedGateway(async () => ({ principalId: 'x' }));

    expect(await refusedWith(`${denying.gateway.url}/?token=t`)).toBe('Unexpected server response: 403');
    expect(await refusedWith(`${elsewhere.gateway.url}/?token=t`)).toBe('Unexpected server response: 403');
    expect(await refusedWith(`${empty.gateway.url}/?token=t`)).toBe('Unexpected server response: 500');
  });

  it("gets a REQUEST event with the route's ARN and the query string", async () => {
    const { gateway, authorizerEvents } = await guardedGateway(async (event: AnyEvent) =>
      policy('Allow', event.methodArn),
    );

    await connect(`${gateway.url}/?token=abc&x=1`);

    expect(authorizerEvents[0]).toMatchObject({
      type: 'REQUEST',
      methodArn: 'arn:aws:execute-api:eu-west-1:000000000000:testapi001/test/$connect',
      queryStringParameters: { token: 'abc', x: '1' },
      requestContext: { routeKey: '$connect', eventType: 'CONNECT' },
    });
  });

  it('binds its answer to the connection: $connect, every message and $disconnect carry it', async () => {
    const { gateway, events } = await guardedGateway(async (event: AnyEvent) => policy('Allow', event.methodArn));
    const ws = await connect(`${gateway.url}/?token=abc`);
    const box = inbox(ws);

    ws.send('hello');
    await box.next();
    ws.close();
    await eventually(() => events.length === 3);

    expect(events.map((event) => event.requestContext.eventType)).toEqual(['CONNECT', 'MESSAGE', 'DISCONNECT']);
    for (const event of events) {
      expect(event.requestContext.authorizer).toEqual({ principalId: 'teacher-7', domains: '["class-5b"]' });
    }
  });
});

it('without an authorizer, events carry no requestContext.authorizer', async () => {
  const events: AnyEvent[] = [];
  const { gateway } = await startGateway({
    $connect: {
      handler: async (event: AnyEvent) => {
        events.push(event);
        return { statusCode: 200 };
      },
    },
  });

  await connect(`${gateway.url}/?token=abc`);

  expect(events[0].requestContext).not.toHaveProperty('authorizer');
});
