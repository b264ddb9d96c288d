import { flushGroup } from '#shared/core/fanout/flush';
import type { Push } from '#shared/protocol/messages';
import type { Group, LeaveGroupPayload, Node, NodeTokenGrant, SenderPositions } from '#shared/protocol/types';
import { fakeWorld, type FakeWorld } from './fakes';
import {
  createGroup,
  DOMAIN,
  expectErrorType,
  groupWorld,
  joinGroup,
  passTimeWithHostAlive,
  report,
  send,
} from './driver';

describe('joinGroup', () => {
  let world: FakeWorld;
  let group: Group;
  beforeEach(async () => ({ world, group } = await groupWorld(0)));
  const key = () => ({ groupId: group.id, domain: group.domain });

  it("returns the Node with the group's expiresAt and the member heartbeat interval", async () => {
    // Act
    const node = await joinGroup(world, 'c-1', group, 'member-1');

    // Assess
    expect(node).toEqual<Node & NodeTokenGrant & SenderPositions>({
      id: 'member-1',
      name: 'member-1',
      groupId: group.id,
      domain: DOMAIN,
      expiresAt: group.expiresAt,
      heartbeatIntervalSeconds: 120,
      useWebSocket: true,
      nodeToken: 'node-token-2',
      senders: [{ nodeId: 'host', epoch: 'epoch-1', seq: 0 }],
    });
  });

  it("records how the node receives: its own useWebSocket, else the group's, and a rejoin keeps it", async () => {
    // Act
    const polling = await send<Node>(world, 'c-1', {
      ...key(),
      action: 'joinGroup',
      nodeId: 'poller',
      useWebSocket: false,
    });
    const plain = await send<Node>(world, 'c-2', {
      ...key(),
      action: 'joinGroup',
      nodeId: 'plain',
      useWebSocket: null,
    });
    const again = await send<Node>(world, 'c-1', { ...key(), action: 'joinGroup', nodeId: 'poller' });

    // Assess: a poller is told the polling interval; the group is not split by it.
    expect(polling).toMatchObject({ useWebSocket: false, pollingIntervalSeconds: 2 });
    expect(plain.useWebSocket).toBe(true);
    expect(plain).not.toHaveProperty('pollingIntervalSeconds');
    expect(again).toMatchObject({ useWebSocket: false, pollingIntervalSeconds: 2 });
    expect(world.store.peekNode(key(), 'poller')?.useWebSocket).toBe(false);
  });

  it('creates the node with a new epoch, seq 1 (its join), no status and the member TTL, and subscribes the connection', async () => {
    // Act
    await joinGroup(world, 'c-1', group, 'member-1');

    // Assess
    const expiresAt = world.clock.now() + 600_000;
    expect(world.store.peekNode(key(), 'member-1')).toMatchObject({
      isHost: false,
      seq: 1,
      data: {},
      statusAt: null,
      connectionId: 'c-1',
      expiresAt,
    });
    expect(world.store.peekSubscribers(key())).toContainEqual({ connectionId: 'c-1', nodeId: 'member-1', expiresAt });
  });

  it('answers GroupNotFound for a group that does not exist', async () => {
    // Act
    const attempt = joinGroup(world, 'c-1', { ...group, id: 'no-such-group' }, 'member-1');

    // Assess
    await expectErrorType(attempt, 'GroupNotFound');
  });

  it('answers GroupNotFound for a group past its expiresAt', async () => {
    // Prepare
    const short = await createGroup(world, 'c-host-2', 'host-2', { maxConnectionTimeSeconds: 10 });
    world.clock.advanceSeconds(11);

    // Act
    const attempt = joinGroup(world, 'c-1', short, 'member-1');

    // Assess
    await expectErrorType(attempt, 'GroupNotFound');
  });

  it('answers GroupNotFound once the host heartbeat is older than the host TTL', async () => {
    // Prepare
    world.clock.advanceSeconds(151);

    // Act
    const attempt = joinGroup(world, 'c-1', group, 'member-1');

    // Assess
    await expectErrorType(attempt, 'GroupNotFound');
  });

  it('answers Unauthorized to a connection joining as the host id', async () => {
    // Act
    const attempt = joinGroup(world, 'c-intruder', group, 'host');

    // Assess
    await expectErrorType(attempt, 'Unauthorized');
    expect(world.store.peekNode(key(), 'host')?.connectionId).toBe('c-host');
  });

  it('answers a ValidationError to a connection that is a node of another live group', async () => {
    // Prepare
    const other = await createGroup(world, 'c-host-2', 'host-2');
    await joinGroup(world, 'c-1', other, 'member-1');

    // Act
    const attempt = joinGroup(world, 'c-1', group, 'member-1');

    // Assess
    await expectErrorType(attempt, 'ValidationError');
    expect(world.store.peekNode(key(), 'member-1')).toBeUndefined();
  });

  it('rebinds a live node to a new connection that presents its nodeToken and keeps its epoch, seq and status', async () => {
    // Prepare
    const { nodeToken } = await joinGroup(world, 'c-old', group, 'member-1');
    await report(world, 'c-old', group, 'member-1', { score: '10' });
    const before = world.store.peekNode(key(), 'member-1');

    // Act
    const again = await joinGroup(world, 'c-new', group, 'member-1', nodeToken);
    expect(again).not.toHaveProperty('nodeToken');

    // Assess
    expect(world.store.peekNode(key(), 'member-1')).toMatchObject({
      connectionId: 'c-new',
      epoch: before?.epoch,
      seq: before?.seq,
      data: { score: '10' },
    });
    const subscribed = world.store.peekSubscribers(key()).map((s) => s.connectionId);
    expect(subscribed).toContain('c-new');
    expect(subscribed).not.toContain('c-old');
    await expectErrorType(report(world, 'c-old', group, 'member-1', { score: '11' }), 'Unauthorized');
  });

  it.each([
    ['no nodeToken', undefined],
    ['a wrong nodeToken', 'node-token-guessed'],
    ["the host's nodeToken", 'node-token-1'],
  ])(
    'refuses to rebind a live node to a connection with %s (Unauthorized) and changes nothing',
    async (_, nodeToken) => {
      // Prepare
      await joinGroup(world, 'c-old', group, 'member-1');
      await report(world, 'c-old', group, 'member-1', { score: '10' });
      const before = world.store.peekNode(key(), 'member-1');
      const writes = world.store.count('putNode');

      // Act
      const attempt = joinGroup(world, 'c-thief', group, 'member-1', nodeToken);

      // Assess
      await expectErrorType(attempt, 'Unauthorized');
      expect(world.store.peekNode(key(), 'member-1')).toEqual(before);
      expect(world.store.count('putNode')).toBe(writes);
      expect(world.store.peekConnection('c-thief')).toBeUndefined();
      await report(world, 'c-old', group, 'member-1', { score: '11' });
    },
  );

  it('needs the nodeToken for a node whose connection closed, too (the rejoin after a reconnect)', async () => {
    // Prepare
    const { nodeToken } = await joinGroup(world, 'c-old', group, 'member-1');
    await world.store.dropConnection('c-old', world.clock.now() + 30_000);

    // Act
    const without = joinGroup(world, 'c-new', group, 'member-1');
    const back = await joinGroup(world, 'c-new-2', group, 'member-1', nodeToken);

    // Assess
    await expectErrorType(without, 'Unauthorized');
    expect(back.id).toBe('member-1');
    expect(world.store.peekNode(key(), 'member-1')?.connectionId).toBe('c-new-2');
  });

  it('answers the same connection joining again without a token, and hands no new one out', async () => {
    // Prepare
    await joinGroup(world, 'c-1', group, 'member-1');

    // Act
    const again = await joinGroup(world, 'c-1', group, 'member-1');

    // Assess
    expect(again).not.toHaveProperty('nodeToken');
    expect(again.id).toBe('member-1');
  });

  it('creates an expired node anew with a new nodeToken; the old one no longer works', async () => {
    // Prepare
    await joinGroup(world, 'c-1', group, 'member-1');
    await report(world, 'c-1', group, 'member-1', { score: '10' });
    const before = world.store.peekNode(key(), 'member-1');
    await passTimeWithHostAlive(world, group, 601);

    // Act
    const fresh = await joinGroup(world, 'c-2', group, 'member-1');

    // Assess
    const after = world.store.peekNode(key(), 'member-1');
    expect(after).toMatchObject({ seq: 1, data: {}, statusAt: null, connectionId: 'c-2' });
    expect(after?.epoch).not.toBe(before?.epoch);
    expect(fresh.nodeToken).toBeDefined();
    expect(after?.tokenHash).not.toBe(before?.tokenHash);
  });

  it('retries when a concurrent report changed the node between read and write, keeping that report', async () => {
    // Prepare
    const { nodeToken } = await joinGroup(world, 'c-old', group, 'member-1');
    world.store.beforeNext('putNode', async () => {
      await report(world, 'c-old', group, 'member-1', { late: 'yes' });
    });

    // Act
    await joinGroup(world, 'c-new', group, 'member-1', nodeToken);

    // Assess
    expect(world.store.peekNode(key(), 'member-1')).toMatchObject({
      connectionId: 'c-new',
      seq: 2,
      data: { late: 'yes' },
    });
  });
});

