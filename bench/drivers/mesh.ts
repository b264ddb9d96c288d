/**
 * Drives the mesh through MeshClient, as applications do. Client settings for
 * exact counting (docs/performance.md, "What is measured"):
 * - status: the full re-send is off (it would re-deliver values already
 *   counted) and the limiter's cap is raised so it never holds a report back;
 *   the bench rotates over a few keys, so a report still in flight is never
 *   merged with the next one: one `report` is one reportDataByNode.
 * - events: flushed at once (`eventFlushIntervalMs: 0`): the events of one
 *   profile batch are fired in the same tick and leave as one
 *   fireEventsByNode. The default 250 ms queueing of the Mesh v2 extension is
 *   the client's choice, not the transport's, and is left out of latency.
 * - receiving: events are emitted on arrival (`eventReplay: 'raw'`), so latency
 *   is transport latency, not replay spacing.
 * Raw frames are observed by handing MeshClient a WebSocket class that taps
 * `onmessage` before the client's ordering and de-duplication.
 */
import WebSocket from 'ws';
import { MeshClient } from '#client/mesh-client';
import type { WebSocketConstructor } from '#client/transport';
import { type Push, pushesOf, type ServerFrame } from '#shared/protocol/messages';
import {
  EVENT_NAME,
  STATUS_KEY_PREFIX,
  type BenchNode,
  type Driver,
  type GroupPlan,
  type ItemListener,
  type Listeners,
  type WireListener,
} from './types';

/**
 * A `ws` WebSocket that shows every incoming frame to `tapIn` first (its
 * listener is registered before MeshClient sets `onmessage`, so it runs
 * first) and every outgoing frame to `tapOut`.
 */
function tappedWebSocket(tapIn: (text: string) => void, tapOut: (text: string) => void): WebSocketConstructor {
  return function TappedWebSocket(url: string) {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    socket.on('message', (data) => tapIn(String(data)));
    const send = socket.send.bind(socket) as (data: string) => void;
    (socket as unknown as { send: (data: string) => void }).send = (data: string) => {
      send(data);
      tapOut(data);
    };
    return socket;
  } as unknown as WebSocketConstructor;
}

/** Reports each bench item an outgoing request frame carries. */
function wireItems(sender: string, text: string, onWire: WireListener): void {
  if (text.includes('"action":"reportDataByNode"')) {
    const request = JSON.parse(text) as { data: { key: string; value: string }[] };
    for (const entry of request.data) if (entry.key.startsWith(STATUS_KEY_PREFIX)) onWire(sender, 's', entry.value);
  } else if (text.includes('"action":"fireEventsByNode"')) {
    const request = JSON.parse(text) as { events: { eventName: string; payload?: string | null }[] };
    for (const event of request.events) {
      if (event.eventName === EVENT_NAME && event.payload != null) onWire(sender, 'e', event.payload);
    }
  }
}

/** Reports each bench item a raw push frame carries. */
function rawItems(receiver: string, text: string, onItem: ItemListener): void {
  if (!text.includes('"type":"message')) return; // a reply
  for (const push of pushesOf(JSON.parse(text) as ServerFrame)) rawPushItems(receiver, push, onItem);
}

/** Reports each bench item one push carries (a frame may carry several pushes). */
function rawPushItems(receiver: string, push: Push, onItem: ItemListener): void {
  if (push.from === receiver) return;
  if ('nodeStatus' in push) {
    for (const entry of push.nodeStatus.data) {
      if (entry.key.startsWith(STATUS_KEY_PREFIX)) onItem('raw', receiver, push.from, 's', entry.value);
    }
  } else if ('batchEvent' in push) {
    for (const event of push.batchEvent.events) {
      if (event.name === EVENT_NAME && event.payload != null) onItem('raw', receiver, push.from, 'e', event.payload);
    }
  }
}

/** One node on MeshClient; exported for profiles that open their groups themselves (bench/polling/group.ts). */
export class MeshNode implements BenchNode {
  readonly client: MeshClient;

  constructor(
    readonly nodeId: string,
    url: string,
    domain: string,
    { onItem, onWire }: Listeners,
  ) {
    this.client = new MeshClient({
      url,
      nodeId,
      domain,
      WebSocket: tappedWebSocket(
        (text) => rawItems(nodeId, text, onItem),
        (text) => wireItems(nodeId, text, onWire),
      ),
      statusMaxReports: 1000,
      statusFullResendIntervalMs: 0,
      eventFlushIntervalMs: 0,
      eventReplay: 'raw',
      // The bench counts every failure itself; a reconnect would hide one.
      reconnect: false,
    });
    this.client.on('status', (sender, changes) => {
      for (const [key, value] of Object.entries(changes)) {
        if (key.startsWith(STATUS_KEY_PREFIX)) onItem('app', nodeId, sender, 's', value);
      }
    });
    this.client.on('event', (event) => {
      if (event.name === EVENT_NAME && event.payload != null)
        onItem('app', nodeId, event.firedByNodeId, 'e', event.payload);
    });
    this.client.on('error', (error) => process.stderr.write(`[${nodeId}] ${error.errorType}: ${error.message}\n`));
    this.client.on('disconnect', (reason) => process.stderr.write(`[${nodeId}] disconnected: ${reason.message}\n`));
  }

  report(key: string, tag: string): void {
    this.client.setData(key, tag);
  }

  fire(tags: string[]): void {
    for (const tag of tags) this.client.fireEvent(EVENT_NAME, tag);
  }

  messagesSent(): number {
    const { sent } = this.client.stats();
    return (sent.reportDataByNode ?? 0) + (sent.fireEventsByNode ?? 0);
  }

  async close(): Promise<void> {
    try {
      await this.client.leave();
    } catch {
      // Leaving is courtesy here: the bench's groups expire anyway.
    }
    this.client.close();
  }
}

export function meshDriver(url: string): Driver {
  return {
    async openGroup(plan: GroupPlan, listeners: Listeners): Promise<BenchNode[]> {
      const nodes = plan.nodeIds.map((nodeId) => new MeshNode(nodeId, url, plan.domain, listeners));
      const [host, ...members] = nodes;
      await host.client.connect();
      const group = await host.client.createGroup(plan.name, { domain: plan.domain });
      // Members join ten at a time: a real classroom does not join in one millisecond either.
      for (let i = 0; i < members.length; i += 10) {
        await Promise.all(
          members.slice(i, i + 10).map(async (node) => {
            await node.client.connect();
            await node.client.joinGroup(group.id, plan.domain);
          }),
        );
      }
      return nodes;
    },
  };
}
