/**
 * What one round posts: each member one frame (or as few as fit) with the
 * round's pushes it did not send itself, in log order, a sender's pushes in
 * its seq order.
 */
import { LIMITS, utf8Bytes } from '../../protocol/limits';
import type { Push } from '../../protocol/messages';
import type { GroupKey } from '../model';

/** A push of the round as the log holds it, with what framing needs to know. */
export interface RoundPush {
  text: string;
  bytes: number;
  from: string;
  seq: number;
}

/** Reads the fields framing needs from a push's JSON text (a text that is not a push still goes out, from nobody). */
export function roundPushOf(text: string): RoundPush {
  let from = '';
  let seq = 0;
  try {
    const push = JSON.parse(text) as Partial<Push>;
    if (typeof push.from === 'string') from = push.from;
    if (typeof push.seq === 'number') seq = push.seq;
  } catch {
    // posted as it is: the receiver decides
  }
  return { text, bytes: utf8Bytes(text), from, seq };
}

/**
 * The push's text with its log position as its first field (`pos`), so a
 * receiver knows where to read on after a drop. Spliced into the text, not
 * parsed and written again: the fan-out posts many pushes a round.
 */
export function withLogPosition(text: string, pos: number): string {
  if (!text.startsWith('{')) return text;
  const rest = text.slice(1).trimStart();
  return rest.startsWith('}') ? `{"pos":${pos}}` : `{"pos":${pos},${rest}`;
}

/**
 * Two requests of one sender can reach the log in the other order than their
 * seqs (they run concurrently). Within a round each sender's pushes are put
 * back in seq order, in the places its pushes hold, so receivers see them in
 * order without waiting.
 */
export function inSenderOrder(pushes: RoundPush[]): RoundPush[] {
  const bySender = new Map<string, RoundPush[]>();
  for (const push of pushes) {
    const list = bySender.get(push.from);
    if (list) list.push(push);
    else bySender.set(push.from, [push]);
  }
  const sorted = new Map<string, RoundPush[]>();
  for (const [from, list] of bySender)
    sorted.set(
      from,
      [...list].sort((a, b) => a.seq - b.seq),
    );
  const next = new Map<string, number>();
  return pushes.map((push) => {
    const index = next.get(push.from) ?? 0;
    next.set(push.from, index + 1);
    return sorted.get(push.from)![index];
  });
}

/**
 * Frames of at most LIMITS.maxPushPayloadBytes each, pushes in order: a single
 * push goes as its own `message` frame, several as one `messages` frame.
 */
export function buildFrames(key: GroupKey, pushes: { text: string; bytes: number }[]): string[] {
  const head = `{"type":"messages","groupId":${JSON.stringify(key.groupId)},"domain":${JSON.stringify(key.domain)},"messages":[`;
  const overhead = utf8Bytes(head) + 2;
  const frames: string[] = [];
  let part: string[] = [];
  let bytes = overhead;
  const flush = () => {
    if (part.length === 1) frames.push(part[0]);
    else if (part.length > 1) frames.push(`${head}${part.join(',')}]}`);
    part = [];
    bytes = overhead;
  };
  for (const push of pushes) {
    if (part.length > 0 && bytes + 1 + push.bytes > LIMITS.maxPushPayloadBytes) flush();
    bytes += push.bytes + (part.length > 0 ? 1 : 0);
    part.push(push.text);
  }
  flush();
  return frames;
}

/**
 * The frames of each receiving node: every node that sent none of the round's
 * pushes gets the same frames, built once.
 */
export function framesByReceiver(key: GroupKey, pushes: RoundPush[]): (nodeId: string) => string[] {
  const senders = new Set(pushes.map((push) => push.from));
  const built = new Map<string, string[]>();
  return (nodeId) => {
    const cacheKey = senders.has(nodeId) ? `node:${nodeId}` : '';
    let frames = built.get(cacheKey);
    if (frames === undefined) {
      frames = buildFrames(
        key,
        pushes.filter((push) => push.from !== nodeId),
      );
      built.set(cacheKey, frames);
    }
    return frames;
  };
}
