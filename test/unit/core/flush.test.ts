/**
 * The fan-out engine against the fakes: the request side (LogPublisher), a
 * flush (flushGroup) and the sweeper (sweepStalledFlushes), with faults
 * injected into the log, the trigger and the notifier.
 */
import { flushGroup, FLUSH_LIMITS } from '#shared/core/fanout/flush';
import { POST_RETRY } from '#shared/core/fanout/post';
import type { LogPublisher } from '#shared/core/fanout/publisher';
import { sweepStalledFlushes } from '#shared/core/fanout/sweep';
import { windowFor } from '#shared/core/fanout/window';
import type { GroupKey } from '#shared/core/model';
import { type FlushRequest } from '#shared/core/ports';
import { GroupDissolved } from '#shared/core/store-errors';
import type { Push } from '#shared/protocol/messages';
import { createGroup, joinGroup } from './driver';
import { fakeWorld, type FakeWorld, logPublisherOf } from './fakes';

let key: GroupKey;

let world: FakeWorld;
let publisher: LogPublisher;
let flushFailures: unknown[];

beforeEach(async () => {
  world = fakeWorld();
  flushFailures = [];
  publisher = logPublisherOf(world, { onFlushRequestFailed: (_key, error) => flushFailures.push(error) });
  const group = await createGroup(world, 'c-a', 'a');
  await joinGroup(world, 'c-b', group, 'b');
  await joinGroup(world, 'c-c', group, 'c');
  key = { groupId: group.id, domain: group.domain };
});

let seqs: Record<string, number> = {};
beforeEach(() => {
  seqs = {};
});

/** A status push from `from` with its next seq. */
function push(from: string, extra: Record<string, string> = {}): Push {
  seqs[from] = (seqs[from] ?? 0) + 1;
  return {
    type: 'message',
    ...key,
    from,
    epoch: 'e',
    seq: seqs[from],
    sentAt: new Date(world.clock.now()).toISOString(),
    nodeStatus: {
      nodeId: from,
      ...key,
      data: Object.entries(extra).map(([k, value]) => ({ key: k, value })),
      timestamp: '',
    },
  } as Push;
}

/** Runs every flush request made so far, as SNS would deliver them. */
async function deliverFlushes(owner = 'owner-1') {
  const outcomes = [];
  for (const request of world.trigger.take()) outcomes.push(await flushGroup(request, { ...world.flushDeps, owner }));
  return outcomes;
}

/** Pushes each connection received, as (from, seq) pairs in order. */
function received(connectionId: string): string[] {
  return world.notifier.posts
    .filter((post) => post.connectionId === connectionId)
    .flatMap((post) => {
      const frame = JSON.parse(post.frame);
      const pushes: Push[] = frame.type === 'messages' ? frame.messages : [frame];
      return pushes.map((p) => `${p.from}${p.seq}`);
    });
}

describe('a push to a quiet group', () => {
  it('is appended, asks for one flush posting at once, and reaches every other member', async () => {
    await publisher.publish([push('a')]);

    expect(world.trigger.requests).toEqual([{ type: 'flush', ...key, token: 'token-1', at: world.clock.now() }]);
    const [outcome] = await deliverFlushes();

    expect(outcome).toMatchObject({ rounds: 1, pushes: 1, sent: 2, abandoned: 0, ended: 'caught-up' });
    expect(received('c-b')).toEqual(['a1']);
    expect(received('c-c')).toEqual(['a1']);
    expect(received('c-a')).toEqual([]);
    expect(world.log.headOf(key)).toMatchObject({ cursor: 1, pos: 1, flushToken: undefined });
  });

  it('asks for no second flush while one is requested', async () => {
    await publisher.publish([push('a')]);
    await publisher.publish([push('b')]);

    expect(world.trigger.requests).toHaveLength(1);
    await deliverFlushes();
    expect(received('c-c')).toEqual(['a1', 'b1']);
  });
});

describe('duplicate flush requests', () => {
  it('post once: a second copy of a request finds the flush claimed or ended', async () => {
    await publisher.publish([push('a')]);
    const [request] = world.trigger.take();

    const first = await flushGroup(request, { ...world.flushDeps, owner: 'o1' });
    const second = await flushGroup(request, { ...world.flushDeps, owner: 'o2' });

    expect(first.ended).toBe('caught-up');
    expect(second.ended).toBe('not-ours');
    expect(received('c-b')).toEqual(['a1']);
  });
});

