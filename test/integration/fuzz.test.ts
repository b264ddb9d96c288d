/**
 * The protocol fuzz (tools/fuzz/) inside npm test: FUZZ_DEFAULTS' seed and
 * count against the main stack. `npm run fuzz -- --runs N` runs it longer.
 */
import { FUZZ_DEFAULTS } from '#tools/fuzz/defaults';
import { runProtocolFuzz } from '#tools/fuzz/run';
import { TEST_ENV, testEnv } from './test-env';

jest.setTimeout(180_000);

test(`${FUZZ_DEFAULTS.runs} fuzzed frames, seed ${FUZZ_DEFAULTS.seed}: one typed reply each, nothing changed by a refusal, the connection and the stack still answer`, async () => {
  const report = await runProtocolFuzz({ url: testEnv(TEST_ENV.main.wsUrl), ...FUZZ_DEFAULTS });

  process.stdout.write(`fuzz outcomes: ${JSON.stringify(report.outcomes)}\n`);
  const outcomes = Object.keys(report.outcomes).join(' ');
  // The draw reaches past validation: some frames are refused by the core, some accepted.
  expect(outcomes).toMatch(/→ result/);
  expect(outcomes).toMatch(/→ (Unauthorized|GroupNotFound|NodeNotFound)/);
  expect(outcomes).toMatch(/→ closed 1009/);
});
