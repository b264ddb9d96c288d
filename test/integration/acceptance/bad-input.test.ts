/**
 * The bad-input set: each malformed or out-of-limit request gets a
 * ValidationError reply (echoing the requestId when it had one), changes
 * nothing, and leaves the connection open; a frame over 32 KB closes the
 * connection with 1009 and the stack keeps serving everyone else.
 */
import { LIMITS, utf8Bytes } from '#shared/protocol/limits';
import type { ProtocolSocket } from '#tools/protocol-socket';
import { type TestGroup, connect, openGroup, uniqueId, useClients } from '../ws-client';

jest.setTimeout(30_000);

const clients = useClients();

interface Context {
  groupId: string;
  domain: string;
  /** The member node the sending connection is. */
  nodeId: string;
  hostId: string;
}

interface BadCase {
  name: string;
  /** Who sends it: the member's connection, or a connection that is no node yet. */
  from: 'member' | 'stranger';
  frame(ctx: Context): string | Record<string, unknown>;
  /** The requestId the reply must echo (when the frame carries one that can be read). */
  requestId?: string;
  /** The action the reply must echo. */
  action?: string;
}

const now = () => new Date().toISOString();
const repeat = (n: number) => 'x'.repeat(n);

const CASES: BadCase[] = [
  { name: 'malformed JSON', from: 'member', frame: () => '{"action":"reportDataByNode","requestId":"bad-json",' },
  { name: 'a JSON array', from: 'member', frame: () => '[{"action":"createDomain"}]' },
  { name: 'a JSON string', from: 'member', frame: () => '"createDomain"' },
  { name: 'a JSON number', from: 'member', frame: () => '42' },
  { name: 'JSON null', from: 'member', frame: () => 'null' },
  { name: 'plain text', from: 'member', frame: () => 'hello mesh' },
  {
    name: 'a missing action',
    from: 'member',
    requestId: 'no-action',
    frame: (c) => ({ requestId: 'no-action', groupId: c.groupId, domain: c.domain, nodeId: c.nodeId }),
  },
  {
    name: 'an unknown action',
    from: 'member',
    requestId: 'unknown-action',
    action: 'deleteEverything',
    frame: (c) => ({ action: 'deleteEverything', requestId: 'unknown-action', groupId: c.groupId, domain: c.domain }),
  },
  {
    name: 'a route key as action ($disconnect)',
    from: 'member',
    requestId: 'route-key',
    frame: () => ({ action: '$disconnect', requestId: 'route-key' }),
  },
  {
    name: 'an action that is not a string',
    from: 'member',
    requestId: 'numeric-action',
    frame: () => ({ action: 7, requestId: 'numeric-action' }),
  },
  {
    name: 'a wrong type: nodeId as a number',
    from: 'member',
    requestId: 'wrong-node-type',
    action: 'reportDataByNode',
    frame: (c) => ({
      action: 'reportDataByNode',
      requestId: 'wrong-node-type',
      groupId: c.groupId,
      domain: c.domain,
      nodeId: 42,
      data: [{ key: 'k', value: 'v' }],
    }),
  },
  {
    name: 'a wrong type: data as a string',
    from: 'member',
    requestId: 'wrong-data-type',
    action: 'reportDataByNode',
    frame: (c) => ({ ...ask('reportDataByNode', 'wrong-data-type', c), data: 'k=v' }),
  },
  {
    name: 'a wrong type: a status value as a number',
    from: 'member',
    requestId: 'wrong-value-type',
    action: 'reportDataByNode',
    frame: (c) => ({ ...ask('reportDataByNode', 'wrong-value-type', c), data: [{ key: 'k', value: 5 }] }),
  },
  {
    name: 'a wrong type: useWebSocket as a string',
    from: 'stranger',
    requestId: 'wrong-bool',
    action: 'createGroup',
    frame: (c) => ({
      action: 'createGroup',
      requestId: 'wrong-bool',
      name: 'g',
      hostId: uniqueId('host'),
      domain: c.domain,
      useWebSocket: 'yes',
    }),
  },
  {
    name: 'a missing field: joinGroup without nodeId',
    from: 'stranger',
    requestId: 'no-node',
    action: 'joinGroup',
    frame: (c) => ({ action: 'joinGroup', requestId: 'no-node', groupId: c.groupId, domain: c.domain }),
  },
  {
    name: 'a missing field: reportDataByNode without data',
    from: 'member',
    requestId: 'no-data',
    action: 'reportDataByNode',
    frame: (c) => ask('reportDataByNode', 'no-data', c),
  },
  {
    name: 'an empty string id',
    from: 'member',
    requestId: 'empty-id',
    action: 'reportDataByNode',
    frame: (c) => ({ ...ask('reportDataByNode', 'empty-id', c), nodeId: '', data: [{ key: 'k', value: 'v' }] }),
  },
  {
    name: 'an unknown extra field',
    from: 'member',
    requestId: 'extra-field',
    action: 'reportDataByNode',
    frame: (c) => ({ ...ask('reportDataByNode', 'extra-field', c), data: [{ key: 'k', value: 'v' }], admin: true }),
  },
  {
    name: 'an unknown extra field inside a status entry',
    from: 'member',
    requestId: 'extra-entry-field',
    action: 'reportDataByNode',
    frame: (c) => ({ ...ask('reportDataByNode', 'extra-entry-field', c), data: [{ key: 'k', value: 'v', ttl: 5 }] }),
  },
  {
    name: 'a domain of 257 characters',
    from: 'stranger',
    requestId: 'long-domain',
    action: 'createGroup',
    frame: (c) => ({
      action: 'createGroup',
      requestId: 'long-domain',
      name: 'g',
      hostId: uniqueId('host'),
      domain: longDomain(c.domain),
    }),
  },
  {
    name: `a groupId over ${LIMITS.maxGroupIdLength} characters`,
    from: 'stranger',
    requestId: 'long-group',
    action: 'joinGroup',
    frame: (c) => ({
      action: 'joinGroup',
      requestId: 'long-group',
      groupId: repeat(LIMITS.maxGroupIdLength + 1),
      domain: c.domain,
      nodeId: uniqueId('n'),
    }),
  },
  {
    name: `a status key over ${LIMITS.maxStatusKeyLength} characters`,
    from: 'member',
    requestId: 'long-key',
    action: 'reportDataByNode',
    frame: (c) => ({
      ...ask('reportDataByNode', 'long-key', c),
      data: [{ key: repeat(LIMITS.maxStatusKeyLength + 1), value: 'v' }],
    }),
  },
  {
    name: `a status value over ${LIMITS.maxStatusValueLength} characters`,
    from: 'member',
    requestId: 'long-value',
    action: 'reportDataByNode',
    frame: (c) => ({
      ...ask('reportDataByNode', 'long-value', c),
      data: [{ key: 'k', value: repeat(LIMITS.maxStatusValueLength + 1) }],
    }),
  },
  {
    name: `more than ${LIMITS.maxStatusKeysPerReport} status entries`,
    from: 'member',
    requestId: 'many-keys',
    action: 'reportDataByNode',
    frame: (c) => ({
      ...ask('reportDataByNode', 'many-keys', c),
      data: Array.from({ length: LIMITS.maxStatusKeysPerReport + 1 }, (_, i) => ({ key: `k${i}`, value: '' })),
    }),
  },
  {
    name: `a report that would make the node's status exceed ${LIMITS.maxStatusBytesPerNode} bytes`,
    from: 'member',
    requestId: 'status-too-big',
    action: 'reportDataByNode',
    frame: (c) => ({
      ...ask('reportDataByNode', 'status-too-big', c),
      data: Array.from({ length: 5 }, (_, i) => ({ key: `big${i}`, value: repeat(LIMITS.maxStatusValueLength) })),
    }),
  },
  {
    name: 'empty data',
    from: 'member',
    requestId: 'empty-data',
    action: 'reportDataByNode',
    frame: (c) => ({ ...ask('reportDataByNode', 'empty-data', c), data: [] }),
  },
  {
    name: 'empty events',
    from: 'member',
    requestId: 'empty-events',
    action: 'fireEventsByNode',
    frame: (c) => ({ ...ask('fireEventsByNode', 'empty-events', c), events: [] }),
  },
  {
    name: 'an invalid firedAt',
    from: 'member',
    requestId: 'bad-fired-at',
    action: 'fireEventsByNode',
    frame: (c) => ({
      ...ask('fireEventsByNode', 'bad-fired-at', c),
      events: [{ eventName: 'e', firedAt: 'yesterday' }],
    }),
  },
  {
    name: 'a firedAt without a time',
    from: 'member',
    requestId: 'date-only',
    action: 'fireEventsByNode',
    frame: (c) => ({ ...ask('fireEventsByNode', 'date-only', c), events: [{ eventName: 'e', firedAt: '2026-01-02' }] }),
  },
  {
    name: `an event name over ${LIMITS.maxEventNameLength} characters`,
    from: 'member',
    requestId: 'long-event-name',
    action: 'fireEventsByNode',
    frame: (c) => ({
      ...ask('fireEventsByNode', 'long-event-name', c),
      events: [{ eventName: repeat(LIMITS.maxEventNameLength + 1), firedAt: now() }],
    }),
  },
  {
    name: `an event payload over ${LIMITS.maxEventPayloadLength} characters`,
    from: 'member',
    requestId: 'long-payload',
    action: 'fireEventsByNode',
    frame: (c) => ({
      ...ask('fireEventsByNode', 'long-payload', c),
      events: [{ eventName: 'e', payload: repeat(LIMITS.maxEventPayloadLength + 1), firedAt: now() }],
    }),
  },
  {
    name: 'a valid event batch with one bad event (nothing of the batch is sent)',
    from: 'member',
    requestId: 'one-bad-event',
    action: 'fireEventsByNode',
    frame: (c) => ({
      ...ask('fireEventsByNode', 'one-bad-event', c),
      events: [
        { eventName: 'fine', firedAt: now() },
        { eventName: '', firedAt: now() },
      ],
    }),
  },
  ...[0, -5, 1.5].map((seconds): BadCase => ({
    name: `maxConnectionTimeSeconds ${seconds}`,
    from: 'stranger',
    requestId: `max-time-${seconds}`,
    action: 'createGroup',
    frame: (c) => ({
      action: 'createGroup',
      requestId: `max-time-${seconds}`,
      name: 'g',
      hostId: uniqueId('host'),
      domain: c.domain,
      maxConnectionTimeSeconds: seconds,
    }),
  })),
  {
    name: 'maxConnectionTimeSeconds above the server maximum (1500)',
    from: 'stranger',
    requestId: 'max-time-over',
    action: 'createGroup',
    frame: (c) => ({
      action: 'createGroup',
      requestId: 'max-time-over',
      name: 'g',
      hostId: uniqueId('host'),
      domain: c.domain,
      maxConnectionTimeSeconds: 1501,
    }),
  },
  {
    name: 'an invalid nextToken',
    from: 'member',
    requestId: 'bad-token',
    action: 'listNodesInGroup',
    frame: (c) => ({
      action: 'listNodesInGroup',
      requestId: 'bad-token',
      groupId: c.groupId,
      domain: c.domain,
      nextToken: '!!not-a-token!!',
    }),
  },
  {
    name: `a requestId over ${LIMITS.maxRequestIdLength} characters`,
    from: 'member',
    action: 'createDomain',
    frame: () => ({ action: 'createDomain', requestId: repeat(LIMITS.maxRequestIdLength + 1) }),
  },
];

