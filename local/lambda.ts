/**
 * Runs a Lambda handler in this process the way the Lambda runtime calls it:
 * `handler(event, context)` with a Lambda-like `context`, a timeout, and a log
 * line naming the function when it fails. Each invocation is counted in the
 * stack's stats.
 */
import type { Context } from 'aws-lambda';
import { type Log, describeError } from './log';
import type { LocalStats } from './stats';
import { requestId } from './net';

/** What the stack can run as a Lambda: an async `handler(event, context)` (middy handlers are). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each handler takes its own event type; `unknown` would refuse them all
export type LambdaHandler = (event: any, context: Context) => unknown;

export interface LambdaOptions {
  /** The function's name, as in `context.functionName`, the stats and the logs. */
  name: string;
  handler: LambdaHandler;
  /** Lambda's timeout; the invocation fails after it (the handler keeps running, its result is dropped). */
  timeoutSeconds?: number;
  memoryLimitInMB?: number;
  region?: string;
  accountId?: string;
  stats: LocalStats;
  log: Log;
}

/** Thrown when an invocation outlives its timeout, with Lambda's own wording. */
export class LambdaTimeout extends Error {
  override name = 'Sandbox.Timedout';
}

/** One deployed function of the local stack. */
export class LocalLambda {
  readonly name: string;
  private readonly options: Required<Omit<LambdaOptions, 'handler' | 'stats' | 'log'>> & LambdaOptions;

  constructor(options: LambdaOptions) {
    this.name = options.name;
    this.options = {
      timeoutSeconds: 30,
      memoryLimitInMB: 1024,
      region: 'us-east-1',
      accountId: '000000000000',
      ...options,
    };
  }

  get timeoutSeconds(): number {
    return this.options.timeoutSeconds;
  }

  /** Invokes the handler once; resolves with its result or rejects with its error (already logged). */
  async invoke(event: unknown): Promise<unknown> {
    const { handler, timeoutSeconds, stats, log } = this.options;
    const startedAt = Date.now();
    const context = this.context(startedAt + timeoutSeconds * 1000);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new LambdaTimeout(`Task timed out after ${timeoutSeconds.toFixed(2)} seconds`)),
        timeoutSeconds * 1000,
      );
    });
    try {
      const result = await Promise.race([Promise.resolve().then(() => handler(event, context)), timeout]);
      stats.lambdaInvocation(this.name, Date.now() - startedAt, false);
      return result;
    } catch (error) {
      stats.lambdaInvocation(this.name, Date.now() - startedAt, true);
      log(`lambda:${this.name}`, `RequestId: ${context.awsRequestId} failed: ${describeError(error)}`);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private context(deadline: number): Context {
    const { name, memoryLimitInMB, region, accountId } = this.options;
    const today = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
    const unsupported = (what: string) => () => {
      throw new Error(`context.${what}() is not supported; return a value or throw instead`);
    };
    return {
      callbackWaitsForEmptyEventLoop: true,
      functionName: name,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${name}`,
      memoryLimitInMB: String(memoryLimitInMB),
      awsRequestId: requestId(),
      logGroupName: `/aws/lambda/${name}`,
      logStreamName: `${today}/[$LATEST]${requestId().replaceAll('-', '')}`,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: unsupported('done'),
      fail: unsupported('fail'),
      succeed: unsupported('succeed'),
    };
  }
}
