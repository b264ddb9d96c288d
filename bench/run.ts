/**
 * `npm run bench [-- flags]`: see bench/README.md for the flags and
 * docs/performance.md for what the figures mean.
 */
import { runBench } from './bench';
import { parseArgs } from './options';
import { runPollingBench } from './polling/run';

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (options.polling) await runPollingBench(options);
  else await runBench(options);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
