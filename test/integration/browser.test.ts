/**
 * MeshClient in a real browser: the ESM browser bundle, built here with the
 * options of client/build.ts, runs in headless Chromium
 * (test/fixtures/browser/index.html) with the browser's own WebSocket. It
 * joins the group of a Node MeshClient host on the local stack; status and
 * events flow both ways, in order, and the host's dissolve reaches the page.
 * The page, its server and Chromium are browser-page.ts's, shared with
 * client-package.test.ts (the same page on the installed package).
 */
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { browserBuildOptions } from '#client/build';
import { MeshClient } from '#client/index';
import type { GroupDissolvePayload, MeshEvent } from '#shared/protocol/types';
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
import { refusingFilter } from './refusing-filter';
import { TEST_ENV, testEnv } from './test-env';
import { uniqueDomain, uniqueId } from './ws-client';

jest.setTimeout(30_000);

const wsUrl = () => testEnv(TEST_ENV.main.wsUrl);

// ------------------------------------------------------------ the bundle

interface BrowserBundle {
  /** Served files by URL path: the bundle and its source map. */
  files: Map<string, string>;
  /** The bundle's source files, as esbuild's metafile names them. */
  inputs: string[];
}

/**
 * The browser bundle of `npm run build:client` (same entry, plugin and
 * options), built in memory: the test depends on no earlier build and writes
 * nothing to dist/.
 */
