/**
 * Bench nodes on a bare protocol socket (tools/protocol-socket.ts), with no
 * ordering or de-duplication layer: what a node hears is what its socket
 * received (a `messages` frame's pushes one by one), so it reports every item
 * at both levels. Used against the baseline relay.
 */
import type { Push } from '#shared/protocol/messages';
import { ProtocolSocket } from '#tools/protocol-socket';
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

class RawNode implements BenchNode {
  private sent = 0;
  groupId = '';

  private constructor(
    readonly nodeId: string,
    private readonly domain: string,
    readonly socket: ProtocolSocket,
    private readonly onWire: WireListener,
  ) {}

  static async open(url: string, nodeId: string, domain: string, { onItem, onWire }: Listeners): Promise<RawNode> {
    // Not buffered: the load's pushes and the replies to its sends are heard here or dropped.
    const socket = await ProtocolSocket.connect(url, { buffer: false, ws: { perMessageDeflate: false } });
    const node = new RawNode(nodeId, domain, socket, onWire);
    socket.onPush((push) => node.onPush(push, onItem));
    return node;
  }

  private onPush(push: Push, onItem: ItemListener): void {
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

  private get key() {
    return { groupId: this.groupId, domain: this.domain, nodeId: this.nodeId };
  }

  report(key: string, tag: string): void {
    this.sent += 1;
    // Fire-and-forget: the reply is read and dropped, like the load it models.
    this.socket.send('reportDataByNode', { ...this.key, data: [{ key, value: tag }] });
    this.onWire(this.nodeId, 's', tag);
  }

  fire(tags: string[]): void {
    const firedAt = new Date().toISOString();
    this.sent += 1;
    this.socket.send('fireEventsByNode', {
      ...this.key,
      events: tags.map((payload) => ({ eventName: EVENT_NAME, payload, firedAt })),
    });
    for (const tag of tags) this.onWire(this.nodeId, 'e', tag);
  }

  messagesSent(): number {
    return this.sent;
  }

  async close(): Promise<void> {
    await this.socket.close();
  }
}

export function rawDriver(url: string): Driver {
  return {
    async openGroup(plan: GroupPlan, listeners: Listeners): Promise<BenchNode[]> {
      const [hostId, ...memberIds] = plan.nodeIds;
      const host = await RawNode.open(url, hostId, plan.domain, listeners);
      const group = await host.socket.call('createGroup', { name: plan.name, hostId, domain: plan.domain });
      host.groupId = group.id;
      const members = await Promise.all(
        memberIds.map(async (nodeId) => {
          const node = await RawNode.open(url, nodeId, plan.domain, listeners);
          await node.socket.call('joinGroup', { groupId: group.id, domain: plan.domain, nodeId });
          node.groupId = group.id;
          return node;
        }),
      );
      return [host, ...members];
    },
  };
}