describe('joinGroup: the member cap', () => {
  it('refuses a new node once the group has maxMembersPerGroup connected members (LimitExceeded), creating nothing', async () => {
    // Prepare: the host and two members fill a group of three.
    const world = fakeWorld({ settings: { maxMembersPerGroup: 3 } });
    const group = await createGroup(world, 'c-host', 'host');
    const { nodeToken } = await joinGroup(world, 'c-1', group, 'member-1');
    await joinGroup(world, 'c-2', group, 'member-2');
    const key = { groupId: group.id, domain: group.domain };
    const writes = world.store.count('putNode');

    // Act
    const attempt = joinGroup(world, 'c-3', group, 'member-3');

    // Assess
    await expect(attempt).rejects.toMatchObject({ errorType: 'LimitExceeded', message: expect.stringMatching(/full/) });
    expect(world.store.peekNode(key, 'member-3')).toBeUndefined();
    expect(world.store.count('putNode')).toBe(writes);
    // A member that is a node already takes its place back, full or not.
    await world.store.dropConnection('c-1', world.clock.now() + 30_000);
    await joinGroup(world, 'c-1b', group, 'member-1', nodeToken);
  });

  it('makes room as members leave or expire', async () => {
    // Prepare
    const world = fakeWorld({ settings: { maxMembersPerGroup: 2 } });
    const group = await createGroup(world, 'c-host', 'host');
    await joinGroup(world, 'c-1', group, 'member-1');
    await send(world, 'c-1', { action: 'leaveGroup', groupId: group.id, domain: group.domain, nodeId: 'member-1' });

    // Act
    const node = await joinGroup(world, 'c-2', group, 'member-2');

    // Assess
    expect(node.id).toBe('member-2');
  });
});

