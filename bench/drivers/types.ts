/**
 * What the load generator needs from a target: open a group's nodes, send
 * tagged status reports and event batches from one node, and hear every item
 * each node receives, at the application level and (where the target has a
 * layer in between) raw at the socket.
 */
import type { ItemKind } from '../ledger';

/** Where an item was observed: after the client library's ordering and de-duplication, or raw frames. */
export type Level = 'app' | 'raw';

/** Called for every item a node receives. `sender` is the sending node's id. */
export type ItemListener = (level: Level, receiver: string, sender: string, kind: ItemKind, tag: string) => void;

/**
 * Called for every item as it leaves a node on the wire (inside a
 * reportDataByNode / fireEventsByNode frame). A client library may merge
 * status values before they leave (latest value wins); what left is what the
 * mesh is accountable for, and the order it left in is the order to keep.
 */
export type WireListener = (sender: string, kind: ItemKind, tag: string) => void;

export interface Listeners {
  onItem: ItemListener;
  onWire: WireListener;
}

/** The status keys and the event name the bench uses; anything else a node receives is ignored. */
export const STATUS_KEY_PREFIX = 'bench';
export const EVENT_NAME = 'bench';

export interface BenchNode {
  readonly nodeId: string;
  /** Sends one status report: `{ [key]: tag }`. */
  report(key: string, tag: string): void;
  /** Sends one event batch, one event per tag, in order. */
  fire(tags: string[]): void;
  /** Client-side messages handed to the transport so far (reports + batches). */
  messagesSent(): number;
  close(): Promise<void>;
}

export interface GroupPlan {
  name: string;
  domain: string;
  /** The first node is the host and creates the group; the others join it. */
  nodeIds: string[];
}

export interface Driver {
  /** Connects and joins every node of the group; resolves when all are members. */
  openGroup(plan: GroupPlan, listeners: Listeners): Promise<BenchNode[]>;
}
