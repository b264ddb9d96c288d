import { ConditionalCheckFailedException, DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { MAX_CONNECTION_SECONDS, subscriptionItem, ttlAt } from '#shared/adapters/dynamodb/keys';
import { DynamoPushOutbox } from '#shared/adapters/dynamodb/outbox';
import { createDocumentClient } from '#shared/adapters/dynamodb/store';
import { OUTBOX_LIMITS } from '#shared/core/outbox';
import { ConditionFailed, OutboxFull } from '#shared/core/ports';

const TABLE = 'mesh-test';
const NOW = Date.parse('2026-01-12T08:00:00.000Z');
const key = { groupId: 'g-1', domain: 'example.org' };
const PK = 'G#g-1@example.org';
const OUTBOX_KEY = { pk: PK, sk: 'C!OUTBOX' };

const ddb = mockClient(DynamoDBDocumentClient);

function newOutbox(maxBytes?: number): DynamoPushOutbox {
  return new DynamoPushOutbox({ client: createDocumentClient({ region: 'eu-west-1' }), tableName: TABLE, maxBytes });
}

function conditionFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
}

function validation(message: string): DynamoDBServiceException {
  return new DynamoDBServiceException({ name: 'ValidationException', $fault: 'client', message, $metadata: {} });
}

/** The outbox item as stored. */
function outboxItem(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...OUTBOX_KEY,
    groupId: key.groupId,
    domain: key.domain,
    head: 4,
    pushes: ['{"a":1}', '{"b":2}'],
    bytes: 14,
    flushAt: NOW,
    roundAt: NOW - 100,
    ...overrides,
  };
}

afterEach(() => {
  ddb.reset();
});

/** The attribute names both trims use. */
const TRIM_NAMES = { '#pushes': 'pushes', '#head': 'head', '#flushAt': 'flushAt', '#roundAt': 'roundAt', '#bytes': 'bytes' };

