/**
 * A group's events read back from its log, for the nodes that poll
 * (getEventsSince, and the answer of recordEventsByNode). Every accepted
 * push has a position in the log, one above the last, whoever sent it, so a
 * cursor made of positions never skips an event recorded by another node at
 * the same moment, nor repeats one (Mesh v2's successor orders by the server's
 * second and can). A cursor is the point just after an event: event `index`
 * of the push at position `pos` is the next one to read. Its text
 * (`"{pos}.{index}"`) is opaque to clients.
 *
 * The log keeps what the fan-out has posted for MESH_EVENT_TTL_SECONDS; a
 * cursor into what it has dropped answers CursorExpired, so a poller knows
 * it missed events and reloads the group's status.
 */
import { LIMITS, utf8Bytes } from '../protocol/limits';
import type { Push } from '../protocol/messages';
import type { PolledEvent, PolledPresence } from '../protocol/types';
import { CursorExpired, ValidationError } from './errors';
import type { GroupKey } from './model';
import type { LogHead, LogReader, RetainedPushes } from './ports';

/** Events one read answers at most (Mesh v2's successor's page). */
export const MAX_EVENTS_PER_READ = 100;

interface LogPoint {
  pos: number;
  index: number;
}

const CURSOR = /^(\d{1,15})\.(\d{1,7})$/;

function cursorOf(point: LogPoint): string {
  return `${point.pos}.${point.index}`;
}

/** The cursor just after the last of `count` pushes appended from position `first`: where a sender's own events end. */
export function cursorAfterPushes(first: number, count: number): string {
  return cursorOf({ pos: first + count, index: 0 });
}

/** `""`: from the oldest event kept; else a cursor this mesh gave. */
function parseSince(since: string): LogPoint | 'oldest' {
  if (since === '') return 'oldest';
  const match = CURSOR.exec(since);
  if (!match) throw new ValidationError('since must be "" or a cursor the mesh gave (an event\'s cursor or nextSince)');
  return { pos: Number(match[1]), index: Number(match[2]) };
}

/** How much one read may answer: events, and bytes of their JSON (a reply must stay under 128 KB). */
export interface ReadBounds {
  limit: number;
  maxBytes: number;
}

const DEFAULT_BOUNDS: ReadBounds = { limit: MAX_EVENTS_PER_READ, maxBytes: LIMITS.maxListPageBytes };

/** The events after `since`, oldest first, within `bounds` (always one at least, when there is one). */
export async function readEventsSince(
  log: LogReader,
  key: GroupKey,
  since: string,
  retentionSeconds: number,
  bounds: ReadBounds = DEFAULT_BOUNDS,
): Promise<PolledEvent[]> {
  return (await readLogSince(log, key, since, retentionSeconds, bounds, { presence: false })).events;
}

/** What a poller reads of the log after its cursor: events and presence changes, and where to read on. */
export interface LogRead {
  events: PolledEvent[];
  presence: PolledPresence[];
  /** The cursor after the last push read (status pushes included, which pollers get whole instead). */
  nextSince: string;
}

/**
 * The events and presence changes after `since`, oldest first, within
 * `bounds` (counting both; always one at least, when there is one).
 */
