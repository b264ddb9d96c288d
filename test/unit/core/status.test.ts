import { LIMITS, utf8Bytes } from '#shared/protocol/limits';
import type { Group, MeshMessage, NodeStatus } from '#shared/protocol/types';
import { fakeWorld, type FakeWorld } from './fakes';
import { createGroup, DOMAIN, expectErrorType, joinGroup, passTimeWithHostAlive, report, send } from './driver';

describe('reportDataByNode', () => {
  let world: FakeWorld;
  let group: Group;
  beforeEach(async () => {
    world = fakeWorld();
    group = await createGroup(world, 'c-host', 'host');
    await joinGroup(world, 'c-1', group, 'member-1');
  });
  const key = () => ({ groupId: group.id, domain: DOMAIN });

  it('returns the MeshMessage with the reported keys, stamped with server time', async () => {
    // Prepare
    world.clock.advance(1234);

    // Act
    const message = (await report(world, 'c-1', group, 'member-1', { x: '1', y: '2' })) as MeshMessage;

    // Assess
    expect(message).toEqual({
      groupId: group.id,
      domain: DOMAIN,
      nodeStatus: {
        nodeId: 'member-1', groupId: group.id, domain: DOMAIN,
        data: [{ key: 'x', value: '1' }, { key: 'y', value: '2' }],
        timestamp: new Date(world.clock.now()).toISOString(),
      },
    });
  });

  it('uses one read, one write and one publish (the hot path)', async () => {
    // Prepare
    world.store.calls.length = 0;

    // Act
    await report(world, 'c-1', group, 'member-1', { x: '1' });

    // Assess
    expect(world.store.calls).toEqual(['getGroupAndNode', 'updateNode']);
    expect(world.publisher.calls).toHaveLength(1);
  });

  it('merges by key and pushes only the keys of each report, with consecutive seqs of one epoch', async () => {
    // Prepare
    await report(world, 'c-1', group, 'member-1', { x: '1', y: '2' });

    // Act
    await report(world, 'c-1', group, 'member-1', { y: '3', z: '4' });

    // Assess
    const pushes = world.publisher.pushes;
    expect(pushes.map((p) => ('nodeStatus' in p ? p.nodeStatus.data : null))).toEqual([
      [{ key: 'x', value: '1' }, { key: 'y', value: '2' }],
      [{ key: 'y', value: '3' }, { key: 'z', value: '4' }],
    ]);
    expect(pushes.map((p) => [p.from, p.seq])).toEqual([['member-1', 1], ['member-1', 2]]);
    expect(new Set(pushes.map((p) => p.epoch)).size).toBe(1);
    expect(world.store.peekNode(key(), 'member-1')?.data).toEqual({ x: '1', y: '3', z: '4' });
  });

  it('keeps the last value of a key given twice in one report', async () => {
    // Act
    const message = await send<MeshMessage>(world, 'c-1', {
      action: 'reportDataByNode', groupId: group.id, domain: DOMAIN, nodeId: 'member-1',
      data: [{ key: 'a', value: 'first' }, { key: 'b', value: 'b' }, { key: 'a', value: 'last' }],
    });

    // Assess
    expect(message.nodeStatus?.data).toEqual([{ key: 'a', value: 'last' }, { key: 'b', value: 'b' }]);
    expect(world.store.peekNode(key(), 'member-1')?.data).toEqual({ a: 'last', b: 'b' });
  });

  it('stores and pushes multibyte keys and values (Japanese, emoji, Chinese, Korean) unchanged', async () => {
    // Prepare
    const data = { 'スコア': '百点', '🎮': '🚀✨👍🏽', '分数': '一百', '점수': '백 점' };

    // Act
    await report(world, 'c-1', group, 'member-1', data);

    // Assess
    expect(world.store.peekNode(key(), 'member-1')?.data).toEqual(data);
    const status = await send<NodeStatus>(world, 'c-host', { action: 'getNodeStatus', nodeId: 'member-1' });
    expect(Object.fromEntries(status.data.map((e) => [e.key, e.value]))).toEqual(data);
  });

  it('treats a key named __proto__ as data', async () => {
    // Act
    await report(world, 'c-1', group, 'member-1', JSON.parse('{"__proto__":"x","ok":"y"}'));

    // Assess
    const status = await send<NodeStatus>(world, 'c-host', { action: 'getNodeStatus', nodeId: 'member-1' });
    expect(status.data).toEqual([{ key: '__proto__', value: 'x' }, { key: 'ok', value: 'y' }]);
  });

  it('refuses a report that would take the merged status over the limit, and changes nothing', async () => {
    // Prepare: ~12 KB of 3-byte characters already stored; 6 KB more would pass 16 KB.
    await report(world, 'c-1', group, 'member-1', { a: 'あ'.repeat(4000) });
    const before = world.store.peekNode(key(), 'member-1');
    const publishes = world.publisher.calls.length;

    // Act
    const attempt = report(world, 'c-1', group, 'member-1', { b: 'い'.repeat(2000) });

    // Assess
    await expectErrorType(attempt, 'ValidationError');
    expect(world.store.peekNode(key(), 'member-1')).toEqual(before);
    expect(world.publisher.calls).toHaveLength(publishes);
  });

  it('accepts a merged status exactly at the limit', async () => {
    // Prepare: {"a":"…"} is 8 bytes of JSON around the value.
    const value = 'x'.repeat(LIMITS.maxStatusBytesPerNode - 8);

    // Act
    await report(world, 'c-1', group, 'member-1', { a: value });

    // Assess
    const stored = world.store.peekNode(key(), 'member-1')?.data ?? {};
    expect(utf8Bytes(JSON.stringify(stored))).toBe(LIMITS.maxStatusBytesPerNode);
  });

  it('answers GroupNotFound, NodeNotFound and Unauthorized as the checks fail in that order', async () => {
    // Prepare
    await joinGroup(world, 'c-2', group, 'member-2');

    // Act / Assess
    await expectErrorType(report(world, 'c-1', { ...group, id: 'no-such-group' }, 'member-1', { a: '1' }), 'GroupNotFound');
    await expectErrorType(report(world, 'c-1', group, 'member-9', { a: '1' }), 'NodeNotFound');
    await expectErrorType(report(world, 'c-2', group, 'member-1', { a: '1' }), 'Unauthorized');
    expect(world.publisher.calls).toHaveLength(0);
  });

  it('answers NodeNotFound for a member whose TTL ran out', async () => {
    // Prepare
    await passTimeWithHostAlive(world, group, 601);

    // Act / Assess
    await expectErrorType(report(world, 'c-1', group, 'member-1', { a: '1' }), 'NodeNotFound');
  });

  it('answers Unauthorized when the node is rebound to another connection between read and write', async () => {
    // Prepare
    world.store.beforeNext('updateNode', async () => {
      await joinGroup(world, 'c-elsewhere', group, 'member-1');
    });

    // Act / Assess
    await expectErrorType(report(world, 'c-1', group, 'member-1', { a: '1' }), 'Unauthorized');
    expect(world.publisher.calls).toHaveLength(0);
  });

  it('answers NodeNotFound when the node left between read and write', async () => {
    // Prepare
    world.store.beforeNext('updateNode', async () => {
      await send(world, 'c-1', { action: 'leaveGroup', groupId: group.id, domain: DOMAIN, nodeId: 'member-1' });
    });

    // Act / Assess
    await expectErrorType(report(world, 'c-1', group, 'member-1', { a: '1' }), 'NodeNotFound');
  });
});

