/**
 * Telling the console log's pushes from a watched group's, and reading the
 * MeshRound one carries. The console log is a group key no real group has
 * (CONSOLE_LOG), so a push addressed to it is always the server's report of
 * a fan-out round, never a member's push.
 */
import { CONSOLE_LOG, type MeshRound } from '#shared/protocol/console';

/** What every push has: the group it is addressed to, and (posted by the fan-out) its log position. */
export type AddressedPush = { groupId: string; domain: string; pos?: number };

/** Whether the push came through the console log rather than a group's. */
export function isConsolePush(push: AddressedPush): boolean {
  return push.groupId === CONSOLE_LOG.groupId && push.domain === CONSOLE_LOG.domain;
}

const NUMBER_FIELDS = ['pushes', 'frames', 'gone', 'abandoned', 'latencyMs'] as const;

/** The round a console push carries, or null when it carries none or one of another shape. */
export function roundOf(push: AddressedPush): MeshRound | null {
  if (!('meshRound' in push)) return null;
  const round = push.meshRound as Partial<MeshRound> | null;
  if (round === null || typeof round !== 'object') return null;
  if (typeof round.groupId !== 'string' || typeof round.domain !== 'string' || typeof round.at !== 'string') {
    return null;
  }
  if (!NUMBER_FIELDS.every((field) => typeof round[field] === 'number' && Number.isFinite(round[field]))) return null;
  return round as MeshRound;
}

/**
 * Drops a console push already counted. A flush that is restarted (its
 * Lambda died, or its request was lost) posts the same log positions again;
 * counting them twice would double the rates. Only the latest `capacity`
 * positions are remembered: a repeat older than that is far outside the
 * charts' window anyway.
 */
export class PositionFilter {
  private readonly seen = new Set<number>();

  constructor(private readonly capacity = 4096) {}

  /** True the first time a position is offered; always true for a push without one. */
  isNew(pos: number | undefined): boolean {
    if (pos === undefined) return true;
    if (this.seen.has(pos)) return false;
    this.seen.add(pos);
    if (this.seen.size > this.capacity) {
      // A Set iterates in insertion order: the first is the oldest.
      const oldest = this.seen.values().next().value as number;
      this.seen.delete(oldest);
    }
    return true;
  }
}
