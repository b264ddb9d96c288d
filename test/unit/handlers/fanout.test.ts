import { ApiGatewayManagementApiClient, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBDocumentClient, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SNSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { captureLogs, fixture, lambdaContext, setHandlerEnv } from './support';

type FanoutModule = typeof import('#handlers/fanout');

const ddb = mockClient(DynamoDBDocumentClient);
const api = mockClient(ApiGatewayManagementApiClient);
const PK = 'G#0b4f5d1e-6a43-4f7e-9c1d-2f3a4b5c6d7e@example.org';

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
  ];
}

function posted(): string[] {
  return api.commandCalls(PostToConnectionCommand).map((call) => call.args[0].input.ConnectionId!);
}

describe('fan-out handler', () => {
  it('posts the push to the other live members and drops only the connection that answered 410', async () => {
    ddb.on(QueryCommand).resolves({ Items: subscriptions() });
    ddb.on(TransactWriteCommand).resolves({});
    api.on(PostToConnectionCommand).resolves({});
    api
      .on(PostToConnectionCommand, { ConnectionId: 'conn-stale' })
      .rejects(new GoneException({ message: 'Gone', $metadata: { httpStatusCode: 410 } }));
    const event = fixture<SNSEvent>('sns.json');

    const outcome = await handler(event, lambdaContext('mesh-fanout'));

    expect(outcome).toEqual({ sent: 1, gone: 1, pushes: 1 });
    expect(posted().sort()).toEqual(['conn-bob', 'conn-stale']);
    const frame = Buffer.from(api.commandCalls(PostToConnectionCommand)[0].args[0].input.Data as Uint8Array).toString('utf8');
    expect(JSON.parse(frame)).toEqual(JSON.parse(event.Records[0].Sns.Message));
    const writes = ddb.commandCalls(TransactWriteCommand);
    expect(writes).toHaveLength(1);
    expect(writes[0].args[0].input.TransactItems!.map((item) => item.Delete!.Key)).toEqual([
      { pk: PK, sk: 'C#conn-stale' },
      { pk: 'C#conn-stale', sk: 'CONN' },
    ]);
  });

  it('fails the invocation (so SNS delivers again) when a post fails for another reason, keeping that subscription', async () => {
    ddb.on(QueryCommand).resolves({ Items: subscriptions() });
    api.on(PostToConnectionCommand).rejects(Object.assign(new Error('Internal server error'), { $metadata: { httpStatusCode: 500 } }));

    await expect(handler(fixture<SNSEvent>('sns.json'), lambdaContext('mesh-fanout'))).rejects.toThrow('not fully delivered');

    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
    expect(logs.lines().some((line) => line.level === 'ERROR' && line.message === 'invocation failed')).toBe(true);
  });

  it('fails on a message that is not a push, after delivering the others', async () => {
    ddb.on(QueryCommand).resolves({ Items: subscriptions() });
    api.on(PostToConnectionCommand).resolves({});
    const event = fixture<SNSEvent>('sns.json');
    const broken = JSON.parse(JSON.stringify(event.Records[0]));
    broken.Sns.Message = 'not json';
    broken.Sns.MessageId = 'broken-1';
    event.Records.push(broken);

    await expect(handler(event, lambdaContext('mesh-fanout'))).rejects.toThrow('1 of 2 records');

    expect(posted().sort()).toEqual(['conn-bob', 'conn-stale']);
    const logged = logs.lines().find((line) => line.level === 'ERROR');
    expect(logged?.messageIds).toEqual(['95df01b4-ee98-5cb9-9903-4c221d41eb5e', 'broken-1']);
  });

  it('flushes a group outbox: one frame per live member with the pushes it did not send, then trims and releases in one write', async () => {
    const event = fixture<SNSEvent>('sns.json');
    const push = JSON.parse(event.Records[0].Sns.Message) as { groupId: string; domain: string; from: string };
    const other = { ...push, from: 'bob', seq: 1 };
    const outbox = (pushes: string[], head: number) => ({
      sk: 'C!OUTBOX',
      groupId: push.groupId,
      domain: push.domain,
      pushes,
      head,
      bytes: 0,
      flushAt: Date.now(),
    });
    const mine = JSON.stringify(push);
    const bobs = JSON.stringify(other);
    const withGroup = (items: Record<string, unknown>[]) => items.map((item) => ({ groupId: push.groupId, domain: push.domain, ...item }));
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [outbox([mine, bobs], 0), ...withGroup(subscriptions())] })
      .resolves({ Items: [outbox([], 2), ...withGroup(subscriptions())] });
    ddb.on(UpdateCommand).resolves({});
    ddb.on(TransactWriteCommand).resolves({});
    api.on(PostToConnectionCommand).resolves({});
    event.Records[0].Sns.Message = JSON.stringify({ type: 'flush', groupId: push.groupId, domain: push.domain, at: Date.now() - 1000 });

    const outcome = await handler(event, lambdaContext('mesh-fanout'));

    expect(outcome).toEqual({ sent: 3, gone: 0, pushes: 2 });
    const frames = new Map(
      api.commandCalls(PostToConnectionCommand).map((call) => [
        call.args[0].input.ConnectionId!,
        JSON.parse(Buffer.from(call.args[0].input.Data as Uint8Array).toString('utf8')),
      ]),
    );
    // The sender (node-1) gets bob's push alone; bob gets node-1's alone; carol gets both in one frame.
    expect(frames.get('conn-sender')).toEqual(other);
    expect(frames.get('conn-bob')).toEqual(push);
    expect(frames.get('conn-stale')).toEqual({ type: 'messages', groupId: push.groupId, domain: push.domain, messages: [push, other] });
    expect(frames.has('conn-expired')).toBe(false);
    const updates = ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    // Every push read was posted: one write trims them and clears the flush mark.
    expect(updates).toHaveLength(1);
    expect(updates[0].UpdateExpression).toContain('REMOVE #pushes[0], #pushes[1], #flushAt');
    expect(updates[0].ExpressionAttributeValues).toMatchObject({ ':head': 0, ':next': 2, ':count': 2 });
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(1);
  });
});