describe('liveness: every accepted push is posted after the fault clears', () => {
  it('a flush request that fails after the append: the request still succeeds and the sweeper restarts the flush', async () => {
    world.trigger.failNext();

    await expect(publisher.publish([push('a')])).resolves.toBe(0);
    expect(flushFailures).toHaveLength(1);
    expect(world.trigger.requests).toHaveLength(0);

    // The group goes quiet: no append will notice. Before the stale time the sweeper leaves it alone.
    world.clock.advance(world.fanout.staleFlushMs - 1);
    expect(await sweepStalledFlushes({ ...world.flushDeps, ids: world.ids })).toMatchObject({ restarted: 0 });
    world.clock.advance(2);
    expect(await sweepStalledFlushes({ ...world.flushDeps, ids: world.ids })).toMatchObject({
      pending: 1,
      restarted: 1,
    });

    await deliverFlushes();
    expect(received('c-b')).toEqual(['a1']);
    expect(received('c-c')).toEqual(['a1']);
  });

  it('a dissolve in a group that then goes quiet is delivered by the sweeper', async () => {
    world.trigger.failNext();
    const dissolve = {
      ...push('a'),
      nodeStatus: undefined,
      groupDissolve: { ...key, message: 'bye' },
    } as unknown as Push;

    await publisher.publish([dissolve], { dissolve: true });
    world.clock.advance(world.fanout.staleFlushMs + 1);
    await sweepStalledFlushes({ ...world.flushDeps, ids: world.ids });
    await deliverFlushes();

    expect(received('c-b')).toEqual(['a1']);
    await expect(publisher.publish([push('b')])).rejects.toBeInstanceOf(GroupDissolved);
  });

  it('a stale flush mark is restarted by the next append, once', async () => {
    await publisher.publish([push('a')]);
    world.trigger.take(); // the request is lost

    world.clock.advance(world.fanout.staleFlushMs + 1);
    await publisher.publish([push('b')]);
    await publisher.publish([push('c')]);

    expect(world.trigger.requests.map((r) => r.token)).toEqual(['token-3']);
    await deliverFlushes();
    expect(received('c-c')).toEqual(['a1', 'b1']);
    expect(received('c-a')).toEqual(['b1', 'c1']);
  });

  it('a flush that dies between posting and advancing: the next flush posts the round again', async () => {
    await publisher.publish([push('a')]);
    const [request] = world.trigger.take();
    world.log.failNext('advance', new Error('the invocation was killed'));

    await expect(flushGroup(request, { ...world.flushDeps, owner: 'o1' })).rejects.toThrow('killed');
    // SNS retries the same request at once: the dead owner's claim is still fresh.
    expect((await flushGroup(request, { ...world.flushDeps, owner: 'o2' })).ended).toBe('not-ours');
    world.clock.advance(world.fanout.staleFlushMs + 1);
    await sweepStalledFlushes({ ...world.flushDeps, ids: world.ids });
    await deliverFlushes('o3');

    // At least once: posted twice, and receivers drop the copy by seq.
    expect(received('c-b')).toEqual(['a1', 'a1']);
    expect(world.log.headOf(key)).toMatchObject({ cursor: 1, flushToken: undefined });
  });

  it('an old owner that wakes after a restart loses at its advance and posts no more rounds', async () => {
    await publisher.publish([push('a')]);
    const [request] = world.trigger.take();
    await world.log.claim(key, request.token, 'sleepy', world.clock.now(), 0);
    world.clock.advance(world.fanout.staleFlushMs + 1);
    await sweepStalledFlushes({ ...world.flushDeps, ids: world.ids });

    const outcome = await flushGroup(request, { ...world.flushDeps, owner: 'sleepy' });

    expect(outcome.ended).toBe('not-ours');
  });
});

describe('the posting policy', () => {
  it('retries a failing post with backoff and counts the retries', async () => {
    await publisher.publish([push('a')]);
    world.notifier.markFailing('c-b');
    let calls = 0;
    const notifier = {
      post: async (connectionId: string, frame: string) => {
        if (connectionId === 'c-b' && (calls += 1) <= 2) throw new Error('500');
        return world.notifier.post(connectionId === 'c-b' ? 'c-b-ok' : connectionId, frame);
      },
    };
    const [outcome] = await Promise.all(
      world.trigger.take().map((request) => flushGroup(request, { ...world.flushDeps, notifier })),
    );

    expect(outcome).toMatchObject({ sent: 2, retries: 2, abandoned: 0 });
    expect(received('c-b-ok')).toEqual(['a1']);
  });

  it('gives a frame up for a connection that keeps failing, counts it, and goes on', async () => {
    world.notifier.markFailing('c-b');
    await publisher.publish([push('a')]);

    const [outcome] = await deliverFlushes();

    expect(outcome).toMatchObject({ sent: 1, abandoned: 1, retries: POST_RETRY.attempts - 1, ended: 'caught-up' });
    expect(received('c-c')).toEqual(['a1']);
  });

  it('drops the subscription of a connection that answers 410 and posts nothing more to it', async () => {
    world.notifier.markGone('c-b');
    await publisher.publish([push('a')]);

    const [outcome] = await deliverFlushes();

    expect(outcome).toMatchObject({ gone: 1, sent: 1 });
    expect((await world.store.listSubscribers(key)).map((s) => s.connectionId).sort()).toEqual(['c-a', 'c-c']);
  });
});

