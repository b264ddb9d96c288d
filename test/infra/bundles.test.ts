/**
 * `npm run build:lambdas` (infra/build.ts): one bundle per function and the
 * console-site bundle, each of which Node loads on its own (no node_modules
 * beside it, as in Lambda) and which exports `handler`; the console-site one
 * answers with the page console/build.ts builds. Built into a temporary
 * folder, not dist/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertBundlesBuilt, BUNDLE_NAMES, CONSOLE_SITE_BUNDLE } from '../../infra/bundles';
import { buildLambdas, type BundleReport } from '../../infra/build';
import { buildConsole, CONSOLE_FILES } from '../../console/build';

let outDir: string;
let reports: BundleReport[];

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'mesh-bundles-'));
  reports = await buildLambdas({ outDir });
}, 60_000);

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

/** Runs `code` as a Lambda cold start would: in a fresh Node, from a folder with no node_modules; its stdout parsed. */
function inFreshNode<T>(code: string): T {
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
  return JSON.parse(output.toString()) as T;
}

/** What a Lambda cold start evaluates: require the bundle. */
function loadInFreshNode(file: string): { handlerType: string } {
  return inFreshNode(
    `const m = require(${JSON.stringify(file)}); process.stdout.write(JSON.stringify({ handlerType: typeof m.handler }));`,
  );
}

it('writes one index.js with its source map per function, and the console-site bundle', () => {
  expect(reports.map((r) => r.fn)).toEqual([...BUNDLE_NAMES]);
  for (const name of BUNDLE_NAMES) {
    expect(existsSync(join(outDir, name, 'index.js'))).toBe(true);
    expect(existsSync(join(outDir, name, 'index.js.map'))).toBe(true);
  }
  expect(() => assertBundlesBuilt(outDir)).not.toThrow();
});

it.each(BUNDLE_NAMES)('the %s bundle loads in Node on its own and exports handler', (name) => {
  expect(loadInFreshNode(join(outDir, name, 'index.js'))).toEqual({ handlerType: 'function' });
});

it('puts the page console/build.ts builds into the console-site bundle, each file with its content type', async () => {
  const file = join(outDir, CONSOLE_SITE_BUNDLE, 'index.js');
  const served = inFreshNode<Record<string, { statusCode: number; contentType: string; body: string }>>(`
    const { handler } = require(${JSON.stringify(file)});
    const names = ${JSON.stringify(CONSOLE_FILES.map((f) => f.name))};
    Promise.all(names.map((name) => handler({ rawPath: '/console/' + name, headers: {} }))).then((answers) =>
      process.stdout.write(JSON.stringify(Object.fromEntries(answers.map((a, i) =>
        [names[i], { statusCode: a.statusCode, contentType: a.headers['content-type'], body: a.body }])))));
  `);
  const built = await buildConsole();
  for (const { name, contentType, part } of CONSOLE_FILES) {
    expect(served[name]).toEqual({ statusCode: 200, contentType, body: built[part] });
  }
}, 60_000);

it('keeps the console-site bundle small: the page and its server, no AWS SDK', () => {
  const site = reports.find((r) => r.fn === CONSOLE_SITE_BUNDLE)!;
  expect(site.bytes).toBeLessThan(200 * 1024);
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
