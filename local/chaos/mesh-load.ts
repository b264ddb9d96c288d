/**
 * Traffic for chaos runs: groups of MeshClient nodes (a host and members, the
 * `ws` transport) in which every node fires numbered events at a steady
 * rate, and the books of what came of them (ledger.ts). Each node's socket is
 * tapped, so the books see every copy that arrived as well as what MeshClient
 * emitted after putting each sender's pushes in order and dropping copies.
 *
 * Receivers replay raw (emit on arrival) and wait long for gaps
 * (`gapTimeoutMs` 60 s): a push that comes late is then counted as late, not
 * skipped, and one that never comes is counted as lost.
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { MeshClient, type MeshClientOptions, type WebSocketConstructor } from '#client/index';
import { pushesOf } from '#shared/protocol/messages';
import type { ServerFrame } from '#shared/protocol/index';
import { type ChaosFigures, DeliveryLedger } from './ledger';

/** The event name chaos traffic fires; its payload is the sender's event number. */
export const CHAOS_EVENT = 'chaos';

export interface ChaosMeshOptions {
  url: string;
  groups: number;
  /** Nodes per group, the host included (≥ 2). */
  nodesPerGroup: number;
  /** Events each node fires per second while firing. */
  rate: number;
  /** Shows in node ids and domains, to tell runs apart in logs. */
  label?: string;
  clientOptions?: Partial<MeshClientOptions>;
}

interface Node {
  nodeId: string;
  group: string;
  client: MeshClient;
}

/** A WebSocket that hands every text frame to `onFrame` too. */
function tappedWebSocket(onFrame: (text: string) => void): WebSocketConstructor {
  class TappedWebSocket extends WebSocket {
    constructor(url: string) {
      super(url);
      this.on('message', (data, isBinary) => {
        if (!isBinary) onFrame(data.toString());
      });
    }
  }
  return TappedWebSocket as unknown as WebSocketConstructor;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class ChaosMesh {
  readonly ledger = new DeliveryLedger();
  /** `error` events the clients emitted (refused or failed requests they went on after). */
  readonly clientErrors: string[] = [];
  private readonly nodes: Node[] = [];
  private timers: NodeJS.Timeout[] = [];

  private constructor(private readonly options: ChaosMeshOptions) {}

  /** Creates the groups (each host creates one, the members join) and resolves when all are in. */
  static async open(options: ChaosMeshOptions): Promise<ChaosMesh> {
    const mesh = new ChaosMesh(options);
    const label = options.label ?? 'chaos';
    await Promise.all(
      Array.from({ length: options.groups }, async (_, g) => {
        const domain = `${label}-${randomUUID().slice(0, 8)}`;
        const ids = Array.from(
          { length: options.nodesPerGroup },
          (_, n) => `${label}-g${g}-n${n}-${randomUUID().slice(0, 6)}`,
        );
        const [host, ...members] = ids.map((nodeId) => mesh.client(nodeId, domain));
        const group = await host.createGroup(`${label} ${g}`);
        mesh.ledger.addGroup(group.id, ids);
        mesh.nodes.push({ nodeId: host.nodeId, group: group.id, client: host });
        for (const member of members) {
          await member.joinGroup(group.id, domain);
          mesh.nodes.push({ nodeId: member.nodeId, group: group.id, client: member });
        }
      }),
    );
    return mesh;
  }

  /** Node ids by group. */
  groups(): Map<string, string[]> {
    const groups = new Map<string, string[]>();
    for (const node of this.nodes) groups.set(node.group, [...(groups.get(node.group) ?? []), node.nodeId]);
    return groups;
  }

  /** Every node fires `rate` events per second until stopFiring. */
  startFiring(): void {
    const every = 1000 / this.options.rate;
    for (const node of this.nodes) {
      // Staggered, so the nodes' batches do not all leave in the same millisecond.
      const start = setTimeout(() => {
        this.fire(node.nodeId);
        this.timers.push(setInterval(() => this.fire(node.nodeId), every));
      }, Math.random() * every);
      this.timers.push(start);
    }
  }

  stopFiring(): void {
    for (const timer of this.timers.splice(0)) clearTimeout(timer);
  }

  /** Fires one event from `nodeId` now. */
  fire(nodeId: string): void {
    const node = this.nodes.find((candidate) => candidate.nodeId === nodeId);
    if (!node) throw new Error(`no node ${nodeId}`);
    const n = this.ledger.fired(nodeId);
    node.client.fireEvent(CHAOS_EVENT, String(n));
  }

  /** Seqs the receivers gave up on after their gap timeout, over every node. */
  seqsSkipped(): number {
    return this.nodes.reduce((sum, node) => sum + node.client.stats().seqsSkipped, 0);
  }

  /** Events fired and not yet confirmed by the server, over every node. */
  pending(): number {
    return this.nodes.reduce((sum, node) => sum + node.client.stats().eventsPending, 0);
  }

  /**
   * Waits until every node's events are confirmed and every accepted event
   * has been emitted at every other member; resolves with how long that took.
   */
  async settle(timeoutMs: number): Promise<{ settled: boolean; ms: number }> {
    const started = Date.now();
    for (;;) {
      this.refreshAccepted();
      if (this.pending() === 0 && this.ledger.complete()) return { settled: true, ms: Date.now() - started };
      if (Date.now() - started > timeoutMs) return { settled: false, ms: Date.now() - started };
      await sleep(25);
    }
  }

  figures(): ChaosFigures {
    this.refreshAccepted();
    return this.ledger.figures();
  }

  /** Leaves (the hosts dissolve their groups) and closes every client. */
  async close(): Promise<void> {
    this.stopFiring();
    await Promise.all(this.nodes.map((node) => node.client.leave().catch(() => undefined)));
    for (const node of this.nodes) node.client.close();
  }

  private refreshAccepted(): void {
    // Batches go out one at a time, in firing order: the confirmed ones are the first fired.
    for (const node of this.nodes) this.ledger.setAccepted(node.nodeId, node.client.stats().eventsConfirmed);
  }

  private client(nodeId: string, domain: string): MeshClient {
    const client = new MeshClient({
      url: this.options.url,
      nodeId,
      domain,
      eventReplay: 'raw',
      gapTimeoutMs: 60_000,
      eventFlushIntervalMs: 50,
      WebSocket: tappedWebSocket((text) => this.tap(nodeId, text)),
      ...this.options.clientOptions,
    });
    client.on('event', (event) => {
      if (event.name === CHAOS_EVENT) this.ledger.emitted(nodeId, event.firedByNodeId, Number(event.payload));
    });
    client.on('error', (error) => this.clientErrors.push(`${nodeId}: ${error.errorType}: ${error.message}`));
    return client;
  }

  private tap(receiver: string, text: string): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(text) as ServerFrame;
    } catch {
      return;
    }
    if (frame.type !== 'message' && frame.type !== 'messages') return;
    for (const push of pushesOf(frame)) {
      if (!('batchEvent' in push)) continue;
      for (const event of push.batchEvent.events) {
        if (event.name === CHAOS_EVENT) this.ledger.arrivedRaw(receiver, push.from, Number(event.payload));
      }
    }
  }
}
