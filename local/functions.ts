/**
 * The mesh's five functions as the stack runs them: each in a pool of worker
 * threads (worker-pool.ts), or in the stack's own thread when its pool size
 * is 0 or a test passes the handler in. Either way each is a LocalLambda with
 * the module and the timeout the topology gives it (wiring.ts), the ones the
 * Pulumi program deploys.
 *
 * MESH_LOCAL_WORKERS sets the pool sizes: `request:1,fanout:1` (functions not
 * named keep the default), or one number for all (`0` = every handler in the
 * stack's thread, as before worker threads). The default is one thread per
 * function: on two cores, the handlers' SDK work then runs beside the gateway
 * and SNS instead of on their event loop, and one more thread for the same
 * function only adds a heap and a cold start (the work is I/O-bound; one event
 * loop keeps many invocations in flight).
 */
import { callHooks } from './call-hooks';
import { tapEmf } from './emf';
import type { FaultInjector } from './faults';
import { type LambdaHandler, LocalLambda } from './lambda';
import type { Log } from './log';
import { installSdkHooks } from './sdk-hooks';
import type { LocalStats } from './stats';
import { WorkerPool } from './worker-pool';
import { LOCAL_ENV } from './env';
import { FUNCTION_NAMES, functionModule, functionTimeoutSeconds, type FunctionName } from './wiring';

export type { FunctionName };

/** The functions of the mesh, by the name the stats and logs use. */
export type StackHandlers = Record<FunctionName, LambdaHandler>;

const DEFAULT_THREADS = 1;

/** Threads per function from MESH_LOCAL_WORKERS (see the module comment). */
export function workerCountsFromEnv(env: NodeJS.ProcessEnv = process.env): Record<FunctionName, number> {
  const counts = Object.fromEntries(FUNCTION_NAMES.map((name) => [name, DEFAULT_THREADS])) as Record<
    FunctionName,
    number
  >;
  const raw = env[LOCAL_ENV.localWorkers]?.trim();
  if (!raw) return counts;
  const count = (text: string) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0 || n > 16)
      throw new Error(`${LOCAL_ENV.localWorkers}: "${text}" is not a thread count from 0 to 16`);
    return n;
  };
  if (/^\d+$/.test(raw)) {
    const n = count(raw);
    for (const name of FUNCTION_NAMES) counts[name] = n;
    return counts;
  }
  for (const entry of raw.split(',')) {
    const match = /^\s*(\w+)\s*:\s*(\d+)\s*$/.exec(entry);
    if (!match)
      throw new Error(`${LOCAL_ENV.localWorkers}: "${entry.trim()}" is not function:threads (e.g. request:1,fanout:1)`);
    const [, name, value] = match;
    if (!FUNCTION_NAMES.includes(name as FunctionName)) {
      throw new Error(`${LOCAL_ENV.localWorkers}: unknown function "${name}" (one of ${FUNCTION_NAMES.join(', ')})`);
    }
    counts[name as FunctionName] = count(value);
  }
  return counts;
}

export interface FunctionsOptions {
  /** Handlers to run in the stack's thread instead of the modules (tests). */
  handlers?: Partial<StackHandlers>;
  threads: Record<FunctionName, number>;
  env: NodeJS.ProcessEnv;
  region: string;
  faults: FaultInjector;
  stats: LocalStats;
  log: Log;
  onFatal(message: string): void;
}

export interface Functions {
  lambdas: Record<FunctionName, LocalLambda>;
  pools: Partial<Record<FunctionName, WorkerPool>>;
  /** `request: 1 thread`, `fanout: in-process`, for the CLI's summary. */
  where: string;
  stop(): Promise<void>;
}

async function loadInProcess(name: FunctionName): Promise<LambdaHandler> {
  const specifier = functionModule(name);
  const module = (await import(specifier)) as { handler?: unknown };
  if (typeof module.handler !== 'function') throw new Error(`${specifier} does not export a handler function`);
  return module.handler as LambdaHandler;
}

/** Starts the pools and loads the in-process handlers; the env must be set already. */
export async function startFunctions(options: FunctionsOptions): Promise<Functions> {
  const { handlers, threads, env, faults, stats, log, onFatal, region } = options;
  const pools: Partial<Record<FunctionName, WorkerPool>> = {};
  const inProcess = FUNCTION_NAMES.filter((name) => handlers?.[name] !== undefined || threads[name] === 0);
  const cleanups: (() => void)[] = [];
  if (inProcess.length > 0) {
    // Handlers in this thread are counted here; worker threads count their own.
    cleanups.push(installSdkHooks(callHooks({ faults, onDynamoDbCall: (operation) => stats.dynamodbCall(operation) })));
    cleanups.push(tapEmf(process.stdout, (sums) => stats.add({ metrics: sums })));
  }
  const stop = async () => {
    await Promise.all(Object.values(pools).map((pool) => pool.stop()));
    for (const cleanup of cleanups.splice(0)) cleanup();
  };

  try {
    const resolved = {} as StackHandlers;
    for (const name of FUNCTION_NAMES) {
      if (inProcess.includes(name)) {
        resolved[name] = handlers?.[name] ?? (await loadInProcess(name));
        stats.counters.workers[name] = { threads: 0, restarts: 0 };
        continue;
      }
      const pool = new WorkerPool({
        functionName: name,
        module: functionModule(name),
        size: threads[name],
        env,
        faults,
        stats,
        log,
        onFatal,
      });
      pools[name] = pool;
      resolved[name] = pool.handler;
    }
    // Threads load in parallel: each is a cold start of its own.
    await Promise.all(Object.values(pools).map((pool) => pool.start()));
    const lambdas = Object.fromEntries(
      FUNCTION_NAMES.map((name) => [
        name,
        new LocalLambda({
          name,
          handler: resolved[name],
          timeoutSeconds: functionTimeoutSeconds(name),
          region,
          stats,
          log,
        }),
      ]),
    ) as Record<FunctionName, LocalLambda>;
    const where = FUNCTION_NAMES.map(
      (name) => `${name}: ${pools[name] ? `${threads[name]} thread(s)` : 'in-process'}`,
    ).join(', ');
    return { lambdas, pools, where, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
