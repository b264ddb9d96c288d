/**
 * One connection floods (2,000 reportDataByNode without waiting for a
 * reply, a Scratch loop without a wait) while another group goes about its
 * business. The flood gets its burst and its rate, the rest is refused with
 * RateLimited at once and changes nothing; once it has used up its
 * allowance of refusals the connection gets a last RateLimited reply and is
 * closed (1000, as DeleteConnection closes). The other group's request
 * latency stays what it was before the flood: both measured in this one
 * run, compared as a ratio.
 */
import { DEFAULT_SETTINGS } from '#shared/core/settings';
import type { Reply } from '#shared/protocol/messages';
import type { ProtocolSocket } from '#tools/protocol-socket';
import { openGroup, useClients } from './ws-client';

jest.setTimeout(120_000);

const clients = useClients();
const FLOOD = 2_000;
const SAMPLES = 40;
/** The smallest p95 taken as the group's normal latency (a request is two thread hops and a DynamoDB write). */
const LATENCY_FLOOR_MS = 20;

/** Round trips of `SAMPLES` reports, one after the other, in ms, sorted. */
async function latencies(
  socket: ProtocolSocket,
  where: { groupId: string; domain: string },
  nodeId: string,
): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < SAMPLES; i += 1) {
    const started = performance.now();
    await socket.call('reportDataByNode', { ...where, nodeId, data: [{ key: 'n', value: String(i) }] });
    ms.push(performance.now() - started);
  }
  return ms.sort((a, b) => a - b);
}

const p95 = (sorted: number[]) => sorted[Math.ceil(sorted.length * 0.95) - 1];

test(`a flood of ${FLOOD} requests from one connection is held to its rate, then closed, while another group keeps its latency`, async () => {
  const victim = await openGroup(clients, { members: 1 });
  const calm = victim.members[0];
  const calmWhere = { groupId: victim.group.id, domain: victim.domain };
  const flooding = await openGroup(clients, { members: 1 });
  const flooder = flooding.members[0];
  const floodWhere = { groupId: flooding.group.id, domain: flooding.domain };

  const before = await latencies(calm.client, calmWhere, calm.nodeId);

  const floodStarted = performance.now();
  for (let i = 0; i < FLOOD; i += 1) {
    flooder.client.sendRaw(
      JSON.stringify({
        action: 'reportDataByNode',
        requestId: `flood-${i}`,
        ...floodWhere,
        nodeId: flooder.nodeId,
        data: [{ key: 'loop', value: String(i) }],
      }),
    );
  }
  const during = await latencies(calm.client, calmWhere, calm.nodeId);
  let timer: NodeJS.Timeout | undefined;
  const closed = await Promise.race([
    flooder.client.closed,
    new Promise<never>(
      (_, reject) => (timer = setTimeout(() => reject(new Error('the flooder was not closed')), 60_000)),
    ),
  ]).finally(() => clearTimeout(timer));
  const floodSeconds = (performance.now() - floodStarted) / 1000;
  const replies = await everyReplyKept(flooder.client);

  const accepted = replies.filter((reply) => reply.type === 'result');
  const limited = replies.filter((reply) => reply.type === 'error' && reply.errorType === 'RateLimited');
  const closing = limited.filter((reply) => reply.type === 'error' && reply.message.endsWith('it is closed'));
  // Below a few tens of ms the p95 is timer and scheduling jitter: the ratio is taken against this floor at least.
  const ratio = p95(during) / Math.max(p95(before), LATENCY_FLOOR_MS);
  process.stdout.write(
    `flood: ${FLOOD} frames sent, closed with ${closed.code} after ${floodSeconds.toFixed(1)} s, ` +
      `accepted ${accepted.length}, RateLimited ${limited.length}; ` +
      `the other group's p95 ${p95(before).toFixed(0)} ms before, ${p95(during).toFixed(0)} ms during (×${ratio.toFixed(2)}), ` +
      `max ${before[before.length - 1].toFixed(0)} → ${during[during.length - 1].toFixed(0)} ms\n`,
  );
  const {
    connectionRequestBurst: burst,
    connectionRequestsPerSecond: rate,
    connectionRefusalsBeforeClose: refusals,
  } = DEFAULT_SETTINGS;
  // Closed as API Gateway's DeleteConnection closes (1000), after one last RateLimited reply saying so.
  expect(closed.code).toBe(1000);
  expect(closing).toHaveLength(1);
  expect(accepted.length).toBeGreaterThanOrEqual(burst);
  expect(accepted.length).toBeLessThanOrEqual(burst + Math.ceil(rate * floodSeconds) + 1);
  // Cut off once its allowance of refusals ran out; the frames still on the way were refused too.
  expect(limited.length).toBeGreaterThan(refusals);
  expect(accepted.length + limited.length).toBeLessThanOrEqual(FLOOD);
  expect(ratio).toBeLessThan(3);
  // Refused reports changed nothing: the flooder's status is none of the values answered RateLimited.
  const refusedValues = limited.map((reply) => reply.requestId?.slice('flood-'.length));
  const status = await flooding.host.call('getNodeStatus', { ...floodWhere, nodeId: flooder.nodeId });
  expect(status?.data).toHaveLength(1);
  expect(refusedValues).not.toContain(status?.data[0].value);
  expect(accepted.map((reply) => reply.requestId?.slice('flood-'.length))).toContain(status?.data[0].value);
});

/** The replies a closed socket kept, none claimed by a call. */
async function everyReplyKept(socket: ProtocolSocket): Promise<Reply[]> {
  const replies: Reply[] = [];
  for (;;) {
    try {
      replies.push(await socket.nextUnclaimedReply(200));
    } catch {
      return replies;
    }
  }
}
