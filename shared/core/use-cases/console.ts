/**
 * The operator console's actions: watchMesh (a snapshot, and monitoring on
 * for a lease), watchGroup (one group's pushes to the viewer too) and
 * unwatchMesh. Only a WebSocket caller presenting the deployment's admin
 * token may call them (MESH_ADMIN_TOKEN; unset, the console is off).
 *
 * Monitoring costs nothing while nobody watches: the marks that turn it on
 * are on the groups' log heads, which the fan-out reads every round anyway,
 * and they lapse with the lease (or go with the last viewer). See
 * docs/console.md.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import {
  CONSOLE_LOG,
  type ConsoleGroup,
  type ConsoleNode,
  type MeshSnapshot,
  WATCH_LEASE_SECONDS,
} from '#shared/protocol/console';
import type { RequestOf } from '#shared/protocol/requests';
import type { NodeStatus } from '#shared/protocol/types';
import { Unauthorized, ValidationError } from '../errors';
import { isGroupLive, isNodeLive, requireLiveGroup } from '../liveness';
import type { Caller, GroupRecord, NodeRecord } from '../model';
import type { LogHead, MeshDeps } from '../ports';
import { allNodesOf } from '../paging';
import { iso, presentNodeStatus } from '../presenters';
import { VIEWER_NODE_ID } from '../viewers';
import { keyOf, requireFreeConnection } from './guards';

type AdminRequest = { adminToken: string };

/** Every live group, its nodes and its push count; the caller is a viewer and the groups are watched for the lease. */
export async function watchMesh(
  request: RequestOf<'watchMesh'>,
  caller: Caller,
  deps: MeshDeps,
): Promise<MeshSnapshot> {
  const console = requireViewer(request, caller, deps);
  await requireNoNode(caller, deps);
  const now = deps.clock.now();
  const until = now + WATCH_LEASE_SECONDS * 1000;
  await console.putViewer(caller.connectionId, until);
  const groups = (await console.listAllGroups()).filter((group) => isGroupLive(group, now, deps.settings));
  const shown = await Promise.all(
    groups.map(async (group) => {
      const { shown, head } = await consoleGroupOf(group, deps, now);
      if (needsMark(head, now)) await console.markWatched(keyOf(group), until);
      return shown;
    }),
  );
  const viewers = await liveViewers(deps, now);
  shown.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return { at: iso(now), groups: shown, viewers, leaseSeconds: WATCH_LEASE_SECONDS };
}

/** The group's nodes' full status; the viewer is sent the group's pushes for the lease, as a member is. */
export async function watchGroup(
  request: RequestOf<'watchGroup'>,
  caller: Caller,
  deps: MeshDeps,
): Promise<NodeStatus[]> {
  const console = requireViewer(request, caller, deps);
  await requireNoNode(caller, deps);
  const key = keyOf(request);
  const now = deps.clock.now();
  requireLiveGroup(await deps.store.getGroup(key), now, deps.settings);
  await console.putGroupViewer(key, caller.connectionId, now + WATCH_LEASE_SECONDS * 1000);
  const nodes = await allNodesOf(deps.store, key);
  return nodes.filter((node) => isNodeLive(node, now)).flatMap((node) => presentNodeStatus(node) ?? []);
}

/** The caller stops watching; the last viewer to go turns the groups' monitoring off at once. */
export async function unwatchMesh(
  request: RequestOf<'unwatchMesh'>,
  caller: Caller,
  deps: MeshDeps,
): Promise<{ viewers: number }> {
  const console = requireViewer(request, caller, deps);
  const now = deps.clock.now();
  await console.removeViewer(caller.connectionId);
  const viewers = await liveViewers(deps, now);
  if (viewers === 0) {
    const groups = await console.listAllGroups();
    await Promise.all(groups.map((group) => console.markWatched(keyOf(group), null)));
  }
  return { viewers };
}

/** The console port, if the caller may use it: a WebSocket connection with the admin token. */
function requireViewer(request: AdminRequest, caller: Caller, deps: MeshDeps): NonNullable<MeshDeps['console']> {
  if (caller.overHttps) throw new ValidationError('the console watches over a WebSocket only');
  const expected = deps.adminToken;
  if (deps.console === undefined || expected === undefined || expected === '') {
    throw new Unauthorized('the console is off: this deployment has no admin token');
  }
  if (!sameSecret(request.adminToken, expected)) throw new Unauthorized('wrong admin token');
  return deps.console;
}

/**
 * A connection is a node or a viewer, never both: its one connection record
 * says which, and $disconnect acts on what it says (a viewer's record over a
 * live node's would leave the node bound to a dead connection).
 */
async function requireNoNode(caller: Caller, deps: MeshDeps): Promise<void> {
  const connection = await deps.store.getConnection(caller.connectionId);
  await requireFreeConnection(deps, caller, connection, { ...CONSOLE_LOG, nodeId: VIEWER_NODE_ID });
}

/** Compares in time independent of where the texts differ, and of their lengths (their digests are compared). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

async function liveViewers(deps: MeshDeps, now: number): Promise<number> {
  const viewers = await deps.store.listSubscribers(CONSOLE_LOG);
  return viewers.filter((viewer) => viewer.expiresAt >= now).length;
}

/**
 * Whether the group's log head needs its watch mark renewed: it has a head
 * (a group with none has had no push, so no round to report yet), and its
 * mark would lapse within half a lease. Renewing only then keeps a viewer's
 * every-few-seconds snapshots from writing every head every time.
 */
function needsMark(head: LogHead | undefined, now: number): boolean {
  if (head === undefined) return false;
  return (head.watchedUntil ?? 0) < now + (WATCH_LEASE_SECONDS * 1000) / 2;
}

async function consoleGroupOf(
  group: GroupRecord,
  deps: MeshDeps,
  now: number,
): Promise<{ shown: ConsoleGroup; head: LogHead | undefined }> {
  const key = keyOf(group);
  const [nodes, log] = await Promise.all([allNodesOf(deps.store, key), deps.events.read(key)]);
  const shown: ConsoleGroup = {
    ...key,
    name: group.name,
    hostId: group.hostId,
    createdAt: iso(group.createdAt),
    expiresAt: iso(group.expiresAt),
    heartbeatAt: iso(group.heartbeatAt),
    pushes: log.head?.pos ?? 0,
    nodes: nodes.filter((node) => isNodeLive(node, now)).map((node) => consoleNodeOf(node, group, deps)),
  };
  return { shown, head: log.head };
}

function consoleNodeOf(node: NodeRecord, group: GroupRecord, deps: MeshDeps): ConsoleNode {
  const ttlMs = deps.settings.memberHeartbeatTtlSeconds * 1000;
  return {
    nodeId: node.nodeId,
    isHost: node.isHost,
    connected: node.connectionId !== null,
    transport: node.useWebSocket ? 'websocket' : 'polling',
    joinedAt: iso(node.joinedAt),
    lastHeartbeatAt: iso(node.isHost ? group.heartbeatAt : node.expiresAt - ttlMs),
    expiresAt: iso(node.expiresAt),
    statusKeys: Object.keys(node.data).length,
  };
}
