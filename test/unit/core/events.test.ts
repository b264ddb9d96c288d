import { LIMITS, utf8Bytes } from '#shared/protocol/limits';
import type { Push } from '#shared/protocol/messages';
import type { BatchEvent, Group, MeshMessage } from '#shared/protocol/types';
import { WriteNotApplied } from '#shared/core/store-errors';
import type { FakeWorld } from './fakes';
import { DOMAIN, expectErrorType, groupWorld, joinGroup, report, send } from './driver';

type EventInput = { eventName: string; payload?: string | null; firedAt: string; orderKey?: string };

describe('fireEventsByNode', () => {
  let world: FakeWorld;
  let group: Group;
  beforeEach(async () => ({ world, group } = await groupWorld()));
  const fire = (events: EventInput[], connectionId = 'c-1', nodeId = 'member-1') =>
    send<MeshMessage>(world, connectionId, {
      action: 'fireEventsByNode',
      groupId: group.id,
      domain: DOMAIN,
      nodeId,
      events,
    });
  const batchOf = (push: Push): BatchEvent => {
    if (!('batchEvent' in push)) throw new Error('not a batchEvent push');
    return push.batchEvent;
  };

  it("returns the whole batch: each event stamped with the sender's firedAt (as UTC ms), payload null when absent", async () => {
    // Act
    const message = await fire([
      { eventName: 'start', firedAt: '2026-01-05T18:00:00+09:00' },
      { eventName: 'score', payload: '10', firedAt: '2026-01-05T09:00:00.250Z' },
    ]);

    // Assess
    expect(message).toEqual({
      groupId: group.id,
      domain: DOMAIN,
      batchEvent: {
        events: [
          {
            name: 'start',
            firedByNodeId: 'member-1',
            groupId: group.id,
            domain: DOMAIN,
            payload: null,
            timestamp: '2026-01-05T09:00:00.000Z',
          },
          {
            name: 'score',
            firedByNodeId: 'member-1',
            groupId: group.id,
            domain: DOMAIN,
            payload: '10',
            timestamp: '2026-01-05T09:00:00.250Z',
          },
        ],
        firedByNodeId: 'member-1',
        groupId: group.id,
        domain: DOMAIN,
        timestamp: new Date(world.clock.now()).toISOString(),
      },
    });
  });

  it("echoes each event's orderKey in the reply and the push, and adds none where the sender gave none", async () => {
    // Act
    const message = await fire([
      { eventName: 'a', firedAt: '2026-01-05T09:00:00.000Z', orderKey: '20260105180000-0000001' },
      { eventName: 'b', firedAt: '2026-01-05T09:00:00.000Z' },
    ]);

    // Assess
    const pushed = batchOf(world.publisher.pushes[0]).events;
    for (const events of [message.batchEvent!.events, pushed]) {
      expect(events[0].orderKey).toBe('20260105180000-0000001');
      expect(events[1]).not.toHaveProperty('orderKey');
    }
  });

  it('publishes a small batch as one push with the next seq of the sender', async () => {
    // Prepare
    await report(world, 'c-1', group, 'member-1', { a: '1' });

    // Act
    const message = await fire([{ eventName: 'go', payload: '🚀', firedAt: '2026-01-05T09:00:00.000Z' }]);

    // Assess
    expect(world.publisher.calls).toHaveLength(2);
    const [push] = world.publisher.calls[1];
    expect(push).toMatchObject({ type: 'message', from: 'member-1', seq: 3, batchEvent: message.batchEvent });
  });

  it('gives its seqs back when the log refused the batch as a whole (throttled), so the next batch takes them', async () => {
    // Prepare
    await fire([{ eventName: 'first', firedAt: '2026-01-05T09:00:00.000Z' }]);
    world.publisher.failNext(new WriteNotApplied('throttled'));

    // Act
    const refused = fire([{ eventName: 'refused', firedAt: '2026-01-05T09:00:01.000Z' }]);
    await expect(refused).rejects.toBeInstanceOf(WriteNotApplied);
    await fire([{ eventName: 'again', firedAt: '2026-01-05T09:00:01.000Z' }]);

    // Assess: seqs 2, 3 (1 was its join) with no gap, as if the refused batch had never been sent.
    expect(world.publisher.pushes.map((push) => [batchOf(push).events[0].name, push.seq])).toEqual([
      ['first', 2],
      ['again', 3],
    ]);
  });

  it('keeps the seqs of a batch whose append may have happened (any other failure): receivers skip that gap', async () => {
    // Prepare
    world.publisher.failNext(new Error('timed out'));

    // Act
    await expect(fire([{ eventName: 'unknown', firedAt: '2026-01-05T09:00:00.000Z' }])).rejects.toThrow('timed out');
    await fire([{ eventName: 'next', firedAt: '2026-01-05T09:00:01.000Z' }]);

    // Assess
    expect(world.publisher.pushes.map((push) => push.seq)).toEqual([3]);
  });

  it('reads its group once, then uses one write and one publish per batch (the hot path)', async () => {
    // Prepare
    world.store.calls.length = 0;

    // Act
    await fire([{ eventName: 'go', firedAt: '2026-01-05T09:00:00.000Z' }]);
    await fire([{ eventName: 'go', firedAt: '2026-01-05T09:00:01.000Z' }]);

    // Assess
    expect(world.store.calls).toEqual(['getGroup', 'updateNode', 'updateNode']);
    expect(world.publisher.calls).toHaveLength(2);
  });

  it('splits a large batch into pushes under the limit, in order, with consecutive seqs, in one publish call', async () => {
    // Prepare: 60 events of ~8 KB multibyte payload (~24 KB of UTF-8 each) need several pushes.
    const events = Array.from({ length: 60 }, (_, i) => ({
      eventName: `event-${i}`,
      payload: `${i}:` + 'データ'.repeat(2700),
      firedAt: new Date(Date.UTC(2026, 0, 5, 9, 0, 0, i)).toISOString(),
    }));
    await report(world, 'c-1', group, 'member-1', { a: '1' });

    // Act
    const message = await fire(events);

    // Assess
    expect(world.publisher.calls).toHaveLength(2);
    const pushes = world.publisher.calls[1];
    expect(pushes.length).toBeGreaterThan(1);
    for (const push of pushes) expect(utf8Bytes(JSON.stringify(push))).toBeLessThanOrEqual(LIMITS.maxPushPayloadBytes);
    expect(pushes.map((p) => p.seq)).toEqual(pushes.map((_, i) => 3 + i));
    const names = pushes.flatMap((p) => batchOf(p).events.map((e) => e.name));
    expect(names).toEqual(events.map((e) => e.eventName));
    // The reply is one message too: for a split batch it lists the first push's events.
    expect(message.batchEvent?.events).toEqual(batchOf(pushes[0]).events);
    expect(utf8Bytes(JSON.stringify(message))).toBeLessThanOrEqual(LIMITS.maxPushPayloadBytes);
    expect(world.store.peekNode({ groupId: group.id, domain: DOMAIN }, 'member-1')?.seq).toBe(2 + pushes.length);
  });

  it('answers GroupNotFound, NodeNotFound and Unauthorized as the checks fail, and publishes nothing', async () => {
    // Prepare
    const events = [{ eventName: 'go', firedAt: '2026-01-05T09:00:00.000Z' }];
    await joinGroup(world, 'c-2', group, 'member-2');

    // Act / Assess
    await expectErrorType(
      send(world, 'c-1', { action: 'fireEventsByNode', groupId: 'nope', domain: DOMAIN, nodeId: 'member-1', events }),
      'GroupNotFound',
    );
    await expectErrorType(fire(events, 'c-1', 'member-9'), 'NodeNotFound');
    await expectErrorType(fire(events, 'c-2', 'member-1'), 'Unauthorized');
    expect(world.publisher.calls).toHaveLength(0);
  });
});
