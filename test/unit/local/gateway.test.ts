/**
 * The WebSocket emulator behaves as API Gateway does where a client or a
 * handler can tell: route selection, event shapes, route responses, refused
 * upgrades, frame and message limits, timeouts, $disconnect.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import WebSocket from 'ws';
import type { LambdaHandler } from '#local/lambda';
import {
  closeAll,
  closeOf,
  connect,
  eventually,
  inbox,
  refusedWith,
  startGateway,
  stopGateway,
} from './gateway-harness';

afterEach(closeAll);

const echo =
  (tag: string): LambdaHandler =>
  async (event) => ({
    statusCode: 200,
    body: JSON.stringify({
      tag,
      routeKey: event.requestContext.routeKey,
      body: event.body,
      isBase64Encoded: event.isBase64Encoded,
    }),
  });

describe('route selection on $request.body.action', () => {
  test('a JSON message whose action has a route goes to that route, anything else to $default', async () => {
    const { gateway } = await startGateway({
      joinGroup: { handler: echo('join'), twoWay: true },
      $default: { handler: echo('default'), twoWay: true },
    });
    const ws = await connect(gateway.url);
    const box = inbox(ws);
    const cases: [string, string][] = [
      ['{"action":"joinGroup","groupId":"g"}', 'join'],
      ['not json at all', 'default'],
      ['{"groupId":"g"}', 'default'],
      ['{"action":"noSuchAction"}', 'default'],
      ['{"action":42}', 'default'],
      ['["joinGroup"]', 'default'],
      ['{"action":"$connect"}', 'default'],
    ];
    for (const [message, tag] of cases) {
      ws.send(message);
      const reply = JSON.parse(await box.next());
      expect({ message, tag: reply.tag, body: reply.body }).toEqual({ message, tag, body: message });
    }
  });

  test('a binary frame goes to $default as base64 with isBase64Encoded true', async () => {
    const { gateway } = await startGateway({ $default: { handler: echo('default'), twoWay: true } });
    const ws = await connect(gateway.url);
    const box = inbox(ws);
    ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(JSON.parse(await box.next())).toMatchObject({ routeKey: '$default', body: 'AQID', isBase64Encoded: true });
  });

  test("with neither a matching route nor $default the caller gets API Gateway's Forbidden frame", async () => {
    const { gateway } = await startGateway({ joinGroup: { handler: echo('join'), twoWay: true } });
    const ws = await connect(gateway.url);
    const box = inbox(ws);
    ws.send('hello');
    expect(JSON.parse(await box.next())).toEqual({
      message: 'Forbidden',
      connectionId: expect.any(String),
      requestId: expect.any(String),
    });
  });
});

describe('Lambda proxy events', () => {
  test('$connect gets headers, query parameters and a CONNECT requestContext; messages a MESSAGE one', async () => {
    const events: APIGatewayProxyEvent[] = [];
    const record: LambdaHandler = async (event) => {
      events.push(event);
      return { statusCode: 200 };
    };
    const { gateway } = await startGateway({ $connect: { handler: record }, $default: { handler: record } });
    const ws = await connect(`${gateway.url}/?token=abc&tag=1&tag=2`, { 'User-Agent': 'mesh-test/1.0' });
    ws.send('{"action":"x"}');
    await eventually(() => events.length === 2);
    const [connectEvent, messageEvent] = events;

    expect(connectEvent).toMatchObject({
      headers: { Host: expect.any(String), 'Sec-WebSocket-Key': expect.any(String), 'User-Agent': 'mesh-test/1.0' },
      multiValueHeaders: { 'User-Agent': ['mesh-test/1.0'] },
      queryStringParameters: { token: 'abc', tag: '2' },
      multiValueQueryStringParameters: { token: ['abc'], tag: ['1', '2'] },
      requestContext: {
        routeKey: '$connect',
        eventType: 'CONNECT',
        messageDirection: 'IN',
        stage: 'test',
        apiId: 'testapi001',
        identity: { sourceIp: '127.0.0.1', userAgent: 'mesh-test/1.0' },
      },
      isBase64Encoded: false,
    });
    expect(connectEvent.requestContext.connectionId).toMatch(/^[A-Za-z0-9+/]{14}[A-Za-z0-9+/=]{2}$/);
    expect(connectEvent.requestContext.requestTime).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);

    expect(messageEvent).toEqual({
      requestContext: {
        routeKey: '$default',
        eventType: 'MESSAGE',
        messageDirection: 'IN',
        messageId: expect.any(String),
        extendedRequestId: expect.any(String),
        requestId: expect.any(String),
        requestTime: expect.any(String),
        requestTimeEpoch: expect.any(Number),
        connectedAt: connectEvent.requestContext.connectedAt,
        connectionId: connectEvent.requestContext.connectionId,
        domainName: connectEvent.headers.Host,
        stage: 'test',
        apiId: 'testapi001',
        identity: { sourceIp: '127.0.0.1', userAgent: 'mesh-test/1.0' },
      },
      body: '{"action":"x"}',
      isBase64Encoded: false,
    });
  });

  test('$disconnect runs after the close with the close code and reason', async () => {
    const events: APIGatewayProxyEvent[] = [];
    const { gateway, stats } = await startGateway({
      $disconnect: { handler: async (event) => void events.push(event) },
    });
    const ws = await connect(gateway.url);
    ws.close(4000, 'bye');
    await eventually(() => events.length === 1);
    expect(events[0].requestContext).toMatchObject({
      routeKey: '$disconnect',
      eventType: 'DISCONNECT',
      disconnectStatusCode: 4000,
      disconnectReason: 'bye',
    });
    expect(stats.counters.ws.connectionsCurrent).toBe(0);
    expect(gateway.connectionIds()).toEqual([]);
  });
});

describe('route responses', () => {
  test('a two-way route sends the returned body back; a one-way route and an empty return send nothing', async () => {
    const { gateway, stats } = await startGateway({
      oneWay: { handler: echo('one-way') },
      nothing: { handler: async () => undefined, twoWay: true },
      $default: { handler: echo('default'), twoWay: true },
    });
    const ws = await connect(gateway.url);
    const box = inbox(ws);
    ws.send('{"action":"oneWay"}');
    ws.send('{"action":"nothing"}');
    await eventually(
      () => stats.counters.lambda.oneWay?.invocations === 1 && stats.counters.lambda.nothing?.invocations === 1,
    );
    // Both have returned; a reply to this one arrives after anything they could have sent.
    ws.send('last');
    expect(JSON.parse(await box.next()).tag).toBe('default');
    expect(box.messages).toEqual([]);
  });

  test("a handler that throws gives the caller API Gateway's internal error frame and keeps the connection", async () => {
    const { gateway, stats } = await startGateway({
      $default: {
        handler: async () => {
          throw new Error('boom');
        },
        twoWay: true,
      },
    });
    const ws = await connect(gateway.url);
    const box = inbox(ws);
    ws.send('hello');
    const frame = JSON.parse(await box.next());
    expect(frame).toEqual({
      message: 'Internal server error',
      connectionId: gateway.connectionIds()[0],
      requestId: expect.any(String),
    });
    expect(ws.readyState).toBe(WebSocket.OPEN);
    expect(stats.counters.lambda.$default).toMatchObject({ invocations: 1, errors: 1 });
  });

  test('a route response over 128 KB is not sent; the caller gets the internal error frame', async () => {
    const { gateway } = await startGateway({
      $default: { handler: async () => ({ statusCode: 200, body: 'x'.repeat(128 * 1024 + 1) }), twoWay: true },
    });
    const ws = await connect(gateway.url);
    const box = inbox(ws);
    ws.send('hello');
    expect(JSON.parse(await box.next())).toMatchObject({ message: 'Internal server error' });
  });
});

describe('$connect decides whether the upgrade happens', () => {
  test('a non-2xx statusCode refuses the upgrade with that status', async () => {
    const { gateway, stats } = await startGateway({ $connect: { handler: async () => ({ statusCode: 401 }) } });
    expect(await refusedWith(gateway.url)).toBe('Unexpected server response: 401');
    expect(stats.counters.ws).toMatchObject({ connectionsRefused: 1, connectionsTotal: 0, connectionsCurrent: 0 });
  });

  test('a $connect that throws refuses the upgrade with 500', async () => {
    const { gateway } = await startGateway({
      $connect: {
        handler: async () => {
          throw new Error('no');
        },
      },
    });
    expect(await refusedWith(gateway.url)).toBe('Unexpected server response: 500');
  });

  test('a 2xx statusCode (or no $connect route) accepts it', async () => {
    const withConnect = await startGateway({ $connect: { handler: async () => ({ statusCode: 204 }) } });
    const withoutConnect = await startGateway({});
    expect(await refusedWith(withConnect.gateway.url)).toBe('opened');
    expect(await refusedWith(withoutConnect.gateway.url)).toBe('opened');
  });
});

describe('limits', () => {
  test('a frame over 32 KB closes the connection with 1009 and reaches no handler', async () => {
    const invoked: string[] = [];
    const { gateway } = await startGateway({ $default: { handler: async (event) => void invoked.push(event.body) } });
    const ws = await connect(gateway.url);
    const closed = closeOf(ws);
    ws.send('x'.repeat(33 * 1024));
    expect((await closed).code).toBe(1009);
    expect(invoked).toEqual([]);
  });

  test('a frame of exactly 32 KB is accepted', async () => {
    const { gateway } = await startGateway({
      $default: { handler: async (event) => ({ body: String(event.body.length) }), twoWay: true },
    });
    const ws = await connect(gateway.url);
    const box = inbox(ws);
    ws.send('x'.repeat(32 * 1024));
    expect(await box.next()).toBe(String(32 * 1024));
  });

  test('the idle timeout closes the connection with 1001 Going away', async () => {
    const { gateway } = await startGateway({}, { idleTimeoutSeconds: 0.1 });
    const ws = await connect(gateway.url);
    expect(await closeOf(ws)).toEqual({ code: 1001, reason: 'Going away' });
  });

  test('the maximum connection duration closes even an active connection with 1001', async () => {
    const { gateway } = await startGateway(
      { $default: { handler: async () => undefined } },
      { maxConnectionSeconds: 0.2 },
    );
    const ws = await connect(gateway.url);
    const closed = closeOf(ws);
    const keepBusy = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send('ping'), 20);
    try {
      expect(await closed).toEqual({ code: 1001, reason: 'Going away' });
    } finally {
      clearInterval(keepBusy);
    }
  });

  test('postToConnection refuses a message over 128 KB and answers gone for an unknown id', async () => {
    const { gateway } = await startGateway({});
    await connect(gateway.url);
    const [id] = gateway.connectionIds();
    expect(gateway.postToConnection(id, Buffer.alloc(128 * 1024 + 1))).toBe('tooLarge');
    expect(gateway.postToConnection(id, Buffer.from('hi'))).toBe('sent');
    expect(gateway.postToConnection('AAAAAAAAAAAAAAA=', Buffer.from('hi'))).toBe('gone');
  });
});

describe('stop', () => {
  test('closes open connections with 1001 and has run their $disconnect when it resolves', async () => {
    const disconnected: string[] = [];
    const { gateway } = await startGateway({
      $disconnect: { handler: async (event) => void disconnected.push(event.requestContext.connectionId) },
    });
    const first = await connect(gateway.url);
    const second = await connect(gateway.url);
    const closes = [closeOf(first), closeOf(second)];
    const ids = gateway.connectionIds();
    // One client is closing on its own at the same moment.
    second.close();
    await stopGateway(gateway);
    expect(disconnected.sort()).toEqual(ids.sort());
    expect((await closes[0]).code).toBe(1001);
  });
});