async function buildBrowserBundle(): Promise<BrowserBundle> {
  const result = await build({ ...browserBuildOptions(), write: false, logLevel: 'silent' });
  const files = new Map(result.outputFiles.map((file) => [`/${path.basename(file.path)}`, file.text]));
  return { files, inputs: Object.keys(result.metafile.inputs) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ------------------------------------------------------------ the tests

let bundle: BrowserBundle;
let pageServer: PageServer;
let browser: Browser;

beforeAll(async () => {
  bundle = await buildBrowserBundle();
  pageServer = await servePage(bundle.files);
  browser = await launchChromium();
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await pageServer?.close();
});

describe('MeshClient in a browser', () => {
  it('builds a browser bundle that carries neither ws nor zod', () => {
    const code = bundle.files.get('/mesh-client.js');
    expect(code).toBeDefined();
    expect(code).toMatch(/export\s*\{[^}]*\bas MeshClient\b/);
    // Neither a CommonJS require nor a bare import of `ws` could load in a browser.
    expect(code).not.toMatch(/require\(\s*["']ws["']\s*\)/);
    expect(code).not.toMatch(/(?:import\(|from)\s*["']ws["']/);
    expect(bundle.inputs.filter((input) => /node_modules\/(ws|zod)\//.test(input))).toEqual([]);
    const bytes = Buffer.byteLength(code!);
    process.stdout.write(
      `measured: browser bundle ${(bytes / 1024).toFixed(1)} KB (${(gzipSync(code!).length / 1024).toFixed(1)} KB gzipped)\n`,
    );
  });

  describe("as a member of a Node host's group", () => {
    let host: MeshClient | undefined;
    let opened: OpenedPage | undefined;

    afterEach(async () => {
      if (opened) {
        await closePage(opened);
        opened = undefined;
      }
      if (host) {
        // A group already dissolved is fine; leaving keeps the shared DynamoDB Local tidy otherwise.
        await host.leave().catch(() => undefined);
        host.close();
        host = undefined;
      }
    });

    it('exchanges status and events with the host over the native WebSocket and ends on dissolve', async () => {
      const url = wsUrl();
      const domain = uniqueDomain('browser');
      host = new MeshClient({ url, domain, nodeId: uniqueId('host'), eventReplay: 'raw' });
      const hostNodeId = host.nodeId;
      const atHost = { statuses: [] as [string, Record<string, string>][], events: [] as MeshEvent[] };
      host.on('status', (nodeId, changes) => atHost.statuses.push([nodeId, changes]));
      host.on('event', (event) => atHost.events.push(event));
      const group = await host.createGroup('browser test');

      opened = await openPage(browser, pageServer.origin);
      const { page, seen } = opened;
      const browserNodeId = uniqueId('browser');

      // The page joins as a member.
      const joined = await joinFromPage(page, { url, groupId: group.id, domain, nodeId: browserNodeId });
      expect(joined.node).toMatchObject({ id: browserNodeId, groupId: group.id, domain });
      expect(joined.nativeWebSocket).toBe(true);
      expect(await page.evaluate(() => (window as unknown as PageWindow).meshPage.group())).toMatchObject({
        role: 'member',
        groupId: group.id,
        domain,
      });

      // Browser → host: a status, then a change of one key, and five events in a burst.
      await page.evaluate(() => (window as unknown as PageWindow).meshPage.setData({ score: 1, name: 'browser' }));
      await waitFor('the browser status at the host', () => host!.remoteData()[browserNodeId]?.score === '1');
      await page.evaluate(() => {
        const meshPage = (window as unknown as PageWindow).meshPage;
        meshPage.setData({ score: 2 });
        for (let i = 0; i < 5; i += 1) meshPage.fireEvent(`b${i}`, `payload ${i}`);
      });
      await waitFor(
        'the status change and five events at the host',
        () => host!.remoteData()[browserNodeId]?.score === '2' && atHost.events.length >= 5,
      );

      expect(host.remoteData()[browserNodeId]).toEqual({ score: '2', name: 'browser' });
      expect(atHost.statuses.filter(([nodeId]) => nodeId === browserNodeId).map(([, changes]) => changes)).toEqual([
        { score: '1', name: 'browser' },
        { score: '2' },
      ]);
      expect(atHost.events.map((e) => [e.name, e.payload, e.firedByNodeId, e.groupId])).toEqual(
        [0, 1, 2, 3, 4].map((i) => [`b${i}`, `payload ${i}`, browserNodeId, group.id]),
      );
      const firedAt = atHost.events.map((e) => Date.parse(e.timestamp));
      expect(firedAt).toEqual([...firedAt].sort((a, b) => a - b));

      // Host → browser: a status and an event.
      host.setData({ hostKey: 'from node' });
      host.fireEvent('fromHost', 'hello browser');
      await waitFor(
        'the host status and event in the browser',
        () =>
          reported<[string, Record<string, string>]>(seen, 'status').some(
            ([nodeId, changes]) => nodeId === hostNodeId && changes.hostKey === 'from node',
          ) && reported(seen, 'event').length >= 1,
      );
      // Anything the page would wrongly get back (its own events) has time to arrive.
      await sleep(300);

      const events = reported<[MeshEvent]>(seen, 'event').map(([event]) => event);
      expect(events).toEqual([
        expect.objectContaining({
          name: 'fromHost',
          payload: 'hello browser',
          firedByNodeId: hostNodeId,
          groupId: group.id,
        }),
      ]);
      const statusAll = reported<[string, Record<string, string>, Record<string, string>]>(seen, 'status');
      expect(statusAll.every(([nodeId]) => nodeId === hostNodeId)).toBe(true);
      expect(statusAll.at(-1)).toEqual([hostNodeId, { hostKey: 'from node' }, { hostKey: 'from node' }]);
      expect(await page.evaluate(() => (window as unknown as PageWindow).meshPage.remoteData())).toEqual({
        [hostNodeId]: { hostKey: 'from node' },
      });

      // The host dissolves: the page's client says so and leaves the group.
      await host.leave();
      await waitFor('the dissolve in the browser', () => reported(seen, 'dissolve').length >= 1);

      expect(reported<[GroupDissolvePayload]>(seen, 'dissolve')).toEqual([
        [expect.objectContaining({ groupId: group.id, domain })],
      ]);
      expect(await page.evaluate(() => (window as unknown as PageWindow).meshPage.group())).toBeNull();

      // One native WebSocket to the stack; nothing loaded but the page and the bundle; no errors anywhere.
      expect(seen.webSockets.map((socketUrl) => new URL(socketUrl).host)).toEqual([new URL(url).host]);
      expect(pageServer.requested).toEqual(['/', '/mesh-client.js']);
      expect(reported(seen, 'error')).toEqual([]);
      expect(reported(seen, 'disconnect')).toEqual([]);
      expect(reported(seen, 'reconnecting')).toEqual([]);
      expect(seen.failedRequests).toEqual([]);
      expect(seen.pageErrors).toEqual([]);
      expect(seen.consoleErrors).toEqual([]);
    });

    it("falls back to polling over HTTPS when the page's WebSocket upgrade is refused (auto), and works the same", async () => {
      const filter = await refusingFilter();
      try {
        const domain = uniqueDomain('browser-auto');
        host = new MeshClient({ url: wsUrl(), domain, nodeId: uniqueId('host'), eventReplay: 'raw' });
        const hostNodeId = host.nodeId;
        const atHost: MeshEvent[] = [];
        host.on('event', (event) => atHost.push(event));
        const group = await host.createGroup('browser auto test');

        opened = await openPage(browser, pageServer.origin);
        const { page, seen } = opened;
        const browserNodeId = uniqueId('browser');
        const joined = await joinFromPage(page, {
          url: filter.url,
          httpUrl: testEnv(TEST_ENV.main.httpUrl),
          transport: 'auto',
          groupId: group.id,
          domain,
          nodeId: browserNodeId,
        });
        expect(joined.node).toMatchObject({ id: browserNodeId, useWebSocket: false, pollingIntervalSeconds: 2 });
        expect(await page.evaluate(() => (window as unknown as PageWindow).meshPage.transport())).toBe('polling');

        await page.evaluate(() => {
          const meshPage = (window as unknown as PageWindow).meshPage;
          meshPage.setData({ score: 3 });
          for (let i = 0; i < 3; i += 1) meshPage.fireEvent(`b${i}`);
        });
        host.setData({ hostKey: 'polled' });
        host.fireEvent('fromHost');
        await waitFor('the page status and events at the host', () => atHost.length >= 3, 15_000);
        await waitFor('the host status at the page', () => host!.remoteData()[browserNodeId]?.score === '3', 15_000);
        await waitFor('the host event in the page', () => reported(seen, 'event').length >= 1, 15_000);

        expect(atHost.map((event) => event.name)).toEqual(['b0', 'b1', 'b2']);
        expect(reported<[MeshEvent]>(seen, 'event').map(([event]) => [event.name, event.firedByNodeId])).toEqual([
          ['fromHost', hostNodeId],
        ]);
        await waitFor(
          'the host status in the page',
          () => reported<[string, Record<string, string>]>(seen, 'status').some(([id]) => id === hostNodeId),
          15_000,
        );
        // The upgrade was tried once and refused; everything after went over HTTPS.
        expect(seen.webSockets).toEqual([filter.url.replace(/\/?$/, '/')]);
        expect(seen.pageErrors).toEqual([]);
        expect(reported(seen, 'error')).toEqual([]);
      } finally {
        await filter.close();
      }
    });
  });
});
