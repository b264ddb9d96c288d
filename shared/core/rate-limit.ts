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
 */
import { RateLimited } from './errors';
import type { MeshSettings } from './settings';

interface Bucket {
  tokens: number;
  at: number;
}

/** Connections a container keeps a bucket for. */
const MAX_BUCKETS = 10_000;

export class ConnectionRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly settings: Pick<MeshSettings, 'connectionRequestsPerSecond' | 'connectionRequestBurst'>,
  ) {}

  /** Takes one request's token for `connectionId` at `now` (epoch ms), or throws RateLimited. */
  admit(connectionId: string, now: number): void {
    const { connectionRequestsPerSecond: rate, connectionRequestBurst: burst } = this.settings;
    const bucket = this.buckets.get(connectionId) ?? { tokens: burst, at: now };
    const tokens = Math.min(burst, bucket.tokens + (Math.max(0, now - bucket.at) * rate) / 1000);
    // Map order is insertion order: moving the bucket to the end keeps the least recent first.
    this.buckets.delete(connectionId);
    if (tokens < 1) {
      this.buckets.set(connectionId, { tokens, at: now });
      throw new RateLimited(`more than ${rate} requests a second from this connection: wait and send again`);
    }
    this.buckets.set(connectionId, { tokens: tokens - 1, at: now });
    if (this.buckets.size > MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value as string);
  }
}
