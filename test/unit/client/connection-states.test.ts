/**
 * The connection state machine (client/connection/states.ts) through
 * MeshClient's public API: every transition of the table, the order of
 * `stateChange` and the reconnect events, giving up into `failed` and
 * starting afresh, and what a call does while (re)connecting.
 */
import { STATES, type ConnectionState } from '#client/connection/states';
import { MeshClient, type MeshClientOptions } from '#client/index';
import type { MeshError } from '#client/errors';
import { FakeServer, T0 } from './fake-server';

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

/** What the client did, in order: `state a→b`, `reconnecting n`, `reconnected`, `disconnect T`, `error T`. */
interface Watched {
  server: FakeServer;
  client: MeshClient;
  log: string[];
  moves: () => string[];
}

let watched: Watched | undefined;

function watch(options: Partial<MeshClientOptions> = {}, server = new FakeServer()): Watched {
  const client = new MeshClient({
    url: 'ws://mesh.test',
    nodeId: 'me',
    domain: 'd1',
    WebSocket: server.WebSocket,
    random: () => 0.5,
    ...options,
  });
  const log: string[] = [];
  client.on('stateChange', ({ previous, current }) => log.push(`state ${previous}→${current}`));
  client.on('reconnecting', ({ attempt }) => log.push(`reconnecting ${attempt}`));
  client.on('reconnected', () => log.push('reconnected'));
  client.on('disconnect', (reason) => log.push(`disconnect ${reason.errorType}`));
  client.on('error', (error) => log.push(`error ${error.errorType}`));
  const moves = () => log.filter((line) => line.startsWith('state ')).map((line) => line.slice(6));
  watched = { server, client, log, moves };
  return watched;
}

beforeEach(() => jest.useFakeTimers({ now: T0 }));
afterEach(() => {
  watched?.client.close();
  watched = undefined;
  jest.useRealTimers();
});

const edges = Object.entries(STATES).flatMap(([from, spec]) => spec.next.map((to) => `${from}→${to}`));

/** One way to make each transition of the table happen. */
const scenarios: Record<string, { options?: Partial<MeshClientOptions>; run: (w: Watched) => Promise<void> }> = {
  // The attempt is left running; afterEach closes the client, which rejects it.
  'idle→connecting': { run: async ({ client }) => void client.connect().catch(() => undefined) },
  'idle→closed': { run: async ({ client }) => client.close() },
  'connecting→open': { run: ({ client }) => settle(client.connect()) },
  'connecting→idle': {
    run: async ({ client, server }) => {
      server.refuse = true;
      await expect(settle(client.connect())).rejects.toMatchObject({ errorType: 'ConnectionClosed' });
    },
  },
  'connecting→closed': {
    run: async ({ client }) => {
      const connecting = client.connect();
      client.close();
      await expect(connecting).rejects.toMatchObject({ errorType: 'ClientClosed' });
    },
  },
  'open→reconnecting': {
    run: async ({ client, server }) => {
      await settle(client.connect());
      server.socket.drop();
    },
  },
  'open→failed': {
    options: { reconnect: false },
    run: async ({ client, server }) => {
      await settle(client.connect());
      server.socket.drop();
    },
  },
  'open→closed': {
    run: async ({ client }) => {
      await settle(client.connect());
      client.close();
    },
  },
  'reconnecting→open': {
    run: async ({ client, server }) => {
      await settle(client.connect());
      server.socket.drop();
      await jest.advanceTimersByTimeAsync(1000);
    },
  },
  'reconnecting→failed': {
    options: { maxReconnectAttempts: 2 },
    run: async ({ client, server }) => {
      await settle(client.connect());
      server.refuse = true;
      server.socket.drop();
      await jest.advanceTimersByTimeAsync(5000);
    },
  },
  'reconnecting→closed': {
    run: async ({ client, server }) => {
      await settle(client.connect());
      server.socket.drop();
      client.close();
    },
  },
  'failed→connecting': {
    options: { reconnect: false },
    run: async ({ client, server }) => {
      await settle(client.connect());
      server.socket.drop();
      void client.connect().catch(() => undefined);
    },
  },
  'failed→closed': {
    options: { reconnect: false },
    run: async ({ client, server }) => {
      await settle(client.connect());
      server.socket.drop();
      client.close();
    },
  },
};

