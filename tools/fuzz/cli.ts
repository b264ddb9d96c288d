/**
 * `npm run fuzz -- --runs N [--seed S] [--url ws://…]`: the protocol fuzz of
 * npm test (test/integration/fuzz.test.ts), for as long as you like. Without
 * `--url` it starts a local stack of its own and stops it after.
 */
import { parseArgs } from 'node:util';
import { startStackProcess, type StackProcess } from '#local/stack-process';
import { FUZZ_DEFAULTS } from './defaults';
import { runProtocolFuzz } from './run';

function options() {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '2000' },
      seed: { type: 'string', default: String(FUZZ_DEFAULTS.seed) },
      url: { type: 'string' },
    },
  });
  const integer = (name: 'runs' | 'seed') => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a whole number`);
    return value;
  };
  return { runs: integer('runs'), seed: integer('seed'), url: values.url };
}

async function main(): Promise<void> {
  const opts = options();
  let stack: StackProcess | undefined;
  const url = opts.url ?? (stack = await startStackProcess({ env: { MESH_TABLE_NAME: 'mesh_fuzz' } })).ready.wsUrl;
  const started = Date.now();
  try {
    process.stdout.write(`protocol fuzz: ${opts.runs} frames, seed ${opts.seed}, against ${url}\n`);
    const report = await runProtocolFuzz({ url, runs: opts.runs, seed: opts.seed });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stdout.write(`passed: ${report.runs} frames in ${seconds} s\n`);
    for (const [outcome, n] of Object.entries(report.outcomes).sort()) process.stdout.write(`  ${outcome}: ${n}\n`);
  } finally {
    await stack?.stop();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exitCode = 1;
});
