/**
 * Members that stop reading their socket cannot make the local stack hold
 * their pushes without bound: the gateway drops a connection once over
 * MAX_UNSENT_BYTES wait unsent to it, so no connection holds more than that,
 * and a member that reads goes on getting every push. A stack of its own, so
 * its counters and memory are this test's alone. The stack's resident memory
 * is printed, not asserted: it grows by about as much under the same traffic
 * when every member reads (V8's heaps warming up), which hides the bound.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Socket } from 'node:net';
import { MAX_UNSENT_BYTES } from '#local/gateway';
import { type StackProcess, startStackProcess } from '#local/stack-process';
import { ProtocolSocket } from '#tools/protocol-socket';
import { readStats } from './stats';

jest.setTimeout(120_000);

const STALLED = 10;
const FIRE_FOR_MS = 15_000;
const FIRE_EVERY_MS = 20;
/** Three events of 8,000 characters: a push of about 24 KB. */
const PAYLOAD = 'x'.repeat(8_000);

let stack: StackProcess | undefined;

afterAll(async () => {
  await stack?.stop(10_000);
});

test(`${STALLED} members that stop reading are dropped, no connection holds over the bound, and a reading member gets every push`, async () => {
  stack = await startStackProcess({ env: { MESH_TABLE_NAME: 'mesh_slow_readers' } });
  const { wsUrl, statsUrl } = stack.ready;
  const domain = `slow-${Date.now()}`;
  const host = await ProtocolSocket.connect(wsUrl, { buffer: false });
  const group = await host.call('createGroup', { name: 'slow readers', hostId: 'host', domain });
  const where = { groupId: group.id, domain };
  const join = async (nodeId: string, buffer: boolean) => {
    const socket = await ProtocolSocket.connect(wsUrl, { buffer });
    await socket.call('joinGroup', { ...where, nodeId });
    return socket;
  };
  const reader = await join('reader', false);
  let lastSeen = -1;
  reader.onPush((push) => {
    if ('batchEvent' in push) lastSeen = Math.max(lastSeen, Number(push.batchEvent.events[0].payload?.slice(8_000)));
  });
  const stalled = await Promise.all(Array.from({ length: STALLED }, (_, i) => join(`stalled-${i}`, false)));
  // Stop reading: the TCP socket under each WebSocket no longer takes data in.
  for (const member of stalled) (member.socket as unknown as { _socket: Socket })._socket.pause();
  const before = await readStats(statsUrl);

  let fired = 0;
  const until = Date.now() + FIRE_FOR_MS;
  while (Date.now() < until) {
    const firedAt = new Date().toISOString();
    const events = [0, 1, 2].map(() => ({ eventName: 'big', payload: `${PAYLOAD}${fired}`, firedAt }));
    await host.call('fireEventsByNode', { ...where, nodeId: 'host', events });
    fired += 1;
    await sleep(FIRE_EVERY_MS);
  }
  for (let waited = 0; lastSeen < fired - 1 && waited < 20_000; waited += 100) await sleep(100);
  const after = await readStats(statsUrl);

  const attemptedToStalled = fired * 3 * PAYLOAD.length * STALLED;
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  process.stdout.write(
    `slow readers: ${fired} pushes of ~24 KB, ${mib(attemptedToStalled)} MiB meant for the stalled members; ` +
      `most held unsent for one connection ${mib(after.ws.unsentBytesPeak)} MiB; ` +
      `rss ${mib(before.rssBytes)} → ${mib(after.rssBytes)} MiB; dropped ${after.ws.slowReadersDropped}\n`,
  );
  expect(lastSeen).toBe(fired - 1);
  expect(after.ws.slowReadersDropped).toBe(STALLED);
  // What one connection can make the stack hold: the bound, and never more than one message past it.
  expect(after.ws.unsentBytesPeak).toBeLessThanOrEqual(MAX_UNSENT_BYTES);
  expect(after.ws.unsentBytesPeak).toBeLessThan(attemptedToStalled / STALLED / 4);
  await Promise.all([host.close(), reader.close()]);
});