describe('rounds', () => {
  it("puts a sender's pushes back in seq order within a round", async () => {
    const first = push('a');
    const second = push('a');
    await publisher.publish([second]);
    await publisher.publish([first]);

    await deliverFlushes();

    expect(received('c-b')).toEqual(['a1', 'a2']);
  });

  /** A notifier that, while a round posts to c-b, has `perRound` more pushes arrive, for `rounds` rounds. */
  function busyNotifier(rounds: number, perRound: number) {
    let left = rounds;
    return {
      post: async (connectionId: string, frame: string) => {
        if (connectionId === 'c-b' && left > 0) {
          left -= 1;
          for (let i = 0; i < perRound; i += 1) await publisher.publish([push('c')]);
        }
        return world.notifier.post(connectionId, frame);
      },
    };
  }

  it('widens the window as a group gets busier, within the bounds', async () => {
    const sleeps: number[] = [];
    const deps = {
      ...world.flushDeps,
      notifier: busyNotifier(6, 10),
      sleep: async (ms: number) => {
        sleeps.push(ms);
        world.clock.advance(ms);
      },
    };
    await publisher.publish([push('a')]);
    const [request] = world.trigger.take();

    const outcome = await flushGroup(request, deps);

    expect(outcome.ended).toBe('caught-up');
    expect(sleeps.length).toBeGreaterThan(3);
    expect(sleeps[sleeps.length - 1]).toBeGreaterThan(sleeps[0]);
    expect(Math.max(...sleeps)).toBeLessThanOrEqual(world.fanout.windowMaxMs);
    expect(windowFor(0, world.fanout)).toBe(world.fanout.windowMinMs);
    expect(received('c-a').filter((p) => p.startsWith('c'))).toHaveLength(60);
  });

  it('runs the window from the start of a round: the time its posts take is part of the next wait', async () => {
    const postsMs = 30;
    const roundStarts: number[] = [];
    const sleeps: number[] = [];
    let slowRoundsLeft = 1;
    const read = world.log.read.bind(world.log);
    world.log.read = (k: GroupKey) => {
      roundStarts.push(world.clock.now());
      return read(k);
    };
    const deps = {
      ...world.flushDeps,
      notifier: {
        post: async (connectionId: string, frame: string) => {
          if (connectionId === 'c-b' && slowRoundsLeft > 0) {
            slowRoundsLeft -= 1;
            world.clock.advance(postsMs);
            await publisher.publish([push('c')]);
          }
          return world.notifier.post(connectionId, frame);
        },
      },
      sleep: async (ms: number) => {
        sleeps.push(ms);
        world.clock.advance(ms);
      },
    };
    await publisher.publish([push('a')]);
    const [request] = world.trigger.take();

    await flushGroup(request, deps);

    const window = world.fanout.windowMinMs; // a group's first rounds: its estimate starts low
    expect(sleeps[0]).toBe(window - postsMs);
    expect(roundStarts[1] - roundStarts[0]).toBe(window);
    expect(world.log.headOf(key)?.roundAt).toBe(roundStarts[1]);
    expect(received('c-a')).toEqual(['c1']);
  });

  it('posts a backlog over the round limit in rounds that follow at once, in order', async () => {
    const pushes = Array.from({ length: FLUSH_LIMITS.maxPushesPerRound + 20 }, () => push('a'));
    for (const p of pushes) await publisher.publish([p]);

    const [outcome] = await deliverFlushes();

    expect(outcome.rounds).toBe(2);
    expect(received('c-b')).toEqual(pushes.map((p) => `a${p.seq}`));
  });

  it('seals posted pushes once they fill a page and reads pushes sealed before they were posted', async () => {
    const pad = 'x'.repeat(1024);
    for (let i = 0; i < 12; i += 1) await publisher.publish([push('a', { pad })]);
    // An append that found the head full sealed pushes the flush had not posted yet.
    const head = world.log.headOf(key)!;
    await world.log.seal(key, 0, head.page.slice(0, 5));

    await deliverFlushes();

    expect(received('c-b')).toEqual(Array.from({ length: 12 }, (_, i) => `a${i + 1}`));
    expect(world.log.headOf(key)!.pageStart).toBe(12);
    expect(world.log.allPushes(key)).toHaveLength(12);
  });

  it('hands a long flush over to a new invocation of the same token', async () => {
    const deps = { ...world.flushDeps, notifier: busyNotifier(3, 1), fanout: { ...world.fanout, maxFlushMs: 100 } };
    await publisher.publish([push('a')]);
    const [request] = world.trigger.take();

    const outcome = await flushGroup(request, deps);

    expect(outcome.ended).toBe('handed-over');
    const [next] = world.trigger.take() as FlushRequest[];
    expect(next.token).toBe(request.token);
    expect((await flushGroup(next, { ...world.flushDeps, owner: 'o2' })).ended).toBe('caught-up');
    expect(world.log.headOf(key)).toMatchObject({ flushToken: undefined });
    expect(received('c-a')).toEqual(['c1', 'c2', 'c3']);
  });
});
