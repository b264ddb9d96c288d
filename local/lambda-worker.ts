/**
 * The entry of one worker thread of a WorkerPool (worker-pool.ts): a Lambda
 * execution environment for one function. It loads the handler module once
 * (its module scope reads the env the stack set, as a cold start would), then
 * runs the invocations the pool sends, concurrently, and answers each with its
 * result or error.
 *
 * It counts what the handlers do in this thread (DynamoDB calls, EMF metrics
 * they print, faults injected here) and reports the counts to the stack's
 * thread before each answer, so a reply never overtakes its calls in the stats.
 * The fan-out kill fault ends this thread with KILLED_EXIT_CODE after a post,
 * as a crashed Lambda ends mid-invocation.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Context } from 'aws-lambda';
import { callHooks } from './call-hooks';
import { tapEmf } from './emf';
import { FaultInjector } from './faults';
import type { LambdaHandler } from './lambda';
import { installSdkHooks } from './sdk-hooks';
import type { CounterDelta } from './stats';
import { KILLED_EXIT_CODE, type ToPool, type ToWorker, type WorkerData, serializeError } from './worker-protocol';

const data = workerData as WorkerData;
const port = parentPort!;
const post = (message: ToPool) => port.postMessage(message);

let delta: CounterDelta = {};
let flushQueued = false;

function flush(): void {
  flushQueued = false;
  if (!delta.dynamodb && !delta.metrics && !delta.faults) return;
  post({ type: 'counters', delta });
  delta = {};
}

function count(kind: keyof CounterDelta, name: string, n = 1): void {
  const counters = (delta[kind] ??= {});
  counters[name] = (counters[name] ?? 0) + n;
  if (!flushQueued) {
    flushQueued = true;
    setImmediate(flush);
  }
}

const faults = new FaultInjector(data.faults, `${data.functionName}#${data.index}`, (name) => count('faults', name));
let posts = 0;
installSdkHooks(
  callHooks({
    faults,
    onDynamoDbCall: (operation) => count('dynamodb', operation),
    onPostDone:
      data.functionName === 'fanout'
        ? () => {
            posts += 1;
            if (faults.fanoutKill(posts)) {
              flush();
              process.exit(KILLED_EXIT_CODE);
            }
          }
        : undefined,
  }),
);
tapEmf(process.stdout, (sums) => {
  for (const [name, n] of Object.entries(sums)) count('metrics', name, n);
});

function contextOf(fields: ToWorker & { type: 'invoke' }): Context {
  const unsupported = (what: string) => () => {
    throw new Error(`context.${what}() is not supported; return a value or throw instead`);
  };
  return {
    ...fields.context,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, fields.deadline - Date.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}

async function run(handler: LambdaHandler, message: ToWorker & { type: 'invoke' }): Promise<void> {
  try {
    const value = await handler(message.event, contextOf(message));
    flush();
    try {
      post({ type: 'result', id: message.id, ok: true, value });
    } catch (error) {
      // A result that cannot cross threads could not leave a Lambda as JSON either.
      post({ type: 'result', id: message.id, ok: false, error: serializeError(error) });
    }
  } catch (error) {
    flush();
    post({ type: 'result', id: message.id, ok: false, error: serializeError(error) });
  }
}

function load(): LambdaHandler | undefined {
  try {
    // require, not import(): tsx's CommonJS hooks are the ones this thread has (see worker-pool.ts).
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- as said above
    const module = require(data.module) as { handler?: unknown };
    if (typeof module.handler !== 'function') throw new Error(`${data.module} does not export a handler function`);
    return module.handler as LambdaHandler;
  } catch (error) {
    post({ type: 'loadError', error: serializeError(error) });
    return undefined;
  }
}

const handler = load();
if (handler) {
  port.on('message', (message: ToWorker) => {
    if (message.type === 'faults') faults.set(message.config);
    else void run(handler, message);
  });
  post({ type: 'ready' });
}
