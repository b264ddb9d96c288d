/**
 * The hot path judges its group from KnownGroups (no read per request). Each
 * way a remembered copy can be out of date still gives the answer a read
 * would: expiry is exact, an old heartbeat is read again, a dissolve is
 * caught by the node's write or the log.
 */
import { KnownGroups } from '#shared/core/known-groups';
import type { Group } from '#shared/protocol/types';
import { createGroup, DOMAIN, expectErrorType, joinGroup, passTimeWithHostAlive, report, send } from './driver';
import { fakeWorld, type FakeWorld } from './fakes';

describe('the hot path with known groups', () => {
  let world: FakeWorld;
  let group: Group;
  beforeEach(async () => {
    world = fakeWorld();
    group = await createGroup(world, 'c-host', 'host', { maxConnectionTimeSeconds: 600 });
    await joinGroup(world, 'c-1', group, 'member-1');
    await report(world, 'c-1', group, 'member-1', { warm: '1' });
  });

  it('reads the group again when the copy says its heartbeat lapsed, and goes on when the host kept it alive', async () => {
    // Prepare: the host renews its heartbeat while no report is made, so the copy's heartbeatAt grows old.
    await passTimeWithHostAlive(world, group, 300);
    world.store.calls.length = 0;

    // Act
    await report(world, 'c-1', group, 'member-1', { a: '1' });
    await report(world, 'c-1', group, 'member-1', { a: '2' });

    // Assess: one read refreshed the copy; the next report reads nothing.
    expect(world.store.calls).toEqual(['getGroup', 'updateNode', 'updateNode']);
  });

  it('answers GroupNotFound once the host stopped its heartbeat, though the group was known live', async () => {
    // Prepare: the member keeps its own TTL; the host is silent past its heartbeat TTL.
    world.clock.advanceSeconds(world.settings.hostHeartbeatTtlSeconds + 1);

    // Act / Assess
    await expectErrorType(report(world, 'c-1', group, 'member-1', { a: '1' }), 'GroupNotFound');
  });

  it('answers GroupNotFound after the group expired, without a write', async () => {
    // Prepare: the host keeps it alive to the end of its 600 s lifetime.
    await passTimeWithHostAlive(world, group, 500);
    world.clock.advanceSeconds(101);
    world.store.calls.length = 0;

    // Act / Assess
    await expectErrorType(report(world, 'c-1', group, 'member-1', { a: '1' }), 'GroupNotFound');
    expect(world.store.calls).not.toContain('updateNode');
  });

  it('answers GroupNotFound after a dissolve, though the group was known live', async () => {
    // Prepare
    await send(world, 'c-host', { action: 'dissolveGroup', groupId: group.id, domain: DOMAIN, hostId: 'host' });
    const publishes = world.publisher.calls.length;

    // Act / Assess
    await expectErrorType(report(world, 'c-1', group, 'member-1', { a: '1' }), 'GroupNotFound');
    await expectErrorType(
      send(world, 'c-1', {
        action: 'fireEventsByNode',
        groupId: group.id,
        domain: DOMAIN,
        nodeId: 'member-1',
        events: [{ eventName: 'e', firedAt: new Date(world.clock.now()).toISOString() }],
      }),
      'GroupNotFound',
    );
    expect(world.publisher.calls).toHaveLength(publishes);
  });
});

describe('KnownGroups', () => {
  const record = (groupId: string) => ({
    groupId,
    domain: 'd',
    name: 'g',
    hostId: 'h',
    createdAt: 0,
    expiresAt: 1,
    heartbeatAt: 0,
    useWebSocket: true,
  });

  it('forgets the group remembered longest ago once full, and keeps ids apart whatever they contain', () => {
    // Prepare
    const known = new KnownGroups(2);

    // Act
    known.remember(record('a'));
    known.remember(record('b'));
    known.remember(record('a'));
    known.remember(record('c'));

    // Assess
    expect(known.get({ groupId: 'b', domain: 'd' })).toBeUndefined();
    expect(known.get({ groupId: 'a', domain: 'd' })?.groupId).toBe('a');
    expect(known.get({ groupId: 'c', domain: 'd' })?.groupId).toBe('c');
    expect(known.get({ groupId: 'c@d', domain: '' })).toBeUndefined();
  });
});
