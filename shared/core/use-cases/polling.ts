/**
 * The polling mode of Mesh v2's successor, for nodes whose network blocks
 * WebSockets: recordEventsByNode sends a batch as fireEventsByNode does (the
 * WebSocket members get it as a push) and answers with the log cursor after
 * it; getEventsSince reads the group's events after a cursor from the same
 * log (shared/core/event-log.ts). One log, so both kinds of member see every
 * event, whoever sent it.
 */
import type { RequestOf } from '#shared/protocol/requests';
import type { PolledEvent, RecordEventsPayload } from '#shared/protocol/types';
import { cursorAfterPushes, readEventsSince } from '../event-log';
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