describe('getNodeStatus', () => {
  let world: FakeWorld;
  let group: Group;
  beforeEach(async () => {
    world = fakeWorld();
    group = await createGroup(world, 'c-host', 'host');
    await joinGroup(world, 'c-1', group, 'member-1');
  });
  const getStatus = (connectionId: string, request: { nodeId: string; groupId?: string; domain?: string }) =>
    send<NodeStatus | null>(world, connectionId, { action: 'getNodeStatus', ...request });

  it('returns the full merged map sorted by key, stamped with the last report time', async () => {
    // Prepare
    await report(world, 'c-1', group, 'member-1', { b: '1', a: '1' });
    world.clock.advance(500);
    await report(world, 'c-1', group, 'member-1', { b: '2' });

    // Act
    const status = await getStatus('c-other', { nodeId: 'member-1', groupId: group.id, domain: DOMAIN });

    // Assess
    expect(status).toEqual({
      nodeId: 'member-1', groupId: group.id, domain: DOMAIN,
      data: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }],
      timestamp: new Date(world.clock.now()).toISOString(),
    });
  });

  it("defaults to the caller's own group", async () => {
    // Prepare
    await report(world, 'c-1', group, 'member-1', { a: '1' });

    // Act
    const status = await getStatus('c-host', { nodeId: 'member-1' });

    // Assess
    expect(status?.groupId).toBe(group.id);
  });

  it('answers a ValidationError without a group when the connection is in none', async () => {
    await expectErrorType(getStatus('c-stranger', { nodeId: 'member-1' }), 'ValidationError');
  });

  it('answers a ValidationError when only one of groupId and domain is given', async () => {
    await expectErrorType(getStatus('c-host', { nodeId: 'member-1', groupId: group.id }), 'ValidationError');
  });

  it('returns null for a node that never reported, a missing node and an expired node', async () => {
    // Prepare
    await joinGroup(world, 'c-2', group, 'member-2');
    await report(world, 'c-2', group, 'member-2', { a: '1' });
    const where = { groupId: group.id, domain: DOMAIN };

    // Act
    const neverReported = await getStatus('c-host', { nodeId: 'member-1', ...where });
    const missing = await getStatus('c-host', { nodeId: 'member-9', ...where });
    await passTimeWithHostAlive(world, group, 601);
    const expired = await getStatus('c-host', { nodeId: 'member-2', ...where });

    // Assess
    expect([neverReported, missing, expired]).toEqual([null, null, null]);
  });

  it('answers GroupNotFound for a missing group', async () => {
    await expectErrorType(getStatus('c-host', { nodeId: 'member-1', groupId: 'nope', domain: DOMAIN }), 'GroupNotFound');
  });
});
