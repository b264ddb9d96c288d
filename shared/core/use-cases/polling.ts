/**
 * The polling mode of Mesh v2's successor, for nodes whose network blocks
 * WebSockets: recordEventsByNode sends a batch as fireEventsByNode does (the
 * WebSocket members get it as a push) and answers with the log cursor after
 * it; getEventsSince reads the group's events after a cursor from the same
 * log (shared/core/event-log.ts), and pollGroupData adds every node's
 * status. One log, so both kinds of member see every
 * event, whoever sent it.
 */
import type { RequestOf } from '#shared/protocol/requests';
import { LIMITS } from '#shared/protocol/limits';
import type { PushesSince } from '#shared/protocol/results';
import type { PolledEvent, PollGroupData, RecordEventsPayload } from '#shared/protocol/types';
import type { ActionResult } from '../actions';
import { cursorAfterPushes, MAX_EVENTS_PER_READ, readEventsSince, readLogSince, readPushesSince } from '../event-log';
import { isNodeLive } from '../liveness';
import { pageNodes } from '../paging';
import { presentNodeStatus } from '../presenters';
import type { Caller } from '../model';
import type { MeshDeps } from '../ports';
import { sendEvents } from './events';
import { keyOf, requireKnownLiveGroup } from './guards';

/**
 * Records a batch of events. `nextSince` is the cursor just after them; a
 * poller reads on from its own last cursor, not from it, or it would skip
 * what others recorded meanwhile (the flaw of the successor's client).
 */
export async function recordEventsByNode(
  request: RequestOf<'recordEventsByNode'>,
  caller: Caller,
  deps: MeshDeps,
): Promise<RecordEventsPayload> {
  const { key, parts, first } = await sendEvents(request, caller, deps);
  return { ...key, recordedCount: request.events.length, nextSince: cursorAfterPushes(first, parts.length) };
}

/**
 * A poller's one request per interval: the events after `since` and the
 * group's statuses, each half of the reply's room. When the statuses do not
 * all fit, the reply's `nextToken` goes on with listGroupStatuses.
 */
export async function pollGroupData(
  request: RequestOf<'pollGroupData'>,
  _caller: Caller,
  deps: MeshDeps,
): Promise<ActionResult> {
  const key = keyOf(request);
  await requireKnownLiveGroup(deps, key);
  const now = deps.clock.now();
  const half = Math.floor(LIMITS.maxListPageBytes / 2);
  const [read, statuses] = await Promise.all([
    readLogSince(deps.events, key, request.since, deps.settings.eventTtlSeconds, {
      limit: MAX_EVENTS_PER_READ,
      maxBytes: half,
    }),
    pageNodes(
      deps.store,
      key,
      undefined,
      (node) => (isNodeLive(node, now) ? (presentNodeStatus(node) ?? undefined) : undefined),
      half,
    ),
  ]);
  const data: PollGroupData = { ...read, nodeStatuses: statuses.data };
  return statuses.nextToken === undefined ? { data } : { data, nextToken: statuses.nextToken };
}

/**
 * The group's pushes from log position `pos` on, as they were pushed: what a
 * WebSocket client back from a drop missed (it read on after the last `pos`
 * it was pushed). At most 100, or 96 KB, a read.
 */
export async function getPushesSince(
  request: RequestOf<'getPushesSince'>,
  _caller: Caller,
  deps: MeshDeps,
): Promise<PushesSince> {
  const key = keyOf(request);
  await requireKnownLiveGroup(deps, key);
  return readPushesSince(deps.events, key, request.pos, deps.settings.eventTtlSeconds);
}

/** The group's events after `since`, oldest first, at most 100; each with the cursor to read on from. */
export async function getEventsSince(
  request: RequestOf<'getEventsSince'>,
  _caller: Caller,
  deps: MeshDeps,
): Promise<PolledEvent[]> {
  const key = keyOf(request);
  await requireKnownLiveGroup(deps, key);
  return readEventsSince(deps.events, key, request.since, deps.settings.eventTtlSeconds);
}
