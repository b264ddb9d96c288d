/**
 * The bench's floor: a minimal relay on `ws` that forwards each message to the
 * other members of its group, with no persistence, no validation beyond JSON,
 * and no queue. It speaks the mesh's request and push shapes (createGroup,
 * joinGroup, reportDataByNode, fireEventsByNode → Push frames with from/epoch/
 * seq), so the same load and the same receivers run against it.
 *
 * Run as its own process: `tsx bench/baseline.ts [--port 0]`; it prints
 * `BASELINE_READY {"url": "ws://127.0.0.1:PORT"}` on stdout once listening.
 */
import { randomUUID } from 'node:crypto';
import { WebSocket, WebSocketServer } from 'ws';
import type { Push } from '#shared/protocol/messages';
import { formatMarkedLine } from '#local/ready-line';
import { stopWhenAsked } from './stop-signals';

/** The relay's ready line: `BASELINE_READY {json}`. */
export const BASELINE_MARKER = 'BASELINE_READY';
export interface BaselineReady {
  url: string;
}

interface Member {
  socket: WebSocket;
  nodeId: string;
  groupKey: string;
  seq: number;
}

/** Starts the relay; resolves with its URL and a close function. */
export async function startBaselineRelay(port = 0): Promise<{ url: string; close: () => Promise<void> }> {
  const groups = new Map<string, Set<Member>>();
  const server = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false });

  server.on('connection', function onConnection(socket) {
    let member: Member | undefined;
    socket.on('message', function onMessage(data) {
      let request: Record<string, unknown>;
      try {
        request = JSON.parse(String(data)) as Record<string, unknown>;
      } catch {
        return;
      }
      const { action, requestId } = request;
      const reply = (payload: unknown) =>
        socket.send(JSON.stringify({ type: 'result', action, requestId, data: payload }));
      const groupId = String(request.groupId ?? '');
      const domain = String(request.domain ?? '');

      if (action === 'createGroup' || action === 'joinGroup') {
        const id = action === 'createGroup' ? randomUUID() : groupId;
        const nodeId = String(request.hostId ?? request.nodeId);
        const groupKey = `${id}@${domain}`;
        member = { socket, nodeId, groupKey, seq: 0 };
        let members = groups.get(groupKey);
        if (!members) groups.set(groupKey, (members = new Set()));
        members.add(member);
        reply({ id, domain, nodeId });
        return;
      }
      if (!member || (action !== 'reportDataByNode' && action !== 'fireEventsByNode')) {
        reply(null);
        return;
      }
      const now = new Date().toISOString();
      const from = member.nodeId;
      const base = { type: 'message' as const, groupId, domain, from, epoch: '0', seq: ++member.seq, sentAt: now };
      const push: Push =
        action === 'reportDataByNode'
          ? {
              ...base,
              nodeStatus: { nodeId: from, groupId, domain, data: request.data as never, timestamp: now },
            }
          : {
              ...base,
              batchEvent: {
                firedByNodeId: from,
                groupId,
                domain,
                timestamp: now,
                events: (request.events as { eventName: string; payload?: string; firedAt: string }[]).map((e) => ({
                  name: e.eventName,
                  firedByNodeId: from,
                  groupId,
                  domain,
                  payload: e.payload ?? null,
                  timestamp: e.firedAt,
                })),
              },
            };
      const frame = JSON.stringify(push);
      for (const other of groups.get(member.groupKey) ?? []) {
        if (other !== member && other.socket.readyState === WebSocket.OPEN) other.socket.send(frame);
      }
      reply({ seq: base.seq });
    });
    socket.on('close', function onClose() {
      if (member) groups.get(member.groupKey)?.delete(member);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  return {
    url: `ws://127.0.0.1:${boundPort}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}

async function main(): Promise<void> {
  const portFlag = process.argv.indexOf('--port');
  const port = portFlag >= 0 ? Number(process.argv[portFlag + 1]) : 0;
  const relay = await startBaselineRelay(port);
  const ready: BaselineReady = { url: relay.url };
  process.stdout.write(formatMarkedLine(BASELINE_MARKER, ready));
  const stop = () => void relay.close().then(() => process.exit(0));
  stopWhenAsked(stop);
}

if (process.argv[1] && /baseline\.ts$/.test(process.argv[1])) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
