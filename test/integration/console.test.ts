/**
 * The operator console's protocol on a stack of its own (its counters are
 * this file's alone), with an admin token: only a WebSocket presenting the
 * token may watch; watchMesh answers every live group with its nodes; the
 * rounds of watched groups reach the viewer as meshRound pushes; watchGroup
 * sends it a group's own pushes; and while no console is open the mesh makes
 * not one call more than it makes without a console at all.
 */
import { type StackProcess, startStackProcess } from '#local/stack-process';
import { CONSOLE_LOG, type MeshRound, type MeshSnapshot } from '#shared/protocol/console';
import type { Push } from '#shared/protocol/messages';
import { ProtocolSocket } from '#tools/protocol-socket';
import { callCounts, settledStats, type CallCounts } from './stats';
import { TEST_ENV, testEnv } from './test-env';
import { sleep, uniqueDomain, uniqueId } from './ws-client';

jest.setTimeout(120_000);

const ADMIN_TOKEN = 'the-console-test-admin-token-0123456789';
let stack: StackProcess;
const sockets: ProtocolSocket[] = [];

beforeAll(async () => {
  stack = await startStackProcess({
    env: {
      MESH_TABLE_NAME: 'mesh_console',
      MESH_DYNAMODB_ENDPOINT: testEnv(TEST_ENV.main.dynamodbUrl),
      MESH_ADMIN_TOKEN: ADMIN_TOKEN,
    },
  });
}, 90_000);
afterAll(async () => {
  await Promise.all(sockets.map((socket) => socket.close().catch(() => undefined)));
  await stack?.stop(10_000);
});

async function connect(): Promise<ProtocolSocket> {
  const socket = await ProtocolSocket.connect(stack.ready.wsUrl);
  sockets.push(socket);
  return socket;
}

/** A host and one member in a new group. */
async function groupOfTwo(name: string) {
  const domain = uniqueDomain('console');
  const host = await connect();
  const member = await connect();
  const hostId = uniqueId('host');
  const memberId = uniqueId('member');
  const group = await host.call('createGroup', { name, hostId, domain });
  await member.call('joinGroup', { groupId: group.id, domain, nodeId: memberId });
  await host.nextPush((push) => 'nodePresence' in push);
  return { domain, group, host, member, memberId };
}

/** Five reports a third of a second apart (each its own round), and the calls the mesh made for them. */
async function fiveReports(target: Awaited<ReturnType<typeof groupOfTwo>>): Promise<CallCounts> {
  const before = callCounts(await settledStats({ url: stack.ready.statsUrl }));
  for (let i = 0; i < 5; i += 1) {
    await target.member.call('reportDataByNode', {
      groupId: target.group.id,
      domain: target.domain,
      nodeId: target.memberId,
      data: [{ key: 'n', value: String(i) }],
    });
    await sleep(330);
  }
  await target.host.nextPush((push) => 'nodeStatus' in push && push.nodeStatus.data[0].value === '4');
  const after = callCounts(await settledStats({ url: stack.ready.statsUrl, quietMs: 600 }));
  return difference(after, before);
}

function difference(after: CallCounts, before: CallCounts): CallCounts {
  const dynamodb: Record<string, number> = {};
  for (const [op, n] of Object.entries(after.dynamodb)) {
    if (n - (before.dynamodb[op] ?? 0) > 0) dynamodb[op] = n - (before.dynamodb[op] ?? 0);
  }
  const invocations: Record<string, number> = {};
  for (const [fn, n] of Object.entries(after.invocations)) {
    if (n - (before.invocations[fn] ?? 0) > 0) invocations[fn] = n - (before.invocations[fn] ?? 0);
  }
  return {
    dynamodb,
    dynamodbTotal: after.dynamodbTotal - before.dynamodbTotal,
    snsRequests: after.snsRequests - before.snsRequests,
    snsEntries: after.snsEntries - before.snsEntries,
    postToConnection: after.postToConnection - before.postToConnection,
    gone: after.gone - before.gone,
    invocations,
  };
}

