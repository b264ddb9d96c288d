/**
 * The program loads the way the Pulumi CLI loads it: from infra/ as working
 * directory, through Pulumi's ts-node with infra/tsconfig.json (CommonJS,
 * relative imports only), taking the bundles from `mesh:bundleDir`. The
 * mocked run in program.test.ts cannot catch a module-format or path problem;
 * this does, in a child process.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLE_NAMES } from '../../infra/bundles';

const root = join(__dirname, '..', '..');
const loader = join(__dirname, 'pulumi-loader.js');
let bundleDir: string;

beforeAll(() => {
  // Stand-in bundles: the program only checks that they exist and archives them.
  bundleDir = mkdtempSync(join(tmpdir(), 'mesh-stub-bundles-'));
  for (const name of BUNDLE_NAMES) {
    mkdirSync(join(bundleDir, name));
    writeFileSync(join(bundleDir, name, 'index.js'), 'exports.handler = async () => ({});\n');
  }
});

afterAll(() => rmSync(bundleDir, { recursive: true, force: true }));

function runProgram(config: Record<string, string>): string {
  return execFileSync(process.execPath, ['--no-warnings', loader, root], {
    env: { ...process.env, PULUMI_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  }).toString();
}

it("runs infra/index.ts under Pulumi's loader and exports the stack outputs", () => {
  const result = JSON.parse(
    runProgram({
      'mesh:bundleDir': bundleDir,
      'mesh:stageName': 'dev',
      'mesh:domainSecret': 'a-domain-secret-of-the-load-test',
    }),
  );
  expect(result.resources).toBeGreaterThan(50);
  expect(result.outputs).toMatchObject({
    url: 'wss://abc123.execute-api.us-east-1.amazonaws.com/dev',
    managementEndpoint: 'https://abc123.execute-api.us-east-1.amazonaws.com/dev',
  });
  // The loader's mocks give every API the same endpoint; the hash names the WebSocket stage.
  expect(result.outputs.consoleUrl).toMatch(
    /\/console\/#wsUrl=wss%3A%2F%2Fabc123\.execute-api\.us-east-1\.amazonaws\.com%2Fdev$/,
  );
  expect(Object.keys(result.outputs).sort()).toEqual(
    [
      'consoleUrl',
      'dashboardName',
      'dashboardUrl',
      'deadLetterQueueUrl',
      'functionNames',
      'httpUrl',
      'managementEndpoint',
      'tableName',
      'topicArn',
      'topicName',
      'url',
    ].sort(),
  );
}, 60_000);

it('fails without mesh:domainSecret, saying how to set it', () => {
  expect(() => runProgram({ 'mesh:bundleDir': bundleDir })).toThrow(/pulumi config set --secret mesh:domainSecret/);
}, 60_000);
