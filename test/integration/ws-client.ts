/**
 * The integration tests' side of a connection: sockets from
 * tools/protocol-socket.ts opened on the stack the setup started (the main
 * one unless a test names another URL) and closed after each test, groups
 * with their members on sockets of their own, and ids no other test uses.
 */
import { randomUUID } from 'node:crypto';
import type { Group, Node, NodeTokenGrant, Push } from '#shared/protocol/index';
import { ProtocolSocket } from '#tools/protocol-socket';
import { TEST_ENV, testEnv } from './test-env';

export { setTimeout as sleep } from 'node:timers/promises';

/** Opens a connection to `url`, by default the main stack's. */
export function connect(url: string = testEnv(TEST_ENV.main.wsUrl)): Promise<ProtocolSocket> {
  return ProtocolSocket.connect(url);
}

/** A domain no other test uses. */
export function uniqueDomain(prefix = 'itest'): string {
  return `${prefix}-${randomUUID()}`;
}

/** A node id no other test uses. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export interface Clients {
  open(url?: string): Promise<ProtocolSocket>;
}

/**
 * Connections of one test file: `open` connects and remembers the socket;
 * every socket is closed after each test.
 */
export function useClients(defaultUrl?: () => string): Clients {
  const opened: ProtocolSocket[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((client) => client.close()));
  });
  return {
    async open(url?: string) {
      const client = await connect(url ?? defaultUrl?.());
      opened.push(client);
      return client;
    },
  };
}

export interface Member {
  client: ProtocolSocket;
  nodeId: string;
  /** With the nodeToken its join was handed. */
  node: Node & NodeTokenGrant;
}

export interface TestGroup {
  domain: string;
  /** With the host's nodeToken. */
  group: Group & NodeTokenGrant;
  host: ProtocolSocket;
  hostId: string;
  members: Member[];
}

/** Creates a group on a new connection and joins `memberCount` members, each on its own connection. */
export async function openGroup(
  clients: Clients,
  options: { members?: number; domain?: string; url?: string; name?: string; maxConnectionTimeSeconds?: number } = {},
): Promise<TestGroup> {
  const domain = options.domain ?? uniqueDomain();
  const hostId = uniqueId('host');
  const host = await clients.open(options.url);
  const group = await host.call('createGroup', {
    name: options.name ?? 'test group',
    hostId,
    domain,
    ...(options.maxConnectionTimeSeconds === undefined
      ? {}
      : { maxConnectionTimeSeconds: options.maxConnectionTimeSeconds }),
  });
  const members: Member[] = [];
  for (let i = 0; i < (options.members ?? 0); i++) {
    const client = await clients.open(options.url);
    const nodeId = uniqueId(`member${i + 1}`);
    const node = await client.call('joinGroup', { groupId: group.id, domain, nodeId });
    await takeJoinPresence(nodeId, [host, ...members.map((earlier) => earlier.client)]);
    members.push({ client, nodeId, node });
  }
  return { domain, group, host, hostId, members };
}

/**
 * A member's join is pushed to whoever is subscribed when its round runs
 * (its `joined` presence push, the member's seq 1): the host and the members
 * before it. Waits for it at each and takes it before the next member joins,
 * so no later member can be sent it, and a test starts from a group whose
 * pushes so far are all received and sees only what it causes itself.
 */
async function takeJoinPresence(nodeId: string, receivers: ProtocolSocket[]): Promise<void> {
  const isJoin = (push: Push) => 'nodePresence' in push && push.from === nodeId;
  await Promise.all(receivers.map((receiver) => receiver.nextPush(isJoin)));
}