describe('append', () => {
  it('sends one UpdateCommand appending with list_append/if_not_exists, bounded by bytes, and returns the old mark and last round', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { flushAt: NOW - 40, roundAt: NOW - 90, pushes: ['{"old":0}'] } });
    const pushes = ['{"x":"点"}', '{"y":2}'];

    const result = await newOutbox().append(key, pushes, NOW);

    expect(result).toEqual({ flushMarkAt: NOW - 40, lastRoundAt: NOW - 90 });
    expect(ddb.calls()).toHaveLength(1);
    const input = ddb.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input.TableName).toBe(TABLE);
    expect(input.Key).toEqual(OUTBOX_KEY);
    expect(input.UpdateExpression).toContain('#pushes = list_append(if_not_exists(#pushes, :empty), :pushes)');
    expect(input.UpdateExpression).toContain('#flushAt = if_not_exists(#flushAt, :now)');
    expect(input.UpdateExpression).toContain('#roundAt = if_not_exists(#roundAt, :zero)');
    expect(input.UpdateExpression).toContain('#head = if_not_exists(#head, :zero)');
    expect(input.UpdateExpression).toContain('ADD #bytes :bytes');
    expect(input.ConditionExpression).toBe('attribute_not_exists(#bytes) OR #bytes <= :room');
    const bytes = Buffer.byteLength(pushes.join(''), 'utf8');
    expect(input.ExpressionAttributeValues).toEqual({
      ':empty': [],
      ':pushes': pushes,
      ':now': NOW,
      ':zero': 0,
      ':groupId': key.groupId,
      ':domain': key.domain,
      ':ttl': ttlAt(NOW + MAX_CONNECTION_SECONDS * 1000),
      ':bytes': bytes,
      ':room': OUTBOX_LIMITS.maxBytes - bytes,
    });
    expect(input.ExpressionAttributeNames).toMatchObject({
      '#pushes': 'pushes',
      '#flushAt': 'flushAt',
      '#roundAt': 'roundAt',
      '#bytes': 'bytes',
    });
    expect(input.ReturnValues).toBe('UPDATED_OLD');
  });

  it('names every placeholder it uses, and uses every one it names', async () => {
    ddb.on(UpdateCommand).resolves({});

    await newOutbox().append(key, ['{}'], NOW);

    const input = ddb.commandCalls(UpdateCommand)[0].args[0].input;
    const expressions = `${input.UpdateExpression} ${input.ConditionExpression}`;
    const used = (prefix: string) => new Set(expressions.match(new RegExp(`${prefix}[A-Za-z]+`, 'g')));
    expect(used('#')).toEqual(new Set(Object.keys(input.ExpressionAttributeNames ?? {})));
    expect(used(':')).toEqual(new Set(Object.keys(input.ExpressionAttributeValues ?? {})));
  });

  it('returns no mark and no last round for a new outbox', async () => {
    ddb.on(UpdateCommand).resolves({});

    const result = await newOutbox().append(key, ['{}'], NOW);

    expect(result.flushMarkAt).toBeUndefined();
    expect(result.lastRoundAt).toBeUndefined();
  });

  it('returns no mark for a released outbox, with its last round', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { pushes: [], head: 3, roundAt: NOW - 500 } });

    const result = await newOutbox().append(key, ['{}'], NOW);

    expect(result.flushMarkAt).toBeUndefined();
    expect(result.lastRoundAt).toBe(NOW - 500);
  });

  it('returns no last round while roundAt is 0 (no round posted yet) or not a number', async () => {
    ddb
      .on(UpdateCommand)
      .resolvesOnce({ Attributes: { pushes: ['{"old":0}'], head: 0, flushAt: NOW - 10, roundAt: 0 } })
      .resolvesOnce({ Attributes: { pushes: [], head: 0, roundAt: 'soon' } });

    const first = await newOutbox().append(key, ['{}'], NOW);
    const second = await newOutbox().append(key, ['{}'], NOW);

    expect(first.flushMarkAt).toBe(NOW - 10);
    expect(first.lastRoundAt).toBeUndefined();
    expect(second.flushMarkAt).toBeUndefined();
    expect(second.lastRoundAt).toBeUndefined();
  });

  it('computes the room left from the configured maxBytes', async () => {
    ddb.on(UpdateCommand).resolves({});

    await newOutbox(1000).append(key, ['0123456789'], NOW);

    expect(ddb.commandCalls(UpdateCommand)[0].args[0].input.ExpressionAttributeValues).toMatchObject({ ':bytes': 10, ':room': 990 });
  });

  it('throws OutboxFull without a call when the pushes alone exceed maxBytes', async () => {
    await expect(newOutbox(10).append(key, ['01234567890'], NOW)).rejects.toBeInstanceOf(OutboxFull);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('turns a failed size condition into OutboxFull', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());

    await expect(newOutbox().append(key, ['{}'], NOW)).rejects.toBeInstanceOf(OutboxFull);
  });

  it('turns a ValidationException on item size into OutboxFull', async () => {
    ddb.on(UpdateCommand).rejects(validation('Item size to update has exceeded the maximum allowed size'));

    await expect(newOutbox().append(key, ['{}'], NOW)).rejects.toBeInstanceOf(OutboxFull);
  });

  it('lets other ValidationExceptions and errors through unchanged', async () => {
    ddb
      .on(UpdateCommand)
      .rejectsOnce(validation('Invalid UpdateExpression: syntax error'))
      .rejectsOnce(new Error('throttled'));

    await expect(newOutbox().append(key, ['{}'], NOW)).rejects.toThrow('Invalid UpdateExpression');
    await expect(newOutbox().append(key, ['{}'], NOW)).rejects.toThrow('throttled');
  });
});

describe('claim', () => {
  it('sets the mark to now on condition that it is still the stale mark, and returns true', async () => {
    ddb.on(UpdateCommand).resolves({});

    expect(await newOutbox().claim(key, NOW - 5000, NOW)).toBe(true);

    expect(ddb.calls()).toHaveLength(1);
    const input = ddb.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input.TableName).toBe(TABLE);
    expect(input.Key).toEqual(OUTBOX_KEY);
    expect(input.UpdateExpression).toBe('SET #flushAt = :now');
    expect(input.ConditionExpression).toBe('#flushAt = :stale');
    expect(input.ExpressionAttributeNames).toEqual({ '#flushAt': 'flushAt' });
    expect(input.ExpressionAttributeValues).toEqual({ ':now': NOW, ':stale': NOW - 5000 });
  });

  it('returns false when the mark moved (another caller claimed it, or a flush refreshed it)', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());

    expect(await newOutbox().claim(key, NOW - 5000, NOW)).toBe(false);
  });

  it('lets other errors through unchanged', async () => {
    ddb.on(UpdateCommand).rejects(new Error('throttled'));

    await expect(newOutbox().claim(key, NOW - 5000, NOW)).rejects.toThrow('throttled');
  });
});