/** The usual fields of a node action by the member, without its payload field. */
function ask(action: string, requestId: string, c: Context): Record<string, unknown> {
  return { action, requestId, groupId: c.groupId, domain: c.domain, nodeId: c.nodeId };
}

function longDomain(base: string): string {
  return base.padEnd(LIMITS.maxDomainLength + 1, 'z');
}

interface Snapshot {
  groups: unknown;
  nodes: unknown;
  statuses: unknown;
  longDomainGroups: unknown;
}

/**
 * Everything a bad request could have changed, read on a connection of its
 * own: the set runs faster than one connection's request rate allows.
 */
async function snapshot(t: TestGroup): Promise<Snapshot> {
  const key = { groupId: t.group.id, domain: t.domain };
  const observer = await connect();
  try {
    return {
      groups: await observer.call('listGroupsByDomain', { domain: t.domain }),
      nodes: await observer.call('listNodesInGroup', key),
      statuses: await observer.call('listGroupStatuses', key),
      longDomainGroups: await observer.call('listGroupsByDomain', {
        domain: longDomain(t.domain).slice(0, LIMITS.maxDomainLength),
      }),
    };
  } finally {
    await observer.close();
  }
}

describe('a bad request', () => {
  // One group serves the whole set (the connections are opened here, not by
  // `clients`, so they live across its tests); each case checks it is unchanged.
  let shared: TestGroup;
  let ctx: Context;
  const sharedClients: ProtocolSocket[] = [];

  beforeAll(async () => {
    shared = await openGroup(
      {
        async open(url?: string) {
          const client = await connect(url);
          sharedClients.push(client);
          return client;
        },
      },
      { members: 1 },
    );
    const member = shared.members[0];
    ctx = { groupId: shared.group.id, domain: shared.domain, nodeId: member.nodeId, hostId: shared.hostId };
    // The member reported once, so a status change would show.
    await member.client.call('reportDataByNode', {
      groupId: ctx.groupId,
      domain: ctx.domain,
      nodeId: ctx.nodeId,
      data: [{ key: 'before', value: '1' }],
    });
    await shared.host.nextPush();
  });

  afterAll(async () => {
    await Promise.all(sharedClients.map((client) => client.close()));
  });

  it.each(CASES.map((c) => [c.name, c] as const))(
    '(%s) gets a ValidationError, changes nothing and leaves the connection open',
    async (_name, badCase) => {
      const member = shared.members[0];
      const sender: ProtocolSocket = badCase.from === 'member' ? member.client : await clients.open();
      const before = await snapshot(shared);
      const frame = badCase.frame(ctx);
      const text = typeof frame === 'string' ? frame : JSON.stringify(frame);
      expect(utf8Bytes(text)).toBeLessThanOrEqual(LIMITS.maxClientMessageBytes);

      const reply = await sender.rawReply(text);

      expect(reply).toMatchObject({ type: 'error', errorType: 'ValidationError' });
      if (reply.type === 'error') {
        expect(typeof reply.message).toBe('string');
        expect(reply.message).not.toMatch(/\n\s+at /); // no stack trace
        if (badCase.requestId !== undefined) expect(reply.requestId).toBe(badCase.requestId);
        if (badCase.action !== undefined) expect(reply.action).toBe(badCase.action);
      }
      expect(sender.isOpen).toBe(true);
      await expect(sender.call('createDomain', {})).resolves.toEqual(expect.any(String));
      if (badCase.from === 'member') {
        const heartbeat = { groupId: ctx.groupId, domain: ctx.domain, nodeId: ctx.nodeId };
        await expect(sender.call('sendMemberHeartbeat', heartbeat)).resolves.toMatchObject({ nodeId: ctx.nodeId });
      }
      expect(await snapshot(shared)).toEqual(before);
      await shared.host.expectNoPush(100);
    },
  );
});

