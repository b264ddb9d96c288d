/**
 * One function's execution environments as worker threads, so the handlers
 * run beside the stack's own event loop (the gateway, SNS, the Management
 * API) instead of on it, and the stack can use more than one core. In AWS
 * each invocation gets a container of its own; here each thread runs the
 * invocations given to it concurrently, and the pool gives each new
 * invocation to the thread with the fewest in flight.
 *
 * A thread that dies (an uncaught error, the fan-out kill fault) is restarted
 * with a log line; its invocations in flight fail with `Runtime.ExitError`,
 * as a crashed Lambda's do, so SNS retries a fan-out as it would in AWS. If
 * the new thread cannot load its handler, the pool calls `onFatal`.
 *
 * Threads load TypeScript through tsx's CommonJS hooks: `--import tsx` in a
 * worker's execArgv does not reach its entry module on Node 20, and tsx's
 * ESM API does not register from an eval'd worker, so a tiny CommonJS
 * bootstrap registers tsx and requires lambda-worker.ts. tsx reads the
 * repository's tsconfig paths (`#shared/*`, `#handlers/*`), so handler
 * modules resolve their imports as in the stack's thread.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Context } from 'aws-lambda';
import type { FaultConfig, FaultInjector } from './faults';
import type { LambdaHandler } from './lambda';
import { writeUntapped } from './emf';
import { type Log, describeError } from './log';
import type { LocalStats } from './stats';
import { KILLED_EXIT_CODE, type ToPool, type ToWorker, contextFields, deserializeError } from './worker-protocol';

const ROOT = path.resolve(__dirname, '..');
const ENTRY = path.join(__dirname, 'lambda-worker.ts');

export interface WorkerPoolOptions {
  /** The function's name (`fanout`), as in the stats and logs. */
  functionName: string;
  /** The handler module: `#handlers/fanout`, or an absolute path. */
  module: string;
  /** Threads (≥ 1). */
  size: number;
  /** The env the handlers read at module scope (set before the pool starts). */
  env: NodeJS.ProcessEnv;
  faults: FaultInjector;
  stats: LocalStats;
  log: Log;
  /** A thread died and could not be replaced. */
  onFatal(message: string): void;
}

/** A crashed execution environment, in Lambda's words. */
export class LambdaCrash extends Error {
  override name = 'Runtime.ExitError';
}

interface Call {
  resolve(value: unknown): void;
  reject(error: Error): void;
  requestId: string;
}

interface Slot {
  index: number;
  worker: Worker;
  ready: Promise<void>;
  /** It loaded its handler (a thread that never did is not restarted: its failure is reported instead). */
  loaded: boolean;
  dead: boolean;
  inFlight: Map<number, Call>;
}

/** The running threads of one function. */
export class WorkerPool {
  /** Give this to LocalLambda: each call is one invocation in a thread. */
  readonly handler: LambdaHandler = (event, context) => this.invoke(event, context);
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private stopped = false;
  private kills = 0;

  constructor(private readonly options: WorkerPoolOptions) {
    options.stats.counters.workers[options.functionName] = { threads: options.size, restarts: 0 };
    options.faults.onChange(() => {
      this.kills = 0;
      this.broadcastFaults();
    });
  }

  /** Starts every thread; resolves when all have loaded their handler. */
  async start(): Promise<void> {
    for (let index = 0; index < this.options.size; index += 1) this.slots.push(this.spawn(index));
    await Promise.all(this.slots.map((slot) => slot.ready));
  }

  /** The threads' ids (tests end one to see it restarted). */
  threadIds(): number[] {
    return this.slots.map((slot) => slot.worker.threadId);
  }