describe('read', () => {
  it('queries begins_with(sk, "C") strongly consistent and separates the outbox from the subscriptions', async () => {
    ddb.on(QueryCommand).resolves({
      Items: [
        outboxItem(),
        subscriptionItem(key, 'conn-1', 'node-1', NOW + 1000),
        subscriptionItem(key, 'conn-2', 'ノード', NOW + 2000),
      ],
    });

    const result = await newOutbox().read(key);

    expect(result).toEqual({
      outbox: { head: 4, pushes: ['{"a":1}', '{"b":2}'], flushMarkAt: NOW },
      subscribers: [
        { connectionId: 'conn-1', nodeId: 'node-1', expiresAt: NOW + 1000 },
        { connectionId: 'conn-2', nodeId: 'ノード', expiresAt: NOW + 2000 },
      ],
    });
    const input = ddb.commandCalls(QueryCommand)[0].args[0].input;
    expect(input).toMatchObject({
      TableName: TABLE,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
      ExpressionAttributeValues: { ':pk': PK, ':prefix': 'C' },
      ConsistentRead: true,
    });
  });

  it('returns no outbox when there is none, still with the subscribers', async () => {
    ddb.on(QueryCommand).resolves({ Items: [subscriptionItem(key, 'conn-1', 'node-1', NOW)] });

    const result = await newOutbox().read(key);

    expect(result.outbox).toBeUndefined();
    expect(result.subscribers).toEqual([{ connectionId: 'conn-1', nodeId: 'node-1', expiresAt: NOW }]);
  });

  it('returns nothing for an empty partition', async () => {
    ddb.on(QueryCommand).resolves({});

    expect(await newOutbox().read(key)).toEqual({ outbox: undefined, subscribers: [] });
  });

  it('drops items of another group sharing the partition key', async () => {
    // G#g-1@example.org is also the partition of groupId "g-1@example" in domain "org".
    const other = { groupId: 'g-1@example', domain: 'org' };
    ddb.on(QueryCommand).resolves({
      Items: [
        outboxItem({ groupId: other.groupId, domain: other.domain }),
        subscriptionItem(other, 'conn-x', 'intruder', NOW),
        { ...subscriptionItem(key, 'conn-y', 'node-y', NOW), domain: 'other.org' },
        subscriptionItem(key, 'conn-1', 'node-1', NOW),
      ],
    });

    const result = await newOutbox().read(key);

    expect(result.outbox).toBeUndefined();
    expect(result.subscribers.map((s) => s.connectionId)).toEqual(['conn-1']);
  });

  it('reads every page', async () => {
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [outboxItem()], LastEvaluatedKey: OUTBOX_KEY })
      .resolvesOnce({ Items: [subscriptionItem(key, 'conn-1', 'node-1', NOW)] });

    const result = await newOutbox().read(key);

    expect(result.outbox?.pushes).toHaveLength(2);
    expect(result.subscribers).toHaveLength(1);
    const calls = ddb.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(calls).toHaveLength(2);
    expect(calls[0].ExclusiveStartKey).toBeUndefined();
    expect(calls[1].ExclusiveStartKey).toEqual(OUTBOX_KEY);
    expect(calls[1].ConsistentRead).toBe(true);
  });

  it('reads a released outbox as empty with no mark, and defaults a missing head to 0', async () => {
    ddb.on(QueryCommand).resolves({ Items: [outboxItem({ pushes: [], flushAt: undefined, head: undefined })] });

    expect((await newOutbox().read(key)).outbox).toEqual({ head: 0, pushes: [], flushMarkAt: undefined });
  });
});

describe('trim', () => {
  it('removes pushes[0..n-1], moves head, sets the mark and the last round to now and subtracts the bytes, on condition of head', async () => {
    ddb.on(UpdateCommand).resolves({});

    await newOutbox().trim(key, 4, 3, 120, NOW);

    expect(ddb.calls()).toHaveLength(1);
    const input = ddb.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input.Key).toEqual(OUTBOX_KEY);
    expect(input.UpdateExpression).toBe(
      'SET #head = :next, #flushAt = :now, #roundAt = :now REMOVE #pushes[0], #pushes[1], #pushes[2] ADD #bytes :minus',
    );
    expect(input.ConditionExpression).toBe('#head = :head');
    expect(input.ExpressionAttributeNames).toEqual(TRIM_NAMES);
    expect(input.ExpressionAttributeValues).toEqual({ ':head': 4, ':next': 7, ':now': NOW, ':minus': -120 });
  });

  it('keeps the expression of a full round under DynamoDB 4 KB limit', async () => {
    ddb.on(UpdateCommand).resolves({});

    await newOutbox().trim(key, 0, OUTBOX_LIMITS.maxPushesPerRound, 1, NOW);

    const input = ddb.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input.UpdateExpression).toContain(`#pushes[${OUTBOX_LIMITS.maxPushesPerRound - 1}]`);
    expect(input.UpdateExpression).not.toContain(`#pushes[${OUTBOX_LIMITS.maxPushesPerRound}]`);
    expect(Buffer.byteLength(input.UpdateExpression!, 'utf8')).toBeLessThan(4096);
  });

  it('turns a failed head condition into ConditionFailed', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());

    await expect(newOutbox().trim(key, 4, 1, 10, NOW)).rejects.toBeInstanceOf(ConditionFailed);
  });

  it('lets other errors through unchanged', async () => {
    ddb.on(UpdateCommand).rejects(new Error('throttled'));

    await expect(newOutbox().trim(key, 4, 1, 10, NOW)).rejects.toThrow('throttled');
  });
});

