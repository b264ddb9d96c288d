/** Reading the console log's pushes (console/mesh-rounds.ts): which pushes carry rounds, and repeats dropped. */
import { CONSOLE_LOG, type MeshRound } from '#shared/protocol/console';
import { isConsolePush, PositionFilter, roundOf } from '../../../console/mesh-rounds';

const ROUND: MeshRound = {
  groupId: 'g1',
  domain: 'school-1',
  pushes: 3,
  frames: 6,
  gone: 1,
  abandoned: 0,
  latencyMs: 42,
  at: '2026-03-02T10:00:00.000Z',
};

describe('isConsolePush', () => {
  it('knows the console log by its group key', () => {
    expect(isConsolePush({ ...CONSOLE_LOG })).toBe(true);
    expect(isConsolePush({ groupId: 'console', domain: 'school-1' })).toBe(false);
    expect(isConsolePush({ groupId: 'g1', domain: '~mesh' })).toBe(false);
  });
});

describe('roundOf', () => {
  it('reads the round a console push carries', () => {
    expect(roundOf({ ...CONSOLE_LOG, pos: 3, meshRound: ROUND } as { groupId: string; domain: string })).toEqual(ROUND);
  });

  it('gives null for a push without a round, or with one of another shape', () => {
    const push = (meshRound: unknown) => ({ ...CONSOLE_LOG, meshRound }) as { groupId: string; domain: string };

    expect(roundOf({ ...CONSOLE_LOG })).toBeNull();
    expect(roundOf(push(null))).toBeNull();
    expect(roundOf(push('round'))).toBeNull();
    expect(roundOf(push({ ...ROUND, frames: '6' }))).toBeNull();
    expect(roundOf(push({ ...ROUND, latencyMs: Number.NaN }))).toBeNull();
    expect(roundOf(push({ ...ROUND, at: undefined }))).toBeNull();
  });
});

describe('PositionFilter', () => {
  it('lets each log position through once', () => {
    const filter = new PositionFilter();

    expect([filter.isNew(1), filter.isNew(2), filter.isNew(1)]).toEqual([true, true, false]);
  });

  it('lets every push without a position through', () => {
    const filter = new PositionFilter();

    expect([filter.isNew(undefined), filter.isNew(undefined)]).toEqual([true, true]);
  });

  it('forgets the oldest positions past its capacity', () => {
    const filter = new PositionFilter(2);
    filter.isNew(1);
    filter.isNew(2);
    filter.isNew(3);

    expect(filter.isNew(3)).toBe(false);
    expect(filter.isNew(1)).toBe(true);
  });
});
