/** The bench's options: flags of `npm run bench`, with the Mesh v2 profile as defaults. */
import { LOCAL_ENV } from '#local/env';
import type { LoadProfile } from './ipc';
import { workerCountsFromEnv } from '#local/functions';

export interface BenchOptions {
  groups: number;
  nodes: number;
  statusRate: number;
  batchRate: number;
  /** Measured seconds of the first (base) phase. */
  duration: number;
  /** Seconds of load before each measured window, not counted. */
  warmup: number;
  multiplier: number;
  /** Step the load up (×2, ×4, …) after the base phase. */
  step: boolean;
  /** Measured seconds of each step; default min(duration, 20). */
  stepDuration: number;
  /** Highest multiplier a step may reach. */
  maxMultiplier: number;
  p99Bound: number;
  /** Seconds to wait for in-flight deliveries after sending stops. */
  drain: number;
  /** Target an existing stack (ws:// or wss://) instead of starting one. */
  url?: string;
  /** Its stats endpoint, when it has one (a local stack). */
  statsUrl?: string;
  workers: number;
  out: string;
  /** Run the baseline relay too. */
  baseline: boolean;
  /** Start the stack with SDK call timing (bench/profile-stack.ts) and report where the time goes. */
  profile: boolean;
  /** MESH_FANOUT_WINDOW_MAX_MS of the stack the bench starts (the longest the adaptive window grows); unset: the stack's default. */
  window?: number;
  /** MESH_LOCAL_WORKERS of the stack the bench starts (`request:N,fanout:M`); unset: the stack's default. */
  handlerThreads?: string;
  /** Run the polling profile (bench/polling/) instead: one group of pollers over HTTPS and WebSocket nodes. */
  polling: boolean;
  /** Polling profile: nodes that poll over HTTPS. */
  pollers: number;
  /** Polling profile: WebSocket nodes in the same group, the host included. */
  socketNodes: number;
  /** Polling profile with --url: the target's HTTPS endpoint (a started stack's is `httpUrl` of its MESH_READY line). */
  httpUrl?: string;
}

export const DEFAULT_OPTIONS: BenchOptions = {
  groups: 10,
  nodes: 40,
  statusRate: 15,
  batchRate: 2,
  duration: 60,
  warmup: 5,
  multiplier: 1,
  step: true,
  stepDuration: 20,
  maxMultiplier: 64,
  p99Bound: 500,
  drain: 10,
  workers: 0,
  out: 'bench/results',
  baseline: true,
  profile: false,
  polling: false,
  pollers: 40,
  socketNodes: 8,
};

const NUMERIC: (keyof BenchOptions)[] = [
  'groups',
  'nodes',
  'statusRate',
  'batchRate',
  'duration',
  'warmup',
  'multiplier',
  'stepDuration',
  'maxMultiplier',
  'p99Bound',
  'drain',
  'workers',
  'window',
  'pollers',
  'socketNodes',
];

/** Flags without a default: unset means "the stack's own choice" or "start a stack". */
const OPTIONAL: (keyof BenchOptions)[] = ['url', 'statsUrl', 'window', 'handlerThreads', 'httpUrl'];

