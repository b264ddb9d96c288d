/**
 * Fault injection for the local stack: what can go wrong in AWS, on purpose,
 * reproducibly. The configuration is JSON (MESH_FAULTS at start, or
 * `PUT /_local/faults` on the Management API port), every fault off unless
 * named:
 *
 *   {
 *     "seed": 7,
 *     "sns":              { "drop": 0.05, "duplicate": 0.1, "delay": { "p": 0.2, "minMs": 50, "maxMs": 400 }, "reorder": 0.1 },
 *     "postToConnection": { "error500": 0.05, "throttle429": 0.05, "latency": { "p": 0.3, "minMs": 5, "maxMs": 50 } },
 *     "dynamodb":         { "throttle": 0.05, "stall": { "p": 0.05, "minMs": 100, "maxMs": 800 }, "operations": ["UpdateItem"] },
 *     "fanout":           { "killAfterPosts": 20, "killPerPost": 0.01, "maxKills": 3 }
 *   }
 *
 * Probabilities are per delivery, per post, per HTTP attempt or per post
 * respectively. Each fault rolls its own dice, seeded from `seed`, the thread
 * (`stream`) and the fault's name, so one fault's rolls do not shift another's
 * and a run with the same seed and the same traffic injects the same faults.
 * Where each fault acts: sns.ts, management.ts, sdk-hooks.ts (via the worker
 * or the stack), lambda-worker.ts; the README lists them.
 */
import * as z from 'zod';
import { seededRandom } from './seeded-random';
import { LOCAL_ENV } from './env';

const probability = z.number().min(0).max(1);
const delay = z
  .strictObject({ p: probability, minMs: z.number().int().min(0), maxMs: z.number().int().min(0) })
  .refine((range) => range.minMs <= range.maxMs, { message: 'minMs must not exceed maxMs' });

export const FAULT_CONFIG = z.strictObject({
  seed: z.number().int().optional(),
  sns: z
    .strictObject({
      drop: probability.optional(),
      duplicate: probability.optional(),
      delay: delay.optional(),
      reorder: probability.optional(),
    })
    .optional(),
  postToConnection: z
    .strictObject({ error500: probability.optional(), throttle429: probability.optional(), latency: delay.optional() })
    .optional(),
  dynamodb: z
    .strictObject({
      throttle: probability.optional(),
      stall: delay.optional(),
      operations: z.array(z.string()).optional(),
    })
    .optional(),
  fanout: z
    .strictObject({
      killAfterPosts: z.number().int().positive().optional(),
      killPerPost: probability.optional(),
      maxKills: z.number().int().positive().optional(),
    })
    .optional(),
});

export type FaultConfig = z.infer<typeof FAULT_CONFIG>;
type Delay = z.infer<typeof delay>;

/** A fault configuration that does not parse; the message says where. */
export class FaultConfigError extends Error {
  override name = 'FaultConfigError';
}

/** Validates a configuration (a parsed JSON value). */
export function parseFaults(value: unknown): FaultConfig {
  const parsed = FAULT_CONFIG.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(top)'}: ${issue.message}`);
    throw new FaultConfigError(`invalid fault configuration: ${issues.join('; ')}`);
  }
  return parsed.data;
}

/** MESH_FAULTS as a configuration; `{}` (no faults) when unset. */
export function faultsFromEnv(env: NodeJS.ProcessEnv = process.env): FaultConfig {
  const raw = env[LOCAL_ENV.faults];
  if (raw === undefined || raw.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    throw new FaultConfigError(`MESH_FAULTS is not JSON: ${(error as Error).message}`);
  }
  return parseFaults(value);
}

/** FNV-1a, to seed a stream of dice from a name. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** What happens to one SNS delivery. */
export interface DeliveryPlan {
  drop: boolean;
  /** Extra copies to deliver (0 or 1). */
  duplicates: number;
  delayMs: number;
  /** Hold this delivery until a later one has started. */
  reorder: boolean;
}

/** What happens to one PostToConnection. */
export interface PostPlan {
  latencyMs: number;
  /** Answer this instead of delivering. */
  status?: 500 | 429;
}

