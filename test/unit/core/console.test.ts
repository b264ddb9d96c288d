/**
 * The operator console's actions on the fakes: only a WebSocket caller with
 * the deployment's admin token may call them; watchMesh answers every live
 * group with its nodes and marks the groups' log heads for the lease (writing
 * a mark only when it would lapse soon); watchGroup answers a group's statuses
 * and sends the viewer its pushes; the last viewer's unwatchMesh clears every
 * mark.
 */
import { runAction } from '#shared/core/actions';
import { flushGroup } from '#shared/core/fanout/flush';
import type { Caller, GroupKey } from '#shared/core/model';
import type { MeshDeps } from '#shared/core/ports';
import { VIEWER_NODE_ID } from '#shared/core/viewers';
import { CONSOLE_LOG, type MeshSnapshot, WATCH_LEASE_SECONDS } from '#shared/protocol/console';
import type { AnyRequest } from '#shared/protocol/requests';
import type { Group, NodeStatus } from '#shared/protocol/types';
import { caller, createGroup, expectErrorType, joinGroup, passTimeWithHostAlive, report, send } from './driver';
import { fakeWorld, type FakeWorld } from './fakes';

const ADMIN_TOKEN = 'the-admin-token-of-the-console-tests';
const LEASE_MS = WATCH_LEASE_SECONDS * 1000;
const iso = (ms: number) => new Date(ms).toISOString();
const keyOf = (group: Group): GroupKey => ({ groupId: group.id, domain: group.domain });

let world: FakeWorld;
beforeEach(() => {
  world = fakeWorld({ adminToken: ADMIN_TOKEN, publishToLog: true });
});

/** Runs one console request as `who` (a viewer's WebSocket unless told) and returns its `data`. */
async function call<T>(request: AnyRequest, who: Caller = caller('c-viewer'), deps: MeshDeps = world.deps): Promise<T> {
  return (await runAction(request, who, deps)).data as T;
}
const watchMesh = (connectionId = 'c-viewer') =>
  call<MeshSnapshot>({ action: 'watchMesh', adminToken: ADMIN_TOKEN }, caller(connectionId));
const watchGroup = (group: Group, connectionId = 'c-viewer') =>
  call<NodeStatus[]>({ action: 'watchGroup', adminToken: ADMIN_TOKEN, ...keyOf(group) }, caller(connectionId));
const unwatchMesh = (connectionId = 'c-viewer') =>
  call<{ viewers: number }>({ action: 'unwatchMesh', adminToken: ADMIN_TOKEN }, caller(connectionId));

/** Runs every flush requested so far, as SNS would deliver them. */
async function deliverFlushes(): Promise<void> {
  for (const request of world.trigger.take()) await flushGroup(request, world.flushDeps);
}

/** A group hosted on `c-{name}` with one member on `c-{name}-1`: its log has a head (the member's join). */
async function groupWithMember(name: string, domain = 'school-1'): Promise<Group> {
  const group = await createGroup(world, `c-${name}`, `host-${name}`, { domain, name });
  await joinGroup(world, `c-${name}-1`, group, `member-${name}`);
  return group;
}

describe('who may use the console', () => {
  let group: Group;
  beforeEach(async () => {
    group = await groupWithMember('a');
  });

  /** Expects every console action with this token, as `who` over `deps`, to fail with `errorType`. */
  async function expectEveryActionRefused(
    errorType: 'Unauthorized' | 'ValidationError',
    adminToken: string,
    who: Caller = caller('c-viewer'),
    deps: MeshDeps = world.deps,
  ): Promise<void> {
    await expectErrorType(call({ action: 'watchMesh', adminToken }, who, deps), errorType);
    await expectErrorType(call({ action: 'watchGroup', adminToken, ...keyOf(group) }, who, deps), errorType);
    await expectErrorType(call({ action: 'unwatchMesh', adminToken }, who, deps), errorType);
  }
  const nothingWritten = () => {
    expect(world.console.calls).toEqual([]);
    expect(world.store.peekSubscribers(CONSOLE_LOG)).toEqual([]);
    expect(world.store.peekSubscribers(keyOf(group)).map((s) => s.connectionId)).not.toContain('c-viewer');
    expect(world.log.headOf(keyOf(group))?.watchedUntil).toBeUndefined();
  };

  it('refuses every action while the deployment has no admin token (the console is off), and writes nothing', async () => {
    for (const deps of [
      { ...world.deps, adminToken: undefined },
      { ...world.deps, adminToken: '' },
      { ...world.deps, console: undefined },
    ]) {
      await expectEveryActionRefused('Unauthorized', ADMIN_TOKEN, caller('c-viewer'), deps);
      await expectEveryActionRefused('Unauthorized', '', caller('c-viewer'), deps);
    }
    nothingWritten();
  });

  it('refuses a wrong admin token, however close, and writes nothing', async () => {
    for (const wrong of ['', 'wrong', ADMIN_TOKEN.slice(0, -1), `${ADMIN_TOKEN}x`, ADMIN_TOKEN.toUpperCase()]) {
      await expectEveryActionRefused('Unauthorized', wrong);
    }
    nothingWritten();
  });

  it('refuses a caller over HTTPS before it looks at the token: a viewer needs a connection to be sent to', async () => {
    const overHttps: Caller = { ...caller('binding-1'), overHttps: true };
    await expectEveryActionRefused('ValidationError', ADMIN_TOKEN, overHttps);
    await expectEveryActionRefused('ValidationError', 'wrong', overHttps);
    await expectEveryActionRefused('ValidationError', 'wrong', overHttps, { ...world.deps, adminToken: undefined });
    nothingWritten();
  });
});

