/**
 * The MeshStore contract: what shared/core/ports.ts promises of the store of
 * groups, nodes, subscriptions and connections, run against the in-memory
 * fake (test/unit/core/mesh-store.test.ts) and the DynamoDB adapter on
 * DynamoDB Local (test/integration/acceptance/mesh-store.test.ts), so the
 * fake the core's tests rely on behaves as the real store does. The hot
 * path's write has a suite of its own (node-update.contract.ts).
 */
import type { GroupKey, GroupRecord, NodeRecord } from '#shared/core/model';
import { type MeshStore } from '#shared/core/ports';
import { ConditionFailed } from '#shared/core/store-errors';

export interface MeshStoreSubject {
  store: MeshStore;
  /** A group key (its domain included) no other test uses. */
  newKey(): GroupKey;
}

const NOW = 1_800_000_000_000;
const TTL = 60_000;

function groupOf(key: GroupKey, hostId: string, createdAt = NOW): GroupRecord {
  return {
    ...key,
    name: `g-${key.groupId}`,
    hostId,
    createdAt,
    expiresAt: createdAt + TTL,
    heartbeatAt: createdAt,
    useWebSocket: true,
  };
}

function nodeOf(
  key: GroupKey,
  nodeId: string,
  connectionId: string | null,
  extra: Partial<NodeRecord> = {},
): NodeRecord {
  return {
    ...key,
    nodeId,
    name: nodeId,
    isHost: false,
    epoch: `epoch-${nodeId}`,
    seq: 0,
    connectionId,
    joinedAt: NOW,
    expiresAt: NOW + TTL,
    data: {},
    statusAt: null,
    tokenHash: `hash-${nodeId}`,
    useWebSocket: true,
    ...extra,
  };
}

