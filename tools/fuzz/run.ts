/**
 * The protocol fuzz against a running stack: a group (a host and a member),
 * an observer, and two senders (the member's connection and a stranger's),
 * then `runs` frames from frames.ts, each from one of the senders. For every
 * frame the properties are:
 *
 * - it gets exactly one reply, a result or a typed error, and never an
 *   InternalError (no input makes a handler fail); a frame over 32 KB closes
 *   its connection with 1009 instead. RateLimited is one of the typed errors:
 *   the senders are held to their connection's rate like anyone;
 * - a frame refused with an error changes nothing the queries show (the
 *   domain's groups, the group's nodes and statuses);
 * - the sender's connection still answers a request, and so does the stack.
 *
 * A frame that was accepted (a valid draw) may change the state; the next
 * frame is judged against the state after it.
 */
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Action, ArgsOf } from '#shared/protocol/args';
import { ERROR_TYPES, type Reply } from '#shared/protocol/messages';
import type { ActionResults } from '#shared/protocol/results';
import { MeshCallError, ProtocolSocket } from '#tools/protocol-socket';
import { type FuzzFrame, type FuzzTarget, fuzzFrame, isOversize } from './frames';

export interface FuzzOptions {
  url: string;
  runs: number;
  seed: number;
  /** How long a frame's reply may take. */
  replyTimeoutMs?: number;
}

export interface FuzzReport {
  runs: number;
  seed: number;
  /** Frames by what the draw did, and how they were answered. */
  outcomes: Record<string, number>;
}

/** How long to wait, after the ping's answer, for a second reply to the fuzzed frame. */
const SECOND_REPLY_WAIT_MS = 30;
/**
 * Connections that read the state, in turn: each frame costs six queries,
 * and one connection may send only so many requests a second (its rate).
 */
const OBSERVERS = 4;
/** How long a check waits before asking again when its connection was over its rate. */
const RATE_LIMITED_WAIT_MS = 250;

/** A request of the fuzz's own (a state query, a ping): asked again while RateLimited, since the fuzz itself is not the subject. */
async function patiently<A extends Action>(
  socket: ProtocolSocket,
  action: A,
  args: ArgsOf<A>,
): Promise<ActionResults[A]> {
  for (;;) {
    const reply = await socket.reply(action, args);
    if (reply.type === 'result') return reply.data as ActionResults[A];
    if (reply.errorType !== 'RateLimited') throw new MeshCallError(reply);
    await sleep(RATE_LIMITED_WAIT_MS);
  }
}

interface Sender {
  name: 'member' | 'stranger';
  socket: ProtocolSocket;
}

class FuzzWorld {
  private constructor(
    readonly url: string,
    readonly target: FuzzTarget,
    private readonly observers: ProtocolSocket[],
    private readonly host: ProtocolSocket,
    readonly senders: Sender[],
  ) {}

  static async open(url: string): Promise<FuzzWorld> {
    const domain = `fuzz-${randomUUID()}`;
    const hostId = `fuzz-host-${randomUUID().slice(0, 8)}`;
    const nodeId = `fuzz-member-${randomUUID().slice(0, 8)}`;
    const host = await ProtocolSocket.connect(url);
    const group = await host.call('createGroup', { name: 'fuzz', hostId, domain });
    const member = await ProtocolSocket.connect(url);
    const node = await member.call('joinGroup', { groupId: group.id, domain, nodeId });
    const target = { groupId: group.id, domain, hostId, nodeId, nodeToken: node.nodeToken ?? '' };
    const senders: Sender[] = [
      { name: 'member', socket: member },
      { name: 'stranger', socket: await ProtocolSocket.connect(url) },
    ];
    const observers = await Promise.all(Array.from({ length: OBSERVERS }, () => ProtocolSocket.connect(url)));
    return new FuzzWorld(url, target, observers, host, senders);
  }

  private reads = 0;

  /** What a refused frame must leave as it was. */
  async state(): Promise<string> {
    const { groupId, domain } = this.target;
    const observer = this.observers[this.reads++ % this.observers.length];
    const [groups, nodes, statuses] = await Promise.all([
      patiently(observer, 'listGroupsByDomain', { domain }),
      patiently(observer, 'listNodesInGroup', { groupId, domain }),
      patiently(observer, 'listGroupStatuses', { groupId, domain }),
    ]);
    const byId = <T extends { id?: string; nodeId?: string }>(items: T[]) =>
      [...items].sort((a, b) => String(a.id ?? a.nodeId).localeCompare(String(b.id ?? b.nodeId)));
    return JSON.stringify({ groups: byId(groups), nodes: byId(nodes), statuses: byId(statuses) });
  }

