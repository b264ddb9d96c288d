/**
 * Gateways and clients for the emulator's tests: a gateway on a free port
 * whose routes run handlers in this thread, WebSocket clients that keep
 * every message, and `closeAll` for afterEach.
 */
import WebSocket from 'ws';
import { Gateway, type RouteTable } from '#local/gateway';
import { type LambdaHandler, LocalLambda } from '#local/lambda';
import { silentLog } from '#local/log';
import { LocalStats } from '#local/stats';

export type Routes = Record<string, { handler: LambdaHandler; twoWay?: boolean }>;

const open: Gateway[] = [];
const sockets: WebSocket[] = [];

export async function startGateway(routes: Routes, extra: Partial<ConstructorParameters<typeof Gateway>[0]> = {}) {
  const stats = new LocalStats();
  const table: RouteTable = {};
  for (const [key, route] of Object.entries(routes)) {
    table[key] = {
      fn: new LocalLambda({ name: key, handler: route.handler, stats, log: silentLog }),
      twoWay: route.twoWay,
    };
  }
  const gateway = new Gateway({
    port: 0,
    stage: 'test',
    apiId: 'testapi001',
    routes: table,
    stats,
    log: silentLog,
    ...extra,
  });
  await gateway.start();
  open.push(gateway);
  return { gateway, stats };
}

export function connect(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    sockets.push(ws);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Collects every message a socket receives, so none is missed between awaits. */
export function inbox(ws: WebSocket) {
  const messages: string[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (data) => {
    messages.push(data.toString());
    waiters.splice(0).forEach((wake) => wake());
  });
  return {
    messages,
    async next(): Promise<string> {
      while (messages.length === 0) await new Promise<void>((resolve) => waiters.push(resolve));
      return messages.shift()!;
    },
  };
}

export function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

/** Resolves once `predicate` holds, checking on each tick of the event loop. */
export async function eventually(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** Stops one gateway now (closeAll then leaves it be). */
export async function stopGateway(gateway: Gateway): Promise<void> {
  open.splice(open.indexOf(gateway), 1);
  await gateway.stop();
}

/** Terminates every client and stops every gateway the harness made. */
export async function closeAll(): Promise<void> {
  sockets.splice(0).forEach((ws) => ws.terminate());
  await Promise.all(open.splice(0).map((gateway) => gateway.stop()));
}

/** Connects and answers "opened", or the error's message for a refused upgrade. */
export function refusedWith(url: string): Promise<string> {
  return connect(url).then(
    () => 'opened',
    (error: Error) => error.message,
  );
}
