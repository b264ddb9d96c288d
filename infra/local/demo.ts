/**
 * `npm run demo`: a host and two members on plain WebSockets. The host creates
 * a group, Alice and Bob join, Alice reports her status, Bob fires an event,
 * everyone sees the others' pushes, and the host dissolves the group.
 *
 * Starts its own local stack on free ports, or uses a running one:
 *   MESH_URL=ws://127.0.0.1:3001 npm run demo
 */
import WebSocket from 'ws';
import type { Push, Reply } from '#shared/protocol/messages';
import { silentLog } from './log';
import { type Stack, startStack } from './stack';

const REPLY_TIMEOUT_MS = 10_000;

/** One participant: sends requests, awaits each reply by requestId, prints every push. */
class Participant {
  private nextId = 0;
  private readonly waiting = new Map<string, (reply: Reply) => void>();
  readonly pushes: Push[] = [];

  private constructor(
    readonly name: string,
    private readonly ws: WebSocket,
  ) {
    ws.on('message', (data) => this.receive(JSON.parse(data.toString())));
  }

  static connect(name: string, url: string): Promise<Participant> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once('open', () => resolve(new Participant(name, ws)));
      ws.once('error', reject);
    });
  }

  /** Sends `{action, requestId, ...args}` and resolves with the result's data (throws on an error reply). */
  request<T = unknown>(action: string, args: Record<string, unknown> = {}): Promise<T> {
    const requestId = `${this.name}-${++this.nextId}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no reply to ${action}`)), REPLY_TIMEOUT_MS);
      this.waiting.set(requestId, (reply) => {
        clearTimeout(timer);
        if (reply.type === 'error') reject(new Error(`${this.name}: ${action} → ${reply.errorType}: ${reply.message}`));
        else resolve(reply.data as T);
      });
      this.ws.send(JSON.stringify({ action, requestId, ...args }));
    });
  }

  /** Resolves once this participant has received `count` pushes in all. */
  async pushesReach(count: number): Promise<void> {
    const deadline = Date.now() + REPLY_TIMEOUT_MS;
    while (this.pushes.length < count) {
      if (Date.now() > deadline) throw new Error(`${this.name}: expected ${count} pushes, got ${this.pushes.length}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  close(): void {
    this.ws.close();
  }

  private receive(frame: Reply | Push): void {
    if (frame.type === 'message') {
      this.pushes.push(frame);
      const { type: _type, groupId: _g, domain: _d, from, epoch: _e, seq, sentAt: _s, ...payload } = frame;
      console.log(`  ${this.name.padEnd(5)} ← push #${seq} from ${from}: ${JSON.stringify(payload)}`);
      return;
    }
    const settle = frame.requestId ? this.waiting.get(frame.requestId) : undefined;
    if (settle) {
      this.waiting.delete(frame.requestId!);
      settle(frame);
    }
  }
}

async function demo(url: string): Promise<void> {
  const [host, alice, bob] = await Promise.all(['host', 'alice', 'bob'].map((name) => Participant.connect(name, url)));

  const domain = await host.request<string>('createDomain');
  console.log(`host  → createDomain: domain "${domain}"`);
  const group = await host.request<{ id: string; name: string }>('createGroup', { name: 'Demo room', hostId: 'host', domain });
  console.log(`host  → createGroup: "${group.name}" id ${group.id}`);
  const where = { groupId: group.id, domain };

  await alice.request('joinGroup', { ...where, nodeId: 'alice' });
  await bob.request('joinGroup', { ...where, nodeId: 'bob' });
  console.log('alice, bob → joinGroup: joined');

  console.log('alice → reportDataByNode {x: 10, costume: cat}');
  await alice.request('reportDataByNode', { ...where, nodeId: 'alice', data: [{ key: 'x', value: '10' }, { key: 'costume', value: 'cat' }] });
  await Promise.all([host.pushesReach(1), bob.pushesReach(1)]);

  console.log('bob   → fireEventsByNode [jump, wave]');
  const firedAt = new Date().toISOString();
  await bob.request('fireEventsByNode', {
    ...where,
    nodeId: 'bob',
    events: [
      { eventName: 'jump', payload: 'high', firedAt },
      { eventName: 'wave', firedAt },
    ],
  });
  await Promise.all([host.pushesReach(2), alice.pushesReach(1)]);

  const statuses = await host.request<{ nodeId: string; data: { key: string; value: string }[] }[]>('listGroupStatuses', where);
  console.log(`host  → listGroupStatuses: ${statuses.map((s) => `${s.nodeId} ${JSON.stringify(s.data)}`).join('; ')}`);

  console.log('host  → dissolveGroup');
  await host.request('dissolveGroup', { ...where, hostId: 'host' });
  await Promise.all([alice.pushesReach(2), bob.pushesReach(2)]);

  for (const participant of [host, alice, bob]) participant.close();
  console.log('\nDone: every member saw the others\' status, events and the dissolve.');
}

async function main(): Promise<void> {
  let stack: Stack | undefined;
  let url = process.env.MESH_URL;
  if (!url) {
    console.log('Starting a local stack (DynamoDB Local takes a few seconds)...');
    stack = await startStack({ wsPort: 0, log: silentLog });
    url = stack.wsUrl;
  }
  console.log(`Mesh at ${url}\n`);
  try {
    await demo(url);
  } finally {
    await stack?.stop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(`\nThe demo failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
