/**
 * `npm run demo`: a host and two members, each a MeshClient. The host creates
 * a group, Alice and Bob join, Alice sets her status, Bob fires two events,
 * everyone sees the others' status and events, and the host dissolves the
 * group. Each client prints what it receives.
 *
 * Starts its own local stack on free ports, or uses a running one:
 *   MESH_URL=ws://127.0.0.1:3001 npm run demo
 */
import { MeshClient } from '#client/index';
import { silentLog } from '#local/log';
import { type Stack, startStack } from '#local/stack';

const WAIT_MS = 10_000;

/** Resolves when `check` holds, polling; rejects with `what` after WAIT_MS. */
async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A client that prints every status change, event and dissolve it receives under its name. */
function participant(name: string, url: string, domain?: string): MeshClient {
  const client = new MeshClient({ url, nodeId: name, domain });
  const say = (text: string) => console.log(`  ${name.padEnd(5)} ← ${text}`);
  client.on('status', (nodeId, changes) => say(`status of ${nodeId}: ${JSON.stringify(changes)}`));
  client.on('event', (event) =>
    say(`event "${event.name}" from ${event.firedByNodeId}${event.payload ? ` (${event.payload})` : ''}`),
  );
  client.on('dissolve', () => say('the group was dissolved'));
  return client;
}

async function demo(url: string): Promise<void> {
  const host = participant('host', url);
  const domain = await host.createDomain();
  console.log(`host  → createDomain: domain "${domain}"`);
  const group = await host.createGroup('Demo room');
  console.log(`host  → createGroup: "${group.name}" id ${group.id}`);

  const alice = participant('alice', url, domain);
  const bob = participant('bob', url, domain);
  await alice.joinGroup(group.id);
  await bob.joinGroup(group.id);
  console.log('alice, bob → joinGroup: joined');

  console.log('alice → setData {x: 10, costume: cat}');
  alice.setData({ x: 10, costume: 'cat' });
  const seesAlice = (client: MeshClient) => client.remoteData().alice?.costume === 'cat';
  await until("Alice's status", () => seesAlice(host) && seesAlice(bob));

  console.log('bob   → fireEvent jump (high), wave');
  const heard = new Map<MeshClient, number>();
  for (const client of [host, alice]) client.on('event', () => heard.set(client, (heard.get(client) ?? 0) + 1));
  bob.fireEvent('jump', 'high');
  bob.fireEvent('wave');
  await until("Bob's events", () => heard.get(host) === 2 && heard.get(alice) === 2);

  const statuses = await host.listGroupStatuses();
  console.log(`host  → listGroupStatuses: ${statuses.map((s) => `${s.nodeId} ${JSON.stringify(s.data)}`).join('; ')}`);

  console.log('host  → dissolveGroup');
  const dissolved = Promise.all(
    [alice, bob].map((client) => new Promise((resolve) => client.once('dissolve', resolve))),
  );
  await host.dissolveGroup();
  await dissolved;

  for (const client of [host, alice, bob]) client.close();
  console.log("\nDone: every member saw the others' status, events and the dissolve.");
}

async function main(): Promise<void> {
  let stack: Stack | undefined;
  let url = process.env.MESH_URL;
  if (!url) {
    console.log('Starting a local stack (DynamoDB Local takes a few seconds)...');
    stack = await startStack({ wsPort: 0, httpPort: 0, log: silentLog });
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
