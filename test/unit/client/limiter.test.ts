import { StatusLimiter, type SendOutcome } from '#client/limiter';
import type { StatusEntry } from '#shared/protocol/types';
import { MeshError } from '#client/errors';

describe('StatusLimiter', () => {
  let reports: StatusEntry[][];
  let outcome: SendOutcome;
  let limiter: StatusLimiter;

  beforeEach(() => {
    jest.useFakeTimers({ now: Date.parse('2026-01-01T00:00:00Z') });
    reports = [];
    outcome = 'sent';
    limiter = new StatusLimiter({
      maxReports: 4,
      windowMs: 250,
      fullResendIntervalMs: 10_000,
      send: async (entries) => {
        reports.push(entries);
        return outcome;
      },
    });
    limiter.start();
  });

  afterEach(() => {
    limiter.stop();
    jest.useRealTimers();
  });

  const asMap = (entries: StatusEntry[]) => Object.fromEntries(entries.map((e) => [e.key, e.value]));

  it('merges keys set in the same task into one report', async () => {
    limiter.set({ x: 1 });
    limiter.set({ y: 'a' });
    limiter.set({ x: 2 });
    await jest.advanceTimersByTimeAsync(0);

    expect(reports).toHaveLength(1);
    expect(asMap(reports[0])).toEqual({ x: '2', y: 'a' });
  });

  it('reports only the keys whose value changed', async () => {
    limiter.set({ x: 1, y: 2 });
    await jest.advanceTimersByTimeAsync(300);
    limiter.set({ x: 1, y: 3 });
    await jest.advanceTimersByTimeAsync(300);
    limiter.set({ x: 1 });
    await jest.advanceTimersByTimeAsync(300);

    expect(reports.map(asMap)).toEqual([{ x: '1', y: '2' }, { y: '3' }]);
  });

  it('sends at most 4 reports per 250 ms and ends with the latest value', async () => {
    // 100 changes, one every 5 ms, over 500 ms.
    for (let i = 1; i <= 100; i += 1) {
      limiter.set({ score: i });
      await jest.advanceTimersByTimeAsync(5);
    }
    await jest.advanceTimersByTimeAsync(1000);

    // 500 ms of changes: at most 4 reports per 250 ms window, plus the last.
    expect(reports.length).toBeLessThanOrEqual(4 * 3);
    expect(reports.length).toBeGreaterThan(1);
    expect(asMap(reports[reports.length - 1])).toEqual({ score: '100' });
  });

  it('never lets more than maxReports leave in any 250 ms window', async () => {
    const sentAt: number[] = [];
    const capped = new StatusLimiter({
      send: async () => {
        sentAt.push(Date.now());
        return 'sent';
      },
    });
    capped.start();
    for (let i = 0; i < 200; i += 1) {
      capped.set({ k: i });
      await jest.advanceTimersByTimeAsync(3);
    }
    await jest.advanceTimersByTimeAsync(1000);
    capped.stop();

    for (let i = 4; i < sentAt.length; i += 1) expect(sentAt[i] - sentAt[i - 4]).toBeGreaterThanOrEqual(250);
    expect(capped.data()).toEqual({ k: '199' });
  });

  it('puts the keys of a report that must be retried back, keeping newer values', async () => {
    outcome = 'retry';
    limiter.set({ a: 1, b: 1 });
    await jest.advanceTimersByTimeAsync(0);
    limiter.stop();
    limiter.set({ b: 2 });
    outcome = 'sent';
    limiter.start();
    await jest.advanceTimersByTimeAsync(0);

    expect(asMap(reports[reports.length - 1])).toEqual({ a: '1', b: '2' });
  });

  it('re-sends the whole status every fullResendIntervalMs', async () => {
    limiter.set({ a: 1, b: 2 });
    await jest.advanceTimersByTimeAsync(0);
    reports = [];

    await jest.advanceTimersByTimeAsync(9_999);
    expect(reports).toEqual([]);

    await jest.advanceTimersByTimeAsync(2);
    expect(reports.map(asMap)).toEqual([{ a: '1', b: '2' }]);
  });

  it('holds reports while stopped and sends them once started', async () => {
    limiter.stop();
    limiter.set({ a: 1 });
    await jest.advanceTimersByTimeAsync(1000);
    expect(reports).toHaveLength(0);

    limiter.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(reports.map(asMap)).toEqual([{ a: '1' }]);
  });

  it('refuses a value over 4,096 characters and a status over 16 KB, changing nothing', () => {
    expect(() => limiter.set({ big: 'x'.repeat(4097) })).toThrow(MeshError);
    const nearlyFull: Record<string, string> = {};
    for (let i = 0; i < 4; i += 1) nearlyFull[`k${i}`] = 'v'.repeat(4000);
    limiter.set(nearlyFull);
    expect(() => limiter.set({ k9: 'v'.repeat(1000) })).toThrow(/16384/);
    expect(Object.keys(limiter.data())).toEqual(['k0', 'k1', 'k2', 'k3']);
  });

  it('refuses a key or value with a lone surrogate, which the server would refuse too, changing nothing', () => {
    expect(() => limiter.set({ 'x\ud800': '1' })).toThrow(/well-formed Unicode/);
    expect(() => limiter.set({ ok: '\udc00' })).toThrow(/well-formed Unicode/);
    expect(limiter.data()).toEqual({});
    expect(() => limiter.set({ '😀': '\ud83d\ude00' })).not.toThrow();
  });

  it('flush() sends every pending key within the cap and resolves', async () => {
    for (let i = 0; i < 300; i += 1) limiter.set({ [`key${i}`]: i });
    const done = limiter.flush();
    await jest.advanceTimersByTimeAsync(1000);
    await done;

    // 300 keys at most 256 per report: two reports.
    expect(reports.map((r) => r.length)).toEqual([256, 44]);
    expect(limiter.pendingKeys()).toEqual([]);
  });
});
