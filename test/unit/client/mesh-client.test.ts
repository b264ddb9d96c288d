import { MeshClient, type MeshClientOptions } from '#client/index';
import { MeshError } from '#client/errors';
import { FakeServer, group, node, onFakeTime, status, T0, type Request } from './fake-server';
import type { NodePresence } from '#shared/protocol/types';

/** Advances fake time 1 ms at a time until `promise` settles. */
async function settle<T>(promise: Promise<T>, maxMs = 1000): Promise<T> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < maxMs && !done; i += 1) await jest.advanceTimersByTimeAsync(1);
  return promise;
}

function newClient(server: FakeServer, options: Partial<MeshClientOptions> = {}): MeshClient {
  return new MeshClient({
    url: 'ws://mesh.test',
    nodeId: 'me',
    domain: 'd1',
    WebSocket: server.WebSocket,
    random: () => 0.5,
    ...options,
  });
}

async function member(server = new FakeServer(), options: Partial<MeshClientOptions> = {}) {
  const client = newClient(server, options);
  await settle(client.joinGroup('g1', 'd1'));
  return { server, client };
}

async function host(server = new FakeServer(), options: Partial<MeshClientOptions> = {}) {
  const client = newClient(server, options);
  await settle(client.createGroup('room'));
  return { server, client };
}

function presence(nodeId: string): NodePresence {
  return { groupId: 'g1', domain: 'd1', nodeId, change: 'joined', timestamp: new Date().toISOString() };
}

const eventsSent = (server: FakeServer) =>
  server.requestsOf('fireEventsByNode').flatMap((r) => (r.events as { eventName: string }[]).map((e) => e.eventName));