describe('the connection state table', () => {
  it('has a scenario for every transition it allows, and no other', () => {
    expect(Object.keys(scenarios).sort()).toEqual([...edges].sort());
  });

  it.each(edges)('%s happens, and is announced with stateChange', async (edge) => {
    const { options, run } = scenarios[edge];
    const w = watch(options);
    await run(w);
    expect(w.moves()).toContain(edge);
    expect(w.client.state).toBe(edge.split('→')[1] as ConnectionState);
  });

  it('announces only moves the table allows', async () => {
    const w = watch({ maxReconnectAttempts: 2 });
    await settle(w.client.joinGroup('g1'));
    w.server.socket.drop();
    await jest.advanceTimersByTimeAsync(1000);
    w.server.refuse = true;
    w.server.socket.drop();
    await jest.advanceTimersByTimeAsync(5000);
    w.server.refuse = false;
    await settle(w.client.connect());
    w.client.close();

    expect(w.moves().every((move) => edges.includes(move))).toBe(true);
    expect(w.moves()).toHaveLength(9);
  });

  it('stays closed: connect() and calls reject with ClientClosed and open nothing', async () => {
    const w = watch();
    w.client.close();
    await expect(w.client.connect()).rejects.toMatchObject({ errorType: 'ClientClosed' });
    await expect(w.client.listGroups()).rejects.toMatchObject({ errorType: 'ClientClosed' });
    expect(w.server.sockets).toHaveLength(0);
    expect(w.client.state).toBe('closed');
  });
});

describe('reconnecting', () => {
  it('emits stateChange, reconnecting and reconnected in order', async () => {
    const w = watch();
    await settle(w.client.joinGroup('g1'));
    w.server.socket.drop(1006);
    await jest.advanceTimersByTimeAsync(1000);

    expect(w.log).toEqual([
      'state idle→connecting',
      'state connecting→open',
      'state open→reconnecting',
      'reconnecting 1',
      'state reconnecting→open',
      'reconnected',
    ]);
  });

  it('gives up into failed after maxReconnectAttempts, ends the group, and stops trying', async () => {
    const w = watch({ maxReconnectAttempts: 3 });
    await settle(w.client.joinGroup('g1'));
    w.server.refuse = true;
    w.server.socket.drop();
    await jest.advanceTimersByTimeAsync(10_000);

    expect(w.log.slice(2)).toEqual([
      'state open→reconnecting',
      'reconnecting 1',
      'reconnecting 2',
      'reconnecting 3',
      'state reconnecting→failed',
      'disconnect ConnectionClosed',
    ]);
    expect(w.client.group).toBeNull();
    expect(w.server.sockets).toHaveLength(4);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(w.server.sockets).toHaveLength(4);
  });

  it('after failed, rejects every call with ConnectionFailed without reconnecting, until connect() starts afresh', async () => {
    const w = watch({ reconnect: false });
    await settle(w.client.joinGroup('g1'));
    w.server.socket.drop();
    expect(w.client.state).toBe('failed');

    const refused = await w.client.getNodeStatus('x').catch((e: MeshError) => e);
    expect(refused).toMatchObject({ errorType: 'ConnectionFailed', action: 'getNodeStatus' });
    await expect(w.client.joinGroup('g1')).rejects.toMatchObject({ errorType: 'ConnectionFailed' });
    await expect(w.client.request('listGroupsByDomain', { domain: 'd1' })).rejects.toMatchObject({
      errorType: 'ConnectionFailed',
    });
    expect(w.server.sockets).toHaveLength(1);

    await settle(w.client.connect());
    expect(w.client.state).toBe('open');
    expect(w.server.sockets).toHaveLength(2);
    await settle(w.client.joinGroup('g1'));
    expect(w.client.group).toMatchObject({ groupId: 'g1' });
  });

  it('connect() resolves only once reconnected, not while the socket is open and the rejoin still pending', async () => {
    const w = watch({ requestTimeoutMs: 500 });
    await settle(w.client.joinGroup('g1'));
    w.server.on('joinGroup', () => 'no-reply');
    w.server.socket.drop();
    let connected = false;
    void w.client.connect().then(() => (connected = true));

    await jest.advanceTimersByTimeAsync(300);
    expect(w.server.sockets).toHaveLength(2);
    expect(w.server.socket.readyState).toBe(1);
    expect(w.client.state).toBe('reconnecting');
    expect(connected).toBe(false);

    w.server.on('joinGroup', (r) => ({ data: { ...w.server.nodeInfo, id: r.nodeId as string } }));
    await jest.advanceTimersByTimeAsync(2000);
    expect(w.client.state).toBe('open');
    expect(connected).toBe(true);
  });

  it('connect() while reconnecting rejects with ConnectionFailed when reconnecting gives up', async () => {
    const w = watch({ maxReconnectAttempts: 1 });
    await settle(w.client.connect());
    w.server.refuse = true;
    w.server.socket.drop();
    const connecting = w.client.connect();
    const failure = expect(connecting).rejects.toMatchObject({ errorType: 'ConnectionFailed' });
    await jest.advanceTimersByTimeAsync(1000);
    await failure;
  });
});

