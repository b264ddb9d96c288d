/** The clock and id generator of a running handler (tests pass fixed ones). */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Clock, IdGenerator } from '#shared/core/ports';

export const systemClock: Clock = {
  now: () => Date.now(),
};

export const randomIds: IdGenerator = {
  groupId: () => randomUUID(),
  /** 72 random bits, base64url (12 characters): a node's epoch only has to differ from its previous ones. */
  epoch: () => randomBytes(9).toString('base64url'),
  /** 96 random bits: flush tokens and fan-out invocation names must not collide across a fleet. */
  token: () => randomBytes(12).toString('base64url'),
  /** 256 random bits (43 characters): a node's secret, so nobody guesses it. */
  nodeToken: () => randomBytes(32).toString('base64url'),
};