describe('MeshClient', () => {
  let client: MeshClient | undefined;

  onFakeTime(() => {
    client?.close();
    client = undefined;
  });

  describe('requests', () => {
    it('matches replies by requestId and follows nextToken pages', async () => {
      const server = new FakeServer();
      server.on('listNodesInGroup', (r) =>
        r.nextToken === undefined
          ? { data: [node({ id: 'a' })], nextToken: 'p2' }
          : { data: [node({ id: 'b' }), node({ id: 'c' })] },
      );
      ({ client } = await member(server));
      // Entering the group read the member list already (all its pages).
      await jest.advanceTimersByTimeAsync(20);

      const nodes = await settle(client.listNodesInGroup());

      expect(nodes.map((n) => n.id)).toEqual(['a', 'b', 'c']);
      expect(client.members()).toEqual(['a', 'b', 'c', 'me']);
      const pages = server.requestsOf('listNodesInGroup');
      expect(pages.map((r) => r.nextToken)).toEqual([undefined, 'p2', undefined, 'p2']);
      expect(new Set(server.requests.map((r) => r.requestId)).size).toBe(server.requests.length);
    });

    it('rejects with Timeout when no reply comes', async () => {
      const server = new FakeServer();
      server.on('getNodeStatus', () => 'no-reply');
      ({ client } = await member(server, { requestTimeoutMs: 500 }));

      const call = client.getNodeStatus('x');
      const failure = expect(call).rejects.toMatchObject({ errorType: 'Timeout', shouldDisconnect: false });
      await jest.advanceTimersByTimeAsync(500);
      await failure;
    });

    it('rejects a server error as a MeshError with errorType and shouldDisconnect', async () => {
      const server = new FakeServer();
      server.on('joinGroup', () => ({ error: 'GroupNotFound', message: 'gone' }));
      client = newClient(server);

      const error = await settle(client.joinGroup('g1', 'd1')).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(MeshError);
      expect(error).toMatchObject({ errorType: 'GroupNotFound', shouldDisconnect: true, action: 'joinGroup' });
      expect(client.group).toBeNull();
    });

    it('sends a batch refused as RateLimited again later, reporting the refusal once, and keeps its group', async () => {
      const server = new FakeServer();
      let refused = 0;
      server.on('fireEventsByNode', () =>
        refused++ === 0 ? { error: 'RateLimited', message: 'too fast' } : { data: { groupId: 'g1', domain: 'd1' } },
      );
      ({ client } = await member(server));
      const errors: string[] = [];
      client.on('error', (error) => errors.push(error.errorType));

      client.fireEvent('go');
      await jest.advanceTimersByTimeAsync(1000);

      expect(eventsSent(server)).toEqual(['go', 'go']);
      expect(errors).toEqual(['RateLimited']);
      expect(client.stats()).toMatchObject({ eventsConfirmed: 1, eventsPending: 0 });
      expect(client.group).not.toBeNull();
    });
  });

  describe('receiving', () => {
    it("loads everyone's status on join, merges pushed deltas and ignores its own messages", async () => {
      const server = new FakeServer();
      server.on('listGroupStatuses', () => ({
        data: [status('a', { x: '1', y: '2' }, T0 - 10), status('me', { own: '1' })],
      }));
      const changes: unknown[] = [];
      client = newClient(server);
      client.on('status', (nodeId, changed, all) => changes.push([nodeId, changed, all]));
      await settle(client.joinGroup('g1', 'd1'));

      server.push('a', { nodeStatus: status('a', { y: '3' }) });
      server.push('me', { nodeStatus: status('me', { own: '2' }) });

      expect(client.remoteData()).toEqual({ a: { x: '1', y: '3' } });
      expect(changes).toEqual([
        ['a', { x: '1', y: '2' }, { x: '1', y: '2' }],
        ['a', { y: '3' }, { x: '1', y: '3' }],
      ]);
    });

    it('emits events in sender order, dropping seq duplicates and re-sent copies', async () => {
      let server: FakeServer;
      ({ client, server } = await member(undefined, { eventReplay: 'raw' }));
      const got: string[] = [];
      client.on('event', (event) => got.push(event.name));
      const deliver = (seq: number, names: string[], firedAt: string) =>
        server.socket.deliver({
          type: 'message',
          groupId: 'g1',
          domain: 'd1',
          from: 'a',
          epoch: 'e1',
          seq,
          sentAt: firedAt,
          batchEvent: {
            firedByNodeId: 'a',
            groupId: 'g1',
            domain: 'd1',
            timestamp: firedAt,
            events: names.map((name) => ({
              name,
              firedByNodeId: 'a',
              groupId: 'g1',
              domain: 'd1',
              payload: null,
              timestamp: firedAt,
            })),
          },
        });

      deliver(1, ['a1', 'a2'], '2026-01-01T00:00:00.000Z');
      deliver(3, ['c1'], '2026-01-01T00:00:00.500Z');
      deliver(2, ['b1'], '2026-01-01T00:00:00.250Z');
      deliver(2, ['b1'], '2026-01-01T00:00:00.250Z');
      // The sender re-sent its seq-3 batch after losing the reply: new seq, same events.
      deliver(4, ['c1'], '2026-01-01T00:00:00.500Z');
      deliver(5, ['d1'], '2026-01-01T00:00:00.750Z');

      expect(got).toEqual(['a1', 'a2', 'b1', 'c1', 'd1']);
      expect(client.stats()).toMatchObject({ duplicatesDropped: 1, batchCopiesDropped: 1 });
    });

    it("uses the others' pushes that come before its join's reply, after the reply's senders", async () => {
      const server = new FakeServer();
      // The server subscribes the node before it answers: a's join (seq 1) and first status (seq 2) come first.
      server.on('joinGroup', (r) => {
        server.push('a', { nodePresence: presence('a') });
        server.push('a', { nodeStatus: status('a', { x: '1' }) });
        server.push('b', { nodeStatus: status('b', { y: '1' }) }, { groupId: 'other', domain: 'd1' });
        return {
          data: { ...server.nodeInfo, id: r.nodeId as string, senders: [{ nodeId: 'a', epoch: 'e1', seq: 1 }] },
        };
      });
      client = newClient(server);

      await settle(client.joinGroup('g1', 'd1'));
      server.push('a', { nodeStatus: status('a', { x: '2' }) });

      // Seq 1 was before the join (the senders say so), seq 2 after: used at once, nothing skipped or waited for.
      expect(client.remoteData()).toEqual({ a: { x: '2' } });
      expect(client.stats()).toMatchObject({ seqsSkipped: 0, duplicatesDropped: 1 });
    });

    it('keeps nothing of the pushes that came while a join failed', async () => {
      const server = new FakeServer();
      server.on('joinGroup', () => {
        server.push('a', { nodeStatus: status('a', { x: '1' }) });
        return { error: 'GroupNotFound' };
      });
      client = newClient(server);
      await expect(settle(client.joinGroup('g1', 'd1'))).rejects.toMatchObject({ errorType: 'GroupNotFound' });

      server.on('joinGroup', (r) => ({ data: { ...server.nodeInfo, id: r.nodeId as string } }));
      await settle(client.joinGroup('g1', 'd1'));

      expect(client.remoteData()).toEqual({});
    });

    it('ignores pushes of another group', async () => {
      let server: FakeServer;
      ({ client, server } = await member());
      server.push('a', { nodeStatus: status('a', { x: '1' }) }, { groupId: 'other', domain: 'd1' });
      expect(client.remoteData()).toEqual({});
    });

    it('leaves the group and emits dissolve when the host dissolves it', async () => {
      let s: FakeServer;
      ({ client, server: s } = await member());
      const dissolved = jest.fn();
      client.on('dissolve', dissolved);

      s.push('host', { groupDissolve: { groupId: 'g1', domain: 'd1', message: 'bye' } });

      expect(dissolved).toHaveBeenCalledWith({ groupId: 'g1', domain: 'd1', message: 'bye' });
      expect(client.group).toBeNull();
    });
  });
});

