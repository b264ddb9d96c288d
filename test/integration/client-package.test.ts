/**
 * The client SDK as a user gets it. `npm run build:client` builds the package
 * into a temporary folder, `npm pack` packs it, and npm installs the tarball
 * into a fresh project (a copy of test/fixtures/client-package/, outside this
 * repository: none of its paths, tsconfig or node_modules apply there). Then:
 *   - plain `node` imports the package by name, which resolves to the Node
 *     bundle (the `node` export), and runs a host and a member over `ws`
 *     against the local stack;
 *   - tsc checks a TypeScript consumer against the installed declarations
 *     alone, as a Node project and as a browser project;
 *   - the file the `browser` export names runs in headless Chromium as the
 *     test page's mesh-client.js and joins a Node host's group.
 *
 * npm installs `ws` (the package's one dependency) from its cache when it has
 * it, else from the registry.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { MeshClient } from '#client/index';
import type { Group } from '#shared/protocol/types';
import {
  closePage,
  joinFromPage,
  launchChromium,
  openPage,
  reported,
  servePage,
  waitFor,
  type OpenedPage,
  type PageServer,
  type PageWindow,
} from './browser-page';
import { TEST_ENV, testEnv } from './test-env';
import { uniqueDomain, uniqueId } from './ws-client';

jest.setTimeout(30_000);

const ROOT = path.resolve(__dirname, '../..');
const CONSUMER_FIXTURE = path.join(ROOT, 'test/fixtures/client-package');
const PACKAGE_NAME = '@mesh-ws/client';
const TSC = path.join(ROOT, 'node_modules/typescript/bin/tsc');

const run = promisify(execFile);

/** Runs a command; on failure the error carries what it printed. */
async function sh(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  try {
    const { stdout } = await run(command, args, { cwd, env, timeout: 40_000, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout ?? ''}\n${stderr ?? ''}`);
  }
}

/** What `npm pack --json` says of the one tarball it wrote. */
interface PackResult {
  filename: string;
  files: { path: string }[];
}

let work: string;
/** The fresh project the tarball is installed into. */
let app: string;
let packed: PackResult;

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'mesh-client-package-'));
  const built = path.join(work, 'package');
  app = path.join(work, 'app');
  await sh('npm', ['run', 'build:client', '--', built], ROOT);
  [packed] = JSON.parse(await sh('npm', ['pack', built, '--pack-destination', work, '--json'], work)) as PackResult[];
  cpSync(CONSUMER_FIXTURE, app, { recursive: true });
  await sh('npm', ['install', path.join(work, packed.filename), '--no-audit', '--no-fund', '--prefer-offline'], app);
}, 60_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the client package, packed and installed', () => {
  it('holds the two bundles, their maps, the declarations, the manifest and the README, and brings ws', () => {
    expect(packed.files.map((file) => file.path).sort()).toEqual([
      'README.md',
      'index.d.ts',
      'mesh-client.js',
      'mesh-client.js.map',
      'mesh-client.node.mjs',
      'mesh-client.node.mjs.map',
      'package.json',
    ]);
    const installed = path.join(app, 'node_modules', PACKAGE_NAME);
    const manifest = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({ name: PACKAGE_NAME, type: 'module', sideEffects: false });
    expect(Object.keys(manifest.exports['.'])[0]).toBe('types');
    expect(readFileSync(path.join(installed, 'README.md'), 'utf8')).toContain(`npm install ${PACKAGE_NAME}`);
    expect(existsSync(path.join(app, 'node_modules/ws/package.json'))).toBe(true);
  });

  it('runs from plain Node, imported by name: a host and a member on the local stack over ws', async () => {
    const domain = uniqueDomain('package');
    const env = { ...process.env, MESH_URL: testEnv(TEST_ENV.main.wsUrl), MESH_DOMAIN: domain };
    const printed = await sh(process.execPath, ['node-consumer.mjs'], app, env);
    const seen = JSON.parse(printed.trim().split('\n').at(-1)!) as {
      resolved: string;
      socketIsWs: boolean;
      group: Group;
      listed: string[];
      status: { nodeId: string; changes: Record<string, string> };
      refused: string;
      maxEventsPerBatch: number;
    };

    expect(fileURLToPath(seen.resolved)).toBe(path.join(app, 'node_modules', PACKAGE_NAME, 'mesh-client.node.mjs'));
    expect(seen.socketIsWs).toBe(true);
    expect(seen.group).toMatchObject({ domain, hostId: `${domain}-host`, name: 'package test', useWebSocket: true });
    expect(seen.group.fullId).toBe(`${seen.group.id}@${domain}`);
    expect(seen.listed).toContain(seen.group.id);
    expect(seen.status).toEqual({ nodeId: `${domain}-member`, changes: { score: '7' } });
    expect(seen.refused).toBe('GroupNotFound');
    expect(seen.maxEventsPerBatch).toBe(1000);
  });

  it('type-checks a TypeScript consumer against the installed declarations, for Node and for browsers', async () => {
    // Each run fails on a type error, and on an unused @ts-expect-error (types that resolved to `any`).
    await Promise.all(
      ['tsconfig.node.json', 'tsconfig.browser.json'].map((config) => sh(process.execPath, [TSC, '-p', config], app)),
    );
  });

  describe("its browser export, in Chromium, as a member of a Node host's group", () => {
    let browser: Browser | undefined;
    let pageServer: PageServer | undefined;
    let opened: OpenedPage | undefined;
    let host: MeshClient | undefined;

    afterAll(async () => {
      if (opened) await closePage(opened);
      await browser?.close();
      await pageServer?.close();
      if (host) {
        await host.leave().catch(() => undefined);
        host.close();
      }
    });

    it('resolves to the browser bundle, which runs on the native WebSocket', async () => {
      // Node's resolver with the `browser` condition picks what a bundler for browsers would.
      const resolved = await sh(
        process.execPath,
        [
          '--conditions=browser',
          '--input-type=module',
          '-e',
          `process.stdout.write(import.meta.resolve('${PACKAGE_NAME}'))`,
        ],
        app,
      );
      const entry = fileURLToPath(resolved);
      expect(entry).toBe(path.join(app, 'node_modules', PACKAGE_NAME, 'mesh-client.js'));
      const code = readFileSync(entry, 'utf8');
      expect(code).not.toMatch(/(?:import\(|from)\s*["']ws["']/);

      pageServer = await servePage(
        new Map([
          ['/mesh-client.js', code],
          ['/mesh-client.js.map', readFileSync(`${entry}.map`, 'utf8')],
        ]),
      );
      browser = await launchChromium();

      const url = testEnv(TEST_ENV.main.wsUrl);
      const domain = uniqueDomain('package-browser');
      host = new MeshClient({ url, domain, nodeId: uniqueId('host') });
      const group = await host.createGroup('package browser test');
      opened = await openPage(browser, pageServer.origin);
      const { page, seen } = opened;
      const browserNodeId = uniqueId('browser');

      const joined = await joinFromPage(page, { url, groupId: group.id, domain, nodeId: browserNodeId });
      expect(joined.node).toMatchObject({ id: browserNodeId, groupId: group.id, domain });
      expect(joined.nativeWebSocket).toBe(true);

      // Both ways: the page's status at the host, the host's status in the page.
      await page.evaluate(() => (window as unknown as PageWindow).meshPage.setData({ score: 3 }));
      await waitFor('the browser status at the host', () => host!.remoteData()[browserNodeId]?.score === '3');
      host.setData({ hostKey: 'from node' });
      await waitFor('the host status in the browser', () =>
        reported<[string, Record<string, string>]>(seen, 'status').some(
          ([, changes]) => changes.hostKey === 'from node',
        ),
      );

      expect(pageServer.requested).toEqual(['/', '/mesh-client.js']);
      expect(reported(seen, 'error')).toEqual([]);
      expect(seen.pageErrors).toEqual([]);
      expect(seen.consoleErrors).toEqual([]);
      expect(seen.failedRequests).toEqual([]);
    });
  });
});
