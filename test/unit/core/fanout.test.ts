import { deliverPush, FanoutFailed } from '#shared/core/fanout';
import type { Push } from '#shared/protocol/messages';
import type { Group } from '#shared/protocol/types';
import { fakeWorld, type FakeWorld } from './fakes';
import { createGroup, DOMAIN, joinGroup, passTimeWithHostAlive, report, send } from './driver';

describe('deliverPush', () => {
  let world: FakeWorld;
  let group: Group;
  const key = () => ({ groupId: group.id, domain: DOMAIN });

  /** The push a report of member-1 published. */
  async function pushFromMember1(): Promise<Push> {
    await report(world, 'c-1', group, 'member-1', { score: '点数' });
    return world.publisher.pushes.at(-1) as Push;
  }

  beforeEach(async () => {
    world = fakeWorld({ concurrency: 4 });
    group = await createGroup(world, 'c-host', 'host');
    await joinGroup(world, 'c-1', group, 'member-1');
    await joinGroup(world, 'c-2', group, 'member-2');
  });

  it('posts the push as JSON to every other member and never to the sender', async () => {
    // Prepare
    const push = await pushFromMember1();

    // Act
    const outcome = await deliverPush(push, world.fanoutDeps);

    // Assess
    expect(outcome).toEqual({ sent: 2, gone: 0, skipped: 1 });
    expect(world.notifier.recipients.sort()).toEqual(['c-2', 'c-host']);
    expect(world.notifier.posts.map((p) => JSON.parse(p.frame))).toEqual([push, push]);
  });

  it("skips expired subscriptions, including a sender's stale one", async () => {
    // Prepare: member-2 stops beating; a stale row of member-1's old connection lingers.
    await passTimeWithHostAlive(world, group, 500);
    await send(world, 'c-1', { action: 'sendMemberHeartbeat', groupId: group.id, domain: DOMAIN, nodeId: 'member-1' });
    await passTimeWithHostAlive(world, group, 101);
    world.store.seedSubscriber(key(), { connectionId: 'c-1-old', nodeId: 'member-1', expiresAt: world.clock.now() + 60_000 });
    const push = await pushFromMember1();

    // Act
    const outcome = await deliverPush(push, world.fanoutDeps);

    // Assess
    expect(world.notifier.recipients).toEqual(['c-host']);
    expect(outcome).toEqual({ sent: 1, gone: 0, skipped: 3 });
  });

  it('does not reach members of another group', async () => {
    // Prepare
    const other = await createGroup(world, 'c-host-2', 'host-2');
    await joinGroup(world, 'c-9', other, 'member-9');
    const push = await pushFromMember1();

    // Act
    await deliverPush(push, world.fanoutDeps);

    // Assess
    expect(world.notifier.recipients).not.toContain('c-9');
    expect(world.notifier.recipients).not.toContain('c-host-2');
  });

  it('drops only the stale subscription and connection row on 410, never the sender or the others', async () => {
    // Prepare
    world.notifier.markGone('c-2');
    const push = await pushFromMember1();

    // Act
    const outcome = await deliverPush(push, world.fanoutDeps);

    // Assess
    expect(outcome).toEqual({ sent: 1, gone: 1, skipped: 1 });
    expect(world.store.peekSubscribers(key()).map((s) => s.connectionId).sort()).toEqual(['c-1', 'c-host']);
    expect(world.store.peekConnection('c-2')).toBeUndefined();
    expect(world.store.peekConnection('c-1')).toBeDefined();
  });

  it('keeps at most `concurrency` posts in flight', async () => {
    // Prepare
    for (let i = 3; i <= 12; i += 1) await joinGroup(world, `c-${i}`, group, `member-${i}`);
    const push = await pushFromMember1();

    // Act
    const outcome = await deliverPush(push, { ...world.fanoutDeps, concurrency: 3 });

    // Assess
    expect(outcome.sent).toBe(12);
    expect(world.notifier.maxInFlight).toBe(3);
  });

  it('tries every post, then throws naming how many failed, and keeps the rows of failed posts', async () => {
    // Prepare
    world.notifier.markFailing('c-2');
    world.notifier.markFailing('c-host');
    await joinGroup(world, 'c-3', group, 'member-3');
    const push = await pushFromMember1();

    // Act
    const attempt = deliverPush(push, world.fanoutDeps);

    // Assess
    await expect(attempt).rejects.toThrow(FanoutFailed);
    await expect(deliverPush(push, world.fanoutDeps)).rejects.toThrow('2 of 3 deliveries failed');
    expect(world.notifier.recipients.filter((c) => c === 'c-3')).toHaveLength(2);
    expect(world.store.peekSubscribers(key()).map((s) => s.connectionId).sort()).toEqual(['c-1', 'c-2', 'c-3', 'c-host']);
  });

  it('counts nothing sent for a group without subscribers', async () => {
    // Prepare
    const push = { ...(await pushFromMember1()), groupId: 'empty-group' };

    // Act
    const outcome = await deliverPush(push, world.fanoutDeps);

    // Assess
    expect(outcome).toEqual({ sent: 0, gone: 0, skipped: 0 });
  });
});