describe('a connection is a node or a viewer, never both', () => {
  it("refuses watchMesh from a live node's connection, and leaves its binding as it was", async () => {
    const group = await groupWithMember('a');

    await expectErrorType(watchMesh('c-a-1'), 'ValidationError');

    await expect(world.store.getConnection('c-a-1')).resolves.toMatchObject({ groupId: group.id, nodeId: 'member-a' });
    expect(world.store.peekSubscribers(CONSOLE_LOG)).toEqual([]);
  });

  it("refuses watchGroup from a member's connection, and leaves its subscription a member's", async () => {
    const group = await groupWithMember('a');

    await expectErrorType(watchGroup(group, 'c-a-1'), 'ValidationError');

    const subscription = world.store.peekSubscribers(keyOf(group)).find((s) => s.connectionId === 'c-a-1');
    expect(subscription?.nodeId).toBe('member-a');
  });

  it("refuses createGroup and joinGroup from a viewer's connection, and it stays a viewer", async () => {
    const group = await groupWithMember('a');
    await watchMesh();

    await expectErrorType(
      createGroup(world, 'c-viewer', 'host-b', { domain: 'school-1', name: 'b' }),
      'ValidationError',
    );
    await expectErrorType(joinGroup(world, 'c-viewer', group, 'member-x'), 'ValidationError');

    await expect(world.store.getConnection('c-viewer')).resolves.toMatchObject({
      ...CONSOLE_LOG,
      nodeId: VIEWER_NODE_ID,
    });
    expect(world.store.peekSubscribers(keyOf(group)).map((s) => s.nodeId)).not.toContain('member-x');
  });
});

