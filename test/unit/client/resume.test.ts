/**
 * The catch-up after a drop (client/resume.ts) against a scripted log: it
 * reads from a round before the highest position pushed (never below where
 * the node entered), pages to the end, hands every push to the mirror, where
 * the ones already delivered drop out; a log that no longer keeps what was
 * missed is a gap; a client that was never pushed to reads from where it
 * entered.
 */
import { MeshError } from '#client/errors';
import { catchUp, RESUME_OVERLAP } from '#client/resume';
import type { Send } from '#client/requests';
import { StatusMirror } from '#client/status-mirror';
import type { Push } from '#shared/protocol/messages';

const group = { groupId: 'g1', domain: 'd1' };
const push = (pos: number, seq: number, name: string): Push => ({
  type: 'message',
  ...group,
  from: 'n1',
  epoch: 'e1',
  seq,
  sentAt: '2026-01-05T09:00:00.000Z',
  pos,
  batchEvent: {
    events: [{ name, firedByNodeId: 'n1', ...group, payload: null, timestamp: '2026-01-05T09:00:00.000Z' }],
    firedByNodeId: 'n1',
    ...group,
    timestamp: '2026-01-05T09:00:00.000Z',
  },
});

function mirrorRecording(): { mirror: StatusMirror; events: string[] } {
  const events: string[] = [];
  const mirror = new StatusMirror({
    nodeId: 'me',
    eventReplay: 'raw',
    onStatus: () => undefined,
    onEvent: (event) => events.push(event.name),
    onDissolve: () => undefined,
    onJoin: () => undefined,
    onLeave: () => undefined,
  });
  return { mirror, events };
}

/** A log of `pushes` from position `kept` on; reads answer two pushes a page. */
function logOf(pushes: Push[], kept = 0): { send: Send; asked: number[] } {
  const asked: number[] = [];
  const send = (async (_action: string, args: { pos: number }) => {
    asked.push(args.pos);
    if (args.pos < kept) throw new MeshError('CursorExpired', 'past retention');
    const page = pushes.filter((p) => p.pos! >= args.pos).slice(0, 2);
    return { type: 'result', data: { pushes: page, nextPos: args.pos + page.length } };
  }) as unknown as Send;
  return { send, asked };
}

it('reads from a round before the last position pushed, pages to the end, and drops what was delivered', async () => {
  const { mirror, events } = mirrorRecording();
  const log = Array.from({ length: 150 }, (_, i) => push(i, i + 1, `e${i}`));
  for (const live of log.slice(0, 120)) mirror.receive(live, group);
  const { send, asked } = logOf(log);

  expect(await catchUp(send, group, mirror)).toBe('done');

  expect(asked[0]).toBe(119 - RESUME_OVERLAP + 1);
  expect(events).toEqual(log.map((p) => `e${p.pos}`));
});

it('is a gap when the log no longer keeps what was missed', async () => {
  const { mirror } = mirrorRecording();
  mirror.receive(push(10, 1, 'a'), group);
  const { send } = logOf([push(40, 31, 'late')], 30);

  expect(await catchUp(send, group, mirror)).toBe('gap');
});

it('reads on after the last position when only the overlap is past the retention', async () => {
  const { mirror, events } = mirrorRecording();
  mirror.receive(push(110, 1, 'a'), group);
  const { send, asked } = logOf([push(110, 1, 'a'), push(111, 2, 'b')], 111);

  expect(await catchUp(send, group, mirror)).toBe('done');

  expect(asked.slice(0, 2)).toEqual([11, 111]);
  expect(events).toEqual(['a', 'b']);
});

it('reads from where the node entered when nothing was pushed to it yet, and never below', async () => {
  const { mirror, events } = mirrorRecording();
  mirror.anchor(5);
  const { send, asked } = logOf([push(3, 1, 'before'), push(5, 1, 'missed')]);

  expect(await catchUp(send, group, mirror)).toBe('done');

  expect(asked[0]).toBe(5);
  expect(events).toEqual(['missed']);
});