const camel = (flag: string) => flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Parses `--name value`, `--name=value`, `--flag` and `--no-flag`. Unknown flags are an error. */
export function parseArgs(argv: string[]): BenchOptions {
  const options: BenchOptions = { ...DEFAULT_OPTIONS };
  let stepDurationGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`unexpected argument: ${arg}`);
    const [rawName, inline] = arg.slice(2).split('=', 2);
    if (rawName.startsWith('no-')) {
      const name = camel(rawName.slice(3)) as keyof BenchOptions;
      if (typeof DEFAULT_OPTIONS[name] !== 'boolean') throw new Error(`unknown flag: ${arg}`);
      (options as unknown as Record<string, unknown>)[name] = false;
      continue;
    }
    const name = camel(rawName) as keyof BenchOptions;
    if (!(name in DEFAULT_OPTIONS) && !OPTIONAL.includes(name)) throw new Error(`unknown flag: ${arg}`);
    if (typeof DEFAULT_OPTIONS[name] === 'boolean') {
      (options as unknown as Record<string, unknown>)[name] = inline === undefined ? true : inline !== 'false';
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`flag --${rawName} needs a value`);
    if (NUMERIC.includes(name)) {
      const n = Number(value);
      if (!Number.isFinite(n) || n < 0) throw new Error(`--${rawName} must be a non-negative number, got ${value}`);
      (options as unknown as Record<string, unknown>)[name] = n;
      if (name === 'stepDuration') stepDurationGiven = true;
    } else {
      (options as unknown as Record<string, unknown>)[name] = value;
    }
  }
  if (!stepDurationGiven) options.stepDuration = Math.min(options.duration, DEFAULT_OPTIONS.stepDuration);
  if (options.nodes < 2) throw new Error('--nodes must be at least 2 (a host and a member)');
  if (options.groups < 1) throw new Error('--groups must be at least 1');
  if (options.handlerThreads !== undefined) checkHandlerThreads(options);
  checkPolling(options);
  return options;
}

/** The polling profile needs an HTTPS endpoint and a WebSocket host; its flags mean nothing without it. */
function checkPolling(options: BenchOptions): void {
  if (!options.polling) {
    if (options.httpUrl) throw new Error('--http-url is for the polling profile: add --polling');
    return;
  }
  if (options.url && !options.httpUrl) throw new Error("--polling with --url needs --http-url (the target's httpUrl)");
  if (!options.url && options.httpUrl)
    throw new Error('--http-url goes with --url (a stack the bench starts has its own)');
  if (!Number.isInteger(options.pollers) || options.pollers < 1)
    throw new Error('--pollers must be a whole number, at least 1');
  if (!Number.isInteger(options.socketNodes) || options.socketNodes < 1)
    throw new Error('--socket-nodes must be a whole number, at least 1 (the host is a WebSocket node)');
}

/**
 * Rejects a --handler-threads spec the stack would refuse (with the stack's
 * own parser, so both agree), and the runs where it would silently do nothing.
 */
function checkHandlerThreads(options: BenchOptions): void {
  if (options.url) throw new Error('--handler-threads sets up the stack the bench starts; with --url there is none');
  // profile-stack.ts times only the SDK calls of handlers in its own thread.
  if (options.profile)
    throw new Error('--handler-threads cannot go with --profile (the timing sees only handlers in the stack thread)');
  // An empty MESH_LOCAL_WORKERS means the default, which the flag's absence already says.
  if (!options.handlerThreads?.trim()) throw new Error('--handler-threads needs a spec, e.g. request:2,fanout:2');
  try {
    workerCountsFromEnv({ [LOCAL_ENV.localWorkers]: options.handlerThreads });
  } catch (error) {
    throw new Error(`--handler-threads: ${(error as Error).message.replace(`${LOCAL_ENV.localWorkers}: `, '')}`);
  }
}

/** Messages (status reports + event batches) per second the profile hands the clients at ×1, all groups together. */
export function profileMessagesPerSecond(options: Pick<BenchOptions, 'groups' | 'statusRate' | 'batchRate'>): number {
  return options.groups * (options.statusRate + options.batchRate);
}

/**
 * Load workers: whole groups per worker, one per 5 groups, at most 2. On 2
 * cores the stack and DynamoDB Local need the CPU more than the load does (a
 * worker of 200 nodes stayed well under a core in the clean phases); more
 * workers only add processes competing for it. Override with --workers.
 */
export function workerCount(options: BenchOptions): number {
  if (options.workers > 0) return Math.min(options.workers, options.groups);
  return Math.max(1, Math.min(2, Math.ceil(options.groups / 5)));
}

/** The load the options ask for: the group's status and batch rates, 1–5 events a batch. */
export function loadProfileOf(options: Pick<BenchOptions, 'statusRate' | 'batchRate'>): LoadProfile {
  return {
    statusPerSecPerGroup: options.statusRate,
    batchesPerSecPerGroup: options.batchRate,
    eventsPerBatch: { min: 1, max: 5 },
  };
}
