/**
 * The messages between a WorkerPool (worker-pool.ts, in the stack's thread)
 * and its worker threads (lambda-worker.ts). Everything crosses by structured
 * clone: events and results are JSON-shaped, errors travel as name, message
 * and stack.
 */
import type { Context } from 'aws-lambda';
import type { FaultConfig } from './faults';
import type { CounterDelta } from './stats';

/** The exit code of a thread ended by the fan-out kill fault (128 + SIGKILL, as a shell reports a killed process). */
export const KILLED_EXIT_CODE = 137;

/** What a worker is started with. */
export interface WorkerData {
  functionName: string;
  /** The handler module: a specifier like `#handlers/fanout`, or an absolute path. */
  module: string;
  /** Its number in the pool, for logs and for seeding its fault dice. */
  index: number;
  faults: FaultConfig;
}

/** The fields of a Lambda context that can cross to a worker (functions cannot). */
const CONTEXT_FIELDS = [
  'functionName',
  'functionVersion',
  'invokedFunctionArn',
  'memoryLimitInMB',
  'awsRequestId',
  'logGroupName',
  'logStreamName',
] as const;

/** The serialisable part of a Lambda context. */
export type ContextFields = Pick<Context, (typeof CONTEXT_FIELDS)[number]>;

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

export type ToWorker =
  | { type: 'invoke'; id: number; event: unknown; context: ContextFields; deadline: number }
  | { type: 'faults'; config: FaultConfig };

export type ToPool =
  | { type: 'ready' }
  | { type: 'loadError'; error: SerializedError }
  | { type: 'counters'; delta: CounterDelta }
  | { type: 'result'; id: number; ok: true; value: unknown }
  | { type: 'result'; id: number; ok: false; error: SerializedError };

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    // An AggregateError's stack names only itself; keep what its parts said.
    const parts =
      error instanceof AggregateError
        ? error.errors.map((part) => `\n  caused by: ${String(part?.stack ?? part)}`).join('')
        : '';
    return { name: error.name, message: error.message, stack: error.stack ? error.stack + parts : undefined };
  }
  return { name: 'Error', message: String(error) };
}

/** An Error with the worker's name, message and stack, for the stack's log line. */
export function deserializeError(serialized: SerializedError): Error {
  const error = new Error(serialized.message);
  error.name = serialized.name;
  if (serialized.stack) error.stack = serialized.stack;
  return error;
}

/** The fields of `context` that can cross to a worker. */
export function contextFields(context: Context): ContextFields {
  return Object.fromEntries(CONTEXT_FIELDS.map((field) => [field, context[field]])) as ContextFields;
}