  /** Ends every thread; invocations in flight fail. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  private async invoke(event: unknown, context: Context): Promise<unknown> {
    let slot: Slot;
    do {
      if (this.stopped) throw new LambdaCrash(`${this.options.functionName} is stopped`);
      slot = this.slots.reduce((best, s) => (s.inFlight.size < best.inFlight.size ? s : best));
      await slot.ready;
      // It may have died while this call waited for it; its replacement is in `slots` by then.
    } while (slot.dead);
    const id = this.nextId++;
    const deadline = Date.now() + context.getRemainingTimeInMillis();
    return new Promise((resolve, reject) => {
      slot.inFlight.set(id, { resolve, reject, requestId: context.awsRequestId });
      const message: ToWorker = { type: 'invoke', id, event, context: contextFields(context), deadline };
      slot.worker.postMessage(message);
    });
  }

  /** The configuration a thread should use: kills stop once `maxKills` threads have been killed. */
  private effectiveFaults(): FaultConfig {
    const config = this.options.faults.config;
    const max = config.fanout?.maxKills;
    if (max === undefined || this.kills < max) return config;
    return { ...config, fanout: undefined };
  }

  private broadcastFaults(): void {
    const message: ToWorker = { type: 'faults', config: this.effectiveFaults() };
    for (const slot of this.slots) slot.worker.postMessage(message);
  }

  private spawn(index: number): Slot {
    const { functionName, module, env, stats } = this.options;
    const bootstrap = `require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register(); require(${JSON.stringify(ENTRY)});`;
    const worker = new Worker(bootstrap, {
      eval: true,
      workerData: { functionName, module, index, faults: this.effectiveFaults() },
      // The stack's thread has printed the SDK's Node-version notice once already.
      env: {
        ...env,
        TSX_TSCONFIG_PATH: path.join(ROOT, 'tsconfig.json'),
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
      name: `${functionName}#${index}`,
      // Relayed past the stack's own EMF tap: the thread counts its metric lines itself.
      stdout: true,
    });
    worker.stdout.on('data', (chunk: Buffer) => writeUntapped(process.stdout, chunk));
    const slot: Slot = { index, worker, ready: Promise.resolve(), loaded: false, dead: false, inFlight: new Map() };
    slot.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (message: ToPool) => {
        if (message.type === 'ready') {
          slot.loaded = true;
          resolve();
        } else if (message.type === 'loadError') {
          reject(deserializeError(message.error));
          void worker.terminate();
        } else if (message.type === 'counters') stats.add(message.delta);
        else this.settle(slot, message);
      });
      worker.once('exit', (code) => {
        reject(new LambdaCrash(`${functionName} worker ${index} exited (code ${code}) before it was ready`));
        this.exited(slot, code);
      });
    });
    // Rejections are handled by whoever awaits `ready`; this keeps an unawaited one quiet.
    slot.ready.catch(() => {});
    worker.on('error', (error) =>
      this.options.log(`lambda:${functionName}`, `worker ${index} failed: ${describeError(error)}`),
    );
    return slot;
  }

  private settle(slot: Slot, message: ToPool & { type: 'result' }): void {
    const call = slot.inFlight.get(message.id);
    if (!call) return;
    slot.inFlight.delete(message.id);
    if (message.ok) call.resolve(message.value);
    else call.reject(deserializeError(message.error));
  }

  private exited(slot: Slot, code: number): void {
    const { functionName, log, stats, onFatal } = this.options;
    const killed = code === KILLED_EXIT_CODE;
    slot.dead = true;
    for (const call of slot.inFlight.values()) {
      call.reject(
        new LambdaCrash(
          `RequestId: ${call.requestId} Error: Runtime exited with error: ${killed ? 'signal: killed' : `exit status ${code}`}`,
        ),
      );
    }
    const inFlight = slot.inFlight.size;
    slot.inFlight.clear();
    if (this.stopped || !slot.loaded) return;
    if (killed) {
      stats.fault('fanout.kill');
      this.kills += 1;
    }
    const why = killed ? 'killed by the fan-out kill fault' : `exited (code ${code})`;
    log(
      `lambda:${functionName}`,
      `worker ${slot.index} ${why} with ${inFlight} invocation(s) in flight; restarting it`,
    );
    const fresh = this.spawn(slot.index);
    this.slots[this.slots.indexOf(slot)] = fresh;
    stats.counters.workers[functionName] = {
      threads: this.options.size,
      restarts: (stats.counters.workers[functionName]?.restarts ?? 0) + 1,
    };
    fresh.ready.catch((error: unknown) => {
      if (!this.stopped)
        onFatal(`${functionName} worker ${slot.index} could not be restarted: ${describeError(error)}`);
    });
    if (killed) this.broadcastFaults();
  }
}
