/**
 * The ports the core needs. Adapters implement them for AWS (DynamoDB, SNS,
 * API Gateway Management API); unit tests implement them in memory.
 */
import type { Push } from '../protocol/messages';
import type { ConnectionRecord, GroupKey, GroupRecord, HostRecord, NodeRecord, Subscriber } from './model';
import type { MeshSettings } from './settings';

/** Thrown by a store when a conditional write lost a race; the use case decides what it means. */
export class ConditionFailed extends Error {
  override name = 'ConditionFailed';
}

/** Persistence of groups, nodes, status and connections. */
export interface MeshStore {
  getGroup(key: GroupKey): Promise<GroupRecord | undefined>;
  /** The hot path's one read: the group and one of its nodes. */
  getGroupAndNode(key: GroupKey, nodeId: string): Promise<{ group?: GroupRecord; node?: NodeRecord }>;
  /**
   * The host's idempotency record, with the group it points at (maybe expired:
   * the caller checks; absent when that group's item is gone). Undefined when
   * there is no host record. Its `groupId` is what createGroup's `replaces`
   * must name to take the record over.
   */
  findHostGroup(domain: string, hostId: string): Promise<HostRecord | undefined>;
  /** Groups of a domain, oldest first, expired ones included (the caller filters). */
  listGroups(domain: string): Promise<GroupRecord[]>;
  getConnection(connectionId: string): Promise<ConnectionRecord | undefined>;

  /**
   * Creates the group, the host's idempotency record, the host node and its
   * subscription at once. `replaces` is the group id the host record held when
   * it was read (undefined if none); ConditionFailed if it changed meanwhile.
   */
  createGroup(group: GroupRecord, host: NodeRecord, replaces: string | undefined): Promise<void>;
  /**
   * Writes the node (new, or bound to a new connection), its subscription and
   * its connection record at once, and drops the subscription and connection
   * record of `previousConnectionId` (null when the node had no other
   * connection). ConditionFailed if the group is gone, or if the stored node
   * has the same epoch but another seq than `node` (a write since it was read,
   * which this put must not undo): read again and decide afresh.
   */
  putNode(node: NodeRecord, previousConnectionId: string | null): Promise<void>;
  /** Deletes the node, its status, its subscription and its connection record. */
  removeNode(node: NodeRecord): Promise<void>;
  /**
   * dissolveGroup: deletes the group item, its nodes (with their status) and
   * the host's idempotency record (only while it still points at this group).
   * It keeps the group's C# subscription items and the members' connection
   * records: the groupDissolve push published just before is fanned out from
   * those subscriptions, possibly after this delete. Their TTL removes them;
   * reads find the group gone, so they deliver and allow nothing else.
   */
  deleteGroup(group: GroupRecord): Promise<void>;
  /** ConditionFailed if the group item is gone. */
  setHostHeartbeat(key: GroupKey, at: number): Promise<void>;
  /**
   * Moves a member's expiry (node and subscription). ConditionFailed if the
   * node is gone or no longer bound to `node.connectionId`.
   */
  setNodeExpiry(node: NodeRecord, expiresAt: number): Promise<void>;
  /**
   * Merges `data` into the node's status (when given) and allocates `seqCount`
   * push sequence numbers, only while the node is bound to `connectionId`
   * (else ConditionFailed). Returns the last allocated seq.
   */
  updateNode(
    key: GroupKey,
    nodeId: string,
    connectionId: string,
    change: { data?: Record<string, string>; statusAt?: number; seqCount: number },
  ): Promise<{ seq: number }>;
  /** Nodes in node id order, after `after` when given, at most `limit`. */
  listNodes(key: GroupKey, page: { after?: string; limit: number }): Promise<{ nodes: NodeRecord[]; more: boolean }>;
  /** Every connection subscribed to the group. */
  listSubscribers(key: GroupKey): Promise<Subscriber[]>;
  /** $disconnect: drops the connection record and subscription, and unbinds the node if still bound to it. */
  dropConnection(connectionId: string): Promise<void>;
  /** A 410 from the Management API: drops that stale subscription and its connection record. */
  dropSubscriber(key: GroupKey, subscriber: Subscriber): Promise<void>;
}

/** Publishes pushes to the fan-out (SNS in AWS). Resolves only when every push was accepted. */
export interface PushPublisher {
  publish(pushes: Push[]): Promise<void>;
}

/** Sends a frame to one connection (the Management API's PostToConnection). */
export interface ConnectionNotifier {
  /** 'gone' when the connection no longer exists (410); throws on other failures. */
  post(connectionId: string, frame: string): Promise<'sent' | 'gone'>;
}

export interface Clock {
  now(): number;
}

export interface IdGenerator {
  /** A new group id (UUID). */
  groupId(): string;
  /** A new node epoch (short random string). */
  epoch(): string;
}

/** What every request use case is given. */
export interface MeshDeps {
  store: MeshStore;
  publisher: PushPublisher;
  clock: Clock;
  ids: IdGenerator;
  settings: MeshSettings;
}

/** What the fan-out use case is given. */
export interface FanoutDeps {
  store: MeshStore;
  notifier: ConnectionNotifier;
  clock: Clock;
  /** PostToConnection calls in flight at once. */
  concurrency: number;
}