describe('trimAndRelease', () => {
  it('removes pushes[0..n-1] and the mark, moves head, sets the last round to now and subtracts the bytes, on condition of head and size, and returns true', async () => {
    ddb.on(UpdateCommand).resolves({});

    expect(await newOutbox().trimAndRelease(key, 4, 3, 120, NOW)).toBe(true);

    expect(ddb.calls()).toHaveLength(1);
    const input = ddb.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input.TableName).toBe(TABLE);
    expect(input.Key).toEqual(OUTBOX_KEY);
    expect(input.UpdateExpression).toBe(
      'SET #head = :next, #roundAt = :now REMOVE #pushes[0], #pushes[1], #pushes[2], #flushAt ADD #bytes :minus',
    );
    expect(input.ConditionExpression).toBe('#head = :head AND size(#pushes) = :count');
    expect(input.ExpressionAttributeNames).toEqual(TRIM_NAMES);
    expect(input.ExpressionAttributeValues).toEqual({ ':head': 4, ':next': 7, ':count': 3, ':minus': -120, ':now': NOW });
  });

  it('keeps the expression of a full round under DynamoDB 4 KB limit', async () => {
    ddb.on(UpdateCommand).resolves({});

    await newOutbox().trimAndRelease(key, 0, OUTBOX_LIMITS.maxPushesPerRound, 1, NOW);

    const input = ddb.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input.UpdateExpression).toContain(`#pushes[${OUTBOX_LIMITS.maxPushesPerRound - 1}], #flushAt`);
    expect(input.UpdateExpression).not.toContain(`#pushes[${OUTBOX_LIMITS.maxPushesPerRound}]`);
    expect(Buffer.byteLength(input.UpdateExpression!, 'utf8')).toBeLessThan(4096);
  });

  it('returns false when head moved or pushes arrived (the condition failed)', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());

    expect(await newOutbox().trimAndRelease(key, 4, 1, 10, NOW)).toBe(false);
  });

  it('lets other errors through unchanged', async () => {
    ddb.on(UpdateCommand).rejects(new Error('throttled'));

    await expect(newOutbox().trimAndRelease(key, 4, 1, 10, NOW)).rejects.toThrow('throttled');
  });
});

describe('every UpdateCommand', () => {
  it.each([
    ['claim', (outbox: DynamoPushOutbox) => outbox.claim(key, NOW - 5000, NOW)],
    ['trim', (outbox: DynamoPushOutbox) => outbox.trim(key, 4, 2, 14, NOW)],
    ['trimAndRelease', (outbox: DynamoPushOutbox) => outbox.trimAndRelease(key, 4, 2, 14, NOW)],
    ['release', (outbox: DynamoPushOutbox) => outbox.release(key)],
  ])('%s names every placeholder it uses, and uses every one it names', async (_, call) => {
    ddb.on(UpdateCommand).resolves({});

    await call(newOutbox());

    const input = ddb.commandCalls(UpdateCommand)[0].args[0].input;
    const expressions = `${input.UpdateExpression} ${input.ConditionExpression}`;
    const used = (prefix: string) => new Set(expressions.match(new RegExp(`${prefix}[A-Za-z]+`, 'g')));
    expect(used('#')).toEqual(new Set(Object.keys(input.ExpressionAttributeNames ?? {})));
    expect(used(':')).toEqual(new Set(Object.keys(input.ExpressionAttributeValues ?? {})));
  });
});

describe('release', () => {
  it('removes the mark on condition that the outbox exists and is empty', async () => {
    ddb.on(UpdateCommand).resolves({});

    expect(await newOutbox().release(key)).toBe(true);

    const input = ddb.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input.Key).toEqual(OUTBOX_KEY);
    expect(input.UpdateExpression).toBe('REMOVE #flushAt');
    expect(input.ConditionExpression).toBe('attribute_exists(#pk) AND size(#pushes) = :zero');
    expect(input.ExpressionAttributeNames).toEqual({ '#pk': 'pk', '#flushAt': 'flushAt', '#pushes': 'pushes' });
    expect(input.ExpressionAttributeValues).toEqual({ ':zero': 0 });
  });

  it('returns false when pushes are pending (the condition failed)', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());

    expect(await newOutbox().release(key)).toBe(false);
  });

  it('lets other errors through unchanged', async () => {
    ddb.on(UpdateCommand).rejects(new Error('throttled'));

    await expect(newOutbox().release(key)).rejects.toThrow('throttled');
  });
});
