/**
 * The request functions' metrics reach the local stack's stats the way they
 * reach CloudWatch, as the EMF lines the handlers print: a group created,
 * joins over both transports, pushes accepted, HTTPS requests, a client that
 * says it fell back, and the RateLimited refusals of a flooding connection,
 * each counted exactly; every metric of the mesh is listed, at 0 when none
 * came. A stack of its own (on the main stack's DynamoDB Local), so its
 * counters are this test's alone.
 */
import { METRIC_NAMES } from '#shared/lambda/metric-names';
import { type StackProcess, startStackProcess } from '#local/stack-process';
import type { Reply } from '#shared/protocol/messages';
import { ProtocolSocket } from '#tools/protocol-socket';
import { readStats, type StatsSnapshot } from './stats';
import { TEST_ENV, testEnv } from './test-env';
import { uniqueDomain } from './ws-client';

jest.setTimeout(120_000);

let stack: StackProcess | undefined;
const sockets: ProtocolSocket[] = [];

afterAll(async () => {
  await Promise.all(sockets.map((socket) => socket.close()));
  await stack?.stop(10_000);
});

async function connect(wsUrl: string): Promise<ProtocolSocket> {
  const socket = await ProtocolSocket.connect(wsUrl);
  sockets.push(socket);
  return socket;
}

/** One POST to the HTTPS endpoint, as a polling client sends it. */
async function post(httpUrl: string, body: Record<string, unknown>): Promise<Reply> {
  const response = await fetch(httpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await response.json()) as Reply;
}

/** The stats once `done` holds of them (worker threads report their counts a moment after the reply). */
async function statsWhen(statsUrl: string, done: (stats: StatsSnapshot) => boolean): Promise<StatsSnapshot> {
  const deadline = Date.now() + 10_000;
  let stats = await readStats(statsUrl);
  while (!done(stats) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    stats = await readStats(statsUrl);
  }
  return stats;
}

test('a group, joins over both transports, pushes, a fallback and a flood show in /_local/stats, each counted exactly', async () => {
  stack = await startStackProcess({
    env: { MESH_TABLE_NAME: 'mesh_request_metrics', MESH_DYNAMODB_ENDPOINT: testEnv(TEST_ENV.main.dynamodbUrl) },
  });
  const { wsUrl, httpUrl, statsUrl } = stack.ready;
  const before = await readStats(statsUrl);
  // Every metric is listed, at 0, before its first line comes.
  expect(before.metrics).toMatchObject(Object.fromEntries(Object.values(METRIC_NAMES).map((name) => [name, 0])));

  const domain = uniqueDomain('metrics');
  const host = await connect(wsUrl);
  const group = await host.call('createGroup', { name: 'counted', hostId: 'host', domain });
  const where = { groupId: group.id, domain };
  const member = await connect(wsUrl);
  await member.call('joinGroup', { ...where, nodeId: 'member' });
  await member.call('reportDataByNode', { ...where, nodeId: 'member', data: [{ key: 'k', value: '1' }] });
  await host.call('fireEventsByNode', {
    ...where,
    nodeId: 'host',
    events: [{ eventName: 'go', firedAt: new Date().toISOString() }],
  });

  // A client whose WebSocket would not open: its first request says so, the ones after do not.
  const joined = await post(httpUrl, { action: 'joinGroup', ...where, nodeId: 'poller', transportFallback: true });
  expect(joined.type).toBe('result');
  const { nodeToken } = (joined as { data: { nodeToken: string } }).data;
  expect(await post(httpUrl, { action: 'pollGroupData', ...where, since: '', nodeToken })).toMatchObject({
    type: 'result',
  });

  // A burst past the connection's rate: some frames are refused, as many as RateLimited counts.
  const flooder = await connect(wsUrl);
  const FRAMES = 90;
  for (let i = 0; i < FRAMES; i += 1) flooder.sendRaw(JSON.stringify({ action: 'createDomain' }));
  const replies: Reply[] = [];
  for (let i = 0; i < FRAMES; i += 1) replies.push(await flooder.nextUnclaimedReply());
  const refused = replies.filter((reply) => reply.type === 'error' && reply.errorType === 'RateLimited').length;
  expect(refused).toBeGreaterThan(0);

  const expected = {
    [METRIC_NAMES.groupsCreated]: 1,
    [METRIC_NAMES.joins]: 2,
    [METRIC_NAMES.pushes]: 2,
    [METRIC_NAMES.pollingRequests]: 2,
    [METRIC_NAMES.pollingFallbacks]: 1,
    [METRIC_NAMES.rateLimited]: refused,
    [METRIC_NAMES.errors]: 0,
  };
  const delta = (stats: StatsSnapshot) =>
    Object.fromEntries(Object.keys(expected).map((name) => [name, stats.metrics[name] - before.metrics[name]]));
  const after = await statsWhen(statsUrl, (stats) => JSON.stringify(delta(stats)) === JSON.stringify(expected));
  expect(delta(after)).toEqual(expected);
});
