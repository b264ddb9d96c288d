/**
 * The groups a request container has lately found live, so the hot path
 * (status and events) need not read its group on every request.
 *
 * A remembered record can only err one way, and each way is covered:
 * - `expiresAt` never moves, so expiry is judged exactly from the copy;
 * - `heartbeatAt` only moves forward, so an old copy may call a live group's
 *   heartbeat lapsed (never the reverse): that verdict is checked by a fresh
 *   read, which also refreshes the copy;
 * - a deleted group (dissolved) still looks live here, but its dissolve push
 *   is in the group's log before the delete, so the append of the request's
 *   push answers GroupDissolved, and its nodes are gone, so the node's own
 *   conditional write fails first in most cases.
 */
import type { GroupKey, GroupRecord } from './model';

/** Groups remembered at most; the oldest is forgotten first. */
const DEFAULT_MAX_GROUPS = 1000;

export class KnownGroups {
  private readonly groups = new Map<string, GroupRecord>();

  constructor(private readonly maxGroups = DEFAULT_MAX_GROUPS) {}

  get(key: GroupKey): GroupRecord | undefined {
    return this.groups.get(mapKey(key));
  }

  remember(group: GroupRecord): void {
    const name = mapKey(group);
    this.groups.delete(name);
    this.groups.set(name, group);
    if (this.groups.size > this.maxGroups) {
      const oldest = this.groups.keys().next().value;
      if (oldest !== undefined) this.groups.delete(oldest);
    }
  }

  forget(key: GroupKey): void {
    this.groups.delete(mapKey(key));
  }
}

// JSON of the pair: ids are free text, so no separator could be trusted.
const mapKey = (key: GroupKey) => JSON.stringify([key.groupId, key.domain]);
