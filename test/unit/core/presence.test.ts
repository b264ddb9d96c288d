/**
 * Presence on the core: a node created by joinGroup is announced with its
 * seq 1, a leave with the seq after its last push, and the sweeper's pass
 * (drop-sweep.ts) drops, announces and removes the members whose heartbeat
 * lapsed or whose connection closed past the grace, and no one else.
 */
import { dropDueNodes, DROP_RETRY_MS, type DropSweepDeps } from '#shared/core/drop-sweep';
import { WriteNotApplied } from '#shared/core/store-errors';
import type { Push } from '#shared/protocol/messages';
import type { Group } from '#shared/protocol/types';
import { DOMAIN, groupWorld, joinGroup, passTimeWithHostAlive, report, send } from './driver';
import type { FakeWorld } from './fakes';

let world: FakeWorld;
let group: Group;
beforeEach(async () => ({ world, group } = await groupWorld(1)));
const key = () => ({ groupId: group.id, domain: DOMAIN });
const presenceOf = (pushes: Push[]) =>
  pushes.map((push) => ('nodePresence' in push ? [push.from, push.seq, push.nodePresence.change] : []));
const sweepDeps = (): DropSweepDeps => ({
  store: world.store,
  publisher: world.publisher,
  clock: world.clock,
  settings: world.settings,
});
const disconnect = (connectionId: string) =>
  world.store.dropConnection(connectionId, world.clock.now() + world.settings.disconnectGraceSeconds * 1000);

describe('joinGroup presence', () => {
  it('announces a node created anew with its seq 1, before its first status (seq 2)', async () => {
    await joinGroup(world, 'c-2', group, 'member-2');
    await report(world, 'c-2', group, 'member-2', { a: '1' });

    expect(presenceOf(world.publisher.presencePushes)).toEqual([
      ['member-1', 1, 'joined'],
      ['member-2', 1, 'joined'],
    ]);
    expect(world.publisher.pushes.map((push) => [push.from, push.seq])).toEqual([['member-2', 2]]);
    expect(world.publisher.presencePushes[1]).toMatchObject({
      groupId: group.id,
      domain: DOMAIN,
      epoch: world.store.peekNode(key(), 'member-2')?.epoch,
      nodePresence: { groupId: group.id, domain: DOMAIN, nodeId: 'member-2', change: 'joined' },
    });
  });

  it("tells a new node every other live node's seq as it stood before the join, and a rejoin nothing", async () => {
    await report(world, 'c-1', group, 'member-1', { a: '1' });

    const joined = await joinGroup(world, 'c-2', group, 'member-2');
    const rejoined = await joinGroup(world, 'c-2', group, 'member-2');

    const epochOf = (nodeId: string) => world.store.peekNode(key(), nodeId)?.epoch;
    expect(joined.senders?.sort((a, b) => a.nodeId.localeCompare(b.nodeId))).toEqual([
      { nodeId: 'host', epoch: epochOf('host'), seq: 0 },
      { nodeId: 'member-1', epoch: epochOf('member-1'), seq: 2 },
    ]);
    expect(rejoined).not.toHaveProperty('senders');
  });

  it('announces nothing when a live node comes back on a new connection', async () => {
    const { nodeToken } = await joinGroup(world, 'c-2', group, 'member-2');
    await disconnect('c-2');

    await joinGroup(world, 'c-2b', group, 'member-2', nodeToken);

    expect(presenceOf(world.publisher.presencePushes).map(([from]) => from)).toEqual(['member-1', 'member-2']);
  });

  it('takes the node out again when its join cannot be announced, so the retry announces it', async () => {
    world.publisher.failNext(new WriteNotApplied('throttled'));
    await expect(joinGroup(world, 'c-2', group, 'member-2')).rejects.toBeInstanceOf(WriteNotApplied);
    expect(world.store.peekNode(key(), 'member-2')).toBeUndefined();

    await joinGroup(world, 'c-2', group, 'member-2');

    expect(presenceOf(world.publisher.presencePushes)).toEqual([
      ['member-1', 1, 'joined'],
      ['member-2', 1, 'joined'],
    ]);
  });
});