describe('watchMesh', () => {
  it('answers every live group of every domain, newest first, with its live nodes as they are', async () => {
    const start = world.clock.now();
    await groupWithMember('lapsed', 'school-9');
    const a = await createGroup(world, 'c-a', 'host-a', { domain: 'school-1', name: 'room a' });
    await joinGroup(world, 'c-a-stale', a, 'stale');
    await passTimeWithHostAlive(world, a, 610, 'c-a'); // the first group's host and the stale member lapse
    const joined = world.clock.now();
    await joinGroup(world, 'c-a-1', a, 'member-1');
    await report(world, 'c-a-1', a, 'member-1', { x: '1', y: '2' });
    await world.store.dropConnection('c-a-1', joined + 30_000); // member-1's WebSocket closed
    world.clock.advanceSeconds(1);
    await send(world, 'c-a-2', { action: 'joinGroup', ...keyOf(a), nodeId: 'poller', useWebSocket: false });
    world.clock.advanceSeconds(1);
    const b = await createGroup(world, 'c-b', 'host-b', { domain: 'school-2', name: 'room b' });
    world.clock.advanceSeconds(1);
    const now = world.clock.now();

    const snapshot = await watchMesh();

    const groupExpiry = (createdAt: number) => iso(createdAt + world.settings.maxConnectionTimeSeconds * 1000);
    const memberExpiry = (beat: number) => iso(beat + world.settings.memberHeartbeatTtlSeconds * 1000);
    expect(snapshot).toEqual({
      at: iso(now),
      viewers: 1,
      leaseSeconds: WATCH_LEASE_SECONDS,
      groups: [
        {
          ...keyOf(b),
          name: 'room b',
          hostId: 'host-b',
          createdAt: iso(now - 1000),
          expiresAt: groupExpiry(now - 1000),
          heartbeatAt: iso(now - 1000),
          pushes: 0,
          nodes: [
            {
              nodeId: 'host-b',
              isHost: true,
              connected: true,
              transport: 'websocket',
              joinedAt: iso(now - 1000),
              lastHeartbeatAt: iso(now - 1000),
              expiresAt: groupExpiry(now - 1000),
              statusKeys: 0,
            },
          ],
        },
        {
          ...keyOf(a),
          name: 'room a',
          hostId: 'host-a',
          createdAt: iso(start),
          expiresAt: groupExpiry(start),
          heartbeatAt: iso(joined),
          // The joins of stale, member-1 and poller, and member-1's report.
          pushes: 4,
          nodes: [
            {
              nodeId: 'host-a',
              isHost: true,
              connected: true,
              transport: 'websocket',
              joinedAt: iso(start),
              lastHeartbeatAt: iso(joined),
              expiresAt: groupExpiry(start),
              statusKeys: 0,
            },
            {
              nodeId: 'member-1',
              isHost: false,
              connected: false,
              transport: 'websocket',
              joinedAt: iso(joined),
              lastHeartbeatAt: iso(joined),
              expiresAt: memberExpiry(joined),
              statusKeys: 2,
            },
            {
              nodeId: 'poller',
              isHost: false,
              connected: true,
              transport: 'polling',
              joinedAt: iso(joined + 1000),
              lastHeartbeatAt: iso(joined + 1000),
              expiresAt: memberExpiry(joined + 1000),
              statusKeys: 0,
            },
          ],
        },
      ],
    });
  });

  it("makes the caller a viewer of the console's log for the lease, and counts the live viewers", async () => {
    const now = world.clock.now();
    expect((await watchMesh('c-v1')).viewers).toBe(1);
    expect((await watchMesh('c-v2')).viewers).toBe(2);
    expect(world.store.peekSubscribers(CONSOLE_LOG)).toContainEqual({
      connectionId: 'c-v1',
      nodeId: VIEWER_NODE_ID,
      expiresAt: now + LEASE_MS,
    });
    expect(world.store.peekConnection('c-v1')).toEqual({
      ...CONSOLE_LOG,
      connectionId: 'c-v1',
      nodeId: VIEWER_NODE_ID,
    });

    world.clock.advance(LEASE_MS + 1);
    expect((await watchMesh('c-v3')).viewers).toBe(1);
  });

  it('marks the log heads of the live groups for the lease; a group with no head or a lapsed one gets no mark', async () => {
    const lapsed = await groupWithMember('lapsed');
    world.clock.advanceSeconds(world.settings.hostHeartbeatTtlSeconds + 1);
    const live = await groupWithMember('live');
    const headless = await createGroup(world, 'c-headless', 'host-headless');
    const now = world.clock.now();

    await watchMesh();

    expect(world.log.headOf(keyOf(live))?.watchedUntil).toBe(now + LEASE_MS);
    expect(world.log.headOf(keyOf(lapsed))?.watchedUntil).toBeUndefined();
    expect(world.log.headOf(keyOf(headless))).toBeUndefined();
    expect(world.console.count('markWatched')).toBe(1);
  });

  it('renews a mark only once it would lapse within half a lease, so frequent snapshots do not write every head', async () => {
    const group = await groupWithMember('a');
    const first = world.clock.now();
    await watchMesh();
    expect(world.console.count('markWatched')).toBe(1);

    await watchMesh();
    world.clock.advance(LEASE_MS / 2);
    await watchMesh();
    expect(world.console.count('markWatched')).toBe(1);
    expect(world.log.headOf(keyOf(group))?.watchedUntil).toBe(first + LEASE_MS);

    world.clock.advance(1);
    await watchMesh();
    expect(world.console.count('markWatched')).toBe(2);
    expect(world.log.headOf(keyOf(group))?.watchedUntil).toBe(world.clock.now() + LEASE_MS);
  });
});