const roundsOf = (viewer: ProtocolSocket, groupId: string): MeshRound[] =>
  viewer.pushes
    .filter((push) => push.groupId === CONSOLE_LOG.groupId && push.domain === CONSOLE_LOG.domain)
    .map((push) => (push as Push & { meshRound: MeshRound }).meshRound)
    .filter((round) => round.groupId === groupId);

test('only a WebSocket with the admin token may watch', async () => {
  const socket = await connect();
  await expect(socket.call('watchMesh', { adminToken: 'not-the-admin-token-at-all-000' })).rejects.toMatchObject({
    errorType: 'Unauthorized',
  });
  const overHttps = await fetch(stack.ready.httpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ action: 'watchMesh', adminToken: ADMIN_TOKEN }),
  });
  expect(((await overHttps.json()) as { errorType: string }).errorType).toBe('ValidationError');
});

test('monitoring makes no call while no console is open, reports every round while one is, and stops when it goes', async () => {
  const unwatched = await groupOfTwo('before');
  const quiet = await fiveReports(unwatched);

  const watched = await groupOfTwo('watched');
  const viewer = await connect();
  const snapshot: MeshSnapshot = await viewer.call('watchMesh', { adminToken: ADMIN_TOKEN });
  const shown = snapshot.groups.find((group) => group.groupId === watched.group.id);
  expect(shown).toMatchObject({ name: 'watched', hostId: watched.group.hostId, pushes: 1 });
  expect(shown?.nodes.map((node) => [node.nodeId === watched.memberId ? 'member' : 'host', node.connected])).toEqual(
    expect.arrayContaining([
      ['host', true],
      ['member', true],
    ]),
  );
  expect(snapshot.viewers).toBe(1);
  const busy = await fiveReports(watched);
  await sleep(1_000);
  const rounds = roundsOf(viewer, watched.group.id);
  expect(rounds.reduce((sum, round) => sum + round.pushes, 0)).toBe(5);
  expect(rounds.every((round) => round.frames === 1 && round.latencyMs >= 0)).toBe(true);

  await expect(viewer.call('unwatchMesh', { adminToken: ADMIN_TOKEN })).resolves.toEqual({ viewers: 0 });
  const after = await groupOfTwo('after');
  const quietAgain = await fiveReports(after);

  expect(busy.dynamodbTotal).toBeGreaterThan(quiet.dynamodbTotal);
  expect(quietAgain).toEqual(quiet);
  process.stdout.write(
    `console: calls for five reports with no console ${JSON.stringify(quiet)}, watched ${JSON.stringify(busy)}\n`,
  );
});

test('watchGroup answers the group status and sends the viewer its pushes; members still count only members', async () => {
  const target = await groupOfTwo('opened');
  const viewer = await connect();
  await viewer.call('watchMesh', { adminToken: ADMIN_TOKEN });
  await target.member.call('reportDataByNode', {
    groupId: target.group.id,
    domain: target.domain,
    nodeId: target.memberId,
    data: [{ key: 'score', value: '1' }],
  });
  const statuses = await viewer.call('watchGroup', {
    adminToken: ADMIN_TOKEN,
    groupId: target.group.id,
    domain: target.domain,
  });
  expect(statuses).toEqual([
    expect.objectContaining({ nodeId: target.memberId, data: [{ key: 'score', value: '1' }] }),
  ]);

  await target.member.call('reportDataByNode', {
    groupId: target.group.id,
    domain: target.domain,
    nodeId: target.memberId,
    data: [{ key: 'score', value: '2' }],
  });
  // The first report's round may still be under way when the viewer subscribes, so it may get that push too
  // (the page keeps the newer value by its time); the second report's push it must get.
  await expect(
    viewer.nextPush(
      (push) => push.groupId === target.group.id && 'nodeStatus' in push && push.nodeStatus.data[0]?.value === '2',
    ),
  ).resolves.toMatchObject({ nodeStatus: { nodeId: target.memberId, data: [{ key: 'score', value: '2' }] } });
  const nodes = await target.host.call('listNodesInGroup', { groupId: target.group.id, domain: target.domain });
  expect(nodes).toHaveLength(2);
  await viewer.call('unwatchMesh', { adminToken: ADMIN_TOKEN });
});
