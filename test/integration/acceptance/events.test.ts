/**
 * fireEventsByNode: one batchEvent per batch, events in order with the
 * sender's firedAt as their timestamp, split into several pushes (consecutive
 * seqs, order kept) when the push would be too big.
 */
import type { BatchEvent, Push } from '#shared/protocol/index';
import { LIMITS, utf8Bytes } from '#shared/protocol/limits';
import { openGroup, uniqueDomain, uniqueId, useClients } from '../ws-client';

jest.setTimeout(30_000);

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const clients = useClients();
const isBatch = (p: Push): p is Push & { batchEvent: BatchEvent } => 'batchEvent' in p;

describe('fireEventsByNode', () => {
  it('replies a batchEvent and members receive the batch in one push, events in order, timestamp = firedAt', async () => {
    const { group, domain, host, members } = await openGroup(clients, { members: 2 });
    const [sender, receiver] = members;
    const t0 = Date.now();
    const events = [
      { eventName: 'start', payload: 'go', firedAt: new Date(t0).toISOString() },
      { eventName: 'ジャンプ', firedAt: new Date(t0 + 40).toISOString() },
      { eventName: 'stop', payload: null, firedAt: new Date(t0 + 80).toISOString() },
    ];

    const message = await sender.client.call('fireEventsByNode', {
      groupId: group.id,
      domain,
      nodeId: sender.nodeId,
      events,
    });

    const expectedEvents = events.map((e) => ({
      name: e.eventName,
      firedByNodeId: sender.nodeId,
      groupId: group.id,
      domain,
      payload: e.payload ?? null,
      timestamp: e.firedAt,
    }));
    expect(message).toMatchObject({
      groupId: group.id,
      domain,
      batchEvent: { firedByNodeId: sender.nodeId, groupId: group.id, domain, events: expectedEvents },
    });
    expect(message.batchEvent?.timestamp).toMatch(ISO_MS);
    for (const client of [host, receiver.client]) {
      const push = await client.nextPush(isBatch);
      expect(isBatch(push) && push.batchEvent.events).toEqual(expectedEvents);
      await client.expectNoPush(300, isBatch);
    }
  });

  it('keeps a firedAt given with an offset as the same instant', async () => {
    const { group, domain, host, members } = await openGroup(clients, { members: 1 });
    const [sender] = members;

    await sender.client.call('fireEventsByNode', {
      groupId: group.id,
      domain,
      nodeId: sender.nodeId,
      events: [{ eventName: 'tz', firedAt: '2026-01-02T12:04:05.678+09:00' }],
    });

    const push = await host.nextPush(isBatch);
    expect(isBatch(push) && Date.parse(push.batchEvent.events[0].timestamp)).toBe(
      Date.parse('2026-01-02T03:04:05.678Z'),
    );
  });

  it('splits a batch whose push would exceed the push limit into several pushes with consecutive seqs, order kept', async () => {
    const { host, longSender, request, events, longId } = await bigBatch();

    longSender.sendRaw(JSON.stringify(request));

    const received: (Push & { batchEvent: BatchEvent })[] = [];
    while (received.reduce((n, p) => n + p.batchEvent.events.length, 0) < events.length) {
      received.push((await host.nextPush((p) => isBatch(p) && p.from === longId)) as Push & { batchEvent: BatchEvent });
    }
    received.sort((a, b) => a.seq - b.seq);
    expect(received.length).toBeGreaterThan(1);
    expect(received.map((p) => p.seq)).toEqual(received.map((_, i) => received[0].seq + i));
    expect(new Set(received.map((p) => p.epoch)).size).toBe(1);
    for (const push of received)
      expect(utf8Bytes(JSON.stringify(push))).toBeLessThanOrEqual(LIMITS.maxServerMessageBytes);
    expect(received.flatMap((p) => p.batchEvent.events.map((e) => e.name))).toEqual(events.map((e) => e.eventName));
  });

  it('answers a batch whose MeshMessage would exceed 128 KB with a result reply, not the gateway error frame', async () => {
    const { longSender, request } = await bigBatch();

    const reply = await longSender.rawReply(JSON.stringify(request));

    expect(reply).toMatchObject({ type: 'result', action: 'fireEventsByNode', requestId: 'big-batch' });
    expect(utf8Bytes(JSON.stringify(reply))).toBeLessThanOrEqual(LIMITS.maxServerMessageBytes);
  });

  it('accepts the largest event payload and delivers it intact', async () => {
    const { group, domain, host, members } = await openGroup(clients, { members: 1 });
    const [sender] = members;
    const payload = '漢'.repeat(LIMITS.maxEventPayloadLength);

    await sender.client.call('fireEventsByNode', {
      groupId: group.id,
      domain,
      nodeId: sender.nodeId,
      events: [{ eventName: 'big', payload, firedAt: new Date().toISOString() }],
    });

    const push = await host.nextPush(isBatch);
    expect(isBatch(push) && push.batchEvent.events[0].payload).toBe(payload);
  });
});

/**
 * A group in a 256-character domain and a member with a 128-character id, and
 * a 400-event request from it: under 32 KB as a request, but every event in
 * the push repeats the long ids, so the push (and the whole MeshMessage) is
 * far over 120 KB.
 */
async function bigBatch() {
  const domain = uniqueDomain().padEnd(LIMITS.maxDomainLength, 'd');
  const { group, host } = await openGroup(clients, { domain });
  const longId = uniqueId('sender').padEnd(LIMITS.maxNodeIdLength, 'n');
  const longSender = await clients.open();
  await longSender.call('joinGroup', { groupId: group.id, domain, nodeId: longId });
  const t0 = Date.now();
  const events = Array.from({ length: 400 }, (_, i) => ({
    eventName: `e${i}`,
    firedAt: new Date(t0 + i).toISOString(),
  }));
  const request = {
    action: 'fireEventsByNode',
    requestId: 'big-batch',
    groupId: group.id,
    domain,
    nodeId: longId,
    events,
  };
  expect(utf8Bytes(JSON.stringify(request))).toBeLessThan(LIMITS.maxClientMessageBytes);
  return { host, longSender, request, events, longId };
}
