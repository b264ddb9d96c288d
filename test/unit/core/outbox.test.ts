import type { GroupKey, Subscriber } from '#shared/core/model';
import { buildFrames, flushOutbox, OUTBOX_LIMITS, OutboxPublisher } from '#shared/core/outbox';
import {
  type CoalescingSettings,
  ConditionFailed,
  type FlushDeps,
  type FlushRequest,
  type FlushTrigger,
  OutboxFull,
  type OutboxState,
  type PushOutbox,
} from '#shared/core/ports';
import { LIMITS, utf8Bytes } from '#shared/protocol/limits';
import { pushesOf, type Push, type ServerFrame } from '#shared/protocol/messages';
import { FakeNotifier, InMemoryMeshStore, ManualClock, RecordingPublisher } from './fakes';

const DOMAIN = 'school-1';
const KEY: GroupKey = { groupId: 'group-1', domain: DOMAIN };
const OTHER: GroupKey = { groupId: 'group-2', domain: DOMAIN };
const COALESCING: CoalescingSettings = { windowMs: 100, staleFlushMs: 3000, maxFlushMs: 10_000 };

// ---- fakes of the outbox ports ----------------------------------------------------

type OutboxMethod = keyof PushOutbox;

interface StoredOutbox {
  head: number;
  pushes: string[];
  bytes: number;
  /** When the last round was posted (set by trim and trimAndRelease); 0 before any. */
  roundAt: number;
  flushMarkAt?: number;
}

/**
 * PushOutbox in memory, one outbox per group, with the port's semantics:
 * append returns the old mark and the last round's time (undefined while it
 * is 0), sets the mark to `now` only when unset, and throws OutboxFull beyond
 * `maxBytes`; claim sets the mark to `now` only while it is still the stale
 * mark named; read returns a copy (no outbox when none was appended) and the
 * store's subscriptions of the group (so drops through the store show); trim
 * throws ConditionFailed when `head` moved, else sets the mark and the last
 * round's time to `now`; trimAndRelease trims, sets the last round's time to
 * `now` and clears the mark only when `head` is unchanged and the outbox holds
 * exactly `count` pushes, else writes nothing and returns false; release
 * clears the mark only when no pushes are pending.
 */
class FakeOutbox implements PushOutbox {
  readonly calls: { method: OutboxMethod; at: number }[] = [];
  /** Arguments and result of every claim, in order. */
  readonly claims: { staleMark: number; now: number; won: boolean }[] = [];
  /** Arguments of every trim, in order. */
  readonly trims: { head: number; count: number; bytes: number; now: number }[] = [];
  /** Arguments and result of every trimAndRelease, in order. */
  readonly trimReleases: { head: number; count: number; bytes: number; now: number; released: boolean }[] = [];
  private readonly outboxes = new Map<string, StoredOutbox>();
  private readonly before = new Map<OutboxMethod, () => void | Promise<void>>();
  private readonly every = new Map<OutboxMethod, () => void | Promise<void>>();
  private failure?: { method: OutboxMethod; error: Error };

  constructor(
    private readonly store: InMemoryMeshStore,
    private readonly clock: ManualClock,
    private readonly maxBytes: number = OUTBOX_LIMITS.maxBytes,
  ) {}

  /** Runs `action` just before the next call of `method` does its work. */
  beforeNext(method: OutboxMethod, action: () => void | Promise<void>): void {
    this.before.set(method, action);
  }

  /** Runs `action` on every call of `method`, before it does its work (a request appending while the flush runs). */
  onEvery(method: OutboxMethod, action: () => void | Promise<void>): void {
    this.every.set(method, action);
  }

  /** Makes the next call of `method` reject with `error`. */
  failNext(method: OutboxMethod, error: Error): void {
    this.failure = { method, error };
  }

  count(method: OutboxMethod): number {
    return this.calls.filter((call) => call.method === method).length;
  }

  /** Clock times at which `method` was called. */
  timesOf(method: OutboxMethod): number[] {
    return this.calls.filter((call) => call.method === method).map((call) => call.at);
  }

  peek(key: GroupKey): StoredOutbox | undefined {
    return structuredClone(this.outboxes.get(id(key)));
  }

  /** Another flush trimming `count` pushes first (its trim sets the mark and the last round's time to the clock's now). */
  trimElsewhere(key: GroupKey, count: number): void {
    const outbox = this.outboxes.get(id(key));
    if (outbox === undefined) throw new Error('no outbox');
    const removed = outbox.pushes.splice(0, count);
    outbox.head += removed.length;
    outbox.bytes -= removed.reduce((total, text) => total + utf8Bytes(text), 0);
    outbox.flushMarkAt = this.clock.now();
    outbox.roundAt = this.clock.now();
  }

  /** The outbox item removed (TTL). */
  remove(key: GroupKey): void {
    this.outboxes.delete(id(key));
  }

  async append(key: GroupKey, pushes: string[], now: number): Promise<{ flushMarkAt?: number; lastRoundAt?: number }> {
    await this.enter('append');
    const bytes = pushes.reduce((total, text) => total + utf8Bytes(text), 0);
    const outbox: StoredOutbox = this.outboxes.get(id(key)) ?? { head: 0, pushes: [], bytes: 0, roundAt: 0 };
    if (outbox.bytes + bytes > this.maxBytes) throw new OutboxFull('full');
    const old = outbox.flushMarkAt;
    outbox.pushes.push(...pushes);
    outbox.bytes += bytes;
    if (outbox.flushMarkAt === undefined) outbox.flushMarkAt = now;
    this.outboxes.set(id(key), outbox);
    return { flushMarkAt: old, lastRoundAt: outbox.roundAt > 0 ? outbox.roundAt : undefined };
  }

  async claim(key: GroupKey, staleMark: number, now: number): Promise<boolean> {
    await this.enter('claim');
    const outbox = this.outboxes.get(id(key));
    const won = outbox !== undefined && outbox.flushMarkAt === staleMark;
    if (won) outbox.flushMarkAt = now;
    this.claims.push({ staleMark, now, won });
    return won;
  }

  async read(key: GroupKey): Promise<{ outbox?: OutboxState; subscribers: Subscriber[] }> {
    await this.enter('read');
    const stored = this.outboxes.get(id(key));
    const outbox: OutboxState | undefined =
      stored === undefined ? undefined : { head: stored.head, pushes: [...stored.pushes], flushMarkAt: stored.flushMarkAt };
    return { outbox, subscribers: this.store.peekSubscribers(key) };
  }

  async trim(key: GroupKey, head: number, count: number, bytes: number, now: number): Promise<void> {
    await this.enter('trim');
    this.trims.push({ head, count, bytes, now });
    const outbox = this.outboxes.get(id(key));
    if (outbox === undefined || outbox.head !== head) throw new ConditionFailed('head moved');
    outbox.pushes.splice(0, count);
    outbox.head += count;
    outbox.bytes -= bytes;
    outbox.flushMarkAt = now;
    outbox.roundAt = now;
  }

