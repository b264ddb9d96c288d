/**
 * What a WebSocket client back from a drop missed: the group's pushes the
 * fan-out sent while it was away, read back from the group's log
 * (getPushesSince) and handed to the mirror as if they had come live. The
 * receiver puts them in each sender's seq order and drops the ones already
 * delivered, so nothing others sent is lost or repeated.
 *
 * Where to start: a little before the highest position pushed to this
 * client. A round of the fan-out posts at most RESUME_OVERLAP pushes and may
 * put one sender's pushes in seq order within it, so a push below the
 * highest position seen may still have been on its way; reading the round
 * again costs duplicates, which the receiver drops, and loses nothing.
 */
import { MeshError } from './errors';
import type { Send } from './requests';
import type { GroupRef, StatusMirror } from './status-mirror';

/** Pushes one fan-out round posts at most (the server's FLUSH_LIMITS.maxPushesPerRound). */
export const RESUME_OVERLAP = 100;

/** The log's end now: where a node that just entered would start reading after a drop. */
export async function logEnd(send: Send, group: GroupRef): Promise<number> {
  const { nextPos } = (await send('getPushesSince', { ...where(group), pos: Number.MAX_SAFE_INTEGER })).data;
  return nextPos;
}

/**
 * Reads every push from the resume point on into the mirror. Resolves with
 * 'gap' when the log no longer keeps what was missed (the caller reloads the
 * statuses and says so), 'done' otherwise.
 */
export async function catchUp(send: Send, group: GroupRef, mirror: StatusMirror): Promise<'done' | 'gap'> {
  const { lastPos: last, floorPos: floor } = mirror;
  if (last === null && floor === null) return 'done';
  // Nothing pushed yet: from where the log ended when the node entered.
  let pos = last === null ? floor! : Math.max(floor ?? 0, last - RESUME_OVERLAP + 1);
  const lastSeen = last ?? floor! - 1;
  for (;;) {
    let page;
    try {
      page = (await send('getPushesSince', { ...where(group), pos })).data;
    } catch (error) {
      if (!(error instanceof MeshError) || error.errorType !== 'CursorExpired') throw error;
      // The overlap may reach below what is kept; what was missed may still be there.
      if (pos <= lastSeen) {
        pos = lastSeen + 1;
        continue;
      }
      return 'gap';
    }
    if (page.pushes.length === 0) return 'done';
    for (const push of page.pushes) mirror.receiveMissed(push);
    pos = page.nextPos;
  }
}

function where(group: GroupRef): GroupRef {
  return { groupId: group.groupId, domain: group.domain };
}

/** Remembers where the log ended as the node entered (one request, off the join's path); a failure only narrows what a catch-up can find. */
export function anchorAtLogEnd(send: Send, group: GroupRef, mirror: StatusMirror, stillIn: () => boolean): void {
  logEnd(send, group).then(
    (pos) => {
      if (stillIn()) mirror.anchor(pos);
    },
    () => undefined,
  );
}

/**
 * After the rejoin: the missed pushes, then the live ones held since the
 * drop. A failure keeps them held for the next attempt; a gap is said.
 */
export async function resumeAfterDrop(
  send: Send,
  group: GroupRef,
  mirror: StatusMirror,
  onGap: () => void,
): Promise<void> {
  const outcome = await catchUp(send, group, mirror);
  mirror.release();
  if (outcome === 'gap') onGap();
}
