/**
 * The polling profile's group: a WebSocket host (MeshClient keeps its host
 * heartbeat), WebSocket members, and polling members over HTTPS, in one
 * group, as a class where some pupils' networks block WebSockets. Opening
 * and closing it; the load and the counting are elsewhere (load.ts,
 * tally.ts).
 */
import { seededRandom } from '#local/seeded-random';
import { MeshNode } from '../drivers/mesh';
import { PollingNode } from '../drivers/poller';
import type { BenchNode } from '../drivers/types';
import type { PollingTally } from './tally';

export interface MixedGroupPlan {
  wsUrl: string;
  httpUrl: string;
  domain: string;
  /** Node ids start with it, so a run's nodes are told apart in the stack's log. */
  idPrefix: string;
  /** WebSocket nodes, the host included. */
  socketNodes: number;
  pollers: number;
}

export interface MixedGroup {
  groupId: string;
  sockets: MeshNode[];
  pollers: PollingNode[];
  /** Every node, the WebSocket ones spread evenly among the pollers: the order the load takes turns in. */
  nodes: BenchNode[];
  /** The interval the joins' replies gave the pollers (the server's MESH_POLLING_INTERVAL_SECONDS). */
  pollingIntervalMs: number;
  heartbeatIntervalMs: number;
}

/** Joins happen ten at a time: a real classroom does not join in one millisecond either. */
async function inTens<T>(items: T[], join: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += 10) await Promise.all(items.slice(i, i + 10).map(join));
}

export async function openMixedGroup(plan: MixedGroupPlan, tally: PollingTally): Promise<MixedGroup> {
  const { listeners } = tally;
  const socketIds = Array.from({ length: plan.socketNodes }, (_, n) => `${plan.idPrefix}-ws${n}`);
  const pollerIds = Array.from({ length: plan.pollers }, (_, n) => `${plan.idPrefix}-poll${n}`);
  tally.addNodes('socket', socketIds);
  tally.addNodes('poller', pollerIds);
  const sockets = socketIds.map((id) => new MeshNode(id, plan.wsUrl, plan.domain, listeners));
  const pollers = pollerIds.map((id) => new PollingNode(id, plan.httpUrl, plan.domain, listeners));
  const [host, ...members] = sockets;
  await host.client.connect();
  const group = await host.client.createGroup('bench polling group', { domain: plan.domain });
  await inTens(members, async (node) => {
    await node.client.connect();
    await node.client.joinGroup(group.id, plan.domain);
  });
  await inTens(pollers, (node) => node.join(group.id));
  return {
    groupId: group.id,
    sockets,
    pollers,
    nodes: interleave(sockets, pollers),
    pollingIntervalMs: pollers[0]?.pollingIntervalMs ?? 0,
    heartbeatIntervalMs: pollers[0]?.heartbeatIntervalMs ?? 0,
  };
}

/**
 * Both kinds in one list, the fewer spread evenly among the more (8 of 48:
 * every sixth), so the load's turns reach both kinds from the first seconds
 * on, from either end of the list.
 */
function interleave(sockets: BenchNode[], pollers: BenchNode[]): BenchNode[] {
  const total = sockets.length + pollers.length;
  const nodes: BenchNode[] = [];
  let s = 0;
  let p = 0;
  for (let i = 0; i < total; i += 1) {
    const socketDue = s * total <= i * sockets.length;
    if (s < sockets.length && (socketDue || p >= pollers.length)) nodes.push(sockets[s++]);
    else nodes.push(pollers[p++]);
  }
  return nodes;
}

/** Starts every poller at its own offset within one interval, as pupils' pages opened at different moments. */
export function startPolling(group: MixedGroup): void {
  const draw = seededRandom(104729);
  for (const poller of group.pollers) poller.start(Math.floor(draw() * poller.pollingIntervalMs));
}

/** Pollers leave first, then the WebSocket members, then the host, whose leave() dissolves the group. */
export async function closeMixedGroup(group: MixedGroup): Promise<void> {
  await Promise.allSettled(group.pollers.map((node) => node.close()));
  const [host, ...members] = group.sockets;
  await Promise.allSettled(members.map((node) => node.close()));
  await host?.close();
}