  async trimAndRelease(key: GroupKey, head: number, count: number, bytes: number, now: number): Promise<boolean> {
    await this.enter('trimAndRelease');
    const outbox = this.outboxes.get(id(key));
    const released = outbox !== undefined && outbox.head === head && outbox.pushes.length === count;
    this.trimReleases.push({ head, count, bytes, now, released });
    if (!released) return false;
    outbox.pushes.splice(0, count);
    outbox.head += count;
    outbox.bytes -= bytes;
    outbox.roundAt = now;
    delete outbox.flushMarkAt;
    return true;
  }

  async release(key: GroupKey): Promise<boolean> {
    await this.enter('release');
    const outbox = this.outboxes.get(id(key));
    if (outbox === undefined || outbox.pushes.length > 0) return false;
    delete outbox.flushMarkAt;
    return true;
  }

  private async enter(method: OutboxMethod): Promise<void> {
    this.calls.push({ method, at: this.clock.now() });
    const action = this.before.get(method);
    if (action !== undefined) {
      this.before.delete(method);
      await action();
    }
    await this.every.get(method)?.();
    if (this.failure?.method === method) {
      const { error } = this.failure;
      this.failure = undefined;
      throw error;
    }
  }
}

/** Records every flush request. */
class RecordingTrigger implements FlushTrigger {
  readonly requests: FlushRequest[] = [];
  private failure?: Error;

  failNext(error: Error): void {
    this.failure = error;
  }

  async requestFlush(request: FlushRequest): Promise<void> {
    const failure = this.failure;
    this.failure = undefined;
    if (failure !== undefined) throw failure;
    this.requests.push(structuredClone(request));
  }
}

function id(key: GroupKey): string {
  return JSON.stringify([key.groupId, key.domain]);
}

// ---- pushes and frames --------------------------------------------------------------

const seqs = new Map<string, number>();

/** A nodeStatus push from `from`, with the next seq of that node; `pad` makes it larger. */
function push(from: string, options: { key?: GroupKey; pad?: number } = {}): Push {
  const key = options.key ?? KEY;
  const seq = (seqs.get(from) ?? 0) + 1;
  seqs.set(from, seq);
  return {
    type: 'message',
    groupId: key.groupId,
    domain: key.domain,
    from,
    epoch: `epoch-${from}`,
    seq,
    sentAt: '2026-01-05T09:00:00.000Z',
    nodeStatus: {
      nodeId: from,
      groupId: key.groupId,
      domain: key.domain,
      data: [{ key: 'score', value: 'x'.repeat(options.pad ?? 0) }],
      timestamp: '2026-01-05T09:00:00.000Z',
    },
  };
}

const text = (p: Push): string => JSON.stringify(p);

/** The pushes of every frame posted to `connectionId`, frame by frame. */
function framesTo(notifier: FakeNotifier, connectionId: string): ServerFrame[] {
  return notifier.posts.filter((post) => post.connectionId === connectionId).map((post) => JSON.parse(post.frame) as ServerFrame);
}

function pushesTo(notifier: FakeNotifier, connectionId: string): Push[] {
  return framesTo(notifier, connectionId).flatMap(pushesOf);
}

// ---- the world ----------------------------------------------------------------------

interface World {
  store: InMemoryMeshStore;
  notifier: FakeNotifier;
  clock: ManualClock;
  outbox: FakeOutbox;
  trigger: RecordingTrigger;
  direct: RecordingPublisher;
  /** Every sleep asked for, in ms. */
  sleeps: number[];
  deps: FlushDeps;
  publisher: OutboxPublisher;
}

function world(options: { coalescing?: Partial<CoalescingSettings>; maxBytes?: number; concurrency?: number } = {}): World {
  const store = new InMemoryMeshStore();
  const notifier = new FakeNotifier();
  const clock = new ManualClock();
  const outbox = new FakeOutbox(store, clock, options.maxBytes);
  const trigger = new RecordingTrigger();
  const direct = new RecordingPublisher();
  const coalescing = { ...COALESCING, ...options.coalescing };
  const sleeps: number[] = [];
  const sleep = async (ms: number): Promise<void> => {
    sleeps.push(ms);
    clock.advance(ms);
  };
  return {
    store,
    notifier,
    clock,
    outbox,
    trigger,
    direct,
    sleeps,
    deps: { store, notifier, clock, concurrency: options.concurrency ?? 4, outbox, trigger, coalescing, sleep },
    publisher: new OutboxPublisher({ outbox, trigger, direct, clock, coalescing }),
  };
}

/** Subscribes `connectionId` as `nodeId` until an hour from now. */
function subscribe(w: World, connectionId: string, nodeId: string, expiresAt = w.clock.now() + 3_600_000): void {
  w.store.seedSubscriber(KEY, { connectionId, nodeId, expiresAt });
}

/** A group of three: host (c-host), member-1 (c-1), member-2 (c-2). */
function groupOfThree(w: World): void {
  subscribe(w, 'c-host', 'host');
  subscribe(w, 'c-1', 'member-1');
  subscribe(w, 'c-2', 'member-2');
}

/**
 * Appends the pushes as a request would and returns the flush request it would
 * make: posted at once, or one window after the group's last round.
 */
async function appended(w: World, pushes: Push[], key: GroupKey = KEY): Promise<FlushRequest> {
  const now = w.clock.now();
  const { lastRoundAt } = await w.outbox.append(key, pushes.map(text), now);
  return { type: 'flush', ...key, at: Math.max(now, (lastRoundAt ?? 0) + w.deps.coalescing.windowMs) };
}

beforeEach(() => {
  seqs.clear();
});

// ---- OutboxPublisher ----------------------------------------------------------------

