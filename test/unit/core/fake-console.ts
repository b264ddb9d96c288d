/**
 * The ConsoleStore in memory, over the world's store and log as the DynamoDB
 * adapter is over the table they share (test/contract/console-store.contract.ts
 * runs the same suite on both): a viewer's subscriptions and connection record
 * are the store's, so its listSubscribers and $disconnect (dropConnection)
 * find them; the watch mark is on the log's head.
 */
import type { GroupKey, GroupRecord } from '#shared/core/model';
import type { ConsoleStore } from '#shared/core/ports';
import { VIEWER_NODE_ID } from '#shared/core/viewers';
import { CONSOLE_LOG } from '#shared/protocol/console';
import type { InMemoryGroupLog } from './fake-log';
import type { InMemoryMeshStore } from './fakes';

type Method = keyof ConsoleStore;

/** ConsoleStore in memory. `calls` records every port call by method name, in order. */
export class InMemoryConsoleStore implements ConsoleStore {
  readonly calls: Method[] = [];

  constructor(
    private readonly store: InMemoryMeshStore,
    private readonly log: InMemoryGroupLog,
  ) {}

  /** How many times `method` was called. */
  count(method: Method): number {
    return this.calls.filter((call) => call === method).length;
  }

  async listAllGroups(): Promise<GroupRecord[]> {
    this.calls.push('listAllGroups');
    return this.store.peekGroups();
  }

  async putViewer(connectionId: string, expiresAt: number): Promise<void> {
    this.calls.push('putViewer');
    this.store.seedSubscriber(CONSOLE_LOG, { connectionId, nodeId: VIEWER_NODE_ID, expiresAt });
    this.store.seedConnection({ ...CONSOLE_LOG, connectionId, nodeId: VIEWER_NODE_ID });
  }

  async putGroupViewer(key: GroupKey, connectionId: string, expiresAt: number): Promise<void> {
    this.calls.push('putGroupViewer');
    this.store.seedSubscriber(key, { connectionId, nodeId: VIEWER_NODE_ID, expiresAt });
  }

  async removeViewer(connectionId: string): Promise<void> {
    this.calls.push('removeViewer');
    this.store.deleteSubscriberAndConnection(CONSOLE_LOG, connectionId);
  }

  async markWatched(key: GroupKey, until: number | null): Promise<void> {
    this.calls.push('markWatched');
    this.log.setWatchedUntil(key, until);
  }
}