describe('a call made while (re)connecting', () => {
  it('waits while reconnecting and goes out after the rejoin', async () => {
    const w = watch();
    await settle(w.client.joinGroup('g1'));
    const before = w.server.requests.length;
    w.server.socket.drop();
    expect(w.client.state).toBe('reconnecting');

    const status = await settle(w.client.getNodeStatus('x'), 2000);

    expect(status).toBeNull();
    const after = w.server.actions().slice(before);
    expect(after.indexOf('getNodeStatus')).toBeGreaterThan(after.indexOf('listGroupStatuses'));
    expect(after[0]).toBe('joinGroup');
  });

  it('fails with Timeout when the reconnect takes longer than its requestTimeoutMs', async () => {
    const w = watch({ requestTimeoutMs: 500 });
    await settle(w.client.connect());
    w.server.refuse = true;
    w.server.socket.drop();
    const call = w.client.getNodeStatus('x');
    const failure = expect(call).rejects.toMatchObject({ errorType: 'Timeout' });
    await jest.advanceTimersByTimeAsync(500);
    await failure;
    expect(w.server.requestsOf('getNodeStatus')).toHaveLength(0);
  });

  it('fails with ConnectionFailed when reconnecting gives up', async () => {
    const w = watch({ maxReconnectAttempts: 1 });
    await settle(w.client.connect());
    w.server.refuse = true;
    w.server.socket.drop();
    const call = w.client.getNodeStatus('x');
    const failure = expect(call).rejects.toMatchObject({ errorType: 'ConnectionFailed' });
    await jest.advanceTimersByTimeAsync(1000);
    await failure;
  });

  it('waits while connecting (one socket for connect() and the call), and connects from idle by itself', async () => {
    const w = watch();
    void w.client.connect();
    const nodes = await settle(w.client.listNodesInGroup({ groupId: 'g1', domain: 'd1' }));
    expect(nodes).toEqual([]);
    expect(w.server.sockets).toHaveLength(1);

    const fresh = watch();
    await settle(fresh.client.request('listGroupsByDomain', { domain: 'd1' }));
    expect(fresh.moves()).toEqual(['idle→connecting', 'connecting→open']);
    w.client.close();
  });
});