describe('OutboxPublisher', () => {
  it('appends the pushes as JSON in order and requests a flush when none is under way', async () => {
    // Prepare
    const w = world();
    const pushes = [push('member-1'), push('member-2')];

    // Act
    await w.publisher.publish(pushes);

    // Assess
    expect(w.outbox.peek(KEY)).toMatchObject({ pushes: pushes.map(text), flushMarkAt: w.clock.now() });
    expect(w.trigger.requests).toEqual([{ type: 'flush', ...KEY, at: w.clock.now() }]);
    expect(w.direct.calls).toEqual([]);
  });

  it('posts a push to a group that never had a round without waiting: the first round goes at the append time', async () => {
    // Prepare
    const w = world();
    groupOfThree(w);
    const appendedAt = w.clock.now();
    const only = push('member-1');

    // Act
    await w.publisher.publish([only]);
    const outcome = await flushOutbox(w.trigger.requests[0], w.deps);

    // Assess
    expect(w.trigger.requests).toEqual([{ type: 'flush', ...KEY, at: appendedAt }]);
    expect(w.sleeps).toEqual([]);
    expect(w.outbox.timesOf('read')).toEqual([appendedAt]);
    expect(w.outbox.trimReleases.map((t) => [t.now, t.released])).toEqual([[appendedAt, true]]);
    expect(outcome).toMatchObject({ rounds: 1, pushes: 1, ended: 'empty' });
    expect(pushesTo(w.notifier, 'c-2')).toEqual([only]);
    expect(w.outbox.peek(KEY)?.roundAt).toBe(appendedAt);
  });

  it.each([
    ['exactly one window', COALESCING.windowMs],
    ['well over a window', 5000],
  ])('posts a push to a group idle for %s without waiting', async (_, idleMs) => {
    // Prepare
    const w = world();
    groupOfThree(w);
    await w.publisher.publish([push('host')]);
    await flushOutbox(w.trigger.requests[0], w.deps);
    const lastRoundAt = w.outbox.peek(KEY)?.roundAt;
    w.clock.advance(idleMs);
    const appendedAt = w.clock.now();
    const next = push('member-1');

    // Act
    await w.publisher.publish([next]);
    await flushOutbox(w.trigger.requests[1], w.deps);

    // Assess
    expect(lastRoundAt).toBe(appendedAt - idleMs);
    expect(w.trigger.requests[1]).toEqual({ type: 'flush', ...KEY, at: appendedAt });
    expect(w.sleeps).toEqual([]);
    expect(w.outbox.timesOf('read')).toEqual([appendedAt - idleMs, appendedAt]);
    expect(pushesTo(w.notifier, 'c-2')).toHaveLength(2);
    expect(pushesTo(w.notifier, 'c-2')[1]).toEqual(next);
    expect(w.outbox.peek(KEY)?.roundAt).toBe(appendedAt);
  });

  it('requests at = lastRoundAt + windowMs for a push within a window of the last round, and the flush waits until then', async () => {
    // Prepare
    const w = world();
    groupOfThree(w);
    await w.publisher.publish([push('host')]);
    await flushOutbox(w.trigger.requests[0], w.deps);
    const lastRoundAt = w.clock.now();
    w.clock.advance(40);
    const next = push('member-1');

    // Act
    await w.publisher.publish([next]);
    await flushOutbox(w.trigger.requests[1], w.deps);

    // Assess
    expect(w.outbox.timesOf('trimAndRelease')[0]).toBe(lastRoundAt);
    expect(w.trigger.requests[1]).toEqual({ type: 'flush', ...KEY, at: lastRoundAt + COALESCING.windowMs });
    expect(w.sleeps).toEqual([COALESCING.windowMs - 40]);
    expect(w.outbox.timesOf('read')).toEqual([lastRoundAt, lastRoundAt + COALESCING.windowMs]);
    expect(pushesTo(w.notifier, 'c-2')[1]).toEqual(next);
    expect(w.outbox.peek(KEY)?.roundAt).toBe(lastRoundAt + COALESCING.windowMs);
  });

  it('requests one window after the last round of a flush that went several rounds', async () => {
    // Prepare
    const w = world();
    groupOfThree(w);
    await w.publisher.publish([push('host')]);
    const request = w.trigger.requests[0];
    // A push arrives during the round: the flush trims, goes round again and releases a window later.
    w.outbox.beforeNext('trimAndRelease', () => w.outbox.append(KEY, [text(push('member-2'))], w.clock.now()).then(() => undefined));
    await flushOutbox(request, w.deps);
    const lastRoundAt = request.at + COALESCING.windowMs;
    w.clock.advance(30);

    // Act
    await w.publisher.publish([push('member-1')]);

    // Assess
    expect(w.outbox.trims.map((t) => t.now)).toEqual([request.at]);
    expect(w.outbox.trimReleases.map((t) => [t.now, t.released])).toEqual([
      [request.at, false],
      [lastRoundAt, true],
    ]);
    expect(w.trigger.requests[1]).toEqual({ type: 'flush', ...KEY, at: lastRoundAt + COALESCING.windowMs });
  });

  it('only appends while a fresh flush mark says a flush is under way', async () => {
    // Prepare
    const w = world();
    await w.publisher.publish([push('member-1')]);
    const markedAt = w.clock.now();
    w.clock.advance(COALESCING.staleFlushMs);

    // Act
    await w.publisher.publish([push('member-2')]);

    // Assess
    expect(w.trigger.requests).toHaveLength(1);
    expect(w.outbox.count('claim')).toBe(0);
    expect(w.outbox.peek(KEY)).toMatchObject({ flushMarkAt: markedAt });
    expect(w.outbox.peek(KEY)?.pushes).toHaveLength(2);
  });

  it('claims a mark older than staleFlushMs and requests a new flush when the claim wins', async () => {
    // Prepare
    const w = world();
    await w.publisher.publish([push('member-1')]);
    const markedAt = w.clock.now();
    w.clock.advance(COALESCING.staleFlushMs + 1);

    // Act
    await w.publisher.publish([push('member-2')]);

    // Assess
    expect(w.outbox.claims).toEqual([{ staleMark: markedAt, now: w.clock.now(), won: true }]);
    expect(w.trigger.requests).toHaveLength(2);
    expect(w.trigger.requests[1]).toEqual({ type: 'flush', ...KEY, at: w.clock.now() });
    expect(w.outbox.peek(KEY)).toMatchObject({ flushMarkAt: w.clock.now() });
    expect(w.outbox.peek(KEY)?.pushes).toHaveLength(2);
  });

  it('requests exactly one flush for a burst of appends against a stale mark: one claim wins', async () => {
    // Prepare
    const w = world();
    await w.publisher.publish([push('member-1')]);
    const markedAt = w.clock.now();
    w.clock.advance(COALESCING.staleFlushMs + 1);
    const burst = Array.from({ length: 5 }, (_, i) => push(`member-${i + 2}`));

    // Act
    await Promise.all(burst.map((p) => w.publisher.publish([p])));

    // Assess
    expect(w.outbox.peek(KEY)?.pushes).toHaveLength(6);
    expect(w.outbox.claims).toHaveLength(burst.length);
    expect(w.outbox.claims.every((claim) => claim.staleMark === markedAt)).toBe(true);
    expect(w.outbox.claims.filter((claim) => claim.won)).toHaveLength(1);
    expect(w.trigger.requests).toHaveLength(2);
    expect(w.trigger.requests[1]).toEqual({ type: 'flush', ...KEY, at: w.clock.now() });
    expect(w.outbox.peek(KEY)).toMatchObject({ flushMarkAt: w.clock.now() });
  });

  it('requests the flush of a claimed stale mark one window after the last round when that is later than now', async () => {
    // Prepare
    const w = world({ coalescing: { windowMs: 1000, staleFlushMs: 500 } });
    groupOfThree(w);
    await w.publisher.publish([push('host')]);
    await flushOutbox(w.trigger.requests[0], w.deps);
    const lastRoundAt = w.clock.now();
    w.clock.advance(10);
    // This append sets the mark; its flush request is lost.
    await w.publisher.publish([push('member-2')]);
    const markedAt = w.clock.now();
    w.clock.advance(501);

    // Act
    await w.publisher.publish([push('member-1')]);

    // Assess
    expect(w.outbox.claims).toEqual([{ staleMark: markedAt, now: w.clock.now(), won: true }]);
    expect(w.trigger.requests).toHaveLength(3);
    expect(w.clock.now()).toBeLessThan(lastRoundAt + 1000);
    expect(w.trigger.requests[2]).toEqual({ type: 'flush', ...KEY, at: lastRoundAt + 1000 });
  });

  it('requests nothing when its claim of a stale mark loses', async () => {
    // Prepare
    const w = world();
    await w.publisher.publish([push('member-1')]);
    const markedAt = w.clock.now();
    w.clock.advance(COALESCING.staleFlushMs + 1);
    // Another append claims the stale mark first.
    w.outbox.beforeNext('claim', () => w.outbox.claim(KEY, markedAt, w.clock.now()).then(() => undefined));

    // Act
    await w.publisher.publish([push('member-2')]);

    // Assess
    expect(w.outbox.claims.map((claim) => claim.won)).toEqual([true, false]);
    expect(w.trigger.requests).toHaveLength(1);
    expect(w.outbox.peek(KEY)?.pushes).toHaveLength(2);
  });

  it('lets a claim error through without requesting a flush', async () => {
    // Prepare
    const w = world();
    await w.publisher.publish([push('member-1')]);
    w.clock.advance(COALESCING.staleFlushMs + 1);
    w.outbox.failNext('claim', new Error('throttled'));

    // Act
    const attempt = w.publisher.publish([push('member-2')]);

    // Assess
    await expect(attempt).rejects.toThrow('throttled');
    expect(w.trigger.requests).toHaveLength(1);
  });

  it('appends and requests per group, each group its own pushes in order', async () => {
    // Prepare
    const w = world();
    const a1 = push('member-1');
    const b1 = push('member-9', { key: OTHER });
    const a2 = push('member-2');

    // Act
    await w.publisher.publish([a1, b1, a2]);

    // Assess
    expect(w.outbox.peek(KEY)?.pushes).toEqual([text(a1), text(a2)]);
    expect(w.outbox.peek(OTHER)?.pushes).toEqual([text(b1)]);
    expect(w.trigger.requests.map((r) => r.groupId).sort()).toEqual(['group-1', 'group-2']);
  });

  it('publishes directly and touches no outbox when windowMs is 0', async () => {
    // Prepare
    const w = world({ coalescing: { windowMs: 0 } });
    const pushes = [push('member-1'), push('member-9', { key: OTHER })];

    // Act
    await w.publisher.publish(pushes);

    // Assess
    expect(w.direct.calls).toEqual([pushes]);
    expect(w.outbox.calls).toEqual([]);
    expect(w.trigger.requests).toEqual([]);
  });

  it("publishes a group's pushes directly when one is over maxPushBytes, other groups still go to their outbox", async () => {
    // Prepare
    const w = world();
    const small = push('member-1');
    const large = push('member-2', { pad: OUTBOX_LIMITS.maxPushBytes });
    const elsewhere = push('member-9', { key: OTHER });
    expect(utf8Bytes(text(large))).toBeGreaterThan(OUTBOX_LIMITS.maxPushBytes);

    // Act
    await w.publisher.publish([small, large, elsewhere]);

    // Assess
    expect(w.direct.calls).toEqual([[small, large]]);
    expect(w.outbox.peek(KEY)).toBeUndefined();
    expect(w.outbox.peek(OTHER)?.pushes).toEqual([text(elsewhere)]);
    expect(w.trigger.requests.map((r) => r.groupId)).toEqual(['group-2']);
  });

  it('keeps a push of exactly maxPushBytes in the outbox', async () => {
    // Prepare
    const w = world();
    const base = utf8Bytes(text(push('member-1')));
    seqs.clear();
    const exact = push('member-1', { pad: OUTBOX_LIMITS.maxPushBytes - base });
    expect(utf8Bytes(text(exact))).toBe(OUTBOX_LIMITS.maxPushBytes);

    // Act
    await w.publisher.publish([exact]);

    // Assess
    expect(w.direct.calls).toEqual([]);
    expect(w.outbox.peek(KEY)?.pushes).toEqual([text(exact)]);
  });

  it('publishes directly when the outbox is full, without requesting a flush', async () => {
    // Prepare
    const w = world({ maxBytes: 2000 });
    await w.publisher.publish([push('member-1', { pad: 1200 })]);
    const next = push('member-2', { pad: 1200 });

    // Act
    await w.publisher.publish([next]);

    // Assess
    expect(w.direct.calls).toEqual([[next]]);
    expect(w.outbox.peek(KEY)?.pushes).toHaveLength(1);
    expect(w.trigger.requests).toHaveLength(1);
  });

  it('lets other append errors through and publishes nothing', async () => {
    // Prepare
    const w = world();
    w.outbox.failNext('append', new Error('throttled'));

    // Act
    const attempt = w.publisher.publish([push('member-1')]);

    // Assess
    await expect(attempt).rejects.toThrow('throttled');
    expect(w.direct.calls).toEqual([]);
    expect(w.trigger.requests).toEqual([]);
  });

  it('fails the publish when the flush request is refused', async () => {
    // Prepare
    const w = world();
    w.trigger.failNext(new Error('SNS down'));

    // Act
    const attempt = w.publisher.publish([push('member-1')]);

    // Assess
    await expect(attempt).rejects.toThrow('SNS down');
  });
});