  /**
   * A new connection for a sender whose socket closed; the member takes its
   * node back with its token. If the fuzz made the member leave, its node is
   * gone and stays gone: a join would create it anew, a change of state no
   * frame made.
   */
  async reopen(sender: Sender): Promise<void> {
    sender.socket = await ProtocolSocket.connect(this.url);
    if (sender.name !== 'member') return;
    const { groupId, domain, nodeId, nodeToken } = this.target;
    const nodes = await patiently(this.observers[0], 'listNodesInGroup', { groupId, domain });
    if (!nodes.some((node) => node.id === nodeId)) return;
    const rejoin = await sender.socket.reply('joinGroup', { groupId, domain, nodeId, nodeToken });
    // A new connection has a full bucket: RateLimited cannot be the answer here.
    if (rejoin.type === 'error' && rejoin.errorType !== 'NodeNotFound' && rejoin.errorType !== 'Unauthorized') {
      throw new Error(`the member could not rejoin: ${rejoin.errorType}: ${rejoin.message}`);
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.host, ...this.observers, ...this.senders.map((s) => s.socket)].map((s) => s.close()));
  }
}

function describe(frame: FuzzFrame): string {
  const shown = typeof frame.data === 'string' ? frame.data : `<${frame.data.length} binary bytes>`;
  return `${frame.kind}: ${shown.slice(0, 300)}`;
}

/** Sends one frame and checks every property; resolves with how it was answered. */
async function sendOne(world: FuzzWorld, sender: Sender, frame: FuzzFrame, replyTimeoutMs: number): Promise<string> {
  const before = await world.state();
  const { socket } = sender;
  if (isOversize(frame)) {
    socket.socket.send(frame.data, { binary: frame.binary });
    const closed = await socket.closed;
    if (closed.code !== 1009) throw new Error(`a frame over 32 KB closed with ${closed.code}, not 1009`);
    await world.reopen(sender);
    if ((await world.state()) !== before) throw new Error('a frame over 32 KB changed the state');
    return 'closed 1009';
  }
  socket.socket.send(frame.data, { binary: frame.binary });
  const reply: Reply = await socket.nextUnclaimedReply(replyTimeoutMs);
  // The connection still answers, and nothing else answered the fuzzed frame.
  await patiently(socket, 'createDomain', {});
  const second = await socket.nextUnclaimedReply(SECOND_REPLY_WAIT_MS).then(
    (extra) => extra,
    () => undefined,
  );
  if (second) throw new Error(`two replies to one frame: ${JSON.stringify(second).slice(0, 300)}`);
  if (reply.type === 'result') return 'result';
  if (!ERROR_TYPES.includes(reply.errorType)) throw new Error(`an untyped error: ${JSON.stringify(reply)}`);
  if (reply.errorType === 'InternalError') throw new Error(`an InternalError: ${reply.message}`);
  const after = await world.state();
  if (after !== before) throw new Error(`refused with ${reply.errorType} but the state changed:\n${before}\n${after}`);
  return reply.errorType;
}

/** Runs the fuzz; throws (fast-check's report: seed, path, counterexample) when a property fails. */
export async function runProtocolFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const world = await FuzzWorld.open(options.url);
  const outcomes: Record<string, number> = {};
  try {
    const property = fc.asyncProperty(fc.nat({ max: 1 }), fuzzFrame(world.target), async (who, frame) => {
      const sender = world.senders[who];
      try {
        const outcome = await sendOne(world, sender, frame, options.replyTimeoutMs ?? 10_000);
        const label = `${frame.category} → ${outcome}`;
        outcomes[label] = (outcomes[label] ?? 0) + 1;
      } catch (error) {
        throw new Error(`from the ${sender.name}, ${describe(frame)}\n${(error as Error).message}`);
      } finally {
        if (!sender.socket.isOpen) await world.reopen(sender);
      }
    });
    // No shrinking: each step talks to the stack, and the seed and path replay the failure.
    await fc.assert(property, { seed: options.seed, numRuns: options.runs, endOnFailure: true });
    return { runs: options.runs, seed: options.seed, outcomes };
  } finally {
    await world.close();
  }
}
