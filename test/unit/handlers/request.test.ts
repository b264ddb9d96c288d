import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { mockClient } from 'aws-sdk-client-mock';
import { groupItem, nodeItem } from '#shared/adapters/dynamodb/keys';
import type { WebSocketEvent } from '#shared/lambda/events';
import { INTERNAL_ERROR_MESSAGE } from '#shared/lambda/error-reply';
import type { ErrorReply, Push, ResultReply } from '#shared/protocol/messages';
import { sourceDomain } from '#shared/core/source-domains';
import { captureLogs, fixture, HANDLER_ENV, lambdaContext, setHandlerEnv } from './support';

/** The domain of the fixtures' source IP under the handlers' test secret. */
const EXPECTED_DOMAIN = sourceDomain('203.0.113.7', HANDLER_ENV.MESH_DOMAIN_SECRET);

type RequestModule = typeof import('#handlers/request');

const ddb = mockClient(DynamoDBDocumentClient);
const sns = mockClient(SNSClient);
const management = mockClient(ApiGatewayManagementApiClient);
const CONNECTION = 'R2d2CdyqEFAAcYg=';
const key = { groupId: '0b4f5d1e-6a43-4f7e-9c1d-2f3a4b5c6d7e', domain: 'example.org' };

let handler: RequestModule['handler'];
let logs: ReturnType<typeof captureLogs>;

beforeAll(() => {
  setHandlerEnv();
  // Loaded after the env is set: the module builds its clients and settings at load.
  ({ handler } = require('#handlers/request') as RequestModule);
});

beforeEach(() => {
  logs = captureLogs();
});

afterEach(() => {
  logs.restore();
  ddb.reset();
  sns.reset();
  management.reset();
});

/** The message fixture (as API Gateway sends it) with another body. */
function message(body: string | undefined): WebSocketEvent {
  const event = fixture<WebSocketEvent>('message.json');
  event.body = body;
  return event;
}

async function send(
  event: WebSocketEvent,
): Promise<{ statusCode: number; reply: ResultReply | ErrorReply; body: string }> {
  const response = await handler(event, lambdaContext('mesh-request'));
  if (!('body' in response)) throw new Error('the request handler answered without a reply');
  return { statusCode: response.statusCode, reply: JSON.parse(response.body), body: response.body };
}

describe('request handler: bad requests get an error reply and the connection stays open', () => {
  it('answers malformed JSON with a ValidationError (status 200) and touches nothing', async () => {
    const { statusCode, reply } = await send(message('{"action": "joinGroup",'));

    expect(statusCode).toBe(200);
    expect(reply).toEqual({ type: 'error', errorType: 'ValidationError', message: 'message is not valid JSON' });
    expect(ddb.calls()).toHaveLength(0);
    expect(sns.calls()).toHaveLength(0);
  });

  it('answers an unknown action with a ValidationError echoing the action and requestId', async () => {
    const { statusCode, reply } = await send(message(JSON.stringify({ action: 'fly', requestId: 'r-9' })));

    expect(statusCode).toBe(200);
    expect(reply).toEqual({
      type: 'error',
      action: 'fly',
      requestId: 'r-9',
      errorType: 'ValidationError',
      message: 'unknown action: fly',
    });
  });

  it('answers missing or mistyped fields with a ValidationError naming them', async () => {
    const body = JSON.stringify({ action: 'joinGroup', requestId: 'r-2', groupId: key.groupId, domain: 42 });

    const { reply } = await send(message(body));

    expect(reply).toMatchObject({ type: 'error', action: 'joinGroup', requestId: 'r-2', errorType: 'ValidationError' });
    expect((reply as ErrorReply).message).toContain('domain');
    expect((reply as ErrorReply).message).toContain('nodeId');
    expect(ddb.calls()).toHaveLength(0);
  });

  it('answers an empty body with a ValidationError', async () => {
    const { reply } = await send(message(undefined));

    expect(reply).toMatchObject({ type: 'error', errorType: 'ValidationError', message: 'message body is empty' });
  });
});

/**
 * The group (read once per container, then known) and node-1, live and bound
 * to CONNECTION; the node's UpdateItem returns it with seq 7.
 */
