/** The opened group's members (console/status-board.ts): full answers and pushed deltas merged, presence kept. */
import type { Push, PushPayload } from '#shared/protocol/messages';
import type { NodeStatus, PresenceChange } from '#shared/protocol/types';
import { StatusBoard } from '../../../console/status-board';

const group = { groupId: 'g1', domain: 'school-1' };
const at = (second: number) => new Date(Date.UTC(2026, 2, 2, 10, 0, second)).toISOString();

function status(nodeId: string, second: number, values: Record<string, string>): NodeStatus {
  return {
    ...group,
    nodeId,
    timestamp: at(second),
    data: Object.entries(values).map(([key, value]) => ({ key, value })),
  };
}

let seq = 0;
function push(payload: PushPayload, from = 'sender'): Push {
  seq += 1;
  return { type: 'message', ...group, from, epoch: 'e1', seq, sentAt: at(0), ...payload };
}

const presence = (nodeId: string, change: PresenceChange, second: number) =>
  push({ nodePresence: { ...group, nodeId, change, timestamp: at(second) } }, nodeId);

function valuesOf(board: StatusBoard): Record<string, Record<string, string>> {
  return Object.fromEntries(board.list().map((member) => [member.nodeId, member.values]));
}

describe('StatusBoard', () => {
  it('merges a pushed delta into the full status: keys it carries change, the others stay', () => {
    const board = new StatusBoard(group);
    board.applySnapshot([status('a', 1, { score: '1', x: '5' })]);

    board.applyPush(push({ nodeStatus: status('a', 2, { score: '2' }) }));

    expect(valuesOf(board)).toEqual({ a: { score: '2', x: '5' } });
    expect(board.list()[0].updatedAt).toBe(at(2));
  });

  it('keeps a newer pushed value over a renewal answer read before it', () => {
    const board = new StatusBoard(group);
    board.applyPush(push({ nodeStatus: status('a', 5, { score: '9' }) }));

    board.applySnapshot([status('a', 4, { score: '8', x: '1' })]);

    expect(valuesOf(board)).toEqual({ a: { score: '9', x: '1' } });
  });

  it('keeps a newer value over a delta that arrives late', () => {
    const board = new StatusBoard(group);
    board.applyPush(push({ nodeStatus: status('a', 5, { score: '9' }) }));

    board.applyPush(push({ nodeStatus: status('a', 3, { score: '7' }) }));

    expect(valuesOf(board)).toEqual({ a: { score: '9' } });
  });

  it('ignores pushes and answers of another group', () => {
    const board = new StatusBoard(group);
    const other = { ...status('a', 1, { score: '1' }), groupId: 'g2' };

    board.applySnapshot([other]);
    const changed = board.applyPush({ ...push({ nodeStatus: other }), groupId: 'g2' });

    expect(changed).toBe(false);
    expect(board.list()).toEqual([]);
  });

  it('marks a departed node, and forgets it once an answer no longer lists it', () => {
    const board = new StatusBoard(group);
    board.applySnapshot([status('a', 1, { score: '1' }), status('b', 1, { score: '2' })]);

    board.applyPush(presence('b', 'expired', 3));
    expect(board.list().map((m) => [m.nodeId, m.presence])).toEqual([
      ['a', 'present'],
      ['b', 'expired'],
    ]);

    board.applySnapshot([status('a', 1, { score: '1' })]);
    expect(board.list().map((m) => m.nodeId)).toEqual(['a']);
  });

  it('keeps a present node that no answer lists yet (it has reported nothing)', () => {
    const board = new StatusBoard(group);
    board.applyNodes(['host', 'a']);
    board.applyPush(presence('b', 'joined', 2));

    board.applySnapshot([status('a', 1, { score: '1' })]);

    expect(board.list().map((m) => [m.nodeId, m.presence, m.values])).toEqual([
      ['a', 'present', { score: '1' }],
      ['b', 'present', {}],
      ['host', 'present', {}],
    ]);
  });

  it('starts a node that joins again with none of the status it had before it left', () => {
    const board = new StatusBoard(group);
    board.applySnapshot([status('a', 1, { score: '1' })]);
    board.applyPush(presence('a', 'left', 2));

    board.applyPush(presence('a', 'joined', 3));
    board.applyPush(push({ nodeStatus: status('a', 4, { x: '2' }) }));

    expect(board.list()).toMatchObject([{ nodeId: 'a', presence: 'present', values: { x: '2' } }]);
  });

  it('does not take a late departure for news after a newer join', () => {
    const board = new StatusBoard(group);
    board.applyPush(presence('a', 'joined', 5));

    board.applyPush(presence('a', 'disconnected', 4));

    expect(board.list()[0].presence).toBe('present');
  });

  it('shows a node the answer lists with a status newer than its departure as present again', () => {
    const board = new StatusBoard(group);
    board.applyPush(presence('a', 'left', 2));

    board.applySnapshot([status('a', 3, { score: '1' })]);

    expect(board.list()[0]).toMatchObject({ presence: 'present', values: { score: '1' } });
  });

  it('records the events a node fired and the dissolve message', () => {
    const board = new StatusBoard(group);
    const event = (name: string) => ({ name, firedByNodeId: 'a', ...group, payload: null, timestamp: at(1) });

    board.applyPush(
      push({ batchEvent: { events: [event('go'), event('stop')], firedByNodeId: 'a', ...group, timestamp: at(1) } }),
    );
    board.applyPush(push({ groupDissolve: { ...group, message: 'host left' } }));

    expect(board.list()[0]).toMatchObject({ nodeId: 'a', lastEvents: ['go', 'stop'], lastEventsAt: at(1) });
    expect(board.dissolved).toBe('host left');
  });
});
