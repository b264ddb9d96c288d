/**
 * MeshClient's `authToken`: the credential of a mesh that checks connections
 * goes as the `token` query parameter of every connect, and a function is
 * asked anew before each attempt (a reconnect presents a fresh token).
 */
import { MeshClient, type MeshClientOptions } from '#client/index';
import { FakeServer, onFakeTime } from './fake-server';

let client: MeshClient | undefined;

onFakeTime(() => {
  client?.close();
  client = undefined;
});

async function joined(server: FakeServer, options: Partial<MeshClientOptions>): Promise<MeshClient> {
  client = new MeshClient({ url: 'ws://mesh.test/prod', nodeId: 'me', WebSocket: server.WebSocket, ...options });
  const join = client.joinGroup('g1', 'd1');
  await jest.advanceTimersByTimeAsync(50);
  await join;
  return client;
}

const tokenOf = (url: string) => new URL(url).searchParams.get('token');

it('sends a string token as the token query parameter, keeping the rest of the URL', async () => {
  const server = new FakeServer();

  await joined(server, { authToken: 'a key/with+odd=chars' });

  expect(server.sockets[0].url).toBe('ws://mesh.test/prod?token=a+key%2Fwith%2Bodd%3Dchars');
  expect(tokenOf(server.sockets[0].url)).toBe('a key/with+odd=chars');
});

it('asks a token function before each attempt: a reconnect presents the fresh token', async () => {
  const server = new FakeServer();
  let issued = 0;

  await joined(server, { authToken: async () => `jwt-${++issued}`, reconnectInitialDelayMs: 10 });
  server.socket.drop();
  await jest.advanceTimersByTimeAsync(200);

  expect(server.sockets.map((socket) => tokenOf(socket.url))).toEqual(['jwt-1', 'jwt-2']);
  expect(client!.state).toBe('open');
});

it('adds nothing to the URL without a token (an open mesh)', async () => {
  const server = new FakeServer();

  await joined(server, {});

  expect(server.sockets[0].url).toBe('ws://mesh.test/prod');
});
