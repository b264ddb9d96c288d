/**
 * What the polling profile counts, from the same listeners every bench node
 * reports to (drivers/types.ts):
 * - events exactly: every measured event that left a node is owed once to
 *   every other node of the group; pollers and WebSocket receivers have a
 *   ledger each (ledger.ts: delivered, duplicates, out of order, latency);
 * - status by its latest value: a poller reads each node's merged status,
 *   not every report (a value overwritten between two polls is never seen,
 *   by design), so what is checked is that every node's last report reached
 *   every other node.
 */
import { DeliveryLedger, type ItemKind, decodeTag, nowMs } from '../ledger';
import type { ItemListener, Listeners, WireListener } from '../drivers/types';

/** The tags of the profile's one phase. */
export const POLLING_PHASE = 1;

export type ReceiverKind = 'poller' | 'socket';

export class PollingTally {
  readonly ledgers: Record<ReceiverKind, DeliveryLedger> = {
    poller: new DeliveryLedger(POLLING_PHASE, true),
    socket: new DeliveryLedger(POLLING_PHASE, true),
  };
  /** Measured event deliveries owed, by the kind of receiver. */
  readonly expected: Record<ReceiverKind, number> = { poller: 0, socket: 0 };
  /** Measured items that left, by the kind of sender. */
  readonly sent: Record<ReceiverKind, { statusReports: number; events: number }> = {
    poller: { statusReports: 0, events: 0 },
    socket: { statusReports: 0, events: 0 },
  };
  private readonly kinds = new Map<string, ReceiverKind>();
  private readonly count: Record<ReceiverKind, number> = { poller: 0, socket: 0 };
  /** Per sender and kind, the counters that already left (a resent frame is owed once). */
  private readonly left = new Map<string, Set<number>>();
  /** Per sender, the highest status counter that left; per receiver and sender, the highest one seen. */
  private readonly lastReported = new Map<string, number>();
  private readonly lastSeen = new Map<string, number>();

  /** Registers the group's nodes before anything is sent. */
  addNodes(kind: ReceiverKind, nodeIds: string[]): void {
    for (const nodeId of nodeIds) this.kinds.set(nodeId, kind);
    this.count[kind] += nodeIds.length;
  }

  readonly onItem: ItemListener = (level, receiver, sender, kind, tagText) => {
    // WebSocket nodes also report raw frames; the application level is what a program sees.
    if (level !== 'app' || receiver === sender) return;
    if (kind === 'e') {
      this.ledgers[this.kindOf(receiver)].record(receiver, sender, 'e', tagText, nowMs());
      return;
    }
    const tag = decodeTag(tagText);
    if (!tag || tag.phase !== POLLING_PHASE) return;
    const key = `${receiver}\u0000${sender}`;
    if (tag.counter > (this.lastSeen.get(key) ?? 0)) this.lastSeen.set(key, tag.counter);
  };

  /** An item left its sender: every other node is owed it. */
  readonly onWire: WireListener = (sender, kind, tagText) => {
    const tag = decodeTag(tagText);
    if (!tag || tag.phase !== POLLING_PHASE || !this.firstTimeLeft(sender, kind, tag.counter)) return;
    const senderKind = this.kindOf(sender);
    if (kind === 's') {
      if (tag.counter > (this.lastReported.get(sender) ?? 0)) this.lastReported.set(sender, tag.counter);
      if (tag.measured) this.sent[senderKind].statusReports += 1;
      return;
    }
    if (!tag.measured) return;
    this.sent[senderKind].events += 1;
    for (const receiverKind of ['poller', 'socket'] as const) {
      this.expected[receiverKind] += this.count[receiverKind] - (receiverKind === senderKind ? 1 : 0);
    }
  };

  get listeners(): Listeners {
    return { onItem: this.onItem, onWire: this.onWire };
  }

  /** Pairs (receiver, another node that reported) whose last report the receiver has seen, of all such pairs. */
  statusConvergence(): { pairs: number; converged: number } {
    let pairs = 0;
    let converged = 0;
    for (const [sender, last] of this.lastReported) {
      for (const receiver of this.kinds.keys()) {
        if (receiver === sender) continue;
        pairs += 1;
        if (this.lastSeen.get(`${receiver}\u0000${sender}`) === last) converged += 1;
      }
    }
    return { pairs, converged };
  }

  /** Every owed event delivered and every last report seen: the drain may end. */
  complete(): boolean {
    const { pairs, converged } = this.statusConvergence();
    return (
      this.ledgers.poller.counts.delivered >= this.expected.poller &&
      this.ledgers.socket.counts.delivered >= this.expected.socket &&
      converged === pairs
    );
  }

  private kindOf(nodeId: string): ReceiverKind {
    const kind = this.kinds.get(nodeId);
    if (!kind) throw new Error(`${nodeId} is not a node of the polling group`);
    return kind;
  }

  private firstTimeLeft(sender: string, kind: ItemKind, counter: number): boolean {
    const key = `${sender}\u0000${kind}`;
    let counters = this.left.get(key);
    if (!counters) this.left.set(key, (counters = new Set()));
    if (counters.has(counter)) return false;
    counters.add(counter);
    return true;
  }
}
