/**
 * `npm start`: runs the local stack until Ctrl-C (or SIGTERM), then stops it
 * cleanly: connections closed (their $disconnect runs), servers closed,
 * DynamoDB Local killed. If a part dies on its own (DynamoDB Local killed, a
 * handler thread that cannot be restarted), the stack logs why, stops the
 * other parts and this process exits with status 1.
 *
 * Human-readable lines go to stdout; scripts wait for the one line
 *   MESH_READY {"wsUrl":…,"managementUrl":…,"statsUrl":…,"dynamodbUrl":…,"dynamodbPid":…,…}
 * (ready-line.ts defines it). Logs go to stderr. Configuration: env vars, see local/README.md.
 */
import { JavaMissingError } from './dynamodb';
import { consoleLog } from './log';
import { formatReadyLine, readyPayloadOf } from './ready-line';
import { type Stack, startStack } from './stack';

function summary(stack: Stack): string {
  const lines = ['', 'Mesh local stack is up:'];
  for (const part of stack.parts) {
    lines.push(
      `  ${part.name.padEnd(15)} ${part.url.padEnd(32)} ${String(part.ms).padStart(5)} ms${part.note ? `  (${part.note})` : ''}`,
    );
  }
  lines.push(`  Ready in ${stack.startupMs} ms. Counters: ${stack.statsUrl}`);
  lines.push(
    '',
    `  Connect WebSocket clients to  ${stack.wsUrl}`,
    `  Polling clients POST to       ${stack.httpUrl}`,
    `  Open the operator console at  ${stack.consoleUrl}`,
    '',
    '  Ctrl-C stops everything.',
    '',
  );
  return lines.join('\n');
}

async function main(): Promise<void> {
  let stack: Stack;
  try {
    stack = await startStack();
  } catch (error) {
    if (error instanceof JavaMissingError) {
      process.stderr.write(`\n${error.message}\n\n`);
    } else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      const port = (error as { port?: number }).port;
      process.stderr.write(
        `\nPort ${port} is already in use (another \`npm start\`?). Stop it, or choose another port, e.g. MESH_WS_PORT=3002 npm start (0 = any free port).\n\n`,
      );
    } else {
      process.stderr.write(
        `\nThe local stack did not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n\n`,
      );
    }
    process.exit(1);
  }

  process.stdout.write(`${summary(stack)}\n`);
  process.stdout.write(formatReadyLine(readyPayloadOf(stack)));

  void stack.failed.then(() => {
    // The stack has logged why and stopped its parts.
    consoleLog('stack', 'stopped after a failure; exiting with status 1');
    process.exit(1);
  });

  let stoppingSince: number | undefined;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stoppingSince !== undefined) {
      // A terminal's Ctrl-C reaches both tsx and this process, and tsx may relay it:
      // only a signal well after the first means "stop waiting".
      if (Date.now() - stoppingSince < 1000) return;
      consoleLog('stack', `${signal} again: exiting now`);
      process.exit(130);
    }
    stoppingSince = Date.now();
    consoleLog('stack', `${signal}: stopping`);
    const started = Date.now();
    stack
      .stop()
      .then(() => {
        consoleLog('stack', `stopped in ${Date.now() - started} ms`);
        process.exit(0);
      })
      .catch((error) => {
        consoleLog('stack', `stop failed: ${String(error)}`);
        process.exit(1);
      });
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  process.on('SIGHUP', shutdown);
}

void main();