// ---- flushOutbox --------------------------------------------------------------------

describe('flushOutbox', () => {
  it('posts its first round at `at`, not a window later', async () => {
    // Prepare
    const w = world();
    groupOfThree(w);
    const request = await appended(w, [push('member-1')]);

    // Act
    await flushOutbox(request, w.deps);

    // Assess
    expect(request.at).toBe(w.clock.now());
    expect(w.sleeps).toEqual([]);
    expect(w.outbox.timesOf('read')).toEqual([request.at]);
    expect(w.outbox.timesOf('trimAndRelease')).toEqual([request.at]);
    expect(w.notifier.recipients.sort()).toEqual(['c-2', 'c-host']);
  });

  it('waits until `at` before it reads', async () => {
    // Prepare
    const w = world();
    groupOfThree(w);
    const request: FlushRequest = { ...(await appended(w, [push('member-1')])), at: w.clock.now() + COALESCING.windowMs };
    w.clock.advance(30);

    // Act
    await flushOutbox(request, w.deps);

    // Assess
    expect(w.sleeps).toEqual([COALESCING.windowMs - 30]);
    expect(w.outbox.timesOf('read')).toEqual([request.at]);
  });

  it('reads at once when `at` has already passed, then one window after the previous read', async () => {
    // Prepare
    const w = world();
    groupOfThree(w);
    const request = await appended(w, [push('member-1')]);
    w.clock.advance(500);
    w.outbox.beforeNext('trimAndRelease', () => w.outbox.append(KEY, [text(push('member-2'))], w.clock.now()).then(() => undefined));

    // Act
    await flushOutbox(request, w.deps);

    // Assess
    const reads = w.outbox.timesOf('read');
    expect(reads).toHaveLength(2);
    expect(reads[0]).toBe(request.at + 500);
    expect(reads[1] - reads[0]).toBe(COALESCING.windowMs);
    expect(w.sleeps).toEqual([COALESCING.windowMs]);
  });

  it('posts each member one frame of the pushes it did not send, in append order', async () => {
    // Prepare
    const w = world();
    groupOfThree(w);
    const p1 = push('member-1');
    const p2 = push('member-2');
    const p3 = push('member-1');
    const request = await appended(w, [p1, p2, p3]);

    // Act
    const outcome = await flushOutbox(request, w.deps);

    // Assess
    expect(framesTo(w.notifier, 'c-host')).toEqual([{ type: 'messages', ...KEY, messages: [p1, p2, p3] }]);
    expect(framesTo(w.notifier, 'c-2')).toEqual([{ type: 'messages', ...KEY, messages: [p1, p3] }]);
    expect(framesTo(w.notifier, 'c-1')).toEqual([p2]);
    expect(outcome).toEqual({ rounds: 1, pushes: 3, sent: 3, gone: 0, failed: 0, ended: 'empty' });
    expect(w.outbox.peek(KEY)).toEqual({ head: 3, pushes: [], bytes: 0, roundAt: request.at });
  });

  it('posts a single push as its own message frame, byte for byte as appended', async () => {
    // Prepare
    const w = world();
    groupOfThree(w);
    const only = push('member-1');
    const request = await appended(w, [only]);

    // Act
    await flushOutbox(request, w.deps);

    // Assess
    expect(w.notifier.posts.map((post) => post.frame)).toEqual([text(only), text(only)]);
    expect(w.notifier.recipients.sort()).toEqual(['c-2', 'c-host']);
  });

  it('ends a lone round with one trimAndRelease and no second read', async () => {
    // Prepare
    const w = world();
    groupOfThree(w);
    const pushes = [push('member-1'), push('member-2')];
    const request = await appended(w, pushes);

    // Act
    const outcome = await flushOutbox(request, w.deps);

    // Assess
    expect(outcome).toEqual({ rounds: 1, pushes: 2, sent: 3, gone: 0, failed: 0, ended: 'empty' });
    expect(w.outbox.calls.map((call) => call.method)).toEqual(['append', 'read', 'trimAndRelease']);
    expect(w.outbox.trimReleases).toEqual([
      { head: 0, count: 2, bytes: utf8Bytes(pushes.map(text).join('')), now: request.at, released: true },
    ]);
    expect(w.outbox.peek(KEY)).toEqual({ head: 2, pushes: [], bytes: 0, roundAt: request.at });
    expect(w.outbox.peek(KEY)?.flushMarkAt).toBeUndefined();
    expect(w.trigger.requests).toEqual([]);
  });

  it('posts nothing to the sender of every push, on any of its connections', async () => {
    // Prepare
    const w = world();
    groupOfThree(w);
    subscribe(w, 'c-1-old', 'member-1');
    const request = await appended(w, [push('member-1'), push('member-1')]);

    // Act
    const outcome = await flushOutbox(request, w.deps);

    // Assess
    expect(w.notifier.recipients.sort()).toEqual(['c-2', 'c-host']);
    expect(outcome.sent).toBe(2);
    expect(outcome.pushes).toBe(2);
  });

  it('skips expired subscriptions', async () => {
    // Prepare
    const w = world();
    groupOfThree(w);
    subscribe(w, 'c-3', 'member-3', w.clock.now() + 50);
    const request = await appended(w, [push('member-1')]);
    w.clock.advance(51);

    // Act
    await flushOutbox(request, w.deps);

    // Assess
    expect(w.notifier.recipients).not.toContain('c-3');
    expect(w.notifier.recipients.sort()).toEqual(['c-2', 'c-host']);
  });

  it('drops a connection that answers 410 through store.dropSubscriber and still trims the round', async () => {
    // Prepare
    const w = world();
    groupOfThree(w);
    w.notifier.markGone('c-2');
    const request = await appended(w, [push('member-1')]);

    // Act
    const outcome = await flushOutbox(request, w.deps);

    // Assess
    expect(outcome).toMatchObject({ sent: 1, gone: 1, failed: 0, pushes: 1, ended: 'empty' });
    expect(w.store.count('dropSubscriber')).toBe(1);
    expect(w.store.peekSubscribers(KEY).map((s) => s.connectionId).sort()).toEqual(['c-1', 'c-host']);
    expect(w.outbox.peek(KEY)?.pushes).toEqual([]);
  });

  it('drops a gone connection once even when its round takes several frames', async () => {
    // Prepare
    const w = world();
    groupOfThree(w);
    w.notifier.markGone('c-2');
    const big = Array.from({ length: 6 }, () => push('member-1', { pad: 30_000 }));
    const request = await appended(w, big);

    // Act
    const outcome = await flushOutbox(request, w.deps);

    // Assess
    expect(framesTo(w.notifier, 'c-host').length).toBeGreaterThan(1);
    expect(w.store.count('dropSubscriber')).toBe(1);
    expect(outcome.gone).toBe(1);
    expect(pushesTo(w.notifier, 'c-host')).toEqual(big);
  });

  it('trims and goes round again when pushes appended during the round make trimAndRelease return false', async () => {
    // Prepare
    const w = world();
    groupOfThree(w);
    const p1 = push('member-1');
    const p2 = push('member-2');
    const late = push('host');
    const request = await appended(w, [p1, p2]);
    w.outbox.beforeNext('trimAndRelease', () => w.outbox.append(KEY, [text(late)], w.clock.now()).then(() => undefined));

    // Act
    const outcome = await flushOutbox(request, w.deps);

    // Assess
    expect(outcome).toEqual({ rounds: 2, pushes: 3, sent: 5, gone: 0, failed: 0, ended: 'empty' });
    expect(framesTo(w.notifier, 'c-host')).toEqual([{ type: 'messages', ...KEY, messages: [p1, p2] }]);
    expect(framesTo(w.notifier, 'c-1')).toEqual([p2, late]);
    expect(framesTo(w.notifier, 'c-2')).toEqual([p1, late]);
    expect(w.outbox.trimReleases.map((t) => [t.head, t.count, t.released])).toEqual([
      [0, 2, false],
      [2, 1, true],
    ]);
    expect(w.outbox.trims.map((t) => [t.head, t.count])).toEqual([[0, 2]]);
    expect(w.outbox.count('read')).toBe(2);
    expect(w.outbox.timesOf('read')).toEqual([request.at, request.at + COALESCING.windowMs]);
    expect(w.outbox.count('release')).toBe(0);
    expect(w.outbox.peek(KEY)).toEqual({ head: 3, pushes: [], bytes: 0, roundAt: request.at + COALESCING.windowMs });
    expect(w.outbox.peek(KEY)?.flushMarkAt).toBeUndefined();
    expect(w.trigger.requests).toEqual([]);
  });

  it("refreshes the flush mark and sets the last round's time at each trim, and the time again at trimAndRelease", async () => {
    // Prepare
    const w = world();
    groupOfThree(w);
    const request = await appended(w, [push('member-1')]);
    w.outbox.beforeNext('trimAndRelease', () => w.outbox.append(KEY, [text(push('member-2'))], w.clock.now()).then(() => undefined));
    let afterTrim: { flushMarkAt?: number; roundAt?: number } | undefined;
    w.outbox.onEvery('read', () => {
      if (w.outbox.count('trim') === 1 && afterTrim === undefined) {
        const stored = w.outbox.peek(KEY);
        afterTrim = { flushMarkAt: stored?.flushMarkAt, roundAt: stored?.roundAt };
      }
    });

    // Act
    await flushOutbox(request, w.deps);

    // Assess
    expect(w.outbox.trims[0].now).toBe(request.at);
    expect(afterTrim).toEqual({ flushMarkAt: request.at, roundAt: request.at });
    expect(w.outbox.trimReleases.map((t) => [t.now, t.released])).toEqual([
      [request.at, false],
      [request.at + COALESCING.windowMs, true],
    ]);
    expect(w.outbox.peek(KEY)?.roundAt).toBe(request.at + COALESCING.windowMs);
  });

  it('goes round again when pushes arrive between an empty read and the release', async () => {
    // Prepare
    const w = world();
    groupOfThree(w);
    const request = await appended(w, []);
    const late = push('member-1');
    w.outbox.beforeNext('release', () => w.outbox.append(KEY, [text(late)], w.clock.now()).then(() => undefined));

    // Act
    const outcome = await flushOutbox(request, w.deps);

    // Assess
    expect(w.outbox.count('release')).toBe(1);
    expect(w.outbox.trimReleases.map((t) => t.released)).toEqual([true]);
    expect(outcome).toMatchObject({ rounds: 1, pushes: 1, ended: 'empty' });
    expect(pushesTo(w.notifier, 'c-2')).toEqual([late]);
    expect(w.outbox.peek(KEY)?.flushMarkAt).toBeUndefined();
  });

  it('ends as gone, posting nothing, when the outbox does not exist', async () => {
    // Prepare
    const w = world();
    groupOfThree(w);

    // Act
    const outcome = await flushOutbox({ type: 'flush', ...KEY, at: w.clock.now() }, w.deps);

    // Assess
    expect(outcome).toEqual({ rounds: 0, pushes: 0, sent: 0, gone: 0, failed: 0, ended: 'gone' });
    expect(w.notifier.posts).toEqual([]);
    expect(w.outbox.count('release')).toBe(0);
  });

  it('ends as overtaken, without a flush request, when another flush trimmed first', async () => {
    // Prepare
    const w = world();
    groupOfThree(w);
    const request = await appended(w, [push('member-1'), push('member-2')]);
    w.outbox.beforeNext('trimAndRelease', () => w.outbox.trimElsewhere(KEY, 2));

    // Act
    const outcome = await flushOutbox(request, w.deps);

    // Assess
    expect(outcome).toMatchObject({ rounds: 1, pushes: 0, ended: 'overtaken' });
    expect(w.outbox.trimReleases.map((t) => t.released)).toEqual([false]);
    expect(w.outbox.trims.map((t) => [t.head, t.count])).toEqual([[0, 2]]);
    expect(w.outbox.peek(KEY)).toMatchObject({ head: 2, pushes: [], flushMarkAt: request.at, roundAt: request.at });
    expect(w.outbox.count('read')).toBe(1);
    expect(w.outbox.count('release')).toBe(0);
    expect(w.trigger.requests).toEqual([]);
  });

  it('lets trimAndRelease errors through', async () => {
    // Prepare
    const w = world();
    groupOfThree(w);
    const request = await appended(w, [push('member-1')]);
    w.outbox.failNext('trimAndRelease', new Error('throttled'));

    // Act
    const attempt = flushOutbox(request, w.deps);

    // Assess
    await expect(attempt).rejects.toThrow('throttled');
    expect(w.outbox.count('trim')).toBe(0);
  });

  it('lets other trim errors through', async () => {
    // Prepare
    const w = world();
    groupOfThree(w);
    const request = await appended(w, [push('member-1')]);
    w.outbox.beforeNext('trimAndRelease', () => w.outbox.append(KEY, [text(push('member-2'))], w.clock.now()).then(() => undefined));
    w.outbox.failNext('trim', new Error('throttled'));

    // Act
    const attempt = flushOutbox(request, w.deps);

    // Assess
    await expect(attempt).rejects.toThrow('throttled');
  });

  it('on failed posts requests a new flush with retries + 1 and trims nothing', async () => {
    // Prepare
    const w = world();
    groupOfThree(w);
    w.notifier.markFailing('c-2');
    const pushes = [push('member-1'), push('host')];
    const request = { ...(await appended(w, pushes)), retries: 1 };

    // Act
    const outcome = await flushOutbox(request, w.deps);

    // Assess
    expect(outcome).toEqual({ rounds: 1, pushes: 0, sent: 2, gone: 0, failed: 1, ended: 'retrying' });
    expect(w.trigger.requests).toEqual([{ type: 'flush', ...KEY, at: w.clock.now() + COALESCING.windowMs, retries: 2 }]);
    expect(w.outbox.count('trim')).toBe(0);
    expect(w.outbox.count('trimAndRelease')).toBe(0);
    expect(w.outbox.peek(KEY)?.pushes).toEqual(pushes.map(text));
    expect(w.outbox.peek(KEY)?.roundAt).toBe(0);
    expect(w.store.count('dropSubscriber')).toBe(0);
  });

  it('requests the retry one window after the failed round ended, not after its read', async () => {
    // Prepare
    const w = world();
    groupOfThree(w);
    w.notifier.markFailing('c-2');
    const request = await appended(w, [push('member-1')]);
    // The read takes 25 ms: the round ends after its read time.
    w.outbox.onEvery('read', () => w.clock.advance(25));

    // Act
    const outcome = await flushOutbox(request, w.deps);

    // Assess
    expect(outcome.ended).toBe('retrying');
    expect(w.outbox.timesOf('read')).toEqual([request.at]);
    expect(w.clock.now()).toBe(request.at + 25);
    expect(w.trigger.requests).toEqual([{ type: 'flush', ...KEY, at: request.at + 25 + COALESCING.windowMs, retries: 1 }]);
  });

  it('counts a first failure as retries 1', async () => {
    // Prepare
    const w = world();
    groupOfThree(w);
    w.notifier.markFailing('c-host');
    const request = await appended(w, [push('member-1')]);

    // Act
    await flushOutbox(request, w.deps);

    // Assess
    expect(w.trigger.requests.map((r) => r.retries)).toEqual([1]);
  });

  it('after maxRetries trims the failed round, keeps going and ends normally', async () => {
    // Prepare
    const w = world();
    groupOfThree(w);
    w.notifier.markFailing('c-2');
    const p1 = push('member-1');
    const p2 = push('host');
    // member-2's own push: the next round posts nothing to its failing connection.
    const late = push('member-2');
    const request = { ...(await appended(w, [p1, p2])), retries: OUTBOX_LIMITS.maxRetries };
    w.outbox.beforeNext('trim', () => w.outbox.append(KEY, [text(late)], w.clock.now()).then(() => undefined));

    // Act
    const outcome = await flushOutbox(request, w.deps);

    // Assess
    expect(outcome).toEqual({ rounds: 2, pushes: 3, sent: 4, gone: 0, failed: 1, ended: 'empty' });
    expect(w.outbox.trims.map((t) => [t.head, t.count])).toEqual([[0, 2]]);
    expect(w.outbox.trimReleases.map((t) => [t.head, t.count, t.released])).toEqual([[2, 1, true]]);
    expect(pushesTo(w.notifier, 'c-1')).toEqual([p2, late]);
    expect(pushesTo(w.notifier, 'c-host')).toEqual([p1, late]);
    expect(w.outbox.peek(KEY)).toEqual({ head: 3, pushes: [], bytes: 0, roundAt: request.at + COALESCING.windowMs });
    expect(w.trigger.requests).toEqual([]);
  });

  it('after maxRetries trims the failed round and ends with the mark released when nothing else came', async () => {
    // Prepare
    const w = world();
    groupOfThree(w);
    w.notifier.markFailing('c-2');
    const pushes = [push('member-1'), push('host')];
    const request = { ...(await appended(w, pushes)), retries: OUTBOX_LIMITS.maxRetries };

    // Act
    const outcome = await flushOutbox(request, w.deps);

    // Assess
    expect(outcome).toEqual({ rounds: 1, pushes: 2, sent: 2, gone: 0, failed: 1, ended: 'empty' });
    expect(w.outbox.trims.map((t) => [t.head, t.count])).toEqual([[0, 2]]);
    expect(w.outbox.count('trimAndRelease')).toBe(0);
    expect(w.outbox.count('release')).toBe(1);
    expect(w.outbox.timesOf('release')).toEqual([request.at + COALESCING.windowMs]);
    expect(w.outbox.peek(KEY)).toEqual({ head: 2, pushes: [], bytes: 0, roundAt: request.at });
    expect(w.trigger.requests).toEqual([]);
  });

  it('counts retries from 0 again after a trimmed round: a later failing round asks for retries 1', async () => {
    // Prepare
    const w = world();
    groupOfThree(w);
    w.notifier.markFailing('c-2');
    const late = push('member-1');
    const request = { ...(await appended(w, [push('host')])), retries: OUTBOX_LIMITS.maxRetries };
    w.outbox.beforeNext('trim', () => w.outbox.append(KEY, [text(late)], w.clock.now()).then(() => undefined));

    // Act
    const outcome = await flushOutbox(request, w.deps);

    // Assess
    expect(outcome).toMatchObject({ rounds: 2, pushes: 1, failed: 2, ended: 'retrying' });
    expect(w.clock.now()).toBe(request.at + COALESCING.windowMs);
    expect(w.trigger.requests).toEqual([{ type: 'flush', ...KEY, at: w.clock.now() + COALESCING.windowMs, retries: 1 }]);
    expect(w.outbox.peek(KEY)?.pushes).toEqual([text(late)]);
  });

  it('hands over with a new flush request once maxFlushMs has passed', async () => {
    // Prepare
    const w = world({ coalescing: { maxFlushMs: 250 } });
    groupOfThree(w);
    const request = await appended(w, [push('member-1')]);
    const started = w.clock.now();
    w.outbox.onEvery('trimAndRelease', () => w.outbox.append(KEY, [text(push('member-2'))], w.clock.now()).then(() => undefined));

    // Act
    const outcome = await flushOutbox(request, w.deps);

    // Assess
    expect(outcome.ended).toBe('handed-over');
    expect(outcome.rounds).toBe(4);
    expect(w.outbox.trimReleases.map((t) => t.released)).toEqual([false, false, false, false]);
    const reads = w.outbox.timesOf('read');
    expect(reads).toEqual([started, started + 100, started + 200, started + 300]);
    expect(w.clock.now() - started).toBe(300);
    expect(w.trigger.requests).toEqual([{ type: 'flush', ...KEY, at: reads[3] + COALESCING.windowMs }]);
    expect(w.outbox.count('release')).toBe(0);
  });

  it("hands over with `at` the next round's due time: one window after the previous read, even when the round ended later", async () => {
    // Prepare
    const w = world({ coalescing: { maxFlushMs: 0 } });
    groupOfThree(w);
    const request = await appended(w, [push('member-1')]);
    // The read takes 25 ms, and a push arrives during the round: the flush trims and goes on.
    w.outbox.onEvery('read', () => w.clock.advance(25));
    w.outbox.beforeNext('trimAndRelease', () => w.outbox.append(KEY, [text(push('member-2'))], w.clock.now()).then(() => undefined));

    // Act
    const outcome = await flushOutbox(request, w.deps);

    // Assess
    expect(outcome).toMatchObject({ rounds: 1, pushes: 1, ended: 'handed-over' });
    expect(w.outbox.timesOf('read')).toEqual([request.at]);
    expect(w.clock.now()).toBe(request.at + 25);
    expect(w.trigger.requests).toEqual([{ type: 'flush', ...KEY, at: request.at + COALESCING.windowMs }]);
  });

  it('hands over during a backlog with `at` the last read: the next round goes at once', async () => {
    // Prepare
    const w = world({ coalescing: { maxFlushMs: 0 } });
    groupOfThree(w);
    const pushes = Array.from({ length: OUTBOX_LIMITS.maxPushesPerRound + 1 }, () => push('member-1'));
    const request = await appended(w, pushes);
    w.clock.advance(40);

    // Act
    const outcome = await flushOutbox(request, w.deps);

    // Assess
    expect(outcome).toMatchObject({ rounds: 1, pushes: OUTBOX_LIMITS.maxPushesPerRound, ended: 'handed-over' });
    expect(w.outbox.timesOf('read')).toEqual([request.at + 40]);
    expect(w.trigger.requests).toEqual([{ type: 'flush', ...KEY, at: request.at + 40 }]);
    expect(w.outbox.peek(KEY)?.pushes).toHaveLength(1);
  });

  it('posts more than maxPushesPerRound pushes in several rounds, the backlog at once', async () => {
    // Prepare
    const w = world();
    groupOfThree(w);
    const total = 2 * OUTBOX_LIMITS.maxPushesPerRound + 50;
    const pushes = Array.from({ length: total }, (_, i) => push(i % 2 === 0 ? 'member-1' : 'member-2'));
    const request = await appended(w, pushes);

    // Act
    const outcome = await flushOutbox(request, w.deps);

    // Assess
    expect(w.outbox.trims.map((t) => [t.head, t.count])).toEqual([
      [0, OUTBOX_LIMITS.maxPushesPerRound],
      [OUTBOX_LIMITS.maxPushesPerRound, OUTBOX_LIMITS.maxPushesPerRound],
    ]);
    expect(w.outbox.trimReleases.map((t) => [t.head, t.count, t.released])).toEqual([[2 * OUTBOX_LIMITS.maxPushesPerRound, 50, true]]);
    const reads = w.outbox.timesOf('read');
    expect(reads).toEqual([request.at, request.at, request.at]);
    expect(w.sleeps).toEqual([]);
    expect(outcome).toMatchObject({ rounds: 3, pushes: total, ended: 'empty' });
    expect(framesTo(w.notifier, 'c-host')).toHaveLength(3);
    expect(pushesTo(w.notifier, 'c-host')).toEqual(pushes);
    expect(pushesTo(w.notifier, 'c-1')).toEqual(pushes.filter((p) => p.from !== 'member-1'));
    expect(w.outbox.peek(KEY)?.bytes).toBe(0);
  });

  it('trims each round with the bytes of the pushes it posted', async () => {
    // Prepare
    const w = world();
    groupOfThree(w);
    const pushes = [push('member-1', { pad: 10 }), push('member-2', { pad: 20 })];
    const late = push('host', { pad: 30 });
    const request = await appended(w, pushes);
    w.outbox.beforeNext('trimAndRelease', () => w.outbox.append(KEY, [text(late)], w.clock.now()).then(() => undefined));

    // Act
    await flushOutbox(request, w.deps);

    // Assess
    const roundBytes = utf8Bytes(text(pushes[0])) + utf8Bytes(text(pushes[1]));
    expect(w.outbox.trimReleases.map((t) => t.bytes)).toEqual([roundBytes, utf8Bytes(text(late))]);
    expect(w.outbox.trims.map((t) => t.bytes)).toEqual([roundBytes]);
    expect(w.outbox.peek(KEY)?.bytes).toBe(0);
  });

  it('keeps at most `concurrency` posts in flight', async () => {
    // Prepare
    const w = world({ concurrency: 3 });
    for (let i = 1; i <= 12; i += 1) subscribe(w, `c-${i}`, `member-${i}`);
    const request = await appended(w, [push('member-1'), push('member-2')]);

    // Act
    const outcome = await flushOutbox(request, w.deps);

    // Assess
    expect(outcome.sent).toBe(12);
    expect(w.notifier.maxInFlight).toBe(3);
  });
});

