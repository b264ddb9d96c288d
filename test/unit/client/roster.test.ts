/** The client's member list (client/roster.ts): loads, presence pushes, and the two together. */
import type { NodePresence, PresenceChange } from '#shared/protocol/types';
import { type MemberChange, Roster } from '../../../client/roster';

const group = { groupId: 'g', domain: 'd' };
const presence = (nodeId: string, change: PresenceChange): NodePresence => ({
  ...group,
  nodeId,
  change,
  timestamp: '2026-01-05T09:00:00.000Z',
});

function recording() {
  const seen: string[] = [];
  const note = (kind: string) => (change: MemberChange) => seen.push(`${kind} ${change.nodeId} ${change.change}`);
  const roster = new Roster({ nodeId: 'me', onJoin: note('join'), onLeave: note('leave') });
  return { roster, seen };
}

describe('Roster', () => {
  it('takes the first load silently, then announces each push once', () => {
    const { roster, seen } = recording();
    roster.beginLoad();
    roster.load(['host', 'me', 'a'], group);

    roster.apply(presence('b', 'joined'));
    roster.apply(presence('b', 'joined'));
    roster.apply(presence('a', 'expired'));
    roster.apply(presence('a', 'left'));

    expect(roster.list()).toEqual(['b', 'host', 'me']);
    expect(seen).toEqual(['join b joined', 'leave a expired']);
  });

  it('announces what a reload finds changed, as resynced', () => {
    const { roster, seen } = recording();
    roster.load(['host', 'me', 'a'], group);

    roster.load(['host', 'me', 'b'], group);

    expect(seen).toEqual(['leave a resynced', 'join b resynced']);
  });

  it('replays the pushes that came during a load over its answer, announcing each once', () => {
    const { roster, seen } = recording();
    roster.load(['host', 'me', 'a'], group);
    roster.beginLoad();
    roster.apply(presence('b', 'joined'));
    roster.apply(presence('a', 'left'));

    // The answer was read before both changes.
    roster.load(['host', 'me', 'a'], group);

    expect(roster.list()).toEqual(['b', 'host', 'me']);
    expect(seen).toEqual(['join b joined', 'leave a left']);
  });

  it('never announces this node to itself, and forgets everything on reset', () => {
    const { roster, seen } = recording();
    roster.load(['host', 'me'], group);
    roster.apply(presence('me', 'joined'));

    roster.reset();
    roster.load(['host', 'x'], group);

    expect(seen).toEqual([]);
    expect(roster.list()).toEqual(['host', 'me', 'x']);
  });
});