export async function readLogSince(
  log: LogReader,
  key: GroupKey,
  since: string,
  retentionSeconds: number,
  bounds: ReadBounds = DEFAULT_BOUNDS,
  include: { presence: boolean } = { presence: true },
): Promise<LogRead> {
  const from = parseSince(since);
  const { head } = await log.read(key);
  const fromPos = from === 'oldest' ? 0 : from.pos;
  if (fromPos > (head?.pos ?? 0)) {
    throw new ValidationError("since is ahead of this group's log: is it a cursor of another group?");
  }
  const read: LogRead = { events: [], presence: [], nextSince: since };
  if (head === undefined) return read;
  const kept = await pushesFrom(log, key, head, fromPos);
  if (from !== 'oldest' && kept.start > from.pos) {
    throw new CursorExpired(
      `the events after this cursor are past the log's retention (${retentionSeconds} s): ` +
        'reload the status and read on from since ""',
    );
  }
  let items = 0;
  let bytes = 2; // "[]"
  /** Adds an item whose JSON is `size` bytes, unless the bounds are reached (then false). */
  const fits = (size: number) => {
    bytes += size + 1;
    if (items > 0 && (items >= bounds.limit || bytes > bounds.maxBytes)) return false;
    items += 1;
    return true;
  };
  for (let i = 0; i < kept.pushes.length; i += 1) {
    const pos = kept.start + i;
    const push = JSON.parse(kept.pushes[i]) as Push;
    const first = from !== 'oldest' && pos === from.pos ? from.index : 0;
    if ('nodePresence' in push && include.presence && first === 0) {
      const change = { ...push.nodePresence, cursor: cursorOf({ pos: pos + 1, index: 0 }) };
      if (!fits(utf8Bytes(JSON.stringify(change)))) return read;
      read.presence.push(change);
      read.nextSince = change.cursor;
    }
    if (!('batchEvent' in push) || push.batchEvent === undefined) {
      if (!('nodePresence' in push && include.presence)) read.nextSince = cursorOf({ pos: pos + 1, index: 0 });
      continue;
    }
    const batch = push.batchEvent.events;
    for (let index = first; index < batch.length; index += 1) {
      const next = index + 1 < batch.length ? { pos, index: index + 1 } : { pos: pos + 1, index: 0 };
      const event = { ...batch[index], cursor: cursorOf(next) };
      if (!fits(utf8Bytes(JSON.stringify(event)))) return read;
      read.events.push(event);
      read.nextSince = event.cursor;
    }
  }
  return read;
}

/**
 * The pushes from position `fromPos` on, each with its `pos`, within `bounds`
 * (always one at least, when there is one), and the position after the last.
 * From the end or past it: no pushes, and the end's position. Past the
 * retention: CursorExpired, as for events.
 */
export async function readPushesSince(
  log: LogReader,
  key: GroupKey,
  fromPos: number,
  retentionSeconds: number,
  bounds: ReadBounds = DEFAULT_BOUNDS,
): Promise<{ pushes: Push[]; nextPos: number }> {
  const { head } = await log.read(key);
  // From past the end: nothing, and where the end is (a client learns it so when it enters a group).
  if (head === undefined || fromPos >= head.pos) return { pushes: [], nextPos: head?.pos ?? 0 };
  const kept = await pushesFrom(log, key, head, fromPos);
  if (kept.start > fromPos) {
    throw new CursorExpired(
      `the pushes from this position are past the log's retention (${retentionSeconds} s): reload the status`,
    );
  }
  const pushes: Push[] = [];
  let bytes = 2;
  for (let i = 0; i < kept.pushes.length; i += 1) {
    bytes += utf8Bytes(kept.pushes[i]) + 12;
    if (pushes.length > 0 && (pushes.length >= bounds.limit || bytes > bounds.maxBytes)) break;
    pushes.push({ ...(JSON.parse(kept.pushes[i]) as Push), pos: kept.start + i });
  }
  return { pushes, nextPos: fromPos + pushes.length };
}

/** The pushes kept from `fromPos` on, sealed pages first, then the head's page when nothing lies between. */
async function pushesFrom(log: LogReader, key: GroupKey, head: LogHead, fromPos: number): Promise<RetainedPushes> {
  if (fromPos >= head.pageStart) return { start: fromPos, pushes: head.page.slice(fromPos - head.pageStart) };
  const sealed = await log.readRetained(key, fromPos, head.pageStart);
  const reachesHead = sealed.start + sealed.pushes.length === head.pageStart;
  return { start: sealed.start, pushes: reachesHead ? [...sealed.pushes, ...head.page] : sealed.pushes };
}

/** The pushes of `kept` (position → text, below `to`) from the lowest position on, without a gap. */
export function contiguousFrom(kept: Map<number, string>, to: number): RetainedPushes {
  if (kept.size === 0) return { start: to, pushes: [] };
  const start = Math.min(...kept.keys());
  const pushes: string[] = [];
  while (kept.has(start + pushes.length)) pushes.push(kept.get(start + pushes.length)!);
  return { start, pushes };
}