// ---- buildFrames --------------------------------------------------------------------

describe('buildFrames', () => {
  const entry = (p: Push) => ({ text: text(p), bytes: utf8Bytes(text(p)) });
  const head = `{"type":"messages","groupId":${JSON.stringify(KEY.groupId)},"domain":${JSON.stringify(KEY.domain)},"messages":[`;
  const overhead = utf8Bytes(head) + 2;

  it('builds no frame for no pushes', () => {
    expect(buildFrames(KEY, [])).toEqual([]);
  });

  it('sends a single push as is', () => {
    const only = push('member-1');

    expect(buildFrames(KEY, [entry(only)])).toEqual([text(only)]);
  });

  it('gathers several pushes in one messages frame, in order', () => {
    const pushes = [push('member-1'), push('member-2'), push('member-1')];

    const frames = buildFrames(KEY, pushes.map(entry));

    expect(frames).toHaveLength(1);
    expect(JSON.parse(frames[0])).toEqual({ type: 'messages', ...KEY, messages: pushes });
  });

  it('splits at LIMITS.maxPushPayloadBytes, every frame valid JSON and within the limit, pushes in order', () => {
    const pushes = Array.from({ length: 12 }, (_, i) => push(`member-${i % 3}`, { pad: 20_000 + i * 997 }));

    const frames = buildFrames(KEY, pushes.map(entry));

    expect(frames.length).toBeGreaterThan(1);
    for (const frame of frames) expect(utf8Bytes(frame)).toBeLessThanOrEqual(LIMITS.maxPushPayloadBytes);
    const parsed = frames.map((frame) => JSON.parse(frame) as ServerFrame);
    expect(parsed.flatMap(pushesOf)).toEqual(pushes);
  });

  it('measures UTF-8 bytes, not string length', () => {
    // 3 bytes per character: five pushes of about 30 KB each, 10 K characters.
    const pushes = Array.from({ length: 5 }, () => {
      const p = push('member-1');
      if ('nodeStatus' in p) p.nodeStatus.data = [{ key: '点数', value: '点'.repeat(10_000) }];
      return p;
    });

    const frames = buildFrames(KEY, pushes.map(entry));

    expect(frames).toHaveLength(2);
    for (const frame of frames) expect(utf8Bytes(frame)).toBeLessThanOrEqual(LIMITS.maxPushPayloadBytes);
    expect(frames.map((frame) => JSON.parse(frame) as ServerFrame).flatMap(pushesOf)).toEqual(pushes);
  });

  it('fills a frame exactly to the limit, and starts a new one a byte beyond it', () => {
    // Two pushes of sizes a and b fit when overhead + a + 1 + b <= limit.
    const first = push('member-1', { pad: 50_000 });
    const a = utf8Bytes(text(first));
    const base = utf8Bytes(text(push('member-2')));
    const room = LIMITS.maxPushPayloadBytes - overhead - a - 1;
    seqs.set('member-2', 0);
    const fits = push('member-2', { pad: room - base });
    seqs.set('member-2', 0);
    const over = push('member-2', { pad: room - base + 1 });

    const exact = buildFrames(KEY, [entry(first), entry(fits)]);
    const split = buildFrames(KEY, [entry(first), entry(over)]);

    expect(exact).toHaveLength(1);
    expect(utf8Bytes(exact[0])).toBe(LIMITS.maxPushPayloadBytes);
    expect(JSON.parse(exact[0])).toEqual({ type: 'messages', ...KEY, messages: [first, fits] });
    expect(split).toEqual([text(first), text(over)]);
  });

  it('escapes group ids and domains in the envelope', () => {
    const key = { groupId: 'g"1\\', domain: 'ドメイン' };
    const pushes = [push('member-1', { key }), push('member-2', { key })];

    const frames = buildFrames(key, pushes.map(entry));

    expect(JSON.parse(frames[0])).toEqual({ type: 'messages', ...key, messages: pushes });
  });
});
