import type { AnyRequest } from '#shared/protocol/requests';
import type { Group, MeshMessage } from '#shared/protocol/types';
import type { FakeWorld } from './fakes';
import { DOMAIN, expectErrorType, groupWorld, joinGroup, report, send } from './driver';

describe('dissolveGroup', () => {
  let world: FakeWorld;
  let group: Group;
  beforeEach(async () => ({ world, group } = await groupWorld(2)));
  const dissolve = (connectionId = 'c-host', hostId = 'host', groupId = group.id) =>
    send<MeshMessage>(world, connectionId, { action: 'dissolveGroup', groupId, domain: DOMAIN, hostId });

  it('returns the MeshMessage with groupDissolve and publishes it as one push with the host next seq', async () => {
    // Prepare
    await report(world, 'c-host', group, 'host', { phase: 'playing' });

    // Act
    const message = await dissolve();

    // Assess
    const groupDissolve = { groupId: group.id, domain: DOMAIN, message: expect.any(String) };
    expect(message).toEqual({ groupId: group.id, domain: DOMAIN, groupDissolve });
    expect(world.publisher.calls).toHaveLength(2);
    const push = world.publisher.calls[1];
    expect(push).toEqual([
      {
        type: 'message',
        groupId: group.id,
        domain: DOMAIN,
        from: 'host',
        epoch: world.publisher.calls[0][0].epoch,
        seq: 2,
        sentAt: expect.any(String),
        groupDissolve,
      },
    ]);
  });

  it('publishes before deleting, marking the push as the dissolve', async () => {
    // Prepare
    const order: string[] = [];
    world.store.beforeNext('deleteGroup', () => {
      order.push(`deleteGroup after ${world.publisher.calls.length} publish call(s)`);
    });

    // Act
    await dissolve();

    // Assess
    expect(order).toEqual(['deleteGroup after 1 publish call(s)']);
  });

  it('dissolves once when the host sends it twice without waiting: the other answers GroupNotFound', async () => {
    // Act
    const results = await Promise.allSettled([dissolve(), dissolve()]);

    // Assess
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toMatchObject({ errorType: 'GroupNotFound' });
    expect(world.publisher.pushes.filter((p) => 'groupDissolve' in p)).toHaveLength(1);
  });

  it('leaves the group in place when publishing fails, so the host can retry', async () => {
    // Prepare
    world.publisher.failNext(new Error('SNS unavailable'));

    // Act
    const attempt = dissolve();

    // Assess
    await expect(attempt).rejects.toThrow('SNS unavailable');
    expect(world.store.count('deleteGroup')).toBe(0);
    await expect(joinGroup(world, 'c-3', group, 'member-3')).resolves.toMatchObject({ groupId: group.id });
  });

  it('answers Unauthorized when the hostId is not the group host', async () => {
    await expectErrorType(dissolve('c-1', 'member-1'), 'Unauthorized');
    expect(world.store.peekGroup({ groupId: group.id, domain: DOMAIN })).toBeDefined();
  });

  it("answers Unauthorized when another connection names the host's id", async () => {
    await expectErrorType(dissolve('c-1', 'host'), 'Unauthorized');
    expect(world.publisher.calls).toHaveLength(0);
  });

  it('answers GroupNotFound for a missing group', async () => {
    await expectErrorType(dissolve('c-host', 'host', 'no-such-group'), 'GroupNotFound');
  });

  it('answers GroupNotFound when dissolving twice', async () => {
    // Prepare
    await dissolve();

    // Act / Assess
    await expectErrorType(dissolve(), 'GroupNotFound');
  });

  it('makes every operation on the group answer GroupNotFound afterwards', async () => {
    // Prepare
    await dissolve();
    const where = { groupId: group.id, domain: DOMAIN };
    const firedAt = '2026-01-05T09:00:00.000Z';
    const requests: [string, AnyRequest][] = [
      ['c-3', { action: 'joinGroup', ...where, nodeId: 'member-3' }],
      ['c-1', { action: 'leaveGroup', ...where, nodeId: 'member-1' }],
      ['c-host', { action: 'dissolveGroup', ...where, hostId: 'host' }],
      ['c-host', { action: 'renewHeartbeat', ...where, hostId: 'host' }],
      ['c-1', { action: 'sendMemberHeartbeat', ...where, nodeId: 'member-1' }],
      ['c-1', { action: 'reportDataByNode', ...where, nodeId: 'member-1', data: [{ key: 'k', value: 'v' }] }],
      ['c-1', { action: 'fireEventsByNode', ...where, nodeId: 'member-1', events: [{ eventName: 'e', firedAt }] }],
      ['c-1', { action: 'getNodeStatus', ...where, nodeId: 'member-1' }],
      ['c-1', { action: 'getNodeStatus', nodeId: 'member-1' }],
      ['c-1', { action: 'listGroupStatuses', ...where }],
      ['c-1', { action: 'listNodesInGroup', ...where }],
    ];

    // Act / Assess
    for (const [connectionId, request] of requests) {
      await expectErrorType(send(world, connectionId, request), 'GroupNotFound');
    }
    const listed = await send<Group[]>(world, 'c-1', { action: 'listGroupsByDomain', domain: DOMAIN });
    expect(listed).toEqual([]);
  });

  it('dissolves a group whose members reported multibyte data (Japanese, emoji, Chinese, Korean)', async () => {
    // Prepare
    await report(world, 'c-1', group, 'member-1', { スコア: '百点', '🎮': '🚀✨' });
    await report(world, 'c-2', group, 'member-2', { 分数: '一百', 점수: '백' });

    // Act
    const message = await dissolve();

    // Assess
    expect(message.groupDissolve?.groupId).toBe(group.id);
    await expectErrorType(report(world, 'c-1', group, 'member-1', { スコア: '零' }), 'GroupNotFound');
  });
});
