import { LIMITS, utf8Bytes } from '#shared/protocol/limits';
import type { Group, MeshMessage, NodeStatus } from '#shared/protocol/types';
import type { FakeWorld } from './fakes';
import { DOMAIN, expectErrorType, groupWorld, joinGroup, passTimeWithHostAlive, report, send } from './driver';

describe('reportDataByNode', () => {
  let world: FakeWorld;
  let group: Group;
  beforeEach(async () => ({ world, group } = await groupWorld()));
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
        nodeId: 'member-1',
        groupId: group.id,
        domain: DOMAIN,
        data: [
          { key: 'x', value: '1' },
          { key: 'y', value: '2' },
        ],
        timestamp: new Date(world.clock.now()).toISOString(),
      },
    });
  });

  it('reads its group once, then uses one write and one publish per report (the hot path)', async () => {
    // Prepare
    world.store.calls.length = 0;

    // Act
    await report(world, 'c-1', group, 'member-1', { x: '1' });
    await report(world, 'c-1', group, 'member-1', { x: '2' });

    // Assess
    expect(world.store.calls).toEqual(['getGroup', 'updateNode', 'updateNode']);
    expect(world.publisher.calls).toHaveLength(2);
  });

  it('reports the same key far more often than its bound allows: the exact check resets the bound, nothing is refused', async () => {
    // Prepare: each report adds ~1 KB to the bound, so it passes 16 KB every ~16 reports.
    const value = (n: number) => `${n}:`.padEnd(1000, 'x');

    // Act
    for (let n = 1; n <= 60; n += 1) await report(world, 'c-1', group, 'member-1', { a: value(n) });

    // Assess
    expect(world.store.peekNode(key(), 'member-1')?.data).toEqual({ a: value(60) });
    expect(world.publisher.calls).toHaveLength(60);
    const reads = world.store.calls.filter((call) => call === 'getGroupAndNode').length;
    expect(reads).toBeGreaterThan(0);
    expect(reads).toBeLessThanOrEqual(60 / 15);
  });

  it('checks the exact size again when another report merged between its read and its write: the limit holds exactly', async () => {
    // Prepare: eleven reports of one ~1 KB key fill the bound (~11 KB) while the status stays ~1 KB.
    for (let n = 0; n < 11; n += 1) await report(world, 'c-1', group, 'member-1', { a: 'x'.repeat(1000) });
    // The next report's exact check reads the node; just before its write, a ~9.6 KB report lands.
    world.store.beforeNext('getGroupAndNode', () => {
      world.store.beforeNext('updateNode', async () => {
        await report(world, 'c-1', group, 'member-1', { c: 'う'.repeat(3200) });
      });
    });

    // Act: ~6 KB fits beside 1 KB, not beside 1 KB + 9.6 KB.
    const attempt = report(world, 'c-1', group, 'member-1', { b: 'い'.repeat(2000) });

    // Assess
    await expectErrorType(attempt, 'ValidationError');
    expect(Object.keys(world.store.peekNode(key(), 'member-1')?.data ?? {})).toEqual(['a', 'c']);
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
    await expectErrorType(
      report(world, 'c-1', { ...group, id: 'no-such-group' }, 'member-1', { a: '1' }),
      'GroupNotFound',
    );
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
  beforeEach(async () => ({ world, group } = await groupWorld()));
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
      nodeId: 'member-1',
      groupId: group.id,
      domain: DOMAIN,
      data: [
        { key: 'a', value: '1' },
        { key: 'b', value: '2' },
      ],
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
    await expectErrorType(
      getStatus('c-host', { nodeId: 'member-1', groupId: 'nope', domain: DOMAIN }),
      'GroupNotFound',
    );
  });
});
