/**
 * What the page watches and the renewal of its leases. A watchMesh keeps the
 * viewer on for WATCH_LEASE_SECONDS, so the page calls it on every open of
 * its socket and then every WATCH_RENEW_SECONDS, well inside the lease: one
 * lost call changes nothing. The opened group's watchGroup rides on the
 * same cadence. There is no call to stop watching one group: a closed group's
 * watch simply is not renewed, and lapses.
 */
import { WATCH_RENEW_SECONDS, type MeshSnapshot } from '#shared/protocol/console';
import type { NodeStatus } from '#shared/protocol/types';
import { ConsoleRequestError } from './connection';

/** A group by its key. */
export interface GroupRef {
  groupId: string;
  domain: string;
}

/** What the watcher needs of the connection. */
export interface RequestChannel {
  request<T>(action: string, args: object): Promise<T>;
  sendOnly(action: string, args: object): void;
}

export interface MeshWatcherOptions {
  channel: RequestChannel;
  adminToken: string;
  onSnapshot: (snapshot: MeshSnapshot) => void;
  /** A watchGroup answer: the group's every node's full status. */
  onGroupStatuses: (group: GroupRef, statuses: NodeStatus[]) => void;
  onFailure: (action: string, error: ConsoleRequestError) => void;
  /** Default WATCH_RENEW_SECONDS. */
  renewMs?: number;
}

export class MeshWatcher {
  private group: GroupRef | null = null;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly options: MeshWatcherOptions) {}

  /** The group whose watch is renewed, if any. */
  get openedGroup(): GroupRef | null {
    return this.group;
  }

  /**
   * Watches now and every renewal period from now: called on every open of
   * the socket, so the next renewal is a whole period after this one.
   */
  restart(): void {
    clearInterval(this.timer);
    this.timer = setInterval(() => this.renew(), this.options.renewMs ?? WATCH_RENEW_SECONDS * 1000);
    this.renew();
  }

  /** Opens a group: its statuses now, its pushes from now on, renewed with the mesh. */
  openGroup(group: GroupRef): void {
    this.group = { groupId: group.groupId, domain: group.domain };
    void this.watchGroup(this.group);
  }

  closeGroup(): void {
    this.group = null;
  }

  /** Stops renewing and tells the server this viewer is gone (best effort: the page is closing). */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.options.channel.sendOnly('unwatchMesh', { adminToken: this.options.adminToken });
  }

  private renew(): void {
    void this.watchMesh();
    if (this.group !== null) void this.watchGroup(this.group);
  }

  private async watchMesh(): Promise<void> {
    try {
      const snapshot = await this.options.channel.request<MeshSnapshot>('watchMesh', {
        adminToken: this.options.adminToken,
      });
      this.options.onSnapshot(snapshot);
    } catch (error) {
      this.options.onFailure('watchMesh', asRequestError(error));
    }
  }

  private async watchGroup(group: GroupRef): Promise<void> {
    try {
      const statuses = await this.options.channel.request<NodeStatus[]>('watchGroup', {
        adminToken: this.options.adminToken,
        groupId: group.groupId,
        domain: group.domain,
      });
      this.options.onGroupStatuses(group, statuses);
    } catch (error) {
      this.options.onFailure('watchGroup', asRequestError(error));
    }
  }
}

function asRequestError(error: unknown): ConsoleRequestError {
  if (error instanceof ConsoleRequestError) return error;
  return new ConsoleRequestError('InternalError', error instanceof Error ? error.message : String(error));
}
