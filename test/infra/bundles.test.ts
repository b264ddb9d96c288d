/**
 * `npm run build:lambdas` (infra/build.ts): one bundle per function, each of
 * which Node loads on its own (no node_modules beside it, as in Lambda) and
 * which exports `handler`. Built into a temporary folder, not dist/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertBundlesBuilt, FUNCTION_NAMES } from '../../infra/bundles';
import { buildLambdas, type BundleReport } from '../../infra/build';

let outDir: string;
let reports: BundleReport[];

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'mesh-bundles-'));
  reports = await buildLambdas({ outDir });
}, 60_000);

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

/** What a Lambda cold start evaluates: require the bundle from a folder with no node_modules, in a fresh Node. */
function loadInFreshNode(file: string): { handlerType: string } {
  const code = `const m = require(${JSON.stringify(file)}); process.stdout.write(JSON.stringify({ handlerType: typeof m.handler }));`;
  const output = execFileSync(process.execPath, ['--no-warnings', '-e', code], {
    cwd: tmpdir(),
    // The settings every function gets from the stack; nothing resolves from the repository's node_modules.
    env: {
      PATH: process.env.PATH,
      AWS_REGION: 'us-east-1',
      MESH_TABLE_NAME: 'mesh-test',
      MESH_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:mesh-test',
      MESH_MANAGEMENT_ENDPOINT: 'https://abc123.execute-api.us-east-1.amazonaws.com/dev',
      MESH_DOMAIN_SECRET: 'a-domain-secret-of-the-bundle-test',
    },
  });
  return JSON.parse(output.toString());
}

it('writes one index.js with its source map per function', () => {
  expect(reports.map((r) => r.fn)).toEqual([...FUNCTION_NAMES]);
  for (const fn of FUNCTION_NAMES) {
    expect(existsSync(join(outDir, fn, 'index.js'))).toBe(true);
    expect(existsSync(join(outDir, fn, 'index.js.map'))).toBe(true);
  }
  expect(() => assertBundlesBuilt(outDir)).not.toThrow();
});

it.each(FUNCTION_NAMES)('the %s bundle loads in Node on its own and exports handler', (fn) => {
  expect(loadInFreshNode(join(outDir, fn, 'index.js'))).toEqual({ handlerType: 'function' });
});

it('keeps $connect, which touches no AWS service, free of the AWS SDK', () => {
  const connect = reports.find((r) => r.fn === 'connect')!;
  expect(connect.bytes).toBeLessThan(50 * 1024);
});

it('tells to run the build when bundles are missing', () => {
  const empty = mkdtempSync(join(tmpdir(), 'mesh-no-bundles-'));
  try {
    expect(() => assertBundlesBuilt(empty)).toThrow(/run `npm run build` first/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
