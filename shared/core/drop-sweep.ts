/**
 * The sweeper's presence pass: every member node whose dropAt has passed (its
 * heartbeat lapsed, or its connection closed and the grace ran out) is
 * claimed, announced to the others with an `expired` or `disconnected`
 * presence push, and removed. The claim is conditional on the node being as
 * listed, so a node that came back meanwhile is left alone, and it moves the
 * node's dropAt on by DROP_RETRY_MS, so a pass that stops halfway (a crash, a
 * throttled append) is retried by a later one. A retried drop can announce the
 * node twice; clients ignore the leave of a node they no longer have.
 */
import { isGroupLive } from './liveness';
import type { NodeRecord } from './model';
import type { Clock, MeshStore, PushPublisher } from './ports';
import { dropReason, presencePush } from './presence';
import type { MeshSettings } from './settings';
import { GroupDissolved } from './store-errors';

/** How long a claimed drop waits before a later pass tries it again. */
export const DROP_RETRY_MS = 30_000;

export interface DropSweepDeps {
  store: MeshStore;
  publisher: PushPublisher;
  clock: Clock;
  settings: MeshSettings;
}

export interface DropOutcome {
  /** Nodes found due. */
  due: number;
  /** Nodes announced and removed. */
  dropped: number;
  /** Drops that failed (a later pass retries them). */
  failed: number;
}

/** One pass; see the module comment. */
export async function dropDueNodes(deps: DropSweepDeps): Promise<DropOutcome> {
  const now = deps.clock.now();
  const due = await deps.store.listDueNodes(now);
  const outcome: DropOutcome = { due: due.length, dropped: 0, failed: 0 };
  for (const entry of due) {
    try {
      const node = await deps.store.claimDrop(entry, now + DROP_RETRY_MS);
      if (node === undefined) continue; // renewed, rebound or removed since the index was read
      const group = await deps.store.getGroup(entry);
      // An expired or dissolved group has nobody left to tell; its node only goes.
      if (group !== undefined && isGroupLive(group, now, deps.settings)) await announce(deps, node, now);
      if (await deps.store.removeDroppedNode(node)) outcome.dropped += 1;
    } catch {
      outcome.failed += 1;
    }
  }
  return outcome;
}

async function announce(deps: DropSweepDeps, node: NodeRecord, now: number): Promise<void> {
  try {
    await deps.publisher.publish([presencePush(node, dropReason(node), now)]);
  } catch (error) {
    if (!(error instanceof GroupDissolved)) throw error;
  }
}