function givenLiveMember(now: number): UpdateStub {
  const group = {
    ...key,
    name: 'g',
    hostId: 'host',
    createdAt: now,
    expiresAt: now + 600_000,
    heartbeatAt: now,
    useWebSocket: true,
  };
  const node = {
    ...key,
    nodeId: 'node-1',
    name: 'node-1',
    isHost: false,
    epoch: 'ep-1',
    seq: 6,
    connectionId: CONNECTION,
    joinedAt: now,
    expiresAt: now + 600_000,
    data: {},
    statusAt: null,
    tokenHash: 'hash-1',
    useWebSocket: true,
  };
  ddb.on(GetCommand).resolves({ Item: groupItem(group) });
  return ddb.on(UpdateCommand).resolvesOnce({ Attributes: nodeItem({ ...node, seq: 7 }) });
}

type UpdateStub = ReturnType<ReturnType<typeof ddb.on>['resolvesOnce']>;

describe('request handler: results', () => {
  it('answers createDomain with the keyed hash of the source IP from requestContext.identity, echoing requestId', async () => {
    const { statusCode, reply } = await send(message(JSON.stringify({ action: 'createDomain', requestId: 'r-1' })));

    expect(statusCode).toBe(200);
    expect(reply).toEqual({ type: 'result', action: 'createDomain', requestId: 'r-1', data: EXPECTED_DOMAIN });
  });

  it('decodes a base64 body', async () => {
    const event = message(Buffer.from(JSON.stringify({ action: 'createDomain' })).toString('base64'));
    event.isBase64Encoded = true;

    const { reply } = await send(event);

    expect(reply).toEqual({ type: 'result', action: 'createDomain', data: EXPECTED_DOMAIN });
  });

  it('runs a report with no read, an UpdateItem of the node, an append to the group log and a flush request', async () => {
    const now = Date.now();
    let offered = '';
    givenLiveMember(now).callsFake((input) => {
      offered = input.ExpressionAttributeValues[':token'];
      return { Attributes: { pos: 1, flushToken: offered, flushAt: now, roundAt: 0, rate: 0 } };
    });
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });

    const { reply } = await send(fixture<WebSocketEvent>('message.json'));

    expect(reply).toMatchObject({ type: 'result', action: 'reportDataByNode', requestId: 'r-1' });
    // The group's GetItem happens once per container (KnownGroups), not per request.
    const calls = ddb.calls().map((call) => (call.args[0] as object).constructor.name);
    expect(calls.filter((name) => name !== 'GetCommand')).toEqual(['UpdateCommand', 'UpdateCommand']);
    const append = ddb.commandCalls(UpdateCommand)[1].args[0].input;
    expect(append.Key).toEqual({ pk: `G#${key.groupId}@${key.domain}`, sk: 'C!LOG' });
    const appended = append.ExpressionAttributeValues![':pushes'] as string[];
    expect(appended).toHaveLength(1);
    // This append set the flush token: it requests the flush, naming the token.
    const published = sns.commandCalls(PublishCommand);
    expect(published).toHaveLength(1);
    expect(JSON.parse(published[0].args[0].input.Message!)).toMatchObject({ type: 'flush', ...key, token: offered });
    const push = JSON.parse(appended[0]) as Push;
    expect(push).toMatchObject({ type: 'message', ...key, from: 'node-1', epoch: 'ep-1', seq: 7 });
    expect('nodeStatus' in push && push.nodeStatus.data).toEqual([{ key: '温度', value: '21.5' }]);
  });

  it('requests no flush when one is requested already', async () => {
    const now = Date.now();
    givenLiveMember(now).resolves({
      Attributes: { pos: 2, flushToken: 'someone-else', flushAt: now, roundAt: 0, rate: 0 },
    });

    const { reply } = await send(fixture<WebSocketEvent>('message.json'));

    expect(reply).toMatchObject({ type: 'result', action: 'reportDataByNode' });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(2);
    expect(sns.calls()).toHaveLength(0);
  });

  it('answers result when the flush request fails after the append, and logs a warning', async () => {
    const now = Date.now();
    givenLiveMember(now).callsFake((input) => ({
      Attributes: { pos: 1, flushToken: input.ExpressionAttributeValues[':token'], flushAt: now, roundAt: 0, rate: 0 },
    }));
    sns.on(PublishCommand).rejects(new Error('SNS is down'));

    const { reply } = await send(fixture<WebSocketEvent>('message.json'));

    expect(reply).toMatchObject({ type: 'result', action: 'reportDataByNode' });
    expect(
      logs.lines().some((line) => line.level === 'WARN' && String(line.message).startsWith('flush request failed')),
    ).toBe(true);
  });
});

