/**
 * The ConsoleStore contract: what shared/core/ports.ts promises of the
 * console's store, seen through the MeshStore and the GroupLog over the same
 * data, as the use cases and the fan-out see it. Run against the in-memory
 * fake (test/unit/core/console-store.test.ts) and the DynamoDB adapter on
 * DynamoDB Local (test/integration/acceptance/console-store.test.ts). The
 * table is shared by every test, so listings are narrowed to this test's own
 * groups and connections.
 */
import type { GroupKey, GroupRecord, NodeRecord } from '#shared/core/model';
import type { ConsoleStore, GroupLog, MeshStore } from '#shared/core/ports';
import { isViewer, VIEWER_NODE_ID } from '#shared/core/viewers';
import { CONSOLE_LOG } from '#shared/protocol/console';

export interface ConsoleStoreSubject {
  console: ConsoleStore;
  /** The store and the log over the console store's data (in DynamoDB, the same table). */
  store: MeshStore;
  log: GroupLog;
  /** A group key (its domain included) no other test uses, a new one each call. */
  newKey(): GroupKey;
}

const NOW = 1_800_000_000_000;
const TTL = 60_000;
const push = (n: number) => JSON.stringify({ type: 'message', from: 'a', epoch: 'e', seq: n });

export function describeConsoleStoreContract(name: string, subject: () => ConsoleStoreSubject): void {
  describe(`ConsoleStore contract: ${name}`, () => {
    let consoleStore: ConsoleStore;
    let store: MeshStore;
    let log: GroupLog;
    let newKey: () => GroupKey;
    let key: GroupKey;
    /** Ids of this test's own, since the DynamoDB table is shared by every test. */
    let id: (name: string) => string;

    beforeEach(() => {
      ({ console: consoleStore, store, log, newKey } = subject());
      key = newKey();
      id = (name) => `${name}-${key.groupId}`;
    });

    /** A group of `groupKey` created as createGroup does, with its host node. */
    async function createGroupOf(groupKey: GroupKey, createdAt = NOW): Promise<GroupRecord> {
      const hostId = `host-${groupKey.groupId}`;
      const group: GroupRecord = {
        ...groupKey,
        name: `g-${groupKey.groupId}`,
        hostId,
        createdAt,
        expiresAt: createdAt + 10 * TTL,
        heartbeatAt: createdAt,
        useWebSocket: true,
      };
      const host: NodeRecord = {
        ...groupKey,
        nodeId: hostId,
        name: hostId,
        isHost: true,
        epoch: 'epoch-host',
        seq: 0,
        connectionId: `conn-${hostId}`,
        joinedAt: createdAt,
        expiresAt: group.expiresAt,
        data: {},
        statusAt: null,
        tokenHash: 'hash-host',
        useWebSocket: true,
      };
      await store.createGroup(group, host, undefined);
      return group;
    }

    /** The console log's subscriptions of this test's connections. */
    const viewersHere = async (...connectionIds: string[]) =>
      (await store.listSubscribers(CONSOLE_LOG)).filter((viewer) => connectionIds.includes(viewer.connectionId));

    it('lists every group item of every domain, and no longer a deleted group', async () => {
      const first = await createGroupOf(key);
      const second = await createGroupOf(newKey(), NOW + 1);
      const deleted = await createGroupOf(newKey(), NOW + 2);
      await store.deleteGroup(deleted);

      const ours = [first, second, deleted].map((group) => group.groupId);
      const listed = (await consoleStore.listAllGroups()).filter((group) => ours.includes(group.groupId));

      expect(first.domain).not.toBe(second.domain);
      expect(listed.sort((a, b) => a.createdAt - b.createdAt)).toEqual([first, second]);
    });

    it("makes the connection a viewer of the console's log, with a connection record the store's lookup finds", async () => {
      await consoleStore.putViewer(id('viewer'), NOW + TTL);

      expect(await viewersHere(id('viewer'))).toEqual([
        { connectionId: id('viewer'), nodeId: VIEWER_NODE_ID, expiresAt: NOW + TTL },
      ]);
      expect(await store.getConnection(id('viewer'))).toEqual({
        ...CONSOLE_LOG,
        connectionId: id('viewer'),
        nodeId: VIEWER_NODE_ID,
      });
    });

    it("renews a viewer's lease in place", async () => {
      await consoleStore.putViewer(id('viewer'), NOW + TTL);
      await consoleStore.putViewer(id('viewer'), NOW + 2 * TTL);

      expect(await viewersHere(id('viewer'))).toEqual([
        { connectionId: id('viewer'), nodeId: VIEWER_NODE_ID, expiresAt: NOW + 2 * TTL },
      ]);
    });

    it('removes a viewer: its subscription and its connection record, and no other viewer', async () => {
      await consoleStore.putViewer(id('viewer'), NOW + TTL);
      await consoleStore.putViewer(id('other'), NOW + TTL);

      await consoleStore.removeViewer(id('viewer'));

      expect((await viewersHere(id('viewer'), id('other'))).map((viewer) => viewer.connectionId)).toEqual([
        id('other'),
      ]);
      expect(await store.getConnection(id('viewer'))).toBeUndefined();
      expect(await store.getConnection(id('other'))).toBeDefined();
    });

    it("is removed by the store's $disconnect as a member is", async () => {
      await consoleStore.putViewer(id('viewer'), NOW + TTL);

      await store.dropConnection(id('viewer'), NOW);

      expect(await viewersHere(id('viewer'))).toEqual([]);
      expect(await store.getConnection(id('viewer'))).toBeUndefined();
    });

    it("subscribes a group viewer to the group's pushes without making it a member or taking its connection", async () => {
      const group = await createGroupOf(key);
      await consoleStore.putViewer(id('viewer'), NOW + TTL);

      await consoleStore.putGroupViewer(key, id('viewer'), NOW + TTL);

      const viewer = { connectionId: id('viewer'), nodeId: VIEWER_NODE_ID, expiresAt: NOW + TTL };
      const subscribers = await store.listSubscribers(key);
      expect(subscribers).toHaveLength(2);
      expect(subscribers).toContainEqual(viewer);
      expect(subscribers.filter((subscriber) => !isViewer(subscriber)).map((s) => s.nodeId)).toEqual([group.hostId]);
      expect((await log.read(key)).subscribers).toContainEqual(viewer);
      expect((await store.listNodes(key, { limit: 10 })).nodes.map((node) => node.nodeId)).toEqual([group.hostId]);
      expect(await store.getConnection(id('viewer'))).toMatchObject(CONSOLE_LOG);
    });

    it("sets the watch mark on the group's log head and clears it, leaving the rest of the head as it was", async () => {
      await log.append(key, [push(1)], { now: NOW, token: 't1' });
      const before = (await log.read(key)).head;

      await consoleStore.markWatched(key, NOW + TTL);
      expect((await log.read(key)).head).toEqual({ ...before, watchedUntil: NOW + TTL });

      await consoleStore.markWatched(key, null);
      expect((await log.read(key)).head).toEqual(before);
      expect((await log.read(key)).head?.watchedUntil).toBeUndefined();
    });

    it("keeps the watch mark through the log's own writes", async () => {
      await log.append(key, [push(1)], { now: NOW, token: 't1' });
      await consoleStore.markWatched(key, NOW + TTL);

      await log.append(key, [push(2)], { now: NOW + 1, token: 't2' });
      await log.claim(key, 't1', 'o1', NOW + 2, NOW - TTL);
      await log.advance(key, { owner: 'o1', from: 0, to: 2, now: NOW + 3, roundAt: NOW + 2, rate: 1, release: true });

      expect((await log.read(key)).head).toMatchObject({ cursor: 2, pos: 2, watchedUntil: NOW + TTL });
    });

    it('writes nothing for a group that has no log head yet', async () => {
      await createGroupOf(key);
      const noGroup = newKey();

      await consoleStore.markWatched(key, NOW + TTL);
      await consoleStore.markWatched(noGroup, NOW + TTL);
      await consoleStore.markWatched(key, null);

      expect((await log.read(key)).head).toBeUndefined();
      expect((await log.read(noGroup)).head).toBeUndefined();
      await log.append(key, [push(1)], { now: NOW, token: 't1' });
      expect((await log.read(key)).head?.watchedUntil).toBeUndefined();
    });
  });
}
