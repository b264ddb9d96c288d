/**
 * The GroupLog contract: what shared/core/ports.ts promises of a group's log,
 * run against the in-memory fake (test/unit/core/group-log.test.ts) and the
 * DynamoDB adapter on DynamoDB Local (test/integration/acceptance/group-log.test.ts),
 * so the fake the core's tests rely on behaves as the real log does.
 */
import type { GroupKey } from '#shared/core/model';
import { type GroupLog } from '#shared/core/ports';
import { GroupDissolved } from '#shared/core/store-errors';

export interface GroupLogSubject {
  log: GroupLog;
  /** A group key no other test uses. */
  newKey(): GroupKey;
  /** Drops the sealed page that starts at `start`, as the retention's TTL does. */
  dropSealedPage(key: GroupKey, start: number): Promise<void>;
}

const push = (n: number) => JSON.stringify({ type: 'message', from: 'a', epoch: 'e', seq: n });
const now = 1_800_000_000_000;

export function describeGroupLogContract(name: string, subject: () => GroupLogSubject): void {
  describe(`GroupLog contract: ${name}`, () => {
    let log: GroupLog;
    let key: GroupKey;
    let dropSealedPage: GroupLogSubject['dropSealedPage'];
    beforeEach(() => {
      const made = subject();
      log = made.log;
      key = made.newKey();
      dropSealedPage = made.dropSealedPage;
    });

    it('gives consecutive positions and starts one flush: the first token offered stays until released', async () => {
      const first = await log.append(key, [push(1)], { now, token: 't1' });
      const second = await log.append(key, [push(2), push(3)], { now: now + 5, token: 't2' });

      expect(first).toMatchObject({ first: 0, flushToken: 't1', flushAt: now, roundAt: 0, rate: 0 });
      expect(second).toMatchObject({ first: 1, flushToken: 't1', flushAt: now });
      const { head } = await log.read(key);
      expect(head).toMatchObject({
        pos: 3,
        pageStart: 0,
        cursor: 0,
        page: [push(1), push(2), push(3)],
        flushToken: 't1',
      });
    });

    it('lets one invocation claim the flush; another is refused until the first goes stale', async () => {
      await log.append(key, [push(1)], { now, token: 't1' });

      expect(await log.claim(key, 'other-token', 'o1', now, now - 1000)).toBe(false);
      expect(await log.claim(key, 't1', 'o1', now, now - 1000)).toBe(true);
      expect(await log.claim(key, 't1', 'o2', now + 10, now - 1000)).toBe(false);
      expect(await log.claim(key, 't1', 'o2', now + 5000, now + 10)).toBe(true);
      expect((await log.read(key)).head?.flushOwner).toBe('o2');
    });

    it('advances only for its owner from the cursor it read, and releases only when caught up', async () => {
      await log.append(key, [push(1), push(2)], { now, token: 't1' });
      await log.claim(key, 't1', 'o1', now, now - 1000);

      expect(await log.advance(key, { owner: 'o2', from: 0, to: 2, now, roundAt: now, rate: 1 })).toBe('lost');
      const first = { owner: 'o1', from: 0, to: 1, now: now + 10, roundAt: now + 5, rate: 3, release: true };
      expect(await log.advance(key, first)).toBe('advanced');
      // The flush's mark is the advance's time; the round is recorded at its start.
      expect((await log.read(key)).head).toMatchObject({ cursor: 1, flushAt: now + 10, roundAt: now + 5, rate: 3 });
      expect(await log.advance(key, { owner: 'o1', from: 0, to: 2, now, roundAt: now, rate: 1 })).toBe('lost');
      const last = { owner: 'o1', from: 1, to: 2, now: now + 20, roundAt: now + 15, rate: 4, release: true };
      expect(await log.advance(key, last)).toBe('released');

      const { head } = await log.read(key);
      expect(head).toMatchObject({ cursor: 2, roundAt: now + 15, rate: 4 });
      expect(head?.flushToken).toBeUndefined();
      expect(head?.flushOwner).toBeUndefined();
      // The next append starts a new flush.
      expect((await log.append(key, [push(3)], { now: now + 30, token: 't3' })).flushToken).toBe('t3');
    });

    it('hands over: a disowned flush is claimed by the next invocation of the same token', async () => {
      await log.append(key, [push(1), push(2)], { now, token: 't1' });
      await log.claim(key, 't1', 'o1', now, now - 1000);
      expect(
        await log.advance(key, { owner: 'o1', from: 0, to: 1, now: now + 1, roundAt: now, rate: 1, disown: true }),
      ).toBe('advanced');
      expect(await log.claim(key, 't1', 'o2', now + 2, now - 1000)).toBe(true);
    });

    it('restarts only a stale flush, once, and the old owner then loses', async () => {
      await log.append(key, [push(1)], { now, token: 't1' });
      await log.claim(key, 't1', 'o1', now, now - 1000);

      expect(await log.restart(key, 't2', { now: now + 10, staleBefore: now })).toBe(false);
      expect(await log.restart(key, 't2', { now: now + 6000, staleBefore: now + 1000, expected: 'wrong' })).toBe(false);
      expect(await log.restart(key, 't2', { now: now + 6000, staleBefore: now + 1000, expected: 't1' })).toBe(true);
      expect(await log.restart(key, 't3', { now: now + 6000, staleBefore: now + 1000 })).toBe(false);
      expect(
        await log.advance(key, { owner: 'o1', from: 0, to: 1, now: now + 6001, roundAt: now + 6000, rate: 1 }),
      ).toBe('lost');
      expect(await log.claim(key, 't2', 'o2', now + 6002, now + 1000)).toBe(true);
    });

    it('takes one dissolve and nothing after it', async () => {
      await log.append(key, [push(1)], { now, token: 't1' });
      await log.append(key, [push(2)], { now, token: 't2', dissolve: true });

      await expect(log.append(key, [push(3)], { now, token: 't3', dissolve: true })).rejects.toBeInstanceOf(
        GroupDissolved,
      );
      await expect(log.append(key, [push(4)], { now, token: 't4' })).rejects.toBeInstanceOf(GroupDissolved);
      const { head } = await log.read(key);
      expect(head?.pos).toBe(2);
      expect(head?.dissolvedAt).toBe(now);
    });

    it('seals pushes into pages that read back in order, and a stale seal changes nothing', async () => {
      await log.append(key, [push(1), push(2), push(3), push(4)], { now, token: 't1' });

      expect(await log.seal(key, 0, [push(1), push(2)], now)).toBe(true);
      expect(await log.seal(key, 0, [push(1)], now)).toBe(false);
      expect(await log.seal(key, 2, [push(3)], now)).toBe(true);

      const { head } = await log.read(key);
      expect(head).toMatchObject({ pageStart: 3, pos: 4, page: [push(4)] });
      expect(await log.readSealed(key, 0, 3)).toEqual([push(1), push(2), push(3)]);
      expect(await log.readSealed(key, 1, 3)).toEqual([push(2), push(3)]);
      expect(await log.readSealed(key, 1, 2)).toEqual([push(2)]);
      expect(await log.readSealed(key, 3, 3)).toEqual([]);
    });

    it('reads what the retention kept from a position on: from the first kept position, without a gap', async () => {
      await log.append(key, [1, 2, 3, 4, 5, 6].map(push), { now, token: 't1' });
      await log.seal(key, 0, [push(1), push(2)], now);
      await log.seal(key, 2, [push(3), push(4)], now);

      expect(await log.readRetained(key, 0, 4)).toEqual({ start: 0, pushes: [1, 2, 3, 4].map(push) });
      expect(await log.readRetained(key, 1, 4)).toEqual({ start: 1, pushes: [2, 3, 4].map(push) });
      expect(await log.readRetained(key, 4, 4)).toEqual({ start: 4, pushes: [] });
      await dropSealedPage(key, 0);
      expect(await log.readRetained(key, 0, 4)).toEqual({ start: 2, pushes: [push(3), push(4)] });
      await dropSealedPage(key, 2);
      expect(await log.readRetained(key, 1, 4)).toEqual({ start: 4, pushes: [] });
    });

    it('lists a group as pending from its first unposted append until its flush is released', async () => {
      await log.append(key, [push(1)], { now, token: 't1' });
      const listed = async (before: number) =>
        (await log.listPending(before)).some((k) => k.groupId === key.groupId && k.domain === key.domain);

      expect(await listed(now)).toBe(false);
      expect(await listed(now + 1)).toBe(true);
      await log.claim(key, 't1', 'o1', now, now - 1000);
      await log.advance(key, { owner: 'o1', from: 0, to: 1, now, roundAt: now, rate: 1, release: true });
      expect(await listed(now + 1)).toBe(false);
    });
  });
}