describe('frame size', () => {
  it('accepts a frame of exactly 32 KB', async () => {
    const { group, domain, host, members } = await openGroup(clients, { members: 1 });
    const [member] = members;
    const text = eventFrameOfBytes(LIMITS.maxClientMessageBytes, { groupId: group.id, domain, nodeId: member.nodeId });
    expect(utf8Bytes(text)).toBe(LIMITS.maxClientMessageBytes);

    const reply = await member.client.rawReply(text);

    expect(reply).toMatchObject({ type: 'result', action: 'fireEventsByNode', requestId: 'exactly-32k' });
    await expect(host.nextPush((p) => 'batchEvent' in p)).resolves.toMatchObject({ from: member.nodeId });
  });

  it('closes the connection with 1009 on a 33 KB frame, stores nothing, and keeps serving the others', async () => {
    const { group, domain, host, hostId, members } = await openGroup(clients, { members: 2 });
    const [big, other] = members;
    const key = { groupId: group.id, domain };
    const text = JSON.stringify({
      action: 'reportDataByNode',
      requestId: 'too-big',
      ...key,
      nodeId: big.nodeId,
      data: Array.from({ length: 9 }, (_, i) => ({ key: `k${i}`, value: 'x'.repeat(3800) })),
    });
    expect(utf8Bytes(text)).toBeGreaterThan(33 * 1024);

    big.client.sendRaw(text);
    const closed = await big.client.closed;

    expect(closed.code).toBe(1009);
    expect(await host.call('listGroupStatuses', key)).toEqual([]);
    await other.client.expectNoPush(300);
    // Everyone else carries on, and new connections are accepted.
    await host.call('reportDataByNode', { ...key, nodeId: hostId, data: [{ key: 'still', value: 'here' }] });
    await expect(other.client.nextPush((p) => p.from === hostId)).resolves.toMatchObject({ from: hostId });
    const newcomer = await clients.open();
    await expect(newcomer.call('listGroupsByDomain', { domain })).resolves.toHaveLength(1);
  });

  it(`cannot carry ${LIMITS.maxEventsPerBatch + 1} events: such a frame is over 32 KB, so the connection closes with 1009 and nothing is sent`, async () => {
    const { group, domain, host, members } = await openGroup(clients, { members: 1 });
    const [member] = members;
    const text = JSON.stringify({
      action: 'fireEventsByNode',
      groupId: group.id,
      domain,
      nodeId: member.nodeId,
      events: Array.from({ length: LIMITS.maxEventsPerBatch + 1 }, () => ({
        eventName: 'e',
        firedAt: '2026-01-02T03:04:05Z',
      })),
    });
    expect(utf8Bytes(text)).toBeGreaterThan(LIMITS.maxClientMessageBytes);

    member.client.sendRaw(text);

    expect((await member.client.closed).code).toBe(1009);
    await host.expectNoPush(500);
  });
});

/** A fireEventsByNode frame of exactly `bytes` UTF-8 bytes (ASCII payloads, so bytes = characters). */
function eventFrameOfBytes(bytes: number, key: { groupId: string; domain: string; nodeId: string }): string {
  const firedAt = new Date().toISOString();
  const build = (payloads: string[]) =>
    JSON.stringify({
      action: 'fireEventsByNode',
      requestId: 'exactly-32k',
      ...key,
      events: payloads.map((payload, i) => ({ eventName: `e${i}`, payload, firedAt })),
    });
  const count = Math.ceil(bytes / LIMITS.maxEventPayloadLength) + 1;
  let remaining = bytes - utf8Bytes(build(Array.from({ length: count }, () => '')));
  const payloads = Array.from({ length: count }, () => {
    const size = Math.min(remaining, LIMITS.maxEventPayloadLength);
    remaining -= size;
    return 'p'.repeat(size);
  });
  if (remaining !== 0) throw new Error('frame could not be sized');
  return build(payloads);
}