describe('MeshClient lifecycle', () => {
  let client: MeshClient | undefined;

  onFakeTime(() => {
    client?.close();
    client = undefined;
  });

  it('renews the host heartbeat at the interval createGroup returned', async () => {
    const server = new FakeServer();
    server.groupInfo = group({ heartbeatIntervalSeconds: 30 });
    ({ client } = await host(server));

    await jest.advanceTimersByTimeAsync(30_000 - (Date.now() - T0) - 1);
    expect(server.requestsOf('renewHeartbeat')).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(2);
    expect(server.requestsOf('renewHeartbeat')).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(server.requestsOf('renewHeartbeat')).toHaveLength(3);
    expect(server.requestsOf('renewHeartbeat')[0]).toMatchObject({ groupId: 'g1', domain: 'd1', hostId: 'me' });
  });

  it('sends the member heartbeat at the interval joinGroup returned, and follows a new interval', async () => {
    const server = new FakeServer();
    ({ client } = await member(server));

    await jest.advanceTimersByTimeAsync(119_000);
    expect(server.requestsOf('sendMemberHeartbeat')).toHaveLength(0);
    server.nodeInfo = node({ heartbeatIntervalSeconds: 10 });
    await jest.advanceTimersByTimeAsync(1000);
    expect(server.requestsOf('sendMemberHeartbeat')).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(30_000);
    expect(server.requestsOf('sendMemberHeartbeat')).toHaveLength(4);
    expect(server.requestsOf('renewHeartbeat')).toHaveLength(0);
  });

  it('emits expired when the group passes expiresAt, and stops beating', async () => {
    const server = new FakeServer();
    server.groupInfo = group({ heartbeatIntervalSeconds: 1, expiresAt: new Date(T0 + 2000).toISOString() });
    ({ client } = await host(server));
    const expired = jest.fn();
    client.on('expired', expired);

    await jest.advanceTimersByTimeAsync(2000);

    expect(expired).toHaveBeenCalledWith({ groupId: 'g1', domain: 'd1', expiresAt: new Date(T0 + 2000).toISOString() });
    expect(client.group).toBeNull();
    const beats = server.requestsOf('renewHeartbeat').length;
    await jest.advanceTimersByTimeAsync(5000);
    expect(server.requestsOf('renewHeartbeat')).toHaveLength(beats);
  });

  it('leaves the group state and emits disconnect on GroupNotFound', async () => {
    const server = new FakeServer();
    server.on('sendMemberHeartbeat', () => ({ error: 'GroupNotFound', message: 'group not found' }));
    ({ client } = await member(server));
    const disconnected = jest.fn();
    client.on('disconnect', disconnected);

    await jest.advanceTimersByTimeAsync(120_001);

    expect(disconnected).toHaveBeenCalledTimes(1);
    expect(disconnected.mock.calls[0][0]).toMatchObject({ errorType: 'GroupNotFound', shouldDisconnect: true });
    expect(client.group).toBeNull();
  });

  it('sends the status it was given and events fired, batched every 250 ms', async () => {
    let server: FakeServer;
    ({ client, server } = await member());
    client.setData('score', 10);
    client.setData({ name: 'cat', score: 11 });
    for (let i = 0; i < 5; i += 1) client.fireEvent(`e${i}`, i === 0 ? 'p' : null);
    await jest.advanceTimersByTimeAsync(260);

    expect(server.requestsOf('reportDataByNode').map((r) => r.data)).toEqual([
      [
        { key: 'score', value: '11' },
        { key: 'name', value: 'cat' },
      ],
    ]);
    const batches = server.requestsOf('fireEventsByNode');
    expect(batches).toHaveLength(1);
    expect(batches[0].events).toEqual([
      { eventName: 'e0', payload: 'p', firedAt: expect.any(String) },
      ...[1, 2, 3, 4].map((i) => ({ eventName: `e${i}`, payload: null, firedAt: expect.any(String) })),
    ]);
    expect(client.stats()).toMatchObject({
      eventsFired: 5,
      eventsConfirmed: 5,
      eventsPending: 0,
      sent: { fireEventsByNode: 1 },
    });
  });

  it('leave() sends what is pending, then leaveGroup as member', async () => {
    let server: FakeServer;
    ({ client, server } = await member());
    client.fireEvent('last');

    await settle(client.leave());

    expect(server.actions().slice(-2)).toEqual(['fireEventsByNode', 'leaveGroup']);
    expect(client.group).toBeNull();
  });

  it('leave() dissolves as host', async () => {
    let server: FakeServer;
    ({ client, server } = await host());
    await settle(client.leave());
    expect(server.requestsOf('dissolveGroup')).toEqual([expect.objectContaining({ groupId: 'g1', hostId: 'me' })]);
  });
});

