/**
 * The presence side of the MeshStore contract: how a member node gets its
 * dropAt (put, heartbeat, disconnect), how the sweeper lists, claims and
 * removes the nodes due. Run on the in-memory fake and on DynamoDB Local, as
 * mesh-store.contract.ts is. The table is shared by every test, so listings
 * are narrowed to this test's group.
 */
import type { GroupKey, GroupRecord, NodeRecord } from '#shared/core/model';
import type { MeshStore } from '#shared/core/ports';
import type { MeshStoreSubject } from './mesh-store.contract';

const NOW = 1_800_000_000_000;
const TTL = 60_000;

export function describeNodeDropsContract(name: string, subject: () => MeshStoreSubject): void {
  describe(`MeshStore node drops contract: ${name}`, () => {
    let store: MeshStore;
    let key: GroupKey;
    let host: NodeRecord;

    const node = (nodeId: string, extra: Partial<NodeRecord> = {}): NodeRecord => ({
      ...key,
      nodeId: `${nodeId}-${key.groupId}`,
      name: nodeId,
      isHost: false,
      epoch: `epoch-${nodeId}`,
      seq: 1,
      connectionId: `conn-${nodeId}-${key.groupId}`,
      joinedAt: NOW,
      expiresAt: NOW + TTL,
      data: {},
      statusAt: null,
      tokenHash: `hash-${nodeId}`,
      useWebSocket: true,
      dropAt: NOW + TTL,
      ...extra,
    });
    /** The due nodes of this test's group, by node id. */
    const dueHere = async (now: number) =>
      (await store.listDueNodes(now))
        .filter((due) => due.groupId === key.groupId && due.domain === key.domain)
        .sort((a, b) => a.nodeId.localeCompare(b.nodeId));

    beforeEach(async () => {
      const made = subject();
      store = made.store;
      key = made.newKey();
      const group: GroupRecord = {
        ...key,
        name: 'g',
        hostId: `host-${key.groupId}`,
        createdAt: NOW,
        expiresAt: NOW + 10 * TTL,
        heartbeatAt: NOW,
        useWebSocket: true,
      };
      host = node('host', { nodeId: group.hostId, isHost: true, expiresAt: group.expiresAt, dropAt: undefined });
      await store.createGroup(group, host, undefined);
    });

    it('lists a member once its dropAt has passed, and never the host', async () => {
      const alice = node('alice');
      await store.putNode(alice, null);

      expect(await dueHere(alice.dropAt!)).toEqual([]);
      expect(await dueHere(NOW + 100 * TTL)).toEqual([{ ...key, nodeId: alice.nodeId, dropAt: alice.dropAt }]);
      expect((await store.getGroupAndNode(key, alice.nodeId)).node).toEqual(alice);
      expect((await store.getGroupAndNode(key, host.nodeId)).node).toEqual(host);
    });

    it('moves dropAt with a heartbeat, and to the end of the grace on disconnect (a host stays unlisted)', async () => {
      const alice = node('alice');
      await store.putNode(alice, null);
      await store.setNodeExpiry(alice, NOW + 2 * TTL);
      expect((await store.getGroupAndNode(key, alice.nodeId)).node?.dropAt).toBe(NOW + 2 * TTL);

      await store.dropConnection(alice.connectionId!, NOW + 5);
      await store.dropConnection(host.connectionId!, NOW + 5);

      expect(await dueHere(NOW + 6)).toEqual([{ ...key, nodeId: alice.nodeId, dropAt: NOW + 5 }]);
      expect((await store.getGroupAndNode(key, alice.nodeId)).node).toMatchObject({
        connectionId: null,
        dropAt: NOW + 5,
      });
      expect((await store.getGroupAndNode(key, host.nodeId)).node?.dropAt).toBeUndefined();
    });

    it('claims a due node once: one seq more, dropAt moved to the retry time', async () => {
      const alice = node('alice', { dropAt: NOW });
      await store.putNode(alice, null);
      const [due] = await dueHere(NOW + 1);

      const claimed = await store.claimDrop(due, NOW + 30_000);
      expect(claimed).toEqual({ ...alice, seq: 2, dropAt: NOW + 30_000 });
      expect(await store.claimDrop(due, NOW + 30_000)).toBeUndefined();
      expect(await dueHere(NOW + 1)).toEqual([]);
      expect(await dueHere(NOW + 30_001)).toEqual([{ ...key, nodeId: alice.nodeId, dropAt: NOW + 30_000 }]);
    });

    it('does not claim a node that came back after it was listed', async () => {
      const alice = node('alice', { dropAt: NOW });
      await store.putNode(alice, null);
      const [due] = await dueHere(NOW + 1);
      await store.putNode({ ...alice, connectionId: 'conn-again', dropAt: NOW + TTL }, alice.connectionId);

      expect(await store.claimDrop(due, NOW + 30_000)).toBeUndefined();
      expect((await store.getGroupAndNode(key, alice.nodeId)).node).toMatchObject({
        seq: 1,
        connectionId: 'conn-again',
      });
    });

    it('removes a claimed node with its subscription and connection record, unless it changed since', async () => {
      const alice = node('alice', { dropAt: NOW });
      const bob = node('bob', { dropAt: NOW });
      await store.putNode(alice, null);
      await store.putNode(bob, null);
      const [dueAlice, dueBob] = await dueHere(NOW + 1);
      const claimedAlice = (await store.claimDrop(dueAlice, NOW + 30_000))!;
      const claimedBob = (await store.claimDrop(dueBob, NOW + 30_000))!;
      await store.updateNode(key, bob.nodeId, bob.connectionId!, { seqCount: 1, now: NOW });

      expect(await store.removeDroppedNode(claimedAlice)).toBe(true);
      expect(await store.removeDroppedNode(claimedBob)).toBe(false);

      expect((await store.getGroupAndNode(key, alice.nodeId)).node).toBeUndefined();
      expect(await store.getConnection(alice.connectionId!)).toBeUndefined();
      expect((await store.listSubscribers(key)).map((s) => s.nodeId).sort()).toEqual([bob.nodeId, host.nodeId].sort());
      expect((await store.getGroupAndNode(key, bob.nodeId)).node?.seq).toBe(3);
    });
  });
}
