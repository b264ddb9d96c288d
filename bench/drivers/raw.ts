/**
 * A raw `ws` client speaking the mesh's request and push shapes directly, with
 * no ordering or de-duplication layer: what it receives is what the socket
 * received, so it reports every item at both levels. Used against the
 * baseline relay.
 */
import WebSocket from 'ws';
import type { Push } from '#shared/protocol/messages';
import { EVENT_NAME, STATUS_KEY_PREFIX, type BenchNode, type Driver, type GroupPlan, type ItemListener, type Listeners, type WireListener } from './types';

interface Pending {
  resolve: (data: unknown) => void;
  reject: (error: Error) => void;
}

class RawNode implements BenchNode {
  private requests = 0;
  private readonly pending = new Map<string, Pending>();
  private sent = 0;
  groupId = '';

  private constructor(
    readonly nodeId: string,
    private readonly domain: string,
    private readonly socket: WebSocket,
    private readonly onWire: WireListener,
  ) {}

  static async open(url: string, nodeId: string, domain: string, { onItem, onWire }: Listeners): Promise<RawNode> {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const node = new RawNode(nodeId, domain, socket, onWire);
    socket.on('message', (data) => node.onFrame(String(data), onItem));
    return node;
  }

  private onFrame(text: string, onItem: ItemListener): void {
    const frame = JSON.parse(text) as Push | { type: 'result' | 'error'; requestId?: string; data?: unknown };
    if (frame.type !== 'message') {
      if (frame.requestId === undefined) return;
      const waiting = this.pending.get(frame.requestId);
      this.pending.delete(frame.requestId);
      if (frame.type === 'error') waiting?.reject(new Error(text));
      else waiting?.resolve(frame.data);
      return;
    }
    const push = frame;
    if ('nodeStatus' in push) {
      for (const entry of push.nodeStatus.data) {
        if (!entry.key.startsWith(STATUS_KEY_PREFIX)) continue;
        onItem('raw', this.nodeId, push.from, 's', entry.value);
        onItem('app', this.nodeId, push.from, 's', entry.value);
      }
    } else if ('batchEvent' in push) {
      for (const event of push.batchEvent.events) {
        if (event.name !== EVENT_NAME || event.payload == null) continue;
        onItem('raw', this.nodeId, push.from, 'e', event.payload);
        onItem('app', this.nodeId, push.from, 'e', event.payload);
      }
    }
  }

  request(action: string, args: Record<string, unknown>): Promise<unknown> {
    const requestId = String(++this.requests);
    return new Promise((resolve, reject) => {
      this.pending.set(requestId, { resolve, reject });
      this.socket.send(JSON.stringify({ action, requestId, ...args }));
    });
  }

  /** Fire-and-forget send: the reply is read and dropped, like the load it models. */
  private send(action: string, args: Record<string, unknown>): void {
    this.sent += 1;
    this.socket.send(JSON.stringify({ action, groupId: this.groupId, domain: this.domain, nodeId: this.nodeId, ...args }));
  }

  report(key: string, tag: string): void {
    this.send('reportDataByNode', { data: [{ key, value: tag }] });
    this.onWire(this.nodeId, 's', tag);
  }

  fire(tags: string[]): void {
    const firedAt = new Date().toISOString();
    this.send('fireEventsByNode', { events: tags.map((payload) => ({ eventName: EVENT_NAME, payload, firedAt })) });
    for (const tag of tags) this.onWire(this.nodeId, 'e', tag);
  }

  messagesSent(): number {
    return this.sent;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }
}

export function rawDriver(url: string): Driver {
  return {
    async openGroup(plan: GroupPlan, listeners: Listeners): Promise<BenchNode[]> {
      const [hostId, ...memberIds] = plan.nodeIds;
      const host = await RawNode.open(url, hostId, plan.domain, listeners);
      const group = (await host.request('createGroup', { name: plan.name, hostId, domain: plan.domain })) as {
        id: string;
      };
      host.groupId = group.id;
      const members = await Promise.all(
        memberIds.map(async (nodeId) => {
          const node = await RawNode.open(url, nodeId, plan.domain, listeners);
          await node.request('joinGroup', { groupId: group.id, domain: plan.domain, nodeId });
          node.groupId = group.id;
          return node;
        }),
      );
      return [host, ...members];
    },
  };
}