describe('watchGroup', () => {
  it("answers the statuses of the group's live nodes that reported", async () => {
    const group = await createGroup(world, 'c-host', 'host');
    await joinGroup(world, 'c-stale', group, 'stale');
    await report(world, 'c-stale', group, 'stale', { gone: 'soon' });
    await passTimeWithHostAlive(world, group, 610);
    await joinGroup(world, 'c-1', group, 'member-1');
    await joinGroup(world, 'c-2', group, 'member-2');
    await report(world, 'c-host', group, 'host', { role: 'teacher' });
    world.clock.advanceSeconds(1);
    await report(world, 'c-1', group, 'member-1', { b: '2', a: '1' });
    const now = world.clock.now();

    expect(await watchGroup(group)).toEqual([
      { nodeId: 'host', ...keyOf(group), data: [{ key: 'role', value: 'teacher' }], timestamp: iso(now - 1000) },
      {
        nodeId: 'member-1',
        ...keyOf(group),
        data: [
          { key: 'a', value: '1' },
          { key: 'b', value: '2' },
        ],
        timestamp: iso(now),
      },
    ]);
  });

  it("sends the viewer the group's pushes for the lease, as it sends a member's", async () => {
    const group = await groupWithMember('a');
    await deliverFlushes();
    const now = world.clock.now();

    await watchGroup(group);
    await report(world, 'c-a-1', group, 'member-a', { x: '1' });
    await deliverFlushes();

    expect(world.store.peekSubscribers(keyOf(group))).toContainEqual({
      connectionId: 'c-viewer',
      nodeId: VIEWER_NODE_ID,
      expiresAt: now + LEASE_MS,
    });
    const frames = world.notifier.posts.filter((post) => post.connectionId === 'c-viewer');
    expect(frames.map((post) => JSON.parse(post.frame).nodeStatus?.nodeId)).toEqual(['member-a']);
  });

  it("takes no member's place in a full group", async () => {
    world = fakeWorld({ adminToken: ADMIN_TOKEN, publishToLog: true, settings: { maxMembersPerGroup: 2 } });
    const group = await createGroup(world, 'c-host', 'host');
    await watchGroup(group, 'c-viewer-1');
    await watchGroup(group, 'c-viewer-2');

    await expect(joinGroup(world, 'c-1', group, 'member-1')).resolves.toMatchObject({ id: 'member-1' });
    await expectErrorType(joinGroup(world, 'c-2', group, 'member-2'), 'LimitExceeded');
  });

  it('refuses a group that is not live, and subscribes nothing', async () => {
    const group = await createGroup(world, 'c-host', 'host');
    world.clock.advanceSeconds(world.settings.hostHeartbeatTtlSeconds + 1);

    await expectErrorType(watchGroup(group), 'GroupNotFound');
    await expectErrorType(watchGroup({ ...group, id: 'no-such-group' }), 'GroupNotFound');
    expect(world.console.count('putGroupViewer')).toBe(0);
  });
});

describe('unwatchMesh', () => {
  let groups: Group[];
  beforeEach(async () => {
    groups = [await groupWithMember('a'), await groupWithMember('b', 'school-2')];
    await watchMesh('c-v1');
    await watchMesh('c-v2');
  });
  const marks = () => groups.map((group) => world.log.headOf(keyOf(group))?.watchedUntil);

  it("keeps the groups' marks while another viewer watches", async () => {
    const until = world.clock.now() + LEASE_MS;

    expect(await unwatchMesh('c-v1')).toEqual({ viewers: 1 });

    expect(marks()).toEqual([until, until]);
    expect(world.store.peekSubscribers(CONSOLE_LOG).map((viewer) => viewer.connectionId)).toEqual(['c-v2']);
    expect(world.store.peekConnection('c-v1')).toBeUndefined();
  });

  it("by the last viewer clears every group's mark at once", async () => {
    await unwatchMesh('c-v1');

    expect(await unwatchMesh('c-v2')).toEqual({ viewers: 0 });

    expect(marks()).toEqual([undefined, undefined]);
    expect(world.store.peekSubscribers(CONSOLE_LOG)).toEqual([]);
  });

  it('counts no viewer gone by $disconnect or past its lease', async () => {
    await world.store.dropConnection('c-v2', world.clock.now());
    expect(await unwatchMesh('c-v1')).toEqual({ viewers: 0 });
    expect(marks()).toEqual([undefined, undefined]);

    await watchMesh('c-v3');
    await watchMesh('c-v4');
    world.clock.advance(LEASE_MS + 1);
    await watchMesh('c-v4');
    expect(await unwatchMesh('c-v4')).toEqual({ viewers: 0 });
    expect(marks()).toEqual([undefined, undefined]);
  });
});
