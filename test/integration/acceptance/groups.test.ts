/**
 * createDomain, createGroup (idempotent on hostId + domain),
 * listGroupsByDomain and searchGroupsByNamePrefix, over real WebSockets
 * (and the search over HTTPS too) against the local stack.
 */
import { isIP } from 'node:net';
import { sourceDomain } from '#shared/core/source-domains';
import { ProtocolHttp } from '#tools/protocol-http';
import { SHORT_STACK_DOMAIN_SECRET, TEST_ENV, testEnv } from '../test-env';
import { uniqueDomain, uniqueId, useClients } from '../ws-client';

jest.setTimeout(30_000);

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const clients = useClients();

describe('createDomain', () => {
  const LOOPBACK = ['127.0.0.1', '::1', '::ffff:127.0.0.1'];

  it('returns a keyed hash of the source address, the same on every connection, and never the address', async () => {
    const [first, second] = [await clients.open(), await clients.open()];

    const domains = [await first.call('createDomain', {}), await second.call('createDomain', {})];

    expect(domains[1]).toBe(domains[0]);
    expect(domains[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(isIP(domains[0])).toBe(0);
    for (const ip of LOOPBACK) expect(domains[0]).not.toContain(ip);
  });

  it("is HMAC-SHA256 under the deployment's secret: another stack's secret gives another domain", async () => {
    const main = await clients.open();
    const short = await clients.open(testEnv(TEST_ENV.short.wsUrl));

    const onMain = await main.call('createDomain', {});
    const onShort = await short.call('createDomain', {});

    expect(LOOPBACK.map((ip) => sourceDomain(ip, SHORT_STACK_DOMAIN_SECRET))).toContain(onShort);
    expect(onMain).not.toBe(onShort);
  });
});

describe('createGroup', () => {
  it('returns a Mesh v2 Group with a UUID id, fullId, the host and ISO timestamps', async () => {
    const client = await clients.open();
    const domain = uniqueDomain();
    const hostId = uniqueId('host');

    const group = await client.call('createGroup', { name: 'Room 1', hostId, domain });

    expect(group).toMatchObject({ domain, name: 'Room 1', hostId, useWebSocket: true, heartbeatIntervalSeconds: 60 });
    expect(group.id).toMatch(UUID);
    expect(group.fullId).toBe(`${group.id}@${domain}`);
    expect(group.createdAt).toMatch(ISO_MS);
    expect(group.expiresAt).toMatch(ISO_MS);
    // The default maximum connection time is 1500 s.
    expect(Date.parse(group.expiresAt) - Date.parse(group.createdAt)).toBe(1500_000);
  });

  it('sets expiresAt from maxConnectionTimeSeconds', async () => {
    const client = await clients.open();

    const group = await client.call('createGroup', {
      name: 'short',
      hostId: uniqueId('host'),
      domain: uniqueDomain(),
      maxConnectionTimeSeconds: 120,
    });

    expect(Date.parse(group.expiresAt) - Date.parse(group.createdAt)).toBe(120_000);
  });

  it('is idempotent: the same hostId and domain on the same connection return the same group', async () => {
    const client = await clients.open();
    const domain = uniqueDomain();
    const hostId = uniqueId('host');

    const first = await client.call('createGroup', { name: 'g', hostId, domain });
    const second = await client.call('createGroup', { name: 'g', hostId, domain });

    expect(second.id).toBe(first.id);
    expect(second.createdAt).toBe(first.createdAt);
    expect(second.expiresAt).toBe(first.expiresAt);
    expect(await client.call('listGroupsByDomain', { domain })).toHaveLength(1);
  });

  it('is idempotent across a reconnect: a host on a new connection gets its live group back with its nodeToken', async () => {
    const domain = uniqueDomain();
    const hostId = uniqueId('host');
    const before = await clients.open();
    const first = await before.call('createGroup', { name: 'g', hostId, domain });
    await before.close();

    const after = await clients.open();
    const second = await after.call('createGroup', { name: 'g', hostId, domain, nodeToken: first.nodeToken });

    expect(second.id).toBe(first.id);
    expect(await after.call('listGroupsByDomain', { domain })).toHaveLength(1);
  });

  it('gives different hosts in one domain different groups', async () => {
    const domain = uniqueDomain();
    const a = await clients.open();
    const b = await clients.open();

    const groupA = await a.call('createGroup', { name: 'a', hostId: uniqueId('hostA'), domain });
    const groupB = await b.call('createGroup', { name: 'b', hostId: uniqueId('hostB'), domain });

    expect(groupB.id).not.toBe(groupA.id);
  });

  it('keeps the same hostId in two domains as two groups', async () => {
    const hostId = uniqueId('host');
    const a = await clients.open();
    const b = await clients.open();

    const groupA = await a.call('createGroup', { name: 'a', hostId, domain: uniqueDomain() });
    const groupB = await b.call('createGroup', { name: 'b', hostId, domain: uniqueDomain() });

    expect(groupB.id).not.toBe(groupA.id);
  });
});

describe('listGroupsByDomain', () => {
  it('returns an empty list for a domain without groups', async () => {
    const client = await clients.open();

    expect(await client.call('listGroupsByDomain', { domain: uniqueDomain('empty') })).toEqual([]);
  });

  it('lists the live groups of the domain, oldest first, and none of another domain', async () => {
    const domain = uniqueDomain();
    const a = await clients.open();
    const b = await clients.open();
    const elsewhere = await clients.open();
    const groupA = await a.call('createGroup', { name: 'a', hostId: uniqueId('hostA'), domain });
    const groupB = await b.call('createGroup', { name: 'b', hostId: uniqueId('hostB'), domain });
    await elsewhere.call('createGroup', { name: 'c', hostId: uniqueId('hostC'), domain: uniqueDomain() });

    const listed = await elsewhere.call('listGroupsByDomain', { domain });

    expect(listed.map((g) => g.id)).toEqual([groupA.id, groupB.id]);
    // The list is public: it never carries a nodeToken (toEqual reads an undefined field as absent).
    expect(listed[0]).toEqual({ ...groupA, nodeToken: undefined });
    expect(listed[1]).toEqual({ ...groupB, nodeToken: undefined });
    for (const listedGroup of listed) expect(listedGroup).not.toHaveProperty('nodeToken');
  });

  it('does not list a dissolved group', async () => {
    const domain = uniqueDomain();
    const hostId = uniqueId('host');
    const host = await clients.open();
    const gone = await host.call('createGroup', { name: 'gone', hostId, domain });
    await host.call('dissolveGroup', { groupId: gone.id, domain, hostId });
    const other = await clients.open();
    const live = await other.call('createGroup', { name: 'live', hostId: uniqueId('host'), domain });

    const listed = await other.call('listGroupsByDomain', { domain });

    expect(listed.map((g) => g.id)).toEqual([live.id]);
  });

  it('works with a multibyte domain of exactly 256 characters', async () => {
    const domain = `${uniqueDomain()}-教室-🎉`.padEnd(256, '日');
    expect(domain).toHaveLength(256);
    const client = await clients.open();

    const group = await client.call('createGroup', { name: 'クラス 1 🎉', hostId: uniqueId('host'), domain });
    const listed = await client.call('listGroupsByDomain', { domain });

    expect(group.domain).toBe(domain);
    expect(listed).toEqual([{ ...group, nodeToken: undefined }]);
  });
});

describe('searchGroupsByNamePrefix', () => {
  it('finds live groups of every domain by the first characters of their name, over a WebSocket and over HTTPS', async () => {
    const stem = `S${uniqueId('').slice(-6)}`;
    const [first, second, third] = [await clients.open(), await clients.open(), await clients.open()];
    const inA = await first.call('createGroup', { name: `${stem}-a`, hostId: uniqueId('h'), domain: uniqueDomain() });
    const inB = await second.call('createGroup', { name: `${stem}-b`, hostId: uniqueId('h'), domain: uniqueDomain() });
    await third.call('createGroup', {
      name: `${stem.toLowerCase()}-c`,
      hostId: uniqueId('h'),
      domain: uniqueDomain(),
    });
    const asListed = (group: typeof inA) => {
      const { nodeToken: _token, ...listed } = group;
      return listed;
    };

    const overWs = await first.call('searchGroupsByNamePrefix', { namePrefix: stem.slice(0, 6) });
    const overHttps = await new ProtocolHttp(testEnv(TEST_ENV.main.httpUrl)).call('searchGroupsByNamePrefix', {
      namePrefix: stem.slice(0, 6),
      limit: 10,
    });

    expect(overWs).toEqual([asListed(inA), asListed(inB)]);
    expect(overHttps).toEqual(overWs);
    await second.call('dissolveGroup', { groupId: inB.id, domain: inB.domain, hostId: inB.hostId });
    await expect(first.call('searchGroupsByNamePrefix', { namePrefix: stem.slice(0, 6) })).resolves.toEqual([
      asListed(inA),
    ]);
  });
});
