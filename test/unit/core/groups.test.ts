import type { Group } from '#shared/protocol/types';
import { FAKE_DOMAIN_SECRET, fakeWorld, type FakeWorld } from './fakes';
import { caller, createGroup, DOMAIN, expectErrorType, joinGroup, send, withoutToken } from './driver';
import { runAction } from '#shared/core/actions';
import { hashNodeToken } from '#shared/core/node-tokens';
import { networkOf, sourceDomain } from '#shared/core/source-domains';

describe('createDomain', () => {
  const domainOf = async (world: FakeWorld, sourceIp: string) =>
    (await runAction({ action: 'createDomain' }, caller('c1', sourceIp), world.deps)).data as string;

  it("returns a keyed hash of the caller's address, never the address", async () => {
    // Act
    const domain = await domainOf(fakeWorld(), '198.51.100.23');

    // Assess
    expect(domain).toBe(sourceDomain('198.51.100.23', FAKE_DOMAIN_SECRET));
    expect(domain).toMatch(/^[0-9a-f]{32}$/);
    expect(domain).not.toContain('198.51');
  });

  it('gives one address the same domain while the secret stays, and another domain under another secret', async () => {
    // Act
    const [first, again, other] = [
      await domainOf(fakeWorld(), '198.51.100.23'),
      await domainOf(fakeWorld(), '198.51.100.23'),
      await domainOf(fakeWorld(), '198.51.100.24'),
    ];

    // Assess
    expect(again).toBe(first);
    expect(other).not.toBe(first);
    expect(sourceDomain('198.51.100.23', 'another-secret-of-22-chars')).not.toBe(first);
  });

  it.each([
    ['the devices of one IPv6 /64', '2001:db8:1:2:aaaa::1', '2001:0db8:0001:0002:bbbb:cccc:dddd:eeee'],
    ['an IPv4-mapped address and its IPv4', '::ffff:198.51.100.23', '198.51.100.23'],
    ['an address with and without its zone', 'fe80::1%eth0', 'fe80::2'],
  ])('puts %s in one domain', (_, a, b) => {
    expect(sourceDomain(a, FAKE_DOMAIN_SECRET)).toBe(sourceDomain(b, FAKE_DOMAIN_SECRET));
  });

  it('keeps two IPv6 networks apart', () => {
    expect(networkOf('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(networkOf('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(networkOf('64:ff9b::198.51.100.23')).toBe('64:ff9b:0:0::/64');
  });
});

describe('createGroup', () => {
  let world: FakeWorld;
  beforeEach(() => {
    world = fakeWorld();
  });

  it('creates a group whose lifetime is the server maximum by default', async () => {
    // Act
    const group = await createGroup(world, 'c-host', 'host-1');

    // Assess
    const now = world.clock.now();
    expect(group).toEqual({
      id: 'group-1',
      domain: DOMAIN,
      fullId: `group-1@${DOMAIN}`,
      name: 'classroom',
      hostId: 'host-1',
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + 1500 * 1000).toISOString(),
      heartbeatIntervalSeconds: 60,
      useWebSocket: true,
      nodeToken: 'node-token-1',
    });
  });

  it("keeps only the hash of the host's nodeToken", async () => {
    // Act
    const group = await createGroup(world, 'c-host', 'host-1');

    // Assess
    const node = world.store.peekNode({ groupId: group.id, domain: group.domain }, 'host-1');
    expect(node?.tokenHash).toBe(hashNodeToken('node-token-1'));
    expect(JSON.stringify(node)).not.toContain('node-token-1');
  });

  it('makes the host a node of its group, bound to the calling connection and living as long as the group', async () => {
    // Act
    const group = await createGroup(world, 'c-host', 'host-1');

    // Assess
    const key = { groupId: group.id, domain: group.domain };
    expect(world.store.peekNode(key, 'host-1')).toMatchObject({
      isHost: true,
      name: 'host-1',
      connectionId: 'c-host',
      seq: 0,
      expiresAt: Date.parse(group.expiresAt),
    });
    expect(world.store.peekConnection('c-host')).toMatchObject({ groupId: group.id, nodeId: 'host-1' });
    expect(world.store.peekSubscribers(key)).toEqual([
      { connectionId: 'c-host', nodeId: 'host-1', expiresAt: Date.parse(group.expiresAt) },
    ]);
  });

  it('sets expiresAt from maxConnectionTimeSeconds', async () => {
    // Act
    const group = await createGroup(world, 'c-host', 'host-1', { maxConnectionTimeSeconds: 60 });

    // Assess
    expect(Date.parse(group.expiresAt) - Date.parse(group.createdAt)).toBe(60_000);
  });

  it('refuses maxConnectionTimeSeconds above the server maximum with a ValidationError and creates nothing', async () => {
    // Act
    const attempt = createGroup(world, 'c-host', 'host-1', { maxConnectionTimeSeconds: 1501 });

    // Assess
    await expectErrorType(attempt, 'ValidationError');
    expect(world.store.count('createGroup')).toBe(0);
  });

  it('reports pollingIntervalSeconds only for a polling-mode group', async () => {
    // Act
    const polling = await createGroup(world, 'c1', 'host-1', { useWebSocket: false });
    const pushed = await createGroup(world, 'c2', 'host-2');

    // Assess
    expect(polling).toMatchObject({ useWebSocket: false, pollingIntervalSeconds: 2 });
    expect(pushed).not.toHaveProperty('pollingIntervalSeconds');
  });

  it('is idempotent on hostId + domain: the same call returns the same live group', async () => {
    // Prepare
    const first = await createGroup(world, 'c-host', 'host-1');
    world.clock.advanceSeconds(5);

    // Act
    const second = await createGroup(world, 'c-host', 'host-1', { name: 'another name' });

    // Assess: the token is handed out once, by the call that made the node.
    expect(second).toEqual(withoutToken(first));
    expect(second).not.toHaveProperty('nodeToken');
    expect(world.store.count('createGroup')).toBe(1);
  });

  it('gives different hosts of one domain different groups', async () => {
    // Act
    const a = await createGroup(world, 'c1', 'host-a');
    const b = await createGroup(world, 'c2', 'host-b');

    // Assess
    expect(a.id).not.toBe(b.id);
  });

  it('binds a reconnected host that presents its nodeToken to its live group and keeps the host node epoch and seq', async () => {
    // Prepare
    const group = await createGroup(world, 'c-old', 'host-1');
    const key = { groupId: group.id, domain: group.domain };
    await send(world, 'c-old', {
      action: 'fireEventsByNode',
      groupId: group.id,
      domain: DOMAIN,
      nodeId: 'host-1',
      events: [{ eventName: 'go', firedAt: '2026-01-05T09:00:00.000Z' }],
    });
    const before = world.store.peekNode(key, 'host-1');

    // Act
    const again = await createGroup(world, 'c-new', 'host-1', { nodeToken: group.nodeToken });

    // Assess
    expect(again.id).toBe(group.id);
    expect(again).not.toHaveProperty('nodeToken');
    const after = world.store.peekNode(key, 'host-1');
    expect(after).toMatchObject({ connectionId: 'c-new', epoch: before?.epoch, seq: 1 });
    expect(world.store.peekSubscribers(key).map((s) => s.connectionId)).toEqual(['c-new']);
    expect(world.store.peekConnection('c-old')).toBeUndefined();
  });

  it.each([
    ['no nodeToken', undefined],
    ['a wrong nodeToken', 'node-token-guessed'],
    ["another node's nodeToken", 'node-token-2'],
  ])("refuses another connection with %s the host's group (Unauthorized) and changes nothing", async (_, nodeToken) => {
    // Prepare
    const group = await createGroup(world, 'c-host', 'host-1');
    await createGroup(world, 'c-other', 'host-2');
    const key = { groupId: group.id, domain: group.domain };
    const before = world.store.peekNode(key, 'host-1');
    const writes = world.store.count('putNode');

    // Act
    const attempt = createGroup(world, 'c-thief', 'host-1', { nodeToken });

    // Assess
    await expectErrorType(attempt, 'Unauthorized');
    expect(world.store.peekNode(key, 'host-1')).toEqual(before);
    expect(world.store.count('putNode')).toBe(writes);
    expect(world.store.peekConnection('c-thief')).toBeUndefined();
    expect(world.store.peekSubscribers(key).map((s) => s.connectionId)).toEqual(['c-host']);
  });

  it('refuses the loser of a racing create (Unauthorized: it holds no token) and leaves the winner its group', async () => {
    // Prepare: another connection creates the same host's group between this call's read and its write.
    world.store.beforeNext('createGroup', async () => {
      await createGroup(world, 'c-racer', 'host-1');
    });

    // Act
    const attempt = createGroup(world, 'c-host', 'host-1');

    // Assess
    await expectErrorType(attempt, 'Unauthorized');
    const groups = await send<Group[]>(world, 'c-any', { action: 'listGroupsByDomain', domain: DOMAIN });
    expect(groups).toHaveLength(1);
    expect(world.store.peekNode({ groupId: groups[0].id, domain: DOMAIN }, 'host-1')?.connectionId).toBe('c-racer');
  });

  it('creates a new group when the host record outlived its group item', async () => {
    // Prepare: the group expired and TTL deleted its item, but not yet the host record pointing at it.
    const old = await createGroup(world, 'c-host', 'host-1', { maxConnectionTimeSeconds: 60 });
    world.clock.advanceSeconds(61);
    world.store.ttlDeleteGroupItem({ groupId: old.id, domain: DOMAIN });

    // Act
    const fresh = await createGroup(world, 'c-host', 'host-1');

    // Assess
    expect(fresh.id).not.toBe(old.id);
  });

  it('creates a new group once the host previous group expired', async () => {
    // Prepare
    const old = await createGroup(world, 'c-host', 'host-1', { maxConnectionTimeSeconds: 60 });
    world.clock.advanceSeconds(61);

    // Act
    const fresh = await createGroup(world, 'c-host', 'host-1');

    // Assess
    expect(fresh.id).not.toBe(old.id);
  });

  it('refuses a connection that is already a node of another live group (ValidationError, leave first)', async () => {
    // Prepare
    const other = await createGroup(world, 'c-host', 'host-1');
    await joinGroup(world, 'c-member', other, 'member-1');

    // Act
    const attempt = createGroup(world, 'c-member', 'host-2');

    // Assess
    await expect(attempt).rejects.toMatchObject({
      errorType: 'ValidationError',
      message: expect.stringMatching(/leave it first/),
    });
    expect(world.store.count('createGroup')).toBe(1);
  });

  it('lets a connection create a group once its previous group was dissolved', async () => {
    // Prepare
    const old = await createGroup(world, 'c-host', 'host-1');
    await send(world, 'c-host', { action: 'dissolveGroup', groupId: old.id, domain: DOMAIN, hostId: 'host-1' });

    // Act
    const fresh = await createGroup(world, 'c-host', 'host-2');

    // Assess
    expect(fresh.hostId).toBe('host-2');
  });
});

describe('createGroup: the group cap', () => {
  it('refuses a new group once its domain has maxGroupsPerDomain live groups (LimitExceeded); another domain and a lapsed group do not count', async () => {
    // Prepare
    const world = fakeWorld({ settings: { maxGroupsPerDomain: 2 } });
    await createGroup(world, 'c1', 'host-1', { maxConnectionTimeSeconds: 30 });
    await createGroup(world, 'c2', 'host-2');
    await createGroup(world, 'c9', 'host-9', { domain: 'another-domain' });

    // Act
    const full = createGroup(world, 'c3', 'host-3');

    // Assess
    await expect(full).rejects.toMatchObject({ errorType: 'LimitExceeded' });
    expect(world.store.count('createGroup')).toBe(3);
    // The host of a group takes it back however full the domain is.
    expect((await createGroup(world, 'c2', 'host-2')).hostId).toBe('host-2');
    // Once a group has ended (host-1's lived 30 s), there is room again.
    world.clock.advanceSeconds(31);
    expect((await createGroup(world, 'c3', 'host-3')).hostId).toBe('host-3');
  });
});

describe('listGroupsByDomain', () => {
  let world: FakeWorld;
  beforeEach(() => {
    world = fakeWorld();
  });

  it('lists the live groups of the domain, oldest first', async () => {
    // Prepare
    const a = await createGroup(world, 'c1', 'host-a');
    world.clock.advance(10);
    const b = await createGroup(world, 'c2', 'host-b');
    await createGroup(world, 'c3', 'host-c', { domain: 'other-domain' });

    // Act
    const groups = await send<Group[]>(world, 'c-any', { action: 'listGroupsByDomain', domain: DOMAIN });

    // Assess
    expect(groups).toEqual([withoutToken(a), withoutToken(b)]);
  });

  it('returns an empty list for a domain without groups', async () => {
    // Act
    const groups = await send(world, 'c-any', { action: 'listGroupsByDomain', domain: 'nobody-here' });

    // Assess
    expect(groups).toEqual([]);
  });

  it('leaves out a group past its expiresAt', async () => {
    // Prepare
    await createGroup(world, 'c1', 'host-a', { maxConnectionTimeSeconds: 30 });
    const lasting = await createGroup(world, 'c2', 'host-b');
    await send(world, 'c2', { action: 'renewHeartbeat', groupId: lasting.id, domain: DOMAIN, hostId: 'host-b' });
    world.clock.advanceSeconds(31);

    // Act
    const groups = await send<Group[]>(world, 'c-any', { action: 'listGroupsByDomain', domain: DOMAIN });

    // Assess
    expect(groups.map((g) => g.id)).toEqual([lasting.id]);
  });

  it('leaves out a group whose host heartbeat is older than the host TTL', async () => {
    // Prepare
    const silent = await createGroup(world, 'c1', 'host-a');
    const beating = await createGroup(world, 'c2', 'host-b');
    world.clock.advanceSeconds(100);
    await send(world, 'c2', { action: 'renewHeartbeat', groupId: beating.id, domain: DOMAIN, hostId: 'host-b' });
    world.clock.advanceSeconds(51);

    // Act
    const groups = await send<Group[]>(world, 'c-any', { action: 'listGroupsByDomain', domain: DOMAIN });

    // Assess
    expect(groups.map((g) => g.id)).toEqual([beating.id]);
    expect(groups.map((g) => g.id)).not.toContain(silent.id);
  });
});
