/**
 * The group outbox adapter (shared/adapters/dynamodb/outbox.ts) on DynamoDB
 * Local itself: the expressions it sends are valid, the values it reads back
 * are the ones DynamoDB returns, and its bounds hold. Each test uses a group
 * key of its own in the main stack's table.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoPushOutbox } from '#shared/adapters/dynamodb/outbox';
import { OUTBOX_LIMITS } from '#shared/core/outbox';
import { ConditionFailed, OutboxFull } from '#shared/core/ports';
import { uniqueDomain, uniqueId } from '../ws-client';

let db: DynamoDBDocumentClient;
let outbox: DynamoPushOutbox;

beforeAll(() => {
  const endpoint = process.env.MESH_TEST_DYNAMODB_URL;
  if (!endpoint) throw new Error('MESH_TEST_DYNAMODB_URL is not set (the integration globalSetup exports the engine URL)');
  db = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint,
      region: process.env.AWS_REGION ?? 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
  outbox = new DynamoPushOutbox({ client: db, tableName: process.env.MESH_TEST_TABLE_NAME ?? 'mesh' });
});
afterAll(() => db?.destroy());

const newKey = () => ({ groupId: uniqueId('outbox'), domain: uniqueDomain() });
const pushText = (n: number, pad = 0) => JSON.stringify({ type: 'message', from: 'a', seq: n, pad: 'x'.repeat(pad) });

describe('DynamoPushOutbox on DynamoDB Local', () => {
  it('returns no mark on the first append and the mark on the next; keeps pushes in order', async () => {
    const key = newKey();
    expect(await outbox.append(key, [pushText(1)], 1000)).toEqual({ flushMarkAt: undefined, lastRoundAt: undefined });
    expect(await outbox.append(key, [pushText(2), pushText(3)], 1005)).toEqual({ flushMarkAt: 1000, lastRoundAt: undefined });

    const { outbox: state, subscribers } = await outbox.read(key);
    expect(subscribers).toEqual([]);
    expect(state).toEqual({ head: 0, pushes: [pushText(1), pushText(2), pushText(3)], flushMarkAt: 1000 });
  });

  it('trims a full round of indexes in one write, then reports the round time to the next append', async () => {
    const key = newKey();
    const texts = Array.from({ length: OUTBOX_LIMITS.maxPushesPerRound + 5 }, (_, i) => pushText(i + 1));
    await outbox.append(key, texts, 2000);
    const round = texts.slice(0, OUTBOX_LIMITS.maxPushesPerRound);
    const bytes = round.reduce((sum, text) => sum + Buffer.byteLength(text), 0);

    await outbox.trim(key, 0, round.length, bytes, 2100);

    const { outbox: state } = await outbox.read(key);
    expect(state?.head).toBe(round.length);
    expect(state?.pushes).toEqual(texts.slice(round.length));
    expect(state?.flushMarkAt).toBe(2100);
    // A second trim naming the old head lost the race.
    await expect(outbox.trim(key, 0, 1, 10, 2200)).rejects.toBeInstanceOf(ConditionFailed);
    expect(await outbox.append(key, [pushText(999)], 2150)).toEqual({ flushMarkAt: 2100, lastRoundAt: 2100 });
  });

  it('trims and releases at once only when no push arrived since the read', async () => {
    const key = newKey();
    await outbox.append(key, [pushText(1), pushText(2)], 3000);
    await outbox.append(key, [pushText(3)], 3001);
    // Read two, but three are there: nothing changes.
    expect(await outbox.trimAndRelease(key, 0, 2, 20, 3100)).toBe(false);
    expect((await outbox.read(key)).outbox?.pushes).toHaveLength(3);

    expect(await outbox.trimAndRelease(key, 0, 3, 30, 3100)).toBe(true);
    const { outbox: state } = await outbox.read(key);
    expect(state).toEqual({ head: 3, pushes: [], flushMarkAt: undefined });
    // No flush under way now: the next append must request one, a window after that round.
    expect(await outbox.append(key, [pushText(4)], 3150)).toEqual({ flushMarkAt: undefined, lastRoundAt: 3100 });
  });

  it('releases only an empty outbox, and lets one of two claims of a stale mark win', async () => {
    const key = newKey();
    await outbox.append(key, [pushText(1)], 4000);
    expect(await outbox.release(key)).toBe(false);
    const claims = await Promise.all([outbox.claim(key, 4000, 9000), outbox.claim(key, 4000, 9001)]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect((await outbox.read(key)).outbox?.flushMarkAt).toBeGreaterThanOrEqual(9000);
    await outbox.trim(key, 0, 1, Buffer.byteLength(pushText(1)), 9100);
    expect(await outbox.release(key)).toBe(true);
    expect((await outbox.read(key)).outbox?.flushMarkAt).toBeUndefined();
  });

  it('refuses pushes past its byte bound with OutboxFull and keeps what it holds', async () => {
    const key = newKey();
    const small = new DynamoPushOutbox({ client: db, tableName: process.env.MESH_TEST_TABLE_NAME ?? 'mesh', maxBytes: 4096 });
    await small.append(key, [pushText(1, 3000)], 5000);
    await expect(small.append(key, [pushText(2, 3000)], 5001)).rejects.toBeInstanceOf(OutboxFull);
    expect((await small.read(key)).outbox?.pushes).toEqual([pushText(1, 3000)]);
  });

  it('reads nothing for a group without an outbox', async () => {
    expect(await outbox.read(newKey())).toEqual({ outbox: undefined, subscribers: [] });
  });
});