describe('leaveGroup', () => {
  let world: FakeWorld;
  let group: Group;
  beforeEach(async () => ({ world, group } = await groupWorld()));
  const leave = (connectionId: string, nodeId: string, groupId = group.id) =>
    send<LeaveGroupPayload>(world, connectionId, { action: 'leaveGroup', groupId, domain: DOMAIN, nodeId });

  it('removes the node, its status (Japanese keys too), its subscription and its connection record', async () => {
    // Prepare
    await report(world, 'c-1', group, 'member-1', { スコア: '十', 名前: 'たろう' });

    // Act
    const result = await leave('c-1', 'member-1');

    // Assess
    expect(result).toEqual({ peerId: 'member-1', groupId: group.id, domain: DOMAIN, message: expect.any(String) });
    const key = { groupId: group.id, domain: DOMAIN };
    expect(world.store.peekNode(key, 'member-1')).toBeUndefined();
    expect(world.store.peekSubscribers(key).map((s) => s.connectionId)).toEqual(['c-host']);
    expect(world.store.peekConnection('c-1')).toBeUndefined();
    const status = await send(world, 'c-host', { action: 'getNodeStatus', nodeId: 'member-1' });
    expect(status).toBeNull();
  });

  it('answers GroupNotFound for a missing group', async () => {
    await expectErrorType(leave('c-1', 'member-1', 'no-such-group'), 'GroupNotFound');
  });

  it('answers NodeNotFound for a node not in the group', async () => {
    await expectErrorType(leave('c-1', 'member-9'), 'NodeNotFound');
  });

  it('answers NodeNotFound for a member whose heartbeat TTL ran out', async () => {
    // Prepare
    await passTimeWithHostAlive(world, group, 601);

    // Act / Assess
    await expectErrorType(leave('c-1', 'member-1'), 'NodeNotFound');
  });

  it('answers Unauthorized when the connection is not that node', async () => {
    // Prepare
    await joinGroup(world, 'c-2', group, 'member-2');

    // Act / Assess
    await expectErrorType(leave('c-2', 'member-1'), 'Unauthorized');
    expect(world.store.peekNode({ groupId: group.id, domain: DOMAIN }, 'member-1')).toBeDefined();
  });

  it('refuses the host with a ValidationError: the host dissolves instead', async () => {
    await expectErrorType(leave('c-host', 'host'), 'ValidationError');
    expect(world.store.peekNode({ groupId: group.id, domain: DOMAIN }, 'host')).toBeDefined();
  });

  it('frees the connection to join another group', async () => {
    // Prepare
    const other = await createGroup(world, 'c-host-2', 'host-2');
    await leave('c-1', 'member-1');

    // Act
    const node = await joinGroup(world, 'c-1', other, 'member-1');

    // Assess
    expect(node.groupId).toBe(other.id);
  });
});

