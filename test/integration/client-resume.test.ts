/**
 * A WebSocket MeshClient away from its group for 30 s: it comes back,
 * rejoins, and reads what the fan-out sent meanwhile from the group's log
 * (getPushesSince), so every event and every status change the others made
 * while it was away reaches it exactly once and in each sender's order, and
 * no `gap` is reported (30 s is well inside the log's 180 s retention).
 */
import { useMeshClients, waitFor } from './mesh-clients';
import { uniqueDomain } from './ws-client';

jest.setTimeout(90_000);

const AWAY_MS = 30_000;
const newClient = useMeshClients({ eventReplay: 'raw' });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a client cut for 30 s gets every event and status change made meanwhile, exactly once and in order', async () => {
  const domain = uniqueDomain('resume');
  const host = newClient('host', { domain });
  const group = await host.createGroup('resume');
  const other = newClient('other', { domain });
  await other.joinGroup(group.id, domain);
  // Its first reconnect attempt waits half the initial delay (random 0): it stays away AWAY_MS.
  const away = newClient('away', {
    domain,
    reconnectInitialDelayMs: 2 * AWAY_MS,
    reconnectMaxDelayMs: 2 * AWAY_MS,
    random: () => 0,
  });
  await away.joinGroup(group.id, domain);
  const events: string[] = [];
  const counts: string[] = [];
  const gaps: unknown[] = [];
  away.on('event', (event) => events.push(event.name));
  away.on('status', (nodeId, changes) => {
    if (nodeId === host.nodeId && changes.count !== undefined) counts.push(changes.count);
  });
  away.on('gap', (info) => gaps.push(info));

  host.fireEvent('before');
  host.setData({ count: 'before' });
  await waitFor('the first event and status', () => events.length === 1 && counts.length === 1);

  const reconnected = new Promise<void>((resolve) => away.once('reconnected', () => resolve()));
  const cutAt = Date.now();
  (away.rawSocket as { _socket: { destroy(): void } })._socket.destroy();
  const rounds = Math.floor(AWAY_MS / 1_000) - 2;
  for (let i = 0; i < rounds; i += 1) {
    host.fireEvent(`h${i}`);
    other.fireEvent(`o${i}`);
    host.setData({ count: String(i) });
    await sleep(1_000);
  }
  await reconnected;
  const awayMs = Date.now() - cutAt;
  host.fireEvent('after');
  other.fireEvent('after-o');

  const want = (prefix: string) => Array.from({ length: rounds }, (_, i) => `${prefix}${i}`);
  await waitFor('every event after the return', () => events.includes('after') && events.includes('after-o'));
  await waitFor('the last status change', () => counts.at(-1) === String(rounds - 1));
  await sleep(500);

  expect(awayMs).toBeGreaterThanOrEqual(AWAY_MS - 1_000);
  expect(events.filter((name) => name.startsWith('h') || name === 'before' || name === 'after')).toEqual([
    'before',
    ...want('h'),
    'after',
  ]);
  expect(events.filter((name) => name.startsWith('o'))).toEqual(want('o'));
  expect(events.filter((name) => name === 'after-o')).toHaveLength(1);
  expect(counts).toEqual(['before', ...want('')]);
  expect(gaps).toEqual([]);
  process.stdout.write(
    `measured: away ${awayMs} ms; ${events.length} events and ${counts.length} status changes after the return, ` +
      `${away.stats().duplicatesDropped} re-read pushes dropped as duplicates\n`,
  );
});
