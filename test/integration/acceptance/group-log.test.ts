/**
 * The group log adapter (shared/adapters/dynamodb/log.ts) on DynamoDB Local
 * itself: the contract every GroupLog keeps, then what only the adapter does
 * (its expressions are valid, a full head is sealed by the append that finds
 * it so). Each test uses a group key of its own in the main stack's table.
 */
import { DeleteCommand, type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { groupPk, LOG_PAGE_PREFIX } from '#shared/adapters/dynamodb/keys';
import type { GroupKey } from '#shared/core/model';
import { DynamoGroupLog, LOG_LIMITS } from '#shared/adapters/dynamodb/log';
import { describeGroupLogContract } from '../../contract/group-log.contract';
import { localDocumentClient, localTableName } from '../local-dynamodb';
import { uniqueDomain, uniqueId } from '../ws-client';

let db: DynamoDBDocumentClient;
let log: DynamoGroupLog;

beforeAll(() => {
  db = localDocumentClient();
  log = new DynamoGroupLog({ client: db, tableName: localTableName(), retentionSeconds: 180 });
});
afterAll(() => db?.destroy());

const newKey = () => ({ groupId: uniqueId('log'), domain: uniqueDomain() });

/** DynamoDB's TTL deleting a sealed page: the item keyed by its end, found by its start. */
async function dropSealedPage(key: GroupKey, start: number): Promise<void> {
  const { Items = [] } = await db.send(
    new QueryCommand({
      TableName: localTableName(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :pages)',
      ExpressionAttributeValues: { ':pk': groupPk(key), ':pages': LOG_PAGE_PREFIX },
    }),
  );
  for (const page of Items.filter((item) => item.start === start)) {
    await db.send(new DeleteCommand({ TableName: localTableName(), Key: { pk: page.pk, sk: page.sk } }));
  }
}

describeGroupLogContract('DynamoDB adapter on DynamoDB Local', () => ({ log, newKey, dropSealedPage }));

describe('DynamoGroupLog on DynamoDB Local', () => {
  it('seals a full head itself and keeps every push in order', async () => {
    const key = newKey();
    const big = (n: number) => JSON.stringify({ type: 'message', from: 'a', seq: n, pad: 'x'.repeat(60 * 1024) });
    const count = Math.ceil(LOG_LIMITS.maxHeadBytes / (60 * 1024)) + 2;
    for (let n = 1; n <= count; n += 1) await log.append(key, [big(n)], { now: 1000 + n, token: `t${n}` });

    const { head } = await log.read(key);
    expect(head?.pos).toBe(count);
    expect(head!.pageStart).toBeGreaterThan(0);
    const sealed = await log.readSealed(key, 0, head!.pageStart);
    expect([...sealed, ...head!.page].map((text) => JSON.parse(text).seq)).toEqual(
      Array.from({ length: count }, (_, i) => i + 1),
    );
  });

  it('keeps a crafted id from reaching another group sharing its partition key', async () => {
    const domain = uniqueDomain();
    const a = { groupId: 'x', domain: `y@${domain}` };
    const b = { groupId: 'x@y', domain };
    await log.append(a, ['{"n":1}'], { now: 1, token: 'ta' });

    expect((await log.read(b)).head).toBeUndefined();
    await expect(log.append(b, ['{"n":2}'], { now: 2, token: 'tb' })).rejects.toThrow();
    expect((await log.read(a)).head).toMatchObject({ pos: 1, page: ['{"n":1}'], flushToken: 'ta' });
  });
});