describe('request handler: errors', () => {
  it('turns a MeshError into its own error reply', async () => {
    // Gone, whether the group is still known to this container or not.
    ddb.on(GetCommand).resolves({});
    ddb.on(UpdateCommand).rejects(Object.assign(new Error('failed'), { name: 'ConditionalCheckFailedException' }));
    ddb.on(BatchGetCommand).resolves({ Responses: { 'mesh-test': [] } });

    const { reply } = await send(fixture<WebSocketEvent>('message.json'));

    expect(reply).toMatchObject({
      type: 'error',
      action: 'reportDataByNode',
      requestId: 'r-1',
      errorType: 'GroupNotFound',
    });
    expect(sns.calls()).toHaveLength(0);
  });

  it('turns an unexpected failure into InternalError without detail, and logs the detail', async () => {
    const refused = new Error('connect ECONNREFUSED 127.0.0.1:8000');
    ddb.on(GetCommand).rejects(refused);
    ddb.on(UpdateCommand).rejects(refused);

    const { statusCode, reply, body } = await send(fixture<WebSocketEvent>('message.json'));

    expect(statusCode).toBe(200);
    expect(reply).toEqual({
      type: 'error',
      action: 'reportDataByNode',
      requestId: 'r-1',
      errorType: 'InternalError',
      message: INTERNAL_ERROR_MESSAGE,
    });
    expect(body).not.toContain('ECONNREFUSED');
    expect(body).not.toContain('stack');
    expect(body).not.toMatch(/\bat \S+ \(/);
    const logged = logs.lines().find((line) => line.level === 'ERROR');
    expect(logged).toMatchObject({
      message: 'request failed',
      action: 'reportDataByNode',
      requestId: 'r-1',
      connectionId: CONNECTION,
    });
    expect(JSON.stringify(logged)).toContain('ECONNREFUSED');
    expect((logged?.error as { stack?: string }).stack).toContain('Error: connect ECONNREFUSED');
  });
});

describe('request handler: a connection flooding far over its rate', () => {
  it('is answered RateLimited, then gets one last RateLimited frame and is closed, once', async () => {
    const flooder = { ...fixture<WebSocketEvent>('message.json') };
    flooder.requestContext = { ...flooder.requestContext, connectionId: 'FloodFloodFlo=' };
    flooder.body = '{"action":"createDomain","requestId":"loop"}';
    // The default burst (60) and refusal allowance (60) at once: the 121st frame tips it over.
    // The clock stands still, so no token refills however slowly the loop runs.
    const frozen = jest.spyOn(Date, 'now').mockReturnValue(Date.now());
    const answers: string[] = [];
    try {
      for (let i = 0; i < 125; i += 1) {
        const response = await handler(flooder, lambdaContext('mesh-request'));
        answers.push('body' in response ? (JSON.parse(response.body) as ResultReply | ErrorReply).type : 'closed');
      }
    } finally {
      frozen.mockRestore();
    }

    expect(answers.filter((answer) => answer === 'result')).toHaveLength(60);
    expect(answers.indexOf('closed')).toBe(120);
    expect(answers.filter((answer) => answer === 'closed')).toHaveLength(1);
    const posts = management.commandCalls(PostToConnectionCommand);
    expect(posts).toHaveLength(1);
    expect(posts[0].args[0].input.ConnectionId).toBe('FloodFloodFlo=');
    expect(JSON.parse(new TextDecoder().decode(posts[0].args[0].input.Data as Uint8Array))).toEqual({
      type: 'error',
      action: 'createDomain',
      requestId: 'loop',
      errorType: 'RateLimited',
      message: 'far more than 30 requests a second from this connection: it is closed',
    });
    expect(management.commandCalls(DeleteConnectionCommand).map((call) => call.args[0].input)).toEqual([
      { ConnectionId: 'FloodFloodFlo=' },
    ]);
    expect(
      logs
        .lines()
        .filter((line) => line.level === 'WARN')
        .map((line) => line.message),
    ).toEqual(['connection closed: it kept sending far over its rate']);
  });
});

describe('request handler configuration', () => {
  it('fails at load when the table name is not set', () => {
    const saved = process.env.MESH_TABLE_NAME;
    delete process.env.MESH_TABLE_NAME;
    try {
      jest.isolateModules(() => {
        expect(() => require('#handlers/request')).toThrow('MESH_TABLE_NAME is not set');
      });
    } finally {
      process.env.MESH_TABLE_NAME = saved;
    }
  });
});
