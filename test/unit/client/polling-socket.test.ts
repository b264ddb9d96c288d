/**
 * The polling socket tells the server of a fallback once: a socket opened
 * because the WebSocket would not (`fellBack`) adds `transportFallback: true`
 * to its first request only, whatever that request is and whatever its
 * reply; any other socket never sends the field. The HTTPS endpoint is a
 * stubbed fetch that records every body and answers a result.
 */
import { openPollingSocket } from '#client/polling/open';
import type { SocketLike } from '#client/transport';

let bodies: Record<string, unknown>[];

beforeEach(() => {
  bodies = [];
  jest.spyOn(globalThis, 'fetch').mockImplementation(async (_url, init) => {
    const body = JSON.parse(String(init?.body)) as Record<string, unknown>;
    bodies.push(body);
    return new Response(JSON.stringify({ type: 'result', action: body.action, requestId: body.requestId, data: 'd' }));
  });
});

afterEach(() => jest.restoreAllMocks());

/** Sends `count` requests on `socket` and resolves once each has its reply. */
async function sendRequests(socket: SocketLike, count: number): Promise<void> {
  const replies: unknown[] = [];
  socket.onmessage = (event) => replies.push(event.data);
  for (let i = 0; i < count; i += 1) {
    socket.send(JSON.stringify({ action: i === 0 ? 'listGroupsByDomain' : 'createDomain', requestId: `r-${i}` }));
  }
  while (replies.length < count) await new Promise((resolve) => setTimeout(resolve, 1));
}

const options = { httpUrl: 'https://mesh.example/', requestTimeoutMs: 1_000 };

it('sends transportFallback: true on the first request of a socket that replaces a WebSocket, and on no other', async () => {
  const socket = await openPollingSocket({ ...options, fellBack: true });

  await sendRequests(socket, 3);
  socket.close();

  expect(bodies.map((body) => body.transportFallback)).toEqual([true, undefined, undefined]);
  expect(bodies[0]).toEqual({ action: 'listGroupsByDomain', requestId: 'r-0', transportFallback: true });
});

it("never sends it from a socket no fallback opened (polling from the start, a reconnect's)", async () => {
  const socket = await openPollingSocket(options);

  await sendRequests(socket, 2);
  socket.close();

  expect(bodies.every((body) => !('transportFallback' in body))).toBe(true);
});
