/** How the console writes times (console/format.ts) and reads the server's clock (console/server-clock.ts). */
import { formatAge, formatSpan, formatUntil } from '../../../console/format';
import { ServerClock } from '../../../console/server-clock';

describe('formatSpan', () => {
  it('writes the two largest units', () => {
    expect(formatSpan(12_400)).toBe('12s');
    expect(formatSpan(187_000)).toBe('3m 07s');
    expect(formatSpan(3_720_000)).toBe('1h 02m');
    expect(formatSpan(90_000_000)).toBe('1d 01h');
  });

  it('counts a negative span as 0', () => {
    expect(formatSpan(-5000)).toBe('0s');
  });
});

describe('formatAge and formatUntil', () => {
  const now = Date.parse('2026-03-02T10:00:00.000Z');

  it('write how long ago and how long until', () => {
    expect(formatAge('2026-03-02T09:59:30.000Z', now)).toBe('30s ago');
    expect(formatUntil('2026-03-02T10:05:00.000Z', now)).toBe('in 5m 00s');
    expect(formatUntil('2026-03-02T09:00:00.000Z', now)).toBe('expired');
  });

  it('write a dash for no date or one that does not parse', () => {
    expect(formatAge(null, now)).toBe('—');
    expect(formatAge('later', now)).toBe('—');
    expect(formatUntil('later', now)).toBe('—');
  });
});

describe('ServerClock', () => {
  it('runs at the offset of the last server time it was given', () => {
    let local = 1_000_000;
    const clock = new ServerClock(() => local);

    clock.sync(new Date(1_005_000).toISOString());
    local += 2000;

    expect(clock.now()).toBe(1_007_000);
    expect(clock.second()).toBe(1007);
  });
});
