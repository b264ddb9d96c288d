import { BatchDeduplicator, PushReceiver } from '#client/receiver';
import type { Push } from '#shared/protocol/messages';

function push(seq: number, from = 'n1', epoch = 'e1'): Push {
  return {
    type: 'message',
    groupId: 'g1',
    domain: 'd1',
    from,
    epoch,
    seq,
    sentAt: '2026-01-01T00:00:00.000Z',
    nodeStatus: { nodeId: from, groupId: 'g1', domain: 'd1', data: [{ key: 's', value: String(seq) }], timestamp: '' },
  };
}

describe('PushReceiver', () => {
  let delivered: Push[];
  let receiver: PushReceiver;
  const seqs = () => delivered.map((p) => `${p.from}:${p.seq}`);

  beforeEach(() => {
    jest.useFakeTimers();
    delivered = [];
    receiver = new PushReceiver({ gapTimeoutMs: 1000, deliver: (p) => delivered.push(p) });
  });

  afterEach(() => {
    receiver.reset();
    jest.useRealTimers();
  });

  it('delivers a stream that arrives in order at once', () => {
    for (const seq of [1, 2, 3]) receiver.receive(push(seq));
    expect(seqs()).toEqual(['n1:1', 'n1:2', 'n1:3']);
  });

  it('restores the order of pushes that arrive out of order', () => {
    for (const seq of [1, 3, 4, 2, 6, 5]) receiver.receive(push(seq));
    expect(seqs()).toEqual(['n1:1', 'n1:2', 'n1:3', 'n1:4', 'n1:5', 'n1:6']);
    expect(receiver.heldCount()).toBe(0);
  });

  it('drops duplicates, delivered or still held', () => {
    for (const seq of [1, 1, 3, 3, 2, 2, 1]) receiver.receive(push(seq));
    expect(seqs()).toEqual(['n1:1', 'n1:2', 'n1:3']);
    expect(receiver.duplicatesDropped).toBe(4);
  });

  it('holds an early push for the gap timeout, then skips the gap', async () => {
    receiver.receive(push(1));
    receiver.receive(push(3));
    receiver.receive(push(4));
    await jest.advanceTimersByTimeAsync(999);
    expect(seqs()).toEqual(['n1:1']);

    await jest.advanceTimersByTimeAsync(1);
    expect(seqs()).toEqual(['n1:1', 'n1:3', 'n1:4']);
    expect(receiver.seqsSkipped).toBe(1);

    // The missing push arriving late is a duplicate now: order never goes back.
    receiver.receive(push(2));
    expect(seqs()).toEqual(['n1:1', 'n1:3', 'n1:4']);
  });

  it('keeps streams of different senders and epochs apart', () => {
    receiver.receive(push(1, 'a'));
    receiver.receive(push(1, 'b'));
    receiver.receive(push(2, 'a'));
    receiver.receive(push(1, 'a', 'e2'));
    expect(seqs()).toEqual(['a:1', 'b:1', 'a:2', 'a:1']);
  });

  it('waits once for a first push that is not seq 1 (joined mid-stream), taking lower seqs that come meanwhile', async () => {
    receiver.receive(push(58));
    receiver.receive(push(57));
    expect(seqs()).toEqual([]);

    await jest.advanceTimersByTimeAsync(1000);
    expect(seqs()).toEqual(['n1:57', 'n1:58']);
    receiver.receive(push(59));
    expect(seqs()).toEqual(['n1:57', 'n1:58', 'n1:59']);
  });

  it('starts a primed stream after the seq it was told, waiting for nothing before it', () => {
    receiver.prime('n1', 'e1', 4);
    for (const seq of [6, 4, 5]) receiver.receive(push(seq));
    receiver.prime('n1', 'e1', 2); // an older position moves nothing back

    expect(seqs()).toEqual(['n1:5', 'n1:6']);
    expect(receiver.heldCount()).toBe(0);
    expect(receiver.duplicatesDropped).toBe(1);
  });

  it('delivers a dissolve at once, after what is held before it', () => {
    receiver.receive(push(1));
    receiver.receive(push(3));
    const { nodeStatus: _status, ...envelope } = push(5) as Push & { nodeStatus: unknown };
    const dissolve: Push = { ...envelope, groupDissolve: { groupId: 'g1', domain: 'd1', message: 'bye' } };
    receiver.receive(dissolve);
    expect(seqs()).toEqual(['n1:1', 'n1:3', 'n1:5']);
  });
});

describe('BatchDeduplicator', () => {
  const events = (firedAt: string) => [
    { name: 'jump', payload: null, timestamp: firedAt },
    { name: 'land', payload: 'x', timestamp: firedAt },
  ];

  it('recognises a batch sent again with the same events and firing times', () => {
    const dedupe = new BatchDeduplicator();
    expect(dedupe.isCopy('n1', events('2026-01-01T00:00:00.000Z'))).toBe(false);
    expect(dedupe.isCopy('n1', events('2026-01-01T00:00:00.250Z'))).toBe(false);
    expect(dedupe.isCopy('n1', events('2026-01-01T00:00:00.000Z'))).toBe(true);
    expect(dedupe.isCopy('n2', events('2026-01-01T00:00:00.000Z'))).toBe(false);
    expect(dedupe.copiesDropped).toBe(1);
  });
});