export function describeMeshStoreContract(name: string, subject: () => MeshStoreSubject): void {
  describe(`MeshStore contract: ${name}`, () => {
    let store: MeshStore;
    let key: GroupKey;
    /** Connection and host ids of this test's own, since the DynamoDB table is shared by every test. */
    let id: (name: string) => string;
    let group: GroupRecord;
    let host: NodeRecord;

    beforeEach(async () => {
      const made = subject();
      store = made.store;
      key = made.newKey();
      id = (name) => `${name}-${key.groupId}`;
      group = groupOf(key, id('host'));
      host = nodeOf(key, id('host'), id('conn-host'), { isHost: true, expiresAt: group.expiresAt });
      await store.createGroup(group, host, undefined);
    });

    const member = (nodeId: string, extra: Partial<NodeRecord> = {}) =>
      nodeOf(key, id(nodeId), id(`conn-${nodeId}`), extra);

    it('creates the group, the host record, the host node, its subscription and its connection record at once', async () => {
      expect(await store.getGroup(key)).toEqual(group);
      expect(await store.getGroupAndNode(key, host.nodeId)).toEqual({ group, node: host });
      expect(await store.findHostGroup(key.domain, group.hostId)).toEqual({ groupId: key.groupId, group });
      expect(await store.getConnection(id('conn-host'))).toEqual({
        ...key,
        connectionId: id('conn-host'),
        nodeId: host.nodeId,
      });
      expect(await store.listSubscribers(key)).toEqual([
        { connectionId: id('conn-host'), nodeId: host.nodeId, expiresAt: host.expiresAt },
      ]);
    });

    it('answers undefined for what is not there', async () => {
      const other = { ...key, groupId: id('none') };

      expect(await store.getGroup(other)).toBeUndefined();
      expect(await store.getGroupAndNode(key, 'nobody')).toEqual({ group });
      expect(await store.findHostGroup(key.domain, 'nobody')).toBeUndefined();
      expect(await store.getConnection(id('conn-none'))).toBeUndefined();
      expect(await store.listSubscribers(other)).toEqual([]);
    });

    it('takes the host record over only from the group it was read to hold, and changes nothing otherwise', async () => {
      const next = groupOf({ ...key, groupId: id('next') }, group.hostId, NOW + 1);
      const nextHost = { ...host, groupId: next.groupId, connectionId: id('conn-next') };

      await expect(store.createGroup(next, nextHost, undefined)).rejects.toBeInstanceOf(ConditionFailed);
      await expect(store.createGroup(next, nextHost, id('stale'))).rejects.toBeInstanceOf(ConditionFailed);
      expect(await store.getGroup(next)).toBeUndefined();
      expect(await store.findHostGroup(key.domain, group.hostId)).toMatchObject({ groupId: key.groupId });

      await store.createGroup(next, nextHost, key.groupId);
      expect(await store.findHostGroup(key.domain, group.hostId)).toEqual({ groupId: next.groupId, group: next });
    });

    it("lists a domain's groups oldest first, and no other domain's", async () => {
      const younger = groupOf({ ...key, groupId: id('younger') }, id('host-2'), NOW + 5);
      await store.createGroup(younger, nodeOf(younger, id('host-2'), id('conn-host-2'), { isHost: true }), undefined);

      expect((await store.listGroups(key.domain)).map((g) => g.groupId)).toEqual([key.groupId, younger.groupId]);
      expect(await store.listGroups(`${key.domain}-other`)).toEqual([]);
    });

    it('finds groups of every domain by a prefix of their name, case-sensitive, by name, none expired, at most max', async () => {
      // A prefix of this test's own: the DynamoDB table holds every test's groups.
      const stem = `Q${key.groupId.slice(-8)}`;
      const named = async (name: string, domain: string, createdAt = NOW) => {
        const made = { ...groupOf({ groupId: id(name), domain }, id(`h-${name}`), createdAt), name };
        await store.createGroup(made, nodeOf(made, made.hostId, id(`c-${name}`), { isHost: true }), undefined);
        return made;
      };
      const b = await named(`${stem}b`, key.domain);
      const a = await named(`${stem}a`, `${key.domain}-other`);
      await named(`${stem.toLowerCase()}c`, key.domain);
      await named(`${stem}old`, key.domain, NOW - 2 * TTL);

      const found = await store.searchGroups(stem, { now: NOW, max: 10 });

      expect(found).toEqual([a, b]);
      expect(await store.searchGroups(stem, { now: NOW, max: 1 })).toEqual([a]);
      expect(await store.searchGroups(`${stem}z`, { now: NOW, max: 10 })).toEqual([]);
    });

    it("puts a member with its subscription and connection record, and a rebind drops the old connection's", async () => {
      const alice = member('alice');
      await store.putNode(alice, null);
      const rebound = { ...alice, connectionId: id('conn-alice-2') };
      await store.putNode(rebound, alice.connectionId);

      expect((await store.getGroupAndNode(key, alice.nodeId)).node).toEqual(rebound);
      expect(await store.getConnection(id('conn-alice'))).toBeUndefined();
      expect(await store.getConnection(id('conn-alice-2'))).toMatchObject({
        nodeId: alice.nodeId,
        groupId: key.groupId,
      });
      const subscribers = (await store.listSubscribers(key)).map((s) => s.connectionId).sort();
      expect(subscribers).toEqual([id('conn-alice-2'), id('conn-host')].sort());
    });

    it('refuses a put into a gone group, or one that would undo a write made since the node was read', async () => {
      const alice = member('alice');
      await store.putNode(alice, null);
      await store.updateNode(key, alice.nodeId, alice.connectionId!, { seqCount: 1, now: NOW });

      await expect(store.putNode({ ...alice, name: 'stale read' }, alice.connectionId)).rejects.toBeInstanceOf(
        ConditionFailed,
      );
      expect((await store.getGroupAndNode(key, alice.nodeId)).node).toMatchObject({ name: alice.name, seq: 1 });

      const gone = { ...key, groupId: id('gone') };
      await expect(store.putNode(nodeOf(gone, id('bob'), id('conn-bob')), null)).rejects.toBeInstanceOf(
        ConditionFailed,
      );
      expect(await store.getConnection(id('conn-bob'))).toBeUndefined();
    });

    it("keeps every status key as data, JavaScript's special names and the storage escape among them", async () => {
      const keys = ['__proto__', 'constructor', 'toString', '~', '~__proto__', '~~x', 'plain'];
      const data = Object.fromEntries(keys.map((statusKey, i) => [statusKey, String(i)]));
      const alice = member('alice', { data });
      await store.putNode(alice, null);
      const read = async () => (await store.getGroupAndNode(key, alice.nodeId)).node!.data;
      expect(Object.entries(await read()).sort()).toEqual(Object.entries(data).sort());

      const changed = await store.updateNode(key, alice.nodeId, alice.connectionId!, {
        seqCount: 1,
        now: NOW,
        data: Object.fromEntries([
          ['__proto__', 'new'],
          ['~~x', 'new'],
          ['fresh', 'new'],
        ]),
      });
      const expected = Object.entries({ ...data, '~~x': 'new', fresh: 'new' }).map(([k, v]) => [
        k,
        k === '__proto__' ? 'new' : v,
      ]);
      expect(Object.entries(changed.data).sort()).toEqual(expected.sort());
      expect(Object.entries(await read()).sort()).toEqual(expected.sort());
    });

    it('removes a node with its subscription and connection record', async () => {
      const alice = member('alice');
      await store.putNode(alice, null);
      await store.removeNode(alice);

      expect((await store.getGroupAndNode(key, alice.nodeId)).node).toBeUndefined();
      expect(await store.getConnection(id('conn-alice'))).toBeUndefined();
      expect((await store.listSubscribers(key)).map((s) => s.connectionId)).toEqual([id('conn-host')]);
    });

    it('deletes the group, its nodes and its host record, and keeps the subscriptions and connection records the dissolve push needs', async () => {
      await store.putNode(member('alice'), null);
      await store.deleteGroup(group);

      expect(await store.getGroup(key)).toBeUndefined();
      expect((await store.listNodes(key, { limit: 10 })).nodes).toEqual([]);
      expect(await store.findHostGroup(key.domain, group.hostId)).toBeUndefined();
      expect((await store.listSubscribers(key)).map((s) => s.connectionId).sort()).toEqual(
        [id('conn-alice'), id('conn-host')].sort(),
      );
      expect(await store.getConnection(id('conn-alice'))).toMatchObject({ nodeId: id('alice') });
    });

    it('keeps the host record when it already points at a newer group', async () => {
      const next = groupOf({ ...key, groupId: id('next') }, group.hostId, NOW + 1);
      await store.createGroup(next, { ...host, groupId: next.groupId, connectionId: id('conn-next') }, key.groupId);
      await store.deleteGroup(group);

      expect(await store.findHostGroup(key.domain, group.hostId)).toEqual({ groupId: next.groupId, group: next });
    });

    it('moves the host heartbeat while the group is there', async () => {
      await store.setHostHeartbeat(key, NOW + 7);
      expect(await store.getGroup(key)).toMatchObject({ heartbeatAt: NOW + 7 });

      await store.deleteGroup(group);
      await expect(store.setHostHeartbeat(key, NOW + 8)).rejects.toBeInstanceOf(ConditionFailed);
    });

    it("moves a member's expiry with its subscription, only while it is bound to that connection", async () => {
      const alice = member('alice');
      await store.putNode(alice, null);
      await store.setNodeExpiry(alice, NOW + 2 * TTL);

      expect((await store.getGroupAndNode(key, alice.nodeId)).node).toMatchObject({ expiresAt: NOW + 2 * TTL });
      expect((await store.listSubscribers(key)).find((s) => s.nodeId === alice.nodeId)).toMatchObject({
        expiresAt: NOW + 2 * TTL,
      });

      const rebound = { ...alice, connectionId: id('conn-alice-2'), expiresAt: NOW + 2 * TTL };
      await store.putNode(rebound, alice.connectionId);
      await expect(store.setNodeExpiry(alice, NOW + 3 * TTL)).rejects.toBeInstanceOf(ConditionFailed);
      await expect(store.setNodeExpiry(member('nobody'), NOW + 3 * TTL)).rejects.toBeInstanceOf(ConditionFailed);
      expect((await store.getGroupAndNode(key, alice.nodeId)).node).toEqual(rebound);
    });

    it('lists nodes in UTF-8 byte order, a page at a time', async () => {
      // 'Z' (0x5A) sorts before 'a' (0x61), and 'é' (0xC3 0xA9) after both.
      for (const nodeId of ['é', 'a', 'Z']) await store.putNode(nodeOf(key, `n-${nodeId}`, null), null);

      const first = await store.listNodes(key, { limit: 2 });
      const rest = await store.listNodes(key, { after: first.nodes[1].nodeId, limit: 10 });

      const ids = [...first.nodes, ...rest.nodes].map((n) => n.nodeId);
      expect(ids).toEqual(
        [host.nodeId, 'n-Z', 'n-a', 'n-é'].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
      );
      expect(first.more).toBe(true);
      expect(rest.more).toBe(false);
    });

    it('drops a closed connection: its record and subscription go, and its node stays unbound', async () => {
      const alice = member('alice');
      await store.putNode(alice, null);
      await store.dropConnection(id('conn-alice'), 5_000);
      await store.dropConnection(id('conn-never-seen'), 5_000);

      expect(await store.getConnection(id('conn-alice'))).toBeUndefined();
      expect((await store.getGroupAndNode(key, alice.nodeId)).node).toMatchObject({ connectionId: null });
      expect((await store.listSubscribers(key)).map((s) => s.connectionId)).toEqual([id('conn-host')]);
    });

    it('drops a stale subscriber with its connection record, and leaves its node alone', async () => {
      const alice = member('alice');
      await store.putNode(alice, null);
      await store.dropSubscriber(key, {
        connectionId: alice.connectionId!,
        nodeId: alice.nodeId,
        expiresAt: alice.expiresAt,
      });

      expect(await store.getConnection(id('conn-alice'))).toBeUndefined();
      expect((await store.listSubscribers(key)).map((s) => s.connectionId)).toEqual([id('conn-host')]);
      expect((await store.getGroupAndNode(key, alice.nodeId)).node).toMatchObject({ nodeId: alice.nodeId });
    });
  });
}
