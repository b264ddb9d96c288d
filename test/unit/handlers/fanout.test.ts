import {
  ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import {
  DynamoDBDocumentClient,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { SNSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { captureLogs, fixture, lambdaContext, setHandlerEnv } from './support';

type FanoutModule = typeof import('#handlers/fanout');

const ddb = mockClient(DynamoDBDocumentClient);
const api = mockClient(ApiGatewayManagementApiClient);
const GROUP = { groupId: '0b4f5d1e-6a43-4f7e-9c1d-2f3a4b5c6d7e', domain: 'example.org' };
const PK = `G#${GROUP.groupId}@${GROUP.domain}`;

let handler: FanoutModule['handler'];
let logs: ReturnType<typeof captureLogs>;

beforeAll(() => {
  setHandlerEnv();
  ({ handler } = require('#handlers/fanout') as FanoutModule);
});

beforeEach(() => {
  logs = captureLogs();
});

afterEach(() => {
  logs.restore();
  ddb.reset();
  api.reset();
});

/** The group's subscriptions: the sender (node-1), a live member, a stale one and an expired one. */
function subscriptions() {
  const later = Date.now() + 600_000;
  return [
    { sk: 'C#conn-sender', nodeId: 'node-1', expiresAt: later },
    { sk: 'C#conn-bob', nodeId: 'bob', expiresAt: later },
    { sk: 'C#conn-stale', nodeId: 'carol', expiresAt: later },
    { sk: 'C#conn-expired', nodeId: 'dave', expiresAt: Date.now() - 1000 },
  ].map((item) => ({ pk: PK, ...GROUP, ...item }));
}

const push = (from: string, seq: number) => ({
  type: 'message',
  ...GROUP,
  from,
  epoch: 'e1',
  seq,
  sentAt: '2026-01-12T08:15:31.480Z',
  nodeStatus: { nodeId: from, ...GROUP, data: [], timestamp: '2026-01-12T08:15:31.480Z' },
});

/**
 * DynamoDB as the flush sees it: the claim (the first UpdateItem) names the
 * invocation, and the head read back is owned by it, holding `pushes`.
 */
function groupWithLog(pushes: object[]) {
  let owner = '';
  ddb.on(UpdateCommand).callsFake((input: UpdateCommandInput) => {
    const values = input.ExpressionAttributeValues ?? {};
    if (typeof values[':owner'] === 'string' && owner === '') owner = values[':owner'] as string;
    return {};
  });
  ddb.on(QueryCommand).callsFake(() => ({
    Items: [
      {
        pk: PK,
        sk: 'C!LOG',
        ...GROUP,
        page: pushes.map((p) => JSON.stringify(p)),
        pageStart: 0,
        pos: pushes.length,
        cursor: 0,
        flushToken: 'tok-1',
        flushOwner: owner,
        flushAt: Date.now(),
        roundAt: 0,
        rate: 0,
      },
      ...subscriptions(),
    ],
  }));
  ddb.on(TransactWriteCommand).resolves({});
}

function framesTo(): Map<string, unknown> {
  return new Map(
    api
      .commandCalls(PostToConnectionCommand)
      .map((call) => [
        call.args[0].input.ConnectionId!,
        JSON.parse(Buffer.from(call.args[0].input.Data as Uint8Array).toString('utf8')),
      ]),
  );
}

/** The embedded-metric-format line the invocation printed. */
function metricsLine(): Record<string, unknown> | undefined {
  return logs.lines().find((line) => typeof line._aws === 'object');
}

describe('fan-out handler', () => {
  it('claims the flush, posts each live member one frame with the pushes it did not send, and releases in one write', async () => {
    groupWithLog([push('node-1', 7), push('bob', 1)]);
    api.on(PostToConnectionCommand).resolves({});

    const outcome = await handler(fixture<SNSEvent>('sns.json'), lambdaContext('mesh-fanout'));

    expect(outcome).toEqual({ pushes: 2, sent: 3, gone: 0, retries: 0, abandoned: 0 });
    const frames = framesTo();
    // Each push goes out with its log position, for a receiver back from a drop to read on after.
    expect(frames.get('conn-sender')).toEqual({ ...push('bob', 1), pos: 1 });
    expect(frames.get('conn-bob')).toEqual({ ...push('node-1', 7), pos: 0 });
    expect(frames.get('conn-stale')).toEqual({
      type: 'messages',
      ...GROUP,
      messages: [
        { ...push('node-1', 7), pos: 0 },
        { ...push('bob', 1), pos: 1 },
      ],
    });
    expect(frames.has('conn-expired')).toBe(false);
    const updates = ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(updates).toHaveLength(2);
    expect(updates[0].ConditionExpression).toContain('#token = :token');
    expect(updates[1].UpdateExpression).toContain('REMOVE #token, #owner, #flushAt, #gsi2pk, #gsi2sk');
    expect(updates[1].ExpressionAttributeValues).toMatchObject({ ':from': 0, ':to': 2 });
    expect(metricsLine()).toMatchObject({ FramesPosted: 3, AbandonedPosts: 0, GonePosts: 0 });
  });

  it('drops only the subscription of the connection that answered 410', async () => {
    groupWithLog([push('node-1', 7)]);
    api.on(PostToConnectionCommand).resolves({});
    api
      .on(PostToConnectionCommand, { ConnectionId: 'conn-stale' })
      .rejects(new GoneException({ message: 'Gone', $metadata: { httpStatusCode: 410 } }));

    const outcome = await handler(fixture<SNSEvent>('sns.json'), lambdaContext('mesh-fanout'));

    expect(outcome).toMatchObject({ sent: 1, gone: 1 });
    const writes = ddb.commandCalls(TransactWriteCommand);
    expect(writes).toHaveLength(1);
    expect(writes[0].args[0].input.TransactItems!.map((item) => item.Delete!.Key)).toEqual([
      { pk: PK, sk: 'C#conn-stale' },
      { pk: 'C#conn-stale', sk: 'CONN' },
    ]);
  });

  it('retries a failing post, then gives it up for that connection, counts it in the metrics and logs it', async () => {
    groupWithLog([push('node-1', 7)]);
    api.on(PostToConnectionCommand).resolves({});
    api
      .on(PostToConnectionCommand, { ConnectionId: 'conn-bob' })
      .rejects(Object.assign(new Error('Internal server error'), { $metadata: { httpStatusCode: 500 } }));

    const outcome = await handler(fixture<SNSEvent>('sns.json'), lambdaContext('mesh-fanout'));

    expect(outcome).toMatchObject({ sent: 1, abandoned: 1, retries: 4 });
    expect(api.commandCalls(PostToConnectionCommand, { ConnectionId: 'conn-bob' })).toHaveLength(5);
    expect(metricsLine()).toMatchObject({ AbandonedPosts: 1, PostRetries: 4 });
    expect(
      logs.lines().some((line) => line.level === 'WARN' && line.message === 'posts given up after every retry'),
    ).toBe(true);
  });

  it('fails on a message that is not a flush request, after flushing the others', async () => {
    groupWithLog([push('node-1', 7)]);
    api.on(PostToConnectionCommand).resolves({});
    const event = fixture<SNSEvent>('sns.json');
    const broken = JSON.parse(JSON.stringify(event.Records[0]));
    broken.Sns.Message = '{"type":"message"}';
    broken.Sns.MessageId = 'broken-1';
    event.Records.push(broken);

    await expect(handler(event, lambdaContext('mesh-fanout'))).rejects.toThrow('1 of 2 flushes failed');

    expect([...framesTo().keys()].sort()).toEqual(['conn-bob', 'conn-stale']);
    const logged = logs.lines().find((line) => line.level === 'ERROR');
    expect(logged?.messageIds).toEqual(['95df01b4-ee98-5cb9-9903-4c221d41eb5e', 'broken-1']);
  });
});