describe('leaveGroup presence', () => {
  it('announces the leave with the seq after its last push, then removes the node', async () => {
    await report(world, 'c-1', group, 'member-1', { a: '1' });

    await send(world, 'c-1', { action: 'leaveGroup', groupId: group.id, domain: DOMAIN, nodeId: 'member-1' });

    expect(presenceOf(world.publisher.presencePushes)).toEqual([
      ['member-1', 1, 'joined'],
      ['member-1', 3, 'left'],
    ]);
    expect(world.store.peekNode(key(), 'member-1')).toBeUndefined();
  });

  it('keeps the node when the leave cannot be announced: the client sends it again', async () => {
    world.publisher.failNext(new WriteNotApplied('throttled'));

    await expect(
      send(world, 'c-1', { action: 'leaveGroup', groupId: group.id, domain: DOMAIN, nodeId: 'member-1' }),
    ).rejects.toBeInstanceOf(WriteNotApplied);

    expect(world.store.peekNode(key(), 'member-1')).toMatchObject({ seq: 1, connectionId: 'c-1' });
  });
});

describe('dropDueNodes (the sweeper)', () => {
  it('drops a member whose heartbeat lapsed: announced as expired, then removed', async () => {
    await passTimeWithHostAlive(world, group, world.settings.memberHeartbeatTtlSeconds + 1);

    const outcome = await dropDueNodes(sweepDeps());

    expect(outcome).toEqual({ due: 1, dropped: 1, failed: 0 });
    expect(presenceOf(world.publisher.presencePushes)).toEqual([
      ['member-1', 1, 'joined'],
      ['member-1', 2, 'expired'],
    ]);
    expect(world.store.peekNode(key(), 'member-1')).toBeUndefined();
    expect(world.store.peekSubscribers(key()).map((s) => s.nodeId)).toEqual(['host']);
  });

  it('drops a member gone past the disconnect grace as disconnected, and not one that came back within it', async () => {
    const { nodeToken } = await joinGroup(world, 'c-2', group, 'member-2');
    await disconnect('c-1');
    await disconnect('c-2');
    world.clock.advanceSeconds(world.settings.disconnectGraceSeconds / 2);
    await joinGroup(world, 'c-2b', group, 'member-2', nodeToken);
    expect(await dropDueNodes(sweepDeps())).toEqual({ due: 0, dropped: 0, failed: 0 });

    world.clock.advanceSeconds(world.settings.disconnectGraceSeconds);
    await dropDueNodes(sweepDeps());

    expect(presenceOf(world.publisher.presencePushes).slice(2)).toEqual([['member-1', 2, 'disconnected']]);
    expect(world.store.peekNode(key(), 'member-1')).toBeUndefined();
    expect(world.store.peekNode(key(), 'member-2')).toMatchObject({ connectionId: 'c-2b' });
  });

  it('never drops the host, whose node lives with its group', async () => {
    await disconnect('c-host');
    world.clock.advanceSeconds(world.settings.disconnectGraceSeconds + 1);

    await dropDueNodes(sweepDeps());

    expect(world.store.peekNode(key(), 'host')).toBeDefined();
    expect(presenceOf(world.publisher.presencePushes).map(([from]) => from)).toEqual(['member-1']);
  });

  it('removes the nodes of an expired group without announcing them to nobody', async () => {
    world.clock.advanceSeconds(world.settings.memberHeartbeatTtlSeconds + 1);

    expect(await dropDueNodes(sweepDeps())).toEqual({ due: 1, dropped: 1, failed: 0 });

    expect(world.publisher.presencePushes).toHaveLength(1);
    expect(world.store.peekNode(key(), 'member-1')).toBeUndefined();
  });

  it('retries a drop whose announcement failed, on a pass after DROP_RETRY_MS', async () => {
    await disconnect('c-1');
    world.clock.advanceSeconds(world.settings.disconnectGraceSeconds + 1);
    world.publisher.failNext(new WriteNotApplied('throttled'));

    expect(await dropDueNodes(sweepDeps())).toEqual({ due: 1, dropped: 0, failed: 1 });
    expect(await dropDueNodes(sweepDeps())).toEqual({ due: 0, dropped: 0, failed: 0 });
    world.clock.advance(DROP_RETRY_MS + 1);
    expect(await dropDueNodes(sweepDeps())).toEqual({ due: 1, dropped: 1, failed: 0 });

    // The failed attempt's seq (2) was never appended: receivers skip it after their gap timeout.
    expect(presenceOf(world.publisher.presencePushes).slice(1)).toEqual([['member-1', 3, 'disconnected']]);
    expect(world.store.peekNode(key(), 'member-1')).toBeUndefined();
  });
});
