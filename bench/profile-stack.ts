/**
 * The local stack with timing, for `npm run bench -- --profile`: it starts the
 * same stack as `local/main.ts` (startStack, same handlers) in this
 * process, and times every AWS SDK call the handlers make (DynamoDB by
 * command, SNS publish, PostToConnection) by wrapping the SDK's one shared
 * `Client.send`, plus the event loop's delay. GET {timingsUrl} answers the
 * totals so far; the bench diffs two readings around the measured window.
 *
 * The handlers run in this process's own thread (MESH_LOCAL_WORKERS=0 unless
 * set), where the wrapped `send` sees their calls; worker threads have SDK
 * clients of their own.
 *
 * Prints the MESH_READY line of main.ts (local/ready-line.ts), with
 * `timingsUrl` added.
 */
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Client } from '@smithy/core/client';
import { startStack } from '#local/stack';
import { LOCAL_ENV } from '#local/env';
import { formatReadyLine, readyPayloadOf } from '#local/ready-line';
import { stopWhenAsked } from './stop-signals';

export interface CallTiming {
  calls: number;
  totalMs: number;
  maxMs: number;
}

export interface StackTimings {
  /** By SDK command name (UpdateCommand, BatchGetCommand, PublishCommand, PostToConnectionCommand, …). */
  calls: Record<string, CallTiming>;
  /** Event loop delay of the stack's process since the last reading, ms. */
  eventLoop: { meanMs: number; p99Ms: number; maxMs: number };
  cpuUserMs: number;
  cpuSystemMs: number;
}

const timings: Record<string, CallTiming> = {};

function instrument(): void {
  const prototype = Client.prototype as unknown as { send: (...args: unknown[]) => Promise<unknown> };
  const send = prototype.send;
  prototype.send = function timedSend(this: unknown, ...args: unknown[]) {
    const name = (args[0] as { constructor?: { name?: string } })?.constructor?.name ?? 'unknown';
    const started = performance.now();
    const record = () => {
      const ms = performance.now() - started;
      const t = (timings[name] ??= { calls: 0, totalMs: 0, maxMs: 0 });
      t.calls += 1;
      t.totalMs += ms;
      if (ms > t.maxMs) t.maxMs = ms;
    };
    const result = send.apply(this, args);
    // With a callback argument, send returns nothing; time only the promise form.
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<unknown>).then(record, record);
    }
    return result;
  };
}

async function main(): Promise<void> {
  process.env[LOCAL_ENV.localWorkers] ??= '0';
  instrument();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const stack = await startStack();
  const server = http.createServer((req, res) => {
    const cpu = process.cpuUsage();
    const body: StackTimings = {
      calls: timings,
      eventLoop: { meanMs: loop.mean / 1e6, p99Ms: loop.percentile(99) / 1e6, maxMs: loop.max / 1e6 },
      cpuUserMs: cpu.user / 1000,
      cpuSystemMs: cpu.system / 1000,
    };
    if (req.url?.includes('reset')) loop.reset();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(formatReadyLine({ ...readyPayloadOf(stack), timingsUrl: `http://127.0.0.1:${port}/timings` }));
  const stop = () => {
    server.close();
    void stack.stop().then(() => process.exit(0));
  };
  stopWhenAsked(stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
