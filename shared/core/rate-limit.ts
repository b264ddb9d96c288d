/**
 * The per-connection request rate: a token bucket per connection, so one
 * runaway program (a Scratch loop without a wait) cannot spend the stage's
 * throttle, the table and the fan-out that every school shares. A request
 * over the rate is refused with RateLimited before it is even parsed, so a
 * refusal costs next to nothing and changes nothing.
 *
 * The buckets live in the request container's memory. The local stack runs
 * one request thread, so there the rate is exact. In AWS a connection's
 * requests may reach several warm containers, each with a bucket of its own,
 * so a flood gets at most that many times the rate through; the stage's
 * throttles bound the rest. The map is bounded: the connections seen least
 * recently are forgotten first (a forgotten one starts with a full bucket).
 *
 * Refusals are counted too, in a second bucket of the same rate: a client
 * that backs off after RateLimited refills it faster than it spends it, but
 * a loop that keeps sending at twice its rate or more empties it within
 * seconds, and its connection is then closed (handlers/request.ts).
 */
import { RateLimited } from './errors';
import type { MeshSettings } from './settings';

interface Bucket {
  /** Requests the connection may send now. */
  tokens: number;
  /** Refusals it may still earn before it is closed; refilled at the same rate. */
  strikes: number;
  /** Told to close once: every later frame (those it had in flight) is refused plainly. */
  closing: boolean;
  at: number;
}

/** Connections a container keeps a bucket for. */
const MAX_BUCKETS = 10_000;

type LimiterSettings = Pick<
  MeshSettings,
  'connectionRequestsPerSecond' | 'connectionRequestBurst' | 'connectionRefusalsBeforeClose'
>;

export class ConnectionRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  /**
   * `closes`: whether a caller that keeps flooding is to be closed. Over
   * HTTPS there is no connection to close, so a flooder only keeps getting
   * refusals.
   */
  constructor(
    private readonly settings: LimiterSettings,
    private readonly closes = true,
  ) {}

  /**
   * Takes one request's token for `connectionId` at `now` (epoch ms), or
   * throws RateLimited. A refusal also takes a strike; the refusal that
   * finds none left says the connection is to be closed: it has kept
   * sending at well over its rate (closesConnection).
   */
  admit(connectionId: string, now: number): void {
    const {
      connectionRequestsPerSecond: rate,
      connectionRequestBurst: burst,
      connectionRefusalsBeforeClose: maxStrikes,
    } = this.settings;
    const bucket = this.buckets.get(connectionId) ?? { tokens: burst, strikes: maxStrikes, closing: false, at: now };
    const refill = (Math.max(0, now - bucket.at) * rate) / 1000;
    const tokens = Math.min(burst, bucket.tokens + refill);
    const strikes = Math.min(maxStrikes, bucket.strikes + refill);
    // Map order is insertion order: moving the bucket to the end keeps the least recent first.
    this.buckets.delete(connectionId);
    // A connection told to close accepts nothing more: its close waits only for what it had accepted.
    if (tokens < 1 || bucket.closing) {
      const closes = this.closes && strikes < 1 && !bucket.closing;
      this.buckets.set(connectionId, {
        tokens,
        strikes: Math.max(0, strikes - 1),
        closing: bucket.closing || closes,
        at: now,
      });
      if (closes) {
        throw new RateLimited(`far more than ${rate} requests a second from this connection: it is closed`, true);
      }
      throw new RateLimited(`more than ${rate} requests a second from this connection: wait and send again`);
    }
    this.buckets.set(connectionId, { tokens: tokens - 1, strikes, closing: bucket.closing, at: now });
    if (this.buckets.size > MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value as string);
  }
}
