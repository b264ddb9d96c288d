/**
 * The GroupLog in memory, faithful to shared/core/ports.ts and to what the
 * DynamoDB adapter does (test/contract/group-log.contract.ts runs the same
 * suite against both). `subscribers` is read from the world's store, as the
 * adapter reads the C# items of the same partition. `failNext` makes the next
 * call of a method throw, as a throttled or failing DynamoDB call would.
 */
import type { GroupKey, Subscriber } from '#shared/core/model';
import { contiguousFrom } from '#shared/core/event-log';
import { type AdvanceStep, type Appended, type GroupLog, type LogHead, type RetainedPushes } from '#shared/core/ports';
import { GroupDissolved } from '#shared/core/store-errors';

interface Page {
  start: number;
  pushes: string[];
}

interface Entry {
  head: LogHead & { pending: boolean; pendingSince: number };
  pages: Page[];
}

type Method = keyof GroupLog;

export class InMemoryGroupLog implements GroupLog {
  readonly calls: Method[] = [];
  private readonly groups = new Map<string, Entry>();
  private readonly failures = new Map<Method, Error>();

  constructor(private readonly subscribersOf: (key: GroupKey) => Promise<Subscriber[]> = async () => []) {}

  failNext(method: Method, error = new Error(`${method} failed`)): void {
    this.failures.set(method, error);
  }

  /** The head as stored (a copy), for assertions. */
  headOf(key: GroupKey): LogHead | undefined {
    const entry = this.groups.get(id(key));
    return entry ? structuredClone(entry.head) : undefined;
  }

  /**
   * Sets the head's watch mark, or removes it (null), when the group has a
   * head: the console store's write of the same item (fake-console.ts).
   */
  setWatchedUntil(key: GroupKey, until: number | null): void {
    const head = this.groups.get(id(key))?.head;
    if (head === undefined) return;
    if (until === null) delete head.watchedUntil;
    else head.watchedUntil = until;
  }

  /** Every push ever appended and still kept, in position order. */
  allPushes(key: GroupKey): string[] {
    const entry = this.groups.get(id(key));
    if (!entry) return [];
    const byPos = new Map<number, string>();
    for (const page of entry.pages) page.pushes.forEach((text, i) => byPos.set(page.start + i, text));
    entry.head.page.forEach((text, i) => byPos.set(entry.head.pageStart + i, text));
    return [...byPos.entries()].sort((a, b) => a[0] - b[0]).map(([, text]) => text);
  }

  async append(
    key: GroupKey,
    pushes: string[],
    options: { now: number; token: string; dissolve?: boolean },
  ): Promise<Appended> {
    this.enter('append');
    let entry = this.groups.get(id(key));
    if (entry === undefined) {
      entry = {
        head: { pos: 0, pageStart: 0, page: [], cursor: 0, roundAt: 0, rate: 0, pending: false, pendingSince: 0 },
        pages: [],
      };
      this.groups.set(id(key), entry);
    }
    const head = entry.head;
    if (head.dissolvedAt !== undefined) throw new GroupDissolved('the group was dissolved');
    const first = head.pos;
    head.page.push(...pushes);
    head.pos += pushes.length;
    if (head.flushToken === undefined) {
      head.flushToken = options.token;
      head.flushAt = options.now;
    }
    if (!head.pending) {
      head.pending = true;
      head.pendingSince = options.now;
    }
    if (options.dissolve) head.dissolvedAt = options.now;
    return { first, flushToken: head.flushToken, flushAt: head.flushAt!, roundAt: head.roundAt, rate: head.rate };
  }

  async read(key: GroupKey): Promise<{ head?: LogHead; subscribers: Subscriber[] }> {
    this.enter('read');
    const subscribers = await this.subscribersOf(key);
    return { head: this.headOf(key), subscribers };
  }

  async readSealed(key: GroupKey, from: number, to: number): Promise<string[]> {
    this.enter('readSealed');
    const entry = this.groups.get(id(key));
    const pushes: string[] = [];
    for (const page of entry?.pages ?? []) {
      page.pushes.forEach((text, i) => {
        if (page.start + i === from + pushes.length && page.start + i < to) pushes.push(text);
      });
    }
    return pushes;
  }

  async readRetained(key: GroupKey, from: number, to: number): Promise<RetainedPushes> {
    this.enter('readRetained');
    const kept = new Map<number, string>();
    for (const page of this.groups.get(id(key))?.pages ?? []) {
      page.pushes.forEach((text, i) => {
        if (page.start + i >= from && page.start + i < to) kept.set(page.start + i, text);
      });
    }
    return contiguousFrom(kept, to);
  }

  /** The retention at work: drops the sealed page that starts at `start` (DynamoDB's TTL deleting it). */
  dropSealedPage(key: GroupKey, start: number): void {
    const entry = this.groups.get(id(key));
    if (entry) entry.pages = entry.pages.filter((page) => page.start !== start);
  }

  async seal(key: GroupKey, pageStart: number, pushes: string[]): Promise<boolean> {
    this.enter('seal');
    const entry = this.groups.get(id(key));
    if (entry === undefined || pushes.length === 0) return false;
    entry.pages.push({ start: pageStart, pushes: [...pushes] });
    if (entry.head.pageStart !== pageStart) return false;
    entry.head.page.splice(0, pushes.length);
    entry.head.pageStart += pushes.length;
    return true;
  }

  async claim(key: GroupKey, token: string, owner: string, now: number, staleBefore: number): Promise<boolean> {
    this.enter('claim');
    const head = this.groups.get(id(key))?.head;
    if (head === undefined || head.flushToken !== token) return false;
    if (head.flushOwner !== undefined && head.flushOwner !== owner && (head.flushAt ?? 0) >= staleBefore) return false;
    head.flushOwner = owner;
    head.flushAt = now;
    return true;
  }

  async advance(key: GroupKey, step: AdvanceStep): Promise<'released' | 'advanced' | 'lost'> {
    this.enter('advance');
    const head = this.groups.get(id(key))?.head;
    if (head === undefined || head.flushOwner !== step.owner || head.cursor !== step.from) return 'lost';
    head.cursor = step.to;
    if (step.to > step.from) {
      head.roundAt = step.roundAt;
      head.rate = step.rate;
    }
    if (step.release && head.pos === step.to) {
      head.flushToken = undefined;
      head.flushOwner = undefined;
      head.flushAt = undefined;
      head.pending = false;
      return 'released';
    }
    head.flushAt = step.now;
    if (step.disown) head.flushOwner = undefined;
    return 'advanced';
  }

  async restart(
    key: GroupKey,
    token: string,
    options: { now: number; staleBefore: number; expected?: string },
  ): Promise<boolean> {
    this.enter('restart');
    const head = this.groups.get(id(key))?.head;
    if (head?.flushToken === undefined || (head.flushAt ?? 0) >= options.staleBefore) return false;
    if (options.expected !== undefined && head.flushToken !== options.expected) return false;
    head.flushToken = token;
    head.flushAt = options.now;
    head.flushOwner = undefined;
    return true;
  }

  async listPending(before: number): Promise<GroupKey[]> {
    this.enter('listPending');
    return [...this.groups.entries()]
      .filter(([, entry]) => entry.head.pending && entry.head.pendingSince < before)
      .map(([key]) => JSON.parse(key) as GroupKey);
  }

  private enter(method: Method): void {
    this.calls.push(method);
    const failure = this.failures.get(method);
    if (failure !== undefined) {
      this.failures.delete(method);
      throw failure;
    }
  }
}

function id(key: GroupKey): string {
  return JSON.stringify({ groupId: key.groupId, domain: key.domain });
}
