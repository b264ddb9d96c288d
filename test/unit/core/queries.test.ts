import { decodeToken, encodeToken } from '#shared/core/paging';
import { LIMITS, utf8Bytes } from '#shared/protocol/limits';
import type { Group, Node, NodeStatus } from '#shared/protocol/types';
import type { FakeWorld } from './fakes';
import { DOMAIN, expectErrorType, groupWorld, joinGroup, passTimeWithHostAlive, report, sendForPage } from './driver';

describe('listGroupStatuses', () => {
  let world: FakeWorld;
  let group: Group;
  beforeEach(async () => ({ world, group } = await groupWorld(0)));
  const list = (nextToken?: string, groupId = group.id) =>
    sendForPage(world, 'c-any', { action: 'listGroupStatuses', groupId, domain: DOMAIN, nextToken });

  it('returns an empty list when no node has reported', async () => {
    // Prepare
    await joinGroup(world, 'c-1', group, 'member-1');

    // Act
    const page = await list();

    // Assess
    expect(page).toEqual({ data: [] });
  });

  it("returns every reporting node's full merged status, in node id order", async () => {
    // Prepare
    await joinGroup(world, 'c-1', group, 'member-1');
    await joinGroup(world, 'c-2', group, 'member-2');
    await joinGroup(world, 'c-3', group, 'member-3');
    await report(world, 'c-2', group, 'member-2', { y: '1' });
    await report(world, 'c-1', group, 'member-1', { x: '1', スコア: '百' });
    await report(world, 'c-1', group, 'member-1', { x: '2' });

    // Act
    const page = await list();

    // Assess
    const statuses = page.data as NodeStatus[];
    expect(statuses.map((s) => [s.nodeId, s.data])).toEqual([
      [
        'member-1',
        [
          { key: 'x', value: '2' },
          { key: 'スコア', value: '百' },
        ],
      ],
      ['member-2', [{ key: 'y', value: '1' }]],
    ]);
    expect(page.nextToken).toBeUndefined();
  });

  it('leaves out expired nodes', async () => {
    // Prepare
    await joinGroup(world, 'c-1', group, 'member-1');
    await report(world, 'c-1', group, 'member-1', { x: '1' });
    await report(world, 'c-host', group, 'host', { h: '1' });
    await passTimeWithHostAlive(world, group, 601);

    // Act
    const page = await list();

    // Assess
    expect((page.data as NodeStatus[]).map((s) => s.nodeId)).toEqual(['host']);
  });

  it('pages by bytes: each page under the limit, every status exactly once, in order', async () => {
    // Prepare: 20 nodes with ~15 KB of status each (~300 KB in all).
    const ids = Array.from({ length: 20 }, (_, i) => `member-${String(i).padStart(2, '0')}`);
    for (const [i, id] of ids.entries()) {
      await joinGroup(world, `c-${i}`, group, id);
      await report(world, `c-${i}`, group, id, { big: 'z'.repeat(15_000) });
    }

    // Act
    const pages = [];
    let token: string | undefined;
    do {
      const page = await list(token);
      pages.push(page.data as NodeStatus[]);
      token = page.nextToken;
    } while (token !== undefined);

    // Assess
    expect(pages.length).toBeGreaterThan(2);
    for (const data of pages) expect(utf8Bytes(JSON.stringify(data))).toBeLessThanOrEqual(LIMITS.maxListPageBytes);
    expect(pages.flat().map((s) => s.nodeId)).toEqual(ids);
  });

  it('answers a ValidationError for a nextToken it did not make', async () => {
    // Prepare
    const bad = ['!!!', '', 'bm9kZQ==', Buffer.from([0xff, 0xfe]).toString('base64url'), encodeToken('n'.repeat(129))];

    // Act / Assess
    for (const token of bad) await expectErrorType(list(token), 'ValidationError');
  });

  it('answers GroupNotFound for a missing or expired group', async () => {
    // Prepare
    world.clock.advanceSeconds(151);

    // Act / Assess
    await expectErrorType(list(undefined, 'no-such-group'), 'GroupNotFound');
    await expectErrorType(list(), 'GroupNotFound');
  });
});

describe('listNodesInGroup', () => {
  let world: FakeWorld;
  let group: Group;
  beforeEach(async () => ({ world, group } = await groupWorld(0)));
  const list = (nextToken?: string) =>
    sendForPage(world, 'c-any', { action: 'listNodesInGroup', groupId: group.id, domain: DOMAIN, nextToken });

  it("lists the live nodes, host included, each with the group's expiresAt", async () => {
    // Prepare
    await joinGroup(world, 'c-1', group, '생쥐');
    await joinGroup(world, 'c-2', group, 'alice');

    // Act
    const page = await list();

    // Assess
    const nodes = page.data as Node[];
    expect(nodes.map((n) => n.id)).toEqual(['alice', 'host', '생쥐']);
    expect(new Set(nodes.map((n) => n.expiresAt))).toEqual(new Set([group.expiresAt]));
    expect(nodes.find((n) => n.id === 'alice')?.heartbeatIntervalSeconds).toBe(120);
  });

  it('leaves out expired members', async () => {
    // Prepare
    await joinGroup(world, 'c-1', group, 'member-1');
    await passTimeWithHostAlive(world, group, 601);

    // Act
    const page = await list();

    // Assess
    expect((page.data as Node[]).map((n) => n.id)).toEqual(['host']);
  });

  it('resumes after the node named by nextToken', async () => {
    // Prepare
    await joinGroup(world, 'c-1', group, 'a');
    await joinGroup(world, 'c-2', group, 'b');

    // Act
    const page = await list(encodeToken('a'));

    // Assess
    expect((page.data as Node[]).map((n) => n.id)).toEqual(['b', 'host']);
  });
});

describe('page tokens', () => {
  it('round-trip any node id, multibyte included', () => {
    for (const id of ['a', 'ノード-1', '🚀', 'x'.repeat(128)]) expect(decodeToken(encodeToken(id))).toBe(id);
  });
});
