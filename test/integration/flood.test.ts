/**
 * One connection floods (2,000 reportDataByNode without waiting for a
 * reply, a Scratch loop without a wait) while another group goes about its
 * business. The flood gets its burst and its rate, the rest is refused with
 * RateLimited at once and changes nothing, every frame is answered, and the
 * other group's request latency stays what it was before the flood: both
 * measured in this one run, compared as a ratio.
 */
import { DEFAULT_SETTINGS } from '#shared/core/settings';
import type { Reply } from '#shared/protocol/messages';
import type { ProtocolSocket } from '#tools/protocol-socket';
import { openGroup, useClients } from './ws-client';

jest.setTimeout(120_000);

const clients = useClients();
const FLOOD = 2_000;
const SAMPLES = 40;

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

test(`a flood of ${FLOOD} requests from one connection is held to its rate while another group keeps its latency`, async () => {
  const victim = await openGroup(clients, { members: 1 });
  const calm = victim.members[0];
  const calmWhere = { groupId: victim.group.id, domain: victim.domain };
  const flooding = await openGroup(clients, { members: 1 });
  const flooder = flooding.members[0];
  const floodWhere = { groupId: flooding.group.id, domain: flooding.domain };

  const before = await latencies(calm.client, calmWhere, calm.nodeId);

  const replies: Reply[] = [];
  const allAnswered = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${replies.length} of ${FLOOD} flood frames answered`)), 60_000);
    const next = (): void => {
      void flooder.client.nextUnclaimedReply(60_000).then((reply) => {
        replies.push(reply);
        if (replies.length === FLOOD) {
          clearTimeout(timer);
          resolve();
        } else next();
      }, reject);
    };
    next();
  });
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
  await allAnswered;
  const floodSeconds = (performance.now() - floodStarted) / 1000;

  const accepted = replies.filter((reply) => reply.type === 'result').length;
  const limited = replies.filter((reply) => reply.type === 'error' && reply.errorType === 'RateLimited').length;
  const ratio = p95(during) / p95(before);
  process.stdout.write(
    `flood: ${FLOOD} frames in ${floodSeconds.toFixed(1)} s, accepted ${accepted}, RateLimited ${limited}; ` +
      `the other group's p95 ${p95(before).toFixed(0)} ms before, ${p95(during).toFixed(0)} ms during (×${ratio.toFixed(2)}), ` +
      `max ${before[before.length - 1].toFixed(0)} → ${during[during.length - 1].toFixed(0)} ms\n`,
  );
  const { connectionRequestBurst: burst, connectionRequestsPerSecond: rate } = DEFAULT_SETTINGS;
  expect(accepted + limited).toBe(FLOOD);
  expect(accepted).toBeGreaterThanOrEqual(burst);
  expect(accepted).toBeLessThanOrEqual(burst + Math.ceil(rate * floodSeconds) + 1);
  expect(ratio).toBeLessThan(3);
  // Only accepted reports changed the flooder's status: its value is one that was answered with a result.
  const acceptedValues = replies
    .filter((reply) => reply.type === 'result')
    .map((reply) => reply.requestId?.slice('flood-'.length));
  const status = await flooding.host.call('getNodeStatus', { ...floodWhere, nodeId: flooder.nodeId });
  expect(acceptedValues).toContain(status?.data[0].value);
  expect(status?.data).toHaveLength(1);
});
