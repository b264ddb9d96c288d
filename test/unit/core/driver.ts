/**
 * A small driver over runAction for the core's tests: requests read like the
 * wire protocol, each sent as a given connection.
 */
import { runAction } from '#shared/core/actions';
import type { Caller } from '#shared/core/model';
import type { ErrorType } from '#shared/protocol/messages';
import type { AnyRequest } from '#shared/protocol/requests';
import type { Group, Node, NodeTokenGrant, SenderPositions } from '#shared/protocol/types';
import { fakeWorld, type FakeWorld } from './fakes';

export const DOMAIN = 'school-1';

/** The caller a connection id stands for. */
export function caller(connectionId: string, sourceIp = '203.0.113.7'): Caller {
  return { connectionId, sourceIp };
}

/** Runs one request as `connectionId` and returns the reply's `data`. */
export async function send<T = unknown>(world: FakeWorld, connectionId: string, request: AnyRequest): Promise<T> {
  const result = await runAction(request, caller(connectionId), world.deps);
  return result.data as T;
}

/** Runs one request as `connectionId` and returns the whole result (data and nextToken). */
export function sendForPage(world: FakeWorld, connectionId: string, request: AnyRequest) {
  return runAction(request, caller(connectionId), world.deps);
}

/** Creates a group hosted by `hostId` on connection `connectionId`. */
export function createGroup(
  world: FakeWorld,
  connectionId: string,
  hostId = 'host',
  extra: {
    maxConnectionTimeSeconds?: number;
    useWebSocket?: boolean;
    domain?: string;
    name?: string;
    nodeToken?: string;
  } = {},
): Promise<Group & NodeTokenGrant> {
  const { domain = DOMAIN, name = 'classroom', ...rest } = extra;
  return send(world, connectionId, { action: 'createGroup', name, hostId, domain, ...rest });
}

/** Joins `group` as `nodeId` on connection `connectionId` (with `nodeToken` when given). */
export function joinGroup(
  world: FakeWorld,
  connectionId: string,
  group: Group,
  nodeId: string,
  nodeToken?: string,
): Promise<Node & NodeTokenGrant & SenderPositions> {
  return send(world, connectionId, {
    action: 'joinGroup',
    groupId: group.id,
    domain: group.domain,
    nodeId,
    ...(nodeToken === undefined ? {} : { nodeToken }),
  });
}

/** A reply without the nodeToken only the creating call carries. */
export function withoutToken<T extends NodeTokenGrant>(reply: T): Omit<T, 'nodeToken'> {
  const { nodeToken: _token, ...rest } = reply;
  return rest;
}

/** Reports status entries as `nodeId`. */
export function report(
  world: FakeWorld,
  connectionId: string,
  group: Group,
  nodeId: string,
  data: Record<string, string>,
): Promise<unknown> {
  return send(world, connectionId, {
    action: 'reportDataByNode',
    groupId: group.id,
    domain: group.domain,
    nodeId,
    data: Object.entries(data).map(([key, value]) => ({ key, value })),
  });
}

/** Asserts that a request fails with the given errorType (the field clients act on). */
export async function expectErrorType(promise: Promise<unknown>, errorType: ErrorType): Promise<void> {
  await expect(promise).rejects.toMatchObject({ errorType });
}

/** Lets `seconds` pass while the host renews its heartbeat every 100 s, so only member TTLs run out. */
export async function passTimeWithHostAlive(
  world: FakeWorld,
  group: Group,
  seconds: number,
  hostConnectionId = 'c-host',
): Promise<void> {
  for (let left = seconds; left > 0; left -= 100) {
    world.clock.advanceSeconds(Math.min(100, left));
    await send(world, hostConnectionId, {
      action: 'renewHeartbeat',
      groupId: group.id,
      domain: group.domain,
      hostId: group.hostId,
    });
  }
}

/**
 * The world most use-case tests start from: a fresh fake world with a group
 * hosted by `host` on `c-host`, and `members` members (`member-1` on `c-1`, …).
 */
export async function groupWorld(
  members = 1,
  options: Parameters<typeof fakeWorld>[0] = {},
): Promise<{ world: FakeWorld; group: Group }> {
  const world = fakeWorld(options);
  const group = await createGroup(world, 'c-host', 'host');
  for (let i = 1; i <= members; i++) await joinGroup(world, `c-${i}`, group, `member-${i}`);
  return { world, group };
}
