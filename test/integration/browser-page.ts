/**
 * MeshClient's test page (test/fixtures/browser/index.html) in headless
 * Chromium, for the tests that run a browser build of the client: the page is
 * served with whichever `mesh-client.js` the test brings (browser.test.ts: the
 * bundle built in memory; client-package.test.ts: the installed package's
 * browser entry), opened in a fresh context that records everything the page
 * does, and driven through `window.meshPage`.
 *
 * Chromium comes from the system (/usr/bin/chromium, Debian's `chromium`
 * package) and is driven with playwright-core, which downloads no browser.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { GroupState } from '#client/index';
import type { Node } from '#shared/protocol/types';

const PAGE_FILE = path.resolve(__dirname, '../fixtures/browser/index.html');
const CHROMIUM_PATH = '/usr/bin/chromium';
/** Headless, as root, and quiet: the machine has no network beyond the local stack. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** How long a page call or a push may take before the test fails. */
export const STEP_TIMEOUT_MS = 10_000;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 15_000 });
}

// ------------------------------------------------------------ the server

export interface PageServer {
  server: Server;
  origin: string;
  /** Every path the browser asked for, in order. */
  requested: string[];
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/**
 * Serves the test page at `/` and `files` (by URL path: `/mesh-client.js`, its
 * map) beside it, on 127.0.0.1 (a secure context, like https).
 */
export async function servePage(files: ReadonlyMap<string, string>): Promise<PageServer> {
  const requested: string[] = [];
  const served = new Map(files);
  served.set('/', readFileSync(PAGE_FILE, 'utf8'));
  const server = createServer((request, response) => {
    const urlPath = new URL(request.url ?? '/', 'http://localhost').pathname;
    requested.push(urlPath);
    const body = served.get(urlPath);
    if (body === undefined) {
      response.writeHead(404).end();
      return;
    }
    const type = CONTENT_TYPES[path.extname(urlPath) || '.html'];
    response.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    origin: `http://127.0.0.1:${port}`,
    requested,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// ------------------------------------------------------------ the page

/** What test/fixtures/browser/index.html puts on `window`. */
export interface MeshPage {
  join(args: JoinArgs): Promise<Node>;
  setData(entries: Record<string, string | number>): void;
  fireEvent(name: string, payload?: string): void;
  remoteData(): Record<string, Record<string, string>>;
  group(): GroupState | null;
  usesNativeWebSocket(): boolean;
  transport(): 'websocket' | 'polling';
  close(): void;
}

/** How the page's MeshClient joins: the group, and optionally the transport and the HTTPS endpoint. */
export interface JoinArgs {
  url: string;
  groupId: string;
  domain: string;
  nodeId: string;
  transport?: 'websocket' | 'polling' | 'auto';
  httpUrl?: string;
}
export type PageWindow = Window & { meshPage: MeshPage };

/** One event the page's MeshClient emitted, as reported through `window.meshReport`. */
export interface PageReport {
  name: string;
  args: unknown[];
}

/** Everything the page did that a test may rule out or wait for. */
export interface PageRecord {
  reports: PageReport[];
  pageErrors: string[];
  consoleErrors: string[];
  failedRequests: string[];
  webSockets: string[];
}

export interface OpenedPage {
  context: BrowserContext;
  page: Page;
  seen: PageRecord;
}

/** A fresh context and page on the served page, recording what happens in it. */
export async function openPage(browser: Browser, origin: string): Promise<OpenedPage> {
  const seen: PageRecord = { reports: [], pageErrors: [], consoleErrors: [], failedRequests: [], webSockets: [] };
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  page.on('pageerror', (error) => seen.pageErrors.push(error.stack ?? error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') seen.consoleErrors.push(message.text());
  });
  page.on('requestfailed', (request) => seen.failedRequests.push(`${request.url()}: ${request.failure()?.errorText}`));
  page.on('websocket', (socket) => seen.webSockets.push(socket.url()));
  await page.exposeFunction('meshReport', (name: string, args: unknown[]) => {
    seen.reports.push({ name, args });
  });
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => (window as unknown as PageWindow).meshPage !== undefined);
  return { context, page, seen };
}

/**
 * The page's MeshClient joins a group as a member. Resolves with the Node it
 * was answered with and whether the page used the browser's own WebSocket.
 */
export async function joinFromPage(page: Page, args: JoinArgs): Promise<{ node: Node; nativeWebSocket: boolean }> {
  const node = await page.evaluate((join) => (window as unknown as PageWindow).meshPage.join(join), args);
  const nativeWebSocket = await page.evaluate(() => (window as unknown as PageWindow).meshPage.usesNativeWebSocket());
  return { node, nativeWebSocket };
}

/** Closes the page's client (if the page still answers) and its context. */
export async function closePage(opened: OpenedPage): Promise<void> {
  await opened.page.evaluate(() => (window as unknown as PageWindow).meshPage.close()).catch(() => undefined);
  await opened.context.close();
}

/** The arguments of every `name` event the page reported, in order. */
export function reported<T extends unknown[]>(seen: PageRecord, name: string): T[] {
  return seen.reports.filter((r) => r.name === name).map((r) => r.args as T);
}

/** Polls `check` every 20 ms until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = STEP_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