describe('joinGroup while the others push', () => {
  it('leaves the joiner waiting for no push: one a sender makes while the join is under way is posted to it or counted in its senders', async () => {
    // Arrange: a group whose pushes go through the log and the fan-out, with a member that will push.
    const { world, group } = await groupWorld(1, { publishToLog: true });
    await deliverFlushes(world);
    world.notifier.posts.length = 0;
    // The sender's push and a round of the fan-out fall between the join's reads and its writes.
    const listNodes = world.store.listNodes.bind(world.store);
    let pushed = false;
    world.store.listNodes = async (...args) => {
      const page = await listNodes(...args);
      if (!pushed) {
        pushed = true;
        await report(world, 'c-1', group, 'member-1', { score: '1' });
        await deliverFlushes(world);
      }
      return page;
    };

    // Act
    const joined = await joinGroup(world, 'c-2', group, 'member-2');

    // Assess: member-1's push was seq 2 (its join was 1); member-2 either got it or starts member-1 after it.
    expect(pushed).toBe(true);
    const told = joined.senders?.find((sender) => sender.nodeId === 'member-1')?.seq ?? 0;
    const posted = world.notifier.posts
      .filter((post) => post.connectionId === 'c-2')
      .flatMap((post) => pushesOf(post.frame))
      .filter((push) => push.from === 'member-1')
      .map((push) => push.seq);
    expect(told >= 2 || posted.includes(2)).toBe(true);
  });
});

/** Runs every flush request made so far, as SNS would deliver them. */
async function deliverFlushes(world: FakeWorld): Promise<void> {
  for (const request of world.trigger.take()) await flushGroup(request, world.flushDeps);
}

/** The pushes a posted frame carries. */
function pushesOf(frame: string): Push[] {
  const parsed = JSON.parse(frame);
  return parsed.type === 'messages' ? parsed.messages : [parsed];
}
