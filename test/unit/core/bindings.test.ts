/**
 * Polling nodes on the core: a request over HTTPS has no connection, so the
 * node it creates is bound to its token (shared/core/bindings.ts), and a later
 * request presenting that token acts as the node through the very checks a
 * WebSocket connection passes. No token, or another node's, acts as nobody;
 * the fan-out posts to no polling node; and a node moves between the two
 * transports with its token.
 */
import { runAction } from '#shared/core/actions';
import { flushGroup } from '#shared/core/fanout/flush';
import { httpsCaller, isTokenBinding, newNodeBinding, tokenBinding } from '#shared/core/bindings';
import { hashNodeToken } from '#shared/core/node-tokens';
import type { AnyRequest } from '#shared/protocol/requests';
import type { Node, NodeStatus, NodeTokenGrant } from '#shared/protocol/types';
import { caller, DOMAIN, expectErrorType, groupWorld, send } from './driver';
import type { FakeWorld } from './fakes';

const IP = '203.0.113.9';
/** Runs a request as the HTTPS handler does: the token in the request, and the caller bound to it. */
const overHttps = <T>(world: FakeWorld, request: AnyRequest, nodeToken?: string) => {
  const sent = (nodeToken === undefined ? request : { ...request, nodeToken }) as AnyRequest;
  return runAction(sent, httpsCaller(sent, IP), world.deps).then((result) => result.data as T);
};

describe('the bindings', () => {
  it('bind an HTTPS caller to the hash of the token it presents, and a caller without one to nothing a node has', () => {
    expect(httpsCaller({ nodeToken: 'secret' }, IP)).toEqual({
      connectionId: tokenBinding(hashNodeToken('secret')),
      sourceIp: IP,
      overHttps: true,
    });
    const anonymous = httpsCaller({}, IP);
    expect(anonymous.connectionId).not.toBe('');
    expect(isTokenBinding(anonymous.connectionId)).toBe(false);
    expect(isTokenBinding(tokenBinding('h'))).toBe(true);
  });

  it('bind a new node to its token over HTTPS and to the connection over a WebSocket', () => {
    expect(newNodeBinding(httpsCaller({}, IP), 'h')).toBe(tokenBinding('h'));
    expect(newNodeBinding(caller('c-1'), 'h')).toBe('c-1');
  });
});

describe('a polling node', () => {
  let world: FakeWorld;
  let where: { groupId: string; domain: string };
  let node: Node & NodeTokenGrant;
  beforeEach(async () => {
    const made = await groupWorld(1, { publishToLog: true });
    world = made.world;
    where = { groupId: made.group.id, domain: DOMAIN };
    node = await overHttps(world, { action: 'joinGroup', ...where, nodeId: 'poller' });
  });
  const report = (value: string, nodeToken?: string) =>
    overHttps(
      world,
      { action: 'reportDataByNode', ...where, nodeId: 'poller', data: [{ key: 'k', value }] },
      nodeToken,
    );
  const statusOf = (nodeId: string) =>
    send<NodeStatus | null>(world, 'c-host', { action: 'getNodeStatus', ...where, nodeId });

  it('is created polling and handed its token, and acts as itself with the token alone', async () => {
    expect(node).toMatchObject({ useWebSocket: false, pollingIntervalSeconds: 2, nodeToken: expect.any(String) });
    await report('1', node.nodeToken);
    expect((await statusOf('poller'))?.data).toEqual([{ key: 'k', value: '1' }]);
  });

  it('is acted as by nobody without its token or with another node’s, and nothing changes', async () => {
    await report('mine', node.nodeToken);
    const other = await overHttps<NodeTokenGrant>(world, { action: 'joinGroup', ...where, nodeId: 'other' });

    await expectErrorType(report('forged'), 'Unauthorized');
    await expectErrorType(report('forged', other.nodeToken), 'Unauthorized');
    await expectErrorType(
      send(world, 'c-1', { action: 'reportDataByNode', ...where, nodeId: 'poller', data: [{ key: 'k', value: 'x' }] }),
      'Unauthorized',
    );
    expect((await statusOf('poller'))?.data).toEqual([{ key: 'k', value: 'mine' }]);
  });

  it('gets no post from the fan-out: it reads the log instead', async () => {
    await send(world, 'c-1', {
      action: 'fireEventsByNode',
      ...where,
      nodeId: 'member-1',
      events: [{ eventName: 'go', firedAt: '2026-01-05T09:00:00.000Z' }],
    });
    for (const request of world.trigger.take()) await flushGroup(request, world.flushDeps);

    const posted = world.notifier.recipients;
    expect(posted).toContain('c-host');
    expect(posted.some(isTokenBinding)).toBe(false);
    const events = await overHttps<{ name: string }[]>(
      world,
      { action: 'getEventsSince', ...where, since: '' },
      node.nodeToken,
    );
    expect(events.map((event) => event.name)).toEqual(['go']);
  });

  it('moves to a WebSocket with its token, and back to polling with the same token', async () => {
    const joined = await send<Node>(world, 'c-9', {
      action: 'joinGroup',
      ...where,
      nodeId: 'poller',
      nodeToken: node.nodeToken,
      useWebSocket: true,
    });
    expect(joined.useWebSocket).toBe(true);
    await expectErrorType(report('stale binding', node.nodeToken), 'Unauthorized');

    const back = await overHttps<Node>(world, { action: 'joinGroup', ...where, nodeId: 'poller' }, node.nodeToken);
    expect(back.useWebSocket).toBe(false);
    await report('polling again', node.nodeToken);
    expect((await statusOf('poller'))?.data).toEqual([{ key: 'k', value: 'polling again' }]);
  });
});
