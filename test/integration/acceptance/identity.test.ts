/**
 * Node tokens on the local stack: ids are public (the list queries hand them
 * out), so a connection that knows a node's id but not its token cannot act
 * as that node in any way, and each refusal changes nothing; the owner, on a
 * new connection with its token, gets its node back.
 */
import type { ProtocolSocket } from '#tools/protocol-socket';
import { openGroup, uniqueId, useClients, type TestGroup } from '../ws-client';

jest.setTimeout(60_000);

const clients = useClients();
const FIRED_AT = '2026-01-05T09:00:00.000Z';

/** Everything a refused request could have changed, as any connection sees it. */
async function stateOf(observer: ProtocolSocket, { group, domain }: TestGroup) {
  const where = { groupId: group.id, domain };
  return {
    groups: await observer.call('listGroupsByDomain', { domain }),
    nodes: await observer.call('listNodesInGroup', where),
    statuses: await observer.call('listGroupStatuses', where),
  };
}

/** A group with one member that has reported, and a connection that only looks. */
async function classroom() {
  const mesh = await openGroup(clients, { members: 1 });
  const [member] = mesh.members;
  const where = { groupId: mesh.group.id, domain: mesh.domain };
  await member.client.call('reportDataByNode', {
    ...where,
    nodeId: member.nodeId,
    data: [{ key: 'score', value: '1' }],
  });
  const observer = await clients.open();
  return { ...mesh, member, where, observer };
}

describe('a connection that knows ids but not tokens', () => {
  it.each(['stranger', 'classmate'])('cannot act as another node, as a %s, and changes nothing', async (who) => {
    const mesh = await classroom();
    const { where, hostId, member, observer } = mesh;
    const thief = await clients.open();
    if (who === 'classmate') await thief.call('joinGroup', { ...where, nodeId: uniqueId('classmate') });
    const before = await stateOf(observer, mesh);
    const memberPushes: string[] = [];
    const hostPushes: string[] = [];
    member.client.onPush((push) => memberPushes.push(JSON.stringify(push)));
    mesh.host.onPush((push) => hostPushes.push(JSON.stringify(push)));

    const attempts: [string, Record<string, unknown>][] = [
      ['createGroup', { name: 'mine now', hostId, domain: where.domain }],
      ['createGroup', { name: 'mine now', hostId, domain: where.domain, nodeToken: 'guessed-token' }],
      ['createGroup', { name: 'mine now', hostId, domain: where.domain, nodeToken: member.node.nodeToken }],
      ['joinGroup', { ...where, nodeId: member.nodeId }],
      ['joinGroup', { ...where, nodeId: member.nodeId, nodeToken: 'guessed-token' }],
      ['joinGroup', { ...where, nodeId: member.nodeId, nodeToken: mesh.group.nodeToken }],
      ['joinGroup', { ...where, nodeId: hostId, nodeToken: mesh.group.nodeToken }],
      ['reportDataByNode', { ...where, nodeId: member.nodeId, data: [{ key: 'score', value: '0' }] }],
      ['fireEventsByNode', { ...where, nodeId: member.nodeId, events: [{ eventName: 'fake', firedAt: FIRED_AT }] }],
      ['fireEventsByNode', { ...where, nodeId: hostId, events: [{ eventName: 'fake', firedAt: FIRED_AT }] }],
      ['sendMemberHeartbeat', { ...where, nodeId: member.nodeId }],
      ['renewHeartbeat', { ...where, hostId }],
      ['leaveGroup', { ...where, nodeId: member.nodeId }],
      ['dissolveGroup', { ...where, hostId }],
    ];
    const refusals: string[] = [];
    for (const [action, args] of attempts) {
      const reply = await thief.reply(action, args);
      refusals.push(`${action} ${reply.type === 'error' ? reply.errorType : 'accepted'}`);
    }

    // The token is checked before anything else, so a classmate (a node already) gets the same answer.
    expect(refusals).toEqual(attempts.map(([action]) => `${action} Unauthorized`));
    expect(await stateOf(observer, mesh)).toEqual(before);
    // The owners still are the nodes: their requests go through, and nobody got the thief's pushes.
    await member.client.call('sendMemberHeartbeat', { ...where, nodeId: member.nodeId });
    await mesh.host.call('renewHeartbeat', { ...where, hostId });
    expect(memberPushes.concat(hostPushes).filter((text) => text.includes('fake'))).toEqual([]);
  });
});

describe('the owner with its token', () => {
  it('gets its member node back on a new connection, with its status and pushes; without the token it would not', async () => {
    const { where, hostId, member, host, observer } = await classroom();
    const { nodeToken } = member.node;
    expect(nodeToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await member.client.close();

    const reloaded = await clients.open();
    const without = await reloaded.reply('joinGroup', { ...where, nodeId: member.nodeId });
    const back = await reloaded.call('joinGroup', { ...where, nodeId: member.nodeId, nodeToken });
    const pushed = reloaded.nextPush((push) => 'batchEvent' in push);
    await host.call('fireEventsByNode', {
      ...where,
      nodeId: hostId,
      events: [{ eventName: 'hello', firedAt: FIRED_AT }],
    });

    expect(without).toMatchObject({ type: 'error', errorType: 'Unauthorized' });
    expect(back).toMatchObject({ id: member.nodeId, groupId: where.groupId });
    expect(back).not.toHaveProperty('nodeToken');
    expect(await pushed).toMatchObject({ from: hostId, batchEvent: { events: [{ name: 'hello' }] } });
    expect(await observer.call('getNodeStatus', { ...where, nodeId: member.nodeId })).toMatchObject({
      data: [{ key: 'score', value: '1' }],
    });
    await reloaded.call('reportDataByNode', { ...where, nodeId: member.nodeId, data: [{ key: 'score', value: '2' }] });
  });

  it("takes the host's group back on a new connection, and can dissolve it; the old connection no longer can", async () => {
    const { where, hostId, host, group, member } = await classroom();

    const again = await clients.open();
    const taken = await again.call('createGroup', {
      name: group.name,
      hostId,
      domain: where.domain,
      nodeToken: group.nodeToken,
    });
    const oldHost = await host.reply('renewHeartbeat', { ...where, hostId });
    const dissolved = member.client.nextPush((push) => 'groupDissolve' in push);
    await again.call('dissolveGroup', { ...where, hostId });

    expect(taken).toMatchObject({ id: group.id, hostId });
    expect(taken).not.toHaveProperty('nodeToken');
    expect(oldHost).toMatchObject({ type: 'error', errorType: 'Unauthorized' });
    await dissolved;
  });
});
