/**
 * The fan-out's report of a round to the console, only for a group whose
 * log head carries a live watch mark (set by watchMesh, read with the head
 * every round anyway): one `meshRound` push appended to the console's log,
 * whose own flush posts it to the viewers, coalesced like any push. The
 * round waits for its report's append (while watched only: a Lambda may
 * freeze a promise nobody awaits), but a report that fails is dropped:
 * monitoring never fails a round.
 */
import { CONSOLE_LOG, type MeshRound } from '../../protocol/console';
import type { Push } from '../../protocol/messages';
import type { GroupKey } from '../model';
import type { LogHead, PushPublisher } from '../ports';
import { iso } from '../presenters';
import { buildPush } from '../pushes';

/** What a round did, as the flush counted it. */
export interface RoundFigures {
  pushes: string[];
  sent: number;
  gone: number;
  abandoned: number;
}

export class RoundMonitor {
  private seq = 0;

  /** `epoch` names this invocation's reports (a new one per container, so viewers' receivers start afresh). */
  constructor(
    private readonly publisher: PushPublisher,
    private readonly epoch: string,
  ) {}

  /** Whether a round of the group with this head is to be reported. */
  static watches(head: LogHead, now: number): boolean {
    return head.watchedUntil !== undefined && head.watchedUntil > now;
  }

  async report(key: GroupKey, round: RoundFigures, endedAt: number): Promise<void> {
    const meshRound: MeshRound = {
      ...key,
      pushes: round.pushes.length,
      frames: round.sent,
      gone: round.gone,
      abandoned: round.abandoned,
      latencyMs: Math.max(0, endedAt - oldestSentAt(round.pushes, endedAt)),
      at: iso(endedAt),
    };
    this.seq += 1;
    const order = { from: 'fanout', epoch: this.epoch, seq: this.seq, sentAt: iso(endedAt) };
    const push = buildPush(CONSOLE_LOG, order, { meshRound });
    await this.publisher.publish([push]).catch(() => undefined);
  }
}

/** The acceptance time of the round's first push (its `sentAt`), or `fallback` if it cannot be read. */
function oldestSentAt(pushes: string[], fallback: number): number {
  try {
    const at = Date.parse((JSON.parse(pushes[0]) as Push).sentAt);
    return Number.isFinite(at) ? at : fallback;
  } catch {
    return fallback;
  }
}
