import type { Group, HeartbeatPayload, MemberHeartbeatPayload } from '#shared/protocol/types';
import type { FakeWorld } from './fakes';
import { DOMAIN, expectErrorType, groupWorld, joinGroup, passTimeWithHostAlive, send } from './driver';

describe('renewHeartbeat', () => {
  let world: FakeWorld;
  let group: Group;
  beforeEach(async () => ({ world, group } = await groupWorld()));
  const renew = (connectionId = 'c-host', hostId = 'host', groupId = group.id) =>
    send<HeartbeatPayload>(world, connectionId, { action: 'renewHeartbeat', groupId, domain: DOMAIN, hostId });

  it('returns the same expiresAt as createGroup and the host heartbeat interval', async () => {
    // Prepare
    world.clock.advanceSeconds(60);

    // Act
    const payload = await renew();

    // Assess
    expect(payload).toEqual({
      groupId: group.id,
      domain: DOMAIN,
      expiresAt: group.expiresAt,
      heartbeatIntervalSeconds: 60,
    });
  });

  it('keeps the group live past the host TTL as long as the host renews', async () => {
    // Prepare
    world.clock.advanceSeconds(140);
    await renew();
    world.clock.advanceSeconds(140);

    // Act
    const payload = await renew();

    // Assess
    expect(payload.groupId).toBe(group.id);
  });

  it('answers GroupNotFound once the host heartbeat is older than the host TTL', async () => {
    // Prepare
    world.clock.advanceSeconds(151);

    // Act / Assess
    await expectErrorType(renew(), 'GroupNotFound');
  });

  it('answers GroupNotFound past the group expiresAt, renewals notwithstanding', async () => {
    // Prepare
    await passTimeWithHostAlive(world, group, 1500);
    world.clock.advance(1);

    // Act / Assess
    await expectErrorType(renew(), 'GroupNotFound');
  });

  it('answers GroupNotFound for a missing group', async () => {
    await expectErrorType(renew('c-host', 'host', 'no-such-group'), 'GroupNotFound');
  });

  it('answers Unauthorized to a member naming itself', async () => {
    await expectErrorType(renew('c-1', 'member-1'), 'Unauthorized');
  });

  it("answers Unauthorized to a member naming the host's id", async () => {
    // Prepare
    const heartbeatAt = world.store.peekGroup({ groupId: group.id, domain: DOMAIN })?.heartbeatAt;
    world.clock.advanceSeconds(10);

    // Act / Assess
    await expectErrorType(renew('c-1', 'host'), 'Unauthorized');
    expect(world.store.peekGroup({ groupId: group.id, domain: DOMAIN })?.heartbeatAt).toBe(heartbeatAt);
  });
});

describe('sendMemberHeartbeat', () => {
  let world: FakeWorld;
  let group: Group;
  beforeEach(async () => ({ world, group } = await groupWorld()));
  const beat = (connectionId = 'c-1', nodeId = 'member-1', groupId = group.id) =>
    send<MemberHeartbeatPayload>(world, connectionId, {
      action: 'sendMemberHeartbeat',
      groupId,
      domain: DOMAIN,
      nodeId,
    });
  const key = () => ({ groupId: group.id, domain: DOMAIN });

  it("returns the group's expiresAt and the member interval, and extends the node and its subscription by the member TTL", async () => {
    // Prepare
    world.clock.advanceSeconds(100);

    // Act
    const payload = await beat();

    // Assess
    expect(payload).toEqual({
      nodeId: 'member-1',
      groupId: group.id,
      domain: DOMAIN,
      expiresAt: group.expiresAt,
      heartbeatIntervalSeconds: 120,
    });
    const expiresAt = world.clock.now() + 600_000;
    expect(world.store.peekNode(key(), 'member-1')?.expiresAt).toBe(expiresAt);
    expect(world.store.peekSubscribers(key())).toContainEqual({ connectionId: 'c-1', nodeId: 'member-1', expiresAt });
  });

  it('keeps a beating member alive past the member TTL', async () => {
    // Prepare
    await passTimeWithHostAlive(world, group, 500);
    await beat();
    await passTimeWithHostAlive(world, group, 500);

    // Act
    const payload = await beat();

    // Assess
    expect(payload.nodeId).toBe('member-1');
  });

  it('answers NodeNotFound once the member was silent longer than the member TTL', async () => {
    // Prepare
    await passTimeWithHostAlive(world, group, 601);

    // Act / Assess
    await expectErrorType(beat(), 'NodeNotFound');
  });

  it('answers NodeNotFound for a node not in the group', async () => {
    await expectErrorType(beat('c-1', 'member-9'), 'NodeNotFound');
  });

  it('answers GroupNotFound for a missing group', async () => {
    await expectErrorType(beat('c-1', 'member-1', 'no-such-group'), 'GroupNotFound');
  });

  it('answers GroupNotFound when the host heartbeat expired, though the member is live', async () => {
    // Prepare
    world.clock.advanceSeconds(151);

    // Act / Assess
    await expectErrorType(beat(), 'GroupNotFound');
  });

  it('answers Unauthorized when the connection is not that node', async () => {
    // Prepare
    await joinGroup(world, 'c-2', group, 'member-2');

    // Act / Assess
    await expectErrorType(beat('c-2', 'member-1'), 'Unauthorized');
  });

  it('answers Unauthorized when the node was rebound to another connection between read and write', async () => {
    // Prepare
    world.store.beforeNext('setNodeExpiry', async () => {
      await joinGroup(world, 'c-elsewhere', group, 'member-1');
    });

    // Act / Assess
    await expectErrorType(beat(), 'Unauthorized');
  });

  it("leaves the host node's life tied to the group", async () => {
    // Act
    await beat('c-host', 'host');

    // Assess
    expect(world.store.peekNode(key(), 'host')?.expiresAt).toBe(Date.parse(group.expiresAt));
  });
});
