/**
 * MeshStore.updateNode, the hot path's one write: what ports.ts promises of
 * it, run against the in-memory fake (test/unit/core/mesh-store.test.ts) and
 * the DynamoDB adapter on DynamoDB Local
 * (test/integration/acceptance/mesh-store.test.ts), so the core's tests of
 * status and events rely on the conditions the real write has.
 */
import type { GroupKey, GroupRecord, NodeRecord } from '#shared/core/model';
import { type MeshStore } from '#shared/core/ports';
import { ConditionFailed } from '#shared/core/store-errors';

export interface NodeUpdateSubject {
  store: MeshStore;
  /** A group key no other test uses. */
  newKey(): GroupKey;
}

const NOW = 1_800_000_000_000;
const LIMIT = 100;

function records(key: GroupKey): { group: GroupRecord; host: NodeRecord } {
  const group = {
    ...key,
    name: 'g',
    hostId: 'host',
    createdAt: NOW,
    expiresAt: NOW + 60_000,
    heartbeatAt: NOW,
    useWebSocket: true,
  };
  const host = {
    ...key,
    nodeId: 'host',
    name: 'host',
    isHost: true,
    epoch: 'epoch-1',
    seq: 0,
    connectionId: 'conn-host',
    joinedAt: NOW,
    expiresAt: NOW + 60_000,
    data: { a: '12345' },
    statusAt: NOW,
    tokenHash: 'hash-host',
    useWebSocket: true,
  };
  return { group, host };
}

export function describeNodeUpdateContract(name: string, subject: () => NodeUpdateSubject): void {
  describe(`MeshStore.updateNode contract: ${name}`, () => {
    let store: MeshStore;
    let key: GroupKey;
    beforeEach(async () => {
      const made = subject();
      store = made.store;
      key = made.newKey();
      const { group, host } = records(key);
      await store.createGroup(group, host, undefined);
    });
    const update = (change: Partial<Parameters<MeshStore['updateNode']>[3]>, connectionId = 'conn-host') =>
      store.updateNode(key, 'host', connectionId, { seqCount: 1, now: NOW, ...change });

    it('merges status, allocates seqs and returns the node as written', async () => {
      const node = await update({ data: { b: 'x' }, statusAt: NOW + 1, seqCount: 3 });

      expect(node).toMatchObject({
        nodeId: 'host',
        epoch: 'epoch-1',
        seq: 3,
        data: { a: '12345', b: 'x' },
        statusAt: NOW + 1,
        tokenHash: 'hash-host',
      });
      expect((await store.getGroupAndNode(key, 'host')).node).toEqual(node);
    });

    it('gives back the seqs it allocated last, only while the seq and the binding are still the ones it gave', async () => {
      await update({ seqCount: 3 });

      await store.releaseSeqs(key, 'host', 'conn-other', { seq: 3, count: 3 });
      await store.releaseSeqs(key, 'host', 'conn-host', { seq: 2, count: 2 });
      expect((await store.getGroupAndNode(key, 'host')).node?.seq).toBe(3);

      await store.releaseSeqs(key, 'host', 'conn-host', { seq: 3, count: 2 });
      expect((await store.getGroupAndNode(key, 'host')).node?.seq).toBe(1);
      expect((await update({ seqCount: 1 })).seq).toBe(2);
    });

    it('refuses a node bound to another connection, expired or missing, and changes nothing', async () => {
      await expect(update({ data: { a: 'no' } }, 'conn-other')).rejects.toBeInstanceOf(ConditionFailed);
      await expect(update({ data: { a: 'no' }, now: NOW + 60_001 })).rejects.toBeInstanceOf(ConditionFailed);
      await expect(store.updateNode(key, 'nobody', 'conn-host', { seqCount: 1, now: NOW })).rejects.toBeInstanceOf(
        ConditionFailed,
      );

      expect((await store.getGroupAndNode(key, 'host')).node).toMatchObject({ seq: 0, data: { a: '12345' } });
    });

    it('grows the status bound (starting at the written status: {"a":"12345"} is 13 bytes) while it stays within the limit', async () => {
      await update({ data: { a: '1' }, statusBytes: { grow: LIMIT - 13 - 10, limit: LIMIT } });
      await update({ data: { a: '2' }, statusBytes: { grow: 10, limit: LIMIT } });

      await expect(update({ data: { a: '3' }, statusBytes: { grow: 1, limit: LIMIT } })).rejects.toBeInstanceOf(
        ConditionFailed,
      );
      expect((await store.getGroupAndNode(key, 'host')).node).toMatchObject({ seq: 2, data: { a: '2' } });
    });

    it('sets the exact size only while the seq is the one read, after which the bound grows from it', async () => {
      await update({ data: { a: '1' }, statusBytes: { grow: LIMIT, limit: LIMIT } }).catch(() => undefined);
      await update({ data: { a: '1' } });

      await expect(update({ data: { a: '2' }, statusBytes: { exact: 9, ifSeq: 0 } })).rejects.toBeInstanceOf(
        ConditionFailed,
      );
      await update({ data: { a: '2' }, statusBytes: { exact: 9, ifSeq: 1 } });
      await update({ data: { a: '3' }, statusBytes: { grow: LIMIT - 9, limit: LIMIT } });
      await expect(update({ data: { a: '4' }, statusBytes: { grow: 1, limit: LIMIT } })).rejects.toBeInstanceOf(
        ConditionFailed,
      );
      expect((await store.getGroupAndNode(key, 'host')).node).toMatchObject({ seq: 3, data: { a: '3' } });
    });
  });
}