describe('MeshClient reconnect', () => {
  let client: MeshClient | undefined;

  onFakeTime(() => {
    client?.close();
    client = undefined;
  });

  it('rejoins, reloads statuses, re-sends its full status, then the events queued meanwhile, each once', async () => {
    let server: FakeServer;
    ({ client, server } = await member());
    client.setData({ a: '1', b: '1' });
    client.fireEvent('before');
    await jest.advanceTimersByTimeAsync(300);
    const seen: string[] = [];
    client.on('reconnecting', (info) => seen.push(`reconnecting ${info.attempt} ${info.code}`));
    client.on('reconnected', () => seen.push('reconnected'));
    server.on('listGroupStatuses', () => ({ data: [status('other', { v: 'new' })] }));
    const firstSocket = server.socket;
    const before = server.requests.length;

    firstSocket.drop(1006);
    client.setData('b', '2');
    client.fireEvent('during-1');
    client.fireEvent('during-2');
    await jest.advanceTimersByTimeAsync(2000);

    expect(server.sockets).toHaveLength(2);
    expect(seen).toEqual(['reconnecting 1 1006', 'reconnected']);
    const after = server.requests.slice(before);
    expect(after.map((r) => r.action)).toEqual([
      'joinGroup',
      'listGroupStatuses',
      'listNodesInGroup',
      'reportDataByNode',
      'fireEventsByNode',
    ]);
    expect(after[0]).toMatchObject({ groupId: 'g1', domain: 'd1', nodeId: 'me' });
    expect(after[3].data).toHaveLength(2);
    expect(after[3].data).toEqual(
      expect.arrayContaining([
        { key: 'a', value: '1' },
        { key: 'b', value: '2' },
      ]),
    );
    expect(eventsSent(server)).toEqual(['before', 'during-1', 'during-2']);
    expect(client.remoteData()).toEqual({ other: { v: 'new' } });
    expect(client.stats()).toMatchObject({ reconnects: 1, eventsPending: 0 });
  });

  it('sends a batch whose reply was lost with the connection again once, unchanged', async () => {
    let server: FakeServer;
    ({ client, server } = await member());
    let replies = 0;
    server.on('fireEventsByNode', () => (replies++ === 0 ? 'no-reply' : { data: {} }));
    client.fireEvent('x');
    client.fireEvent('y');
    await jest.advanceTimersByTimeAsync(260);
    server.socket.drop();
    client.fireEvent('z');
    await jest.advanceTimersByTimeAsync(2000);

    const batches = server.requestsOf('fireEventsByNode');
    expect(batches.map((b) => (b.events as { eventName: string }[]).map((e) => e.eventName))).toEqual([
      ['x', 'y'],
      ['x', 'y'],
      ['z'],
    ]);
    expect(batches[1].events).toEqual(batches[0].events);
    expect(batches[1].requestId).not.toBe(batches[0].requestId);
  });

  it('waits with jittered exponential backoff between failed attempts', async () => {
    let server: FakeServer;
    ({ client, server } = await member(undefined, { reconnectInitialDelayMs: 100, reconnectMaxDelayMs: 1000 }));
    const delays: number[] = [];
    client.on('reconnecting', (info) => delays.push(info.delayMs));
    server.refuse = true;

    server.socket.drop();
    await jest.advanceTimersByTimeAsync(3000);
    server.refuse = false;
    await jest.advanceTimersByTimeAsync(2000);

    // random() = 0.5: 3/4 of the base, base 100, 200, 400, 800, 1000 (cap), …
    expect(delays.slice(0, 6)).toEqual([75, 150, 300, 600, 750, 750]);
    expect(client.state).toBe('open');
    expect(client.group).not.toBeNull();
  });

  it('rejoins as host with createGroup (idempotent) and keeps the group', async () => {
    let server: FakeServer;
    ({ client, server } = await host());
    server.socket.drop(1001);
    await jest.advanceTimersByTimeAsync(2000);

    expect(server.requestsOf('createGroup')).toHaveLength(2);
    expect(server.requestsOf('createGroup')[1]).toMatchObject({ name: 'room', hostId: 'me', domain: 'd1' });
    expect(client.group).toMatchObject({ role: 'host', groupId: 'g1' });
  });

  it('ends in disconnect with GroupNotFound when the group is gone on rejoin', async () => {
    let server: FakeServer;
    ({ client, server } = await member());
    const reasons: MeshError[] = [];
    client.on('disconnect', (reason) => reasons.push(reason));
    client.fireEvent('lost-with-the-group');
    server.on('joinGroup', () => ({ error: 'GroupNotFound', message: 'group not found' }));

    server.socket.drop();
    await jest.advanceTimersByTimeAsync(2000);

    expect(reasons.map((r) => r.errorType)).toEqual(['GroupNotFound']);
    expect(client.group).toBeNull();
    expect(client.state).toBe('open');
    expect(server.requestsOf('fireEventsByNode')).toHaveLength(0);
  });

  it('dissolves a group the host made by accident on rejoin, and disconnects', async () => {
    let server: FakeServer;
    ({ client, server } = await host());
    const reasons: MeshError[] = [];
    client.on('disconnect', (reason) => reasons.push(reason));
    server.on('createGroup', (r: Request) => ({ data: group({ id: 'g2', hostId: r.hostId as string }) }));

    server.socket.drop();
    await jest.advanceTimersByTimeAsync(2000);

    expect(server.requestsOf('dissolveGroup')).toEqual([expect.objectContaining({ groupId: 'g2' })]);
    expect(reasons.map((r) => r.errorType)).toEqual(['GroupNotFound']);
  });

  it('presents the nodeToken its join was handed when it rejoins, as a member and as host', async () => {
    let server: FakeServer;
    ({ client, server } = await member());
    expect(server.requestsOf('joinGroup')[0]).not.toHaveProperty('nodeToken');
    server.socket.drop();
    await jest.advanceTimersByTimeAsync(2000);
    expect(server.requestsOf('joinGroup')[1]).toMatchObject({ nodeId: 'me', nodeToken: 'token-me' });
    client.close();

    ({ client, server } = await host());
    server.socket.drop();
    await jest.advanceTimersByTimeAsync(2000);
    expect(server.requestsOf('createGroup')[1]).toMatchObject({ hostId: 'me', nodeToken: 'token-me' });
  });

  it('does not reconnect after close()', async () => {
    let server: FakeServer;
    ({ client, server } = await member());
    client.close();
    await jest.advanceTimersByTimeAsync(5000);
    expect(server.sockets).toHaveLength(1);
    expect(client.state).toBe('closed');
  });
});

