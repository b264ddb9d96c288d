/**
 * The fan-out's reports to the console: RoundMonitor turns a round into one
 * meshRound push on the console's log, and a flush reports the rounds of a
 * group only while its log head carries a live watch mark.
 */
import { flushGroup } from '#shared/core/fanout/flush';
import type { LogPublisher } from '#shared/core/fanout/publisher';
import { RoundMonitor } from '#shared/core/fanout/round-monitor';
import type { GroupKey } from '#shared/core/model';
import type { FlushDeps } from '#shared/core/ports';
import { CONSOLE_LOG, type MeshRound, WATCH_LEASE_SECONDS } from '#shared/protocol/console';
import type { Push } from '#shared/protocol/messages';
import { createGroup, joinGroup } from './driver';
import { fakeWorld, type FakeWorld, logPublisherOf, RecordingPublisher } from './fakes';

const iso = (ms: number) => new Date(ms).toISOString();

/** A status push of `key` from `from`, accepted at `sentAt`. */
function statusPush(key: GroupKey, from: string, seq: number, sentAt: number): Push {
  return {
    type: 'message',
    ...key,
    from,
    epoch: 'e',
    seq,
    sentAt: iso(sentAt),
    nodeStatus: { nodeId: from, ...key, data: [{ key: 'n', value: String(seq) }], timestamp: iso(sentAt) },
  } as Push;
}

/** The meshRound payloads of the pushes published. */
const roundsOf = (publisher: RecordingPublisher): MeshRound[] =>
  publisher.pushes.map((push) => (push as unknown as { meshRound: MeshRound }).meshRound);

describe('RoundMonitor', () => {
  const key = { groupId: 'g-1', domain: 'school-1' };
  const END = Date.parse('2026-01-05T09:00:01.000Z');
  let publisher: RecordingPublisher;
  let monitor: RoundMonitor;
  beforeEach(() => {
    publisher = new RecordingPublisher();
    monitor = new RoundMonitor(publisher, 'epoch-m');
  });

  it("publishes one meshRound push to the console's log with the round's figures", async () => {
    const pushes = [statusPush(key, 'a', 1, END - 250), statusPush(key, 'b', 1, END - 100)].map((p) =>
      JSON.stringify(p),
    );

    await monitor.report(key, { pushes, sent: 5, gone: 1, abandoned: 2 }, END);

    expect(publisher.calls).toEqual([
      [
        {
          type: 'message',
          ...CONSOLE_LOG,
          from: 'fanout',
          epoch: 'epoch-m',
          seq: 1,
          sentAt: iso(END),
          meshRound: { ...key, pushes: 2, frames: 5, gone: 1, abandoned: 2, latencyMs: 250, at: iso(END) },
        },
      ],
    ]);
  });

  it('gives each report the next seq of its epoch', async () => {
    const round = { pushes: [JSON.stringify(statusPush(key, 'a', 1, END))], sent: 1, gone: 0, abandoned: 0 };

    await monitor.report(key, round, END);
    await monitor.report(key, round, END + 10);
    await monitor.report({ groupId: 'g-2', domain: 'school-2' }, round, END + 20);

    expect(publisher.pushes.map((push) => [push.epoch, push.seq])).toEqual([
      ['epoch-m', 1],
      ['epoch-m', 2],
      ['epoch-m', 3],
    ]);
  });

  it("reports no latency for a first push whose time cannot be read, or that another machine's clock puts later", async () => {
    const figures = { sent: 1, gone: 0, abandoned: 0 };

    await monitor.report(key, { ...figures, pushes: ['not json'] }, END);
    await monitor.report(key, { ...figures, pushes: [JSON.stringify({ sentAt: 'yesterday' })] }, END);
    await monitor.report(key, { ...figures, pushes: [JSON.stringify(statusPush(key, 'a', 1, END + 40))] }, END);

    expect(roundsOf(publisher).map((round) => round.latencyMs)).toEqual([0, 0, 0]);
  });

  it('drops a report the log refuses, without throwing, and reports the next round', async () => {
    const round = { pushes: [JSON.stringify(statusPush(key, 'a', 1, END))], sent: 1, gone: 0, abandoned: 0 };
    publisher.failNext(new Error('the log refused the append'));

    await expect(monitor.report(key, round, END)).resolves.toBeUndefined();
    await monitor.report(key, round, END + 10);

    expect(roundsOf(publisher).map((reported) => reported.at)).toEqual([iso(END + 10)]);
  });
});

describe('a flush of a watched group', () => {
  let world: FakeWorld;
  let key: GroupKey;
  let publisher: LogPublisher;
  let reports: RecordingPublisher;
  let deps: FlushDeps;

  beforeEach(async () => {
    world = fakeWorld();
    publisher = logPublisherOf(world);
    const group = await createGroup(world, 'c-a', 'a');
    await joinGroup(world, 'c-b', group, 'b');
    await joinGroup(world, 'c-c', group, 'c');
    key = { groupId: group.id, domain: group.domain };
    reports = new RecordingPublisher();
    deps = { ...world.flushDeps, monitor: new RoundMonitor(reports, 'epoch-m') };
  });

  /** A push from `b`, accepted now: its append makes the group's log head, which the mark goes on. */
  const pushFromB = () => publisher.publish([statusPush(key, 'b', 1, world.clock.now())]);

  /** Sets the watch mark on the group's log head, `ms` from now. */
  const watchFor = (ms: number) => world.log.setWatchedUntil(key, world.clock.now() + ms);

  /** Runs every flush requested so far, as SNS would deliver them. */
  async function deliverFlushes() {
    const outcomes = [];
    for (const request of world.trigger.take()) outcomes.push(await flushGroup(request, deps));
    return outcomes;
  }

  it('reports its round while the head carries a live mark', async () => {
    await pushFromB();
    watchFor(WATCH_LEASE_SECONDS * 1000);
    world.clock.advance(30);

    await deliverFlushes();

    expect(roundsOf(reports)).toEqual([
      { ...key, pushes: 1, frames: 2, gone: 0, abandoned: 0, latencyMs: 30, at: iso(world.clock.now()) },
    ]);
  });

  it('reports nothing for a head with no mark', async () => {
    await pushFromB();

    const [outcome] = await deliverFlushes();

    expect(outcome).toMatchObject({ rounds: 1, sent: 2, ended: 'caught-up' });
    expect(reports.calls).toEqual([]);
  });

  it('reports nothing once the mark has lapsed', async () => {
    await pushFromB();
    watchFor(10);
    world.clock.advance(11);

    const [outcome] = await deliverFlushes();

    expect(outcome).toMatchObject({ rounds: 1, sent: 2, ended: 'caught-up' });
    expect(reports.calls).toEqual([]);
  });

  it('posts and advances the round when its report fails', async () => {
    await pushFromB();
    watchFor(WATCH_LEASE_SECONDS * 1000);
    reports.failNext(new Error('the log refused the append'));

    const [outcome] = await deliverFlushes();

    expect(outcome).toMatchObject({ rounds: 1, sent: 2, ended: 'caught-up' });
    expect(world.log.headOf(key)).toMatchObject({ cursor: 1, pos: 1 });
  });
});