/** What happens to one DynamoDB HTTP attempt. */
export interface DynamoAttemptPlan {
  stallMs: number;
  throttle?: 'ThrottlingException' | 'ProvisionedThroughputExceededException';
}

/**
 * The current configuration of one thread and its dice. `onInjected` hears
 * the name of every fault injected (`sns.drop`, `dynamodb.throttle`, …).
 */
export class FaultInjector {
  private current: FaultConfig = {};
  private dice = new Map<string, () => number>();
  private readonly listeners = new Set<(config: FaultConfig) => void>();

  constructor(
    config: FaultConfig = {},
    private readonly stream = 'main',
    private readonly onInjected: (name: string) => void = () => {},
  ) {
    this.set(config);
  }

  get config(): FaultConfig {
    return this.current;
  }

  /** Replaces the configuration (and re-seeds every fault's dice). */
  set(config: FaultConfig): void {
    this.current = config;
    this.dice = new Map();
    for (const listener of this.listeners) listener(config);
  }

  /** Calls `listener` with each new configuration; returns a function that stops it. */
  onChange(listener: (config: FaultConfig) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** True with probability `p`, from `name`'s own dice; counts the injection. */
  chance(name: string, p: number | undefined): boolean {
    if (!p) return false;
    const hit = this.roll(name) < p;
    if (hit) this.onInjected(name);
    return hit;
  }

  snsDelivery(): DeliveryPlan {
    const sns = this.current.sns;
    if (!sns) return { drop: false, duplicates: 0, delayMs: 0, reorder: false };
    return {
      drop: this.chance('sns.drop', sns.drop),
      duplicates: this.chance('sns.duplicate', sns.duplicate) ? 1 : 0,
      delayMs: this.delay('sns.delay', sns.delay),
      reorder: this.chance('sns.reorder', sns.reorder),
    };
  }

  postToConnection(): PostPlan {
    const post = this.current.postToConnection;
    if (!post) return { latencyMs: 0 };
    const latencyMs = this.delay('postToConnection.latency', post.latency);
    if (this.chance('postToConnection.error500', post.error500)) return { latencyMs, status: 500 };
    if (this.chance('postToConnection.throttle429', post.throttle429)) return { latencyMs, status: 429 };
    return { latencyMs };
  }

  dynamodbAttempt(operation: string): DynamoAttemptPlan {
    const dynamodb = this.current.dynamodb;
    if (!dynamodb || (dynamodb.operations && !dynamodb.operations.includes(operation))) return { stallMs: 0 };
    const stallMs = this.delay('dynamodb.stall', dynamodb.stall);
    if (!this.chance('dynamodb.throttle', dynamodb.throttle)) return { stallMs };
    // AWS raises either, depending on the kind of capacity exceeded; the SDK retries both as throttling.
    const throttle =
      this.roll('dynamodb.throttle.kind') < 0.5 ? 'ThrottlingException' : 'ProvisionedThroughputExceededException';
    return { stallMs, throttle };
  }

  /**
   * After the fan-out's `posts`-th post since its thread started: should the
   * thread die now? (Not counted here: the thread dies before it could report;
   * the pool counts the kill when the thread exits.)
   */
  fanoutKill(posts: number): boolean {
    const fanout = this.current.fanout;
    if (!fanout) return false;
    if (fanout.killAfterPosts !== undefined && posts >= fanout.killAfterPosts) return true;
    return fanout.killPerPost !== undefined && this.roll('fanout.kill') < fanout.killPerPost;
  }

  private delay(name: string, range: Delay | undefined): number {
    if (!range || !this.chance(name, range.p)) return 0;
    return Math.round(range.minMs + this.roll(`${name}.ms`) * (range.maxMs - range.minMs));
  }

  private roll(name: string): number {
    let dice = this.dice.get(name);
    if (!dice) {
      dice = seededRandom(hash(`${this.current.seed ?? 1}:${this.stream}:${name}`));
      this.dice.set(name, dice);
    }
    return dice();
  }
}
