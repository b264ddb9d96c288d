/**
 * Strings that JavaScript holds but Unicode does not (a lone surrogate), and
 * keys that are JavaScript's special names: one must be refused before it is
 * stored, the other must round-trip like any key. Either way nobody in the
 * group loses anything: the node stays readable, the group stays listable and
 * can still be dissolved.
 */
import { openGroup, useClients } from '../ws-client';

jest.setTimeout(30_000);

const clients = useClients();
const LONE_SURROGATE = 'x\ud800';

describe('a string that is not well-formed Unicode', () => {
  it.each([
    [
      'a status key',
      (where: object) => ({ action: 'reportDataByNode', ...where, data: [{ key: LONE_SURROGATE, value: '1' }] }),
    ],
    [
      'a status value',
      (where: object) => ({ action: 'reportDataByNode', ...where, data: [{ key: 'k', value: LONE_SURROGATE }] }),
    ],
    [
      'an event name',
      (where: object) => ({
        action: 'fireEventsByNode',
        ...where,
        events: [{ eventName: LONE_SURROGATE, firedAt: new Date().toISOString() }],
      }),
    ],
    [
      'an event payload',
      (where: object) => ({
        action: 'fireEventsByNode',
        ...where,
        events: [{ eventName: 'e', payload: `p\udc00`, firedAt: new Date().toISOString() }],
      }),
    ],
  ])('in %s is refused as ValidationError, and the group goes on', async (_what, request) => {
    const { group, domain, host, hostId, members } = await openGroup(clients, { members: 1 });
    const [member] = members;
    const where = { groupId: group.id, domain, nodeId: member.nodeId };

    const reply = await member.client.rawReply(JSON.stringify({ requestId: 'bad', ...request(where) }));
    expect(reply).toMatchObject({ type: 'error', errorType: 'ValidationError', requestId: 'bad' });
    expect(reply.type === 'error' && reply.message).toMatch(/well-formed Unicode/);
    await host.expectNoPush(500);

    // The member's node is as it was, and everything the group does still works.
    expect(await member.client.call('getNodeStatus', where)).toBeNull();
    await member.client.call('reportDataByNode', { ...where, data: [{ key: 'k', value: 'fine' }] });
    expect((await host.call('listGroupStatuses', { groupId: group.id, domain })).map((s) => s.nodeId)).toEqual([
      member.nodeId,
    ]);
    expect((await host.call('listNodesInGroup', { groupId: group.id, domain })).map((n) => n.id).sort()).toEqual(
      [hostId, member.nodeId].sort(),
    );
    await member.client.call('leaveGroup', where);
    await host.call('dissolveGroup', { groupId: group.id, domain, hostId });
  });

  it.each([
    ['a group name', { action: 'createGroup', name: LONE_SURROGATE, hostId: 'h', domain: 'd' }],
    ['a domain', { action: 'listGroupsByDomain', domain: `school\udfff` }],
    ['a node id', { action: 'joinGroup', groupId: 'g', domain: 'd', nodeId: LONE_SURROGATE }],
    ['a requestId', { action: 'createDomain', requestId: LONE_SURROGATE }],
  ])('in %s is refused as ValidationError', async (_what, request) => {
    const client = await clients.open();
    const reply = await client.rawReply(JSON.stringify(request));
    expect(reply).toMatchObject({ type: 'error', errorType: 'ValidationError' });
  });

  it('is accepted when the surrogates pair up (an emoji)', async () => {
    const { group, domain, members } = await openGroup(clients, { members: 1 });
    const where = { groupId: group.id, domain, nodeId: members[0].nodeId };
    await members[0].client.call('reportDataByNode', { ...where, data: [{ key: '😀', value: '\ud83d\ude00' }] });
    expect((await members[0].client.call('getNodeStatus', where))?.data).toEqual([{ key: '😀', value: '😀' }]);
  });
});

describe("keys that are JavaScript's special names", () => {
  const specialKeys = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__'];

  it('round-trip through reportDataByNode, the push, getNodeStatus and listGroupStatuses', async () => {
    const { group, domain, host, members } = await openGroup(clients, { members: 1 });
    const [member] = members;
    const where = { groupId: group.id, domain, nodeId: member.nodeId };
    const data = specialKeys.map((key, i) => ({ key, value: String(i) }));
    const byKey = (entries: { key: string; value: string }[] = []) =>
      [...entries].sort((a, b) => a.key.localeCompare(b.key));

    const message = await member.client.call('reportDataByNode', { ...where, data });
    expect(byKey(message.nodeStatus?.data)).toEqual(byKey(data));
    const push = await host.nextPush((p) => 'nodeStatus' in p && p.nodeStatus.nodeId === member.nodeId);
    expect(byKey('nodeStatus' in push ? push.nodeStatus.data : [])).toEqual(byKey(data));
    expect(byKey((await member.client.call('getNodeStatus', where))?.data)).toEqual(byKey(data));
    const [status] = await host.call('listGroupStatuses', { groupId: group.id, domain });
    expect(byKey(status.data)).toEqual(byKey(data));

    // A second report changes one special key and keeps the others.
    await member.client.call('reportDataByNode', { ...where, data: [{ key: '__proto__', value: 'changed' }] });
    const after = byKey((await member.client.call('getNodeStatus', where))?.data);
    expect(after).toEqual(
      byKey(data.map((entry) => (entry.key === '__proto__' ? { key: '__proto__', value: 'changed' } : entry))),
    );
  });
});