describe('MeshClient storage', () => {
  onFakeTime();

  /** A Web Storage stand-in, like sessionStorage. */
  function memoryStorage() {
    const items = new Map<string, string>();
    return {
      items,
      getItem: (key: string) => items.get(key) ?? null,
      setItem: (key: string, value: string) => void items.set(key, value),
      removeItem: (key: string) => void items.delete(key),
    };
  }

  it('keeps its node id and token, so a reloaded page comes back as the same node', async () => {
    const server = new FakeServer();
    const storage = memoryStorage();
    const first = newClient(server, { nodeId: undefined, storage });
    await settle(first.joinGroup('g1', 'd1'));
    first.close();

    const reloaded = newClient(server, { nodeId: undefined, storage });
    await settle(reloaded.joinGroup('g1', 'd1'));
    reloaded.close();

    expect(reloaded.nodeId).toBe(first.nodeId);
    const joins = server.requestsOf('joinGroup');
    expect(joins[0]).not.toHaveProperty('nodeToken');
    expect(joins[1]).toMatchObject({ nodeId: first.nodeId, nodeToken: `token-${first.nodeId}` });
  });

  it('forgets the token once the node is gone (left), and keeps nothing else of the group', async () => {
    const server = new FakeServer();
    const storage = memoryStorage();
    const client = newClient(server, { storage });
    await settle(client.joinGroup('g1', 'd1'));
    expect([...storage.items.values()]).toContain('token-me');

    await settle(client.leave());
    client.close();

    expect([...storage.items.values()]).not.toContain('token-me');
  });

  it('goes on from memory when the storage throws', async () => {
    const server = new FakeServer();
    const broken = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
      removeItem: () => {
        throw new Error('SecurityError');
      },
    };
    const client = newClient(server, { nodeId: undefined, storage: broken });
    await settle(client.joinGroup('g1', 'd1'));
    server.socket.drop();
    await jest.advanceTimersByTimeAsync(2000);
    client.close();

    expect(server.requestsOf('joinGroup')[1]).toMatchObject({ nodeToken: `token-${client.nodeId}` });
  });
});
