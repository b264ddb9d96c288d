/** The local stack's counters as the console shows them (console/stack-stats.ts). */
import { countersOf } from '../../../console/stack-stats';
import { METRIC_NAMES } from '#shared/lambda/metric-names';

describe('countersOf', () => {
  it('picks every metric the handlers emit out of a stats answer, 0 for one it lacks', () => {
    const stats = { since: '2026-03-02T10:00:00.000Z', metrics: { Errors: 2, AbandonedPosts: 1, PollingFallbacks: 4 } };

    const counters = countersOf(stats);

    expect(Object.keys(counters ?? {}).sort()).toEqual(Object.keys(METRIC_NAMES).sort());
    expect(counters).toMatchObject({ errors: 2, abandonedPosts: 1, pollingFallbacks: 4, joins: 0, groupsCreated: 0 });
  });

  it('gives null for an answer without metrics', () => {
    expect(countersOf(null)).toBeNull();
    expect(countersOf('stats')).toBeNull();
    expect(countersOf({ metrics: null })).toBeNull();
  });
});
