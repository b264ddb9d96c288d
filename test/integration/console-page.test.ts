/**
 * The operator console in headless Chromium, opened at the `consoleUrl` the
 * stack prints (which carries the local admin token): MeshClients start in
 * two groups and the page shows the groups, their members and their rates
 * within a couple of seconds, opens a group to its members' live status,
 * and logs no error. A screenshot of it is saved under test-output/.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { MeshClient } from '#client/index';
import { type StackProcess, startStackProcess } from '#local/stack-process';
import { launchChromium } from './browser-page';
import { TEST_ENV, testEnv } from './test-env';
import { sleep, uniqueDomain, uniqueId } from './ws-client';

jest.setTimeout(120_000);

const SCREENSHOT = path.resolve(__dirname, '../../test-output/console.png');
/** "Within a second or two", with room for a busy two-core machine. */
const APPEAR_MS = 4_000;

let stack: StackProcess;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const clients: MeshClient[] = [];

beforeAll(async () => {
  [stack, browser] = await Promise.all([
    startStackProcess({
      env: {
        MESH_TABLE_NAME: 'mesh_console_page',
        MESH_DYNAMODB_ENDPOINT: testEnv(TEST_ENV.main.dynamodbUrl),
      },
    }),
    launchChromium(),
  ]);
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('response', (response) => {
    if (response.status() >= 400) pageErrors.push(`${response.status()} ${response.url()}`);
  });
}, 90_000);

afterAll(async () => {
  await Promise.all(clients.map((client) => client.leave().catch(() => undefined)));
  for (const client of clients) client.close();
  await browser?.close();
  await stack?.stop(10_000);
});

function client(name: string, domain: string): MeshClient {
  const made = new MeshClient({ url: stack.ready.wsUrl, nodeId: uniqueId(name), domain });
  clients.push(made);
  return made;
}

/** A host and two members, each setting its status and firing events until `stop` is called. */
async function busyGroup(name: string) {
  const domain = uniqueDomain('console-page');
  const host = client(`${name}-host`, domain);
  const group = await host.createGroup(name);
  const members = [client(`${name}-a`, domain), client(`${name}-b`, domain)];
  for (const member of members) await member.joinGroup(group.id);
  let running = true;
  const traffic = (async () => {
    for (let i = 0; running; i += 1) {
      for (const node of [host, ...members]) node.setData('step', String(i));
      host.fireEvent('tick', String(i));
      await sleep(200);
    }
  })();
  return {
    domain,
    groupId: group.id,
    nodeIds: [host, ...members].map((node) => node.nodeId),
    stop: async () => {
      running = false;
      await traffic;
    },
  };
}

/** Resolves when `check` holds in the page, or fails saying what did not appear. */
async function seen(what: string, check: () => Promise<boolean>, timeoutMs = APPEAR_MS): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`the console did not show ${what} within ${timeoutMs} ms`);
    await sleep(100);
  }
  return Date.now() - started;
}

test('the printed consoleUrl opens the console, already connected with the local admin token', async () => {
  expect(stack.ready.consoleUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/console\/#/);
  await page.goto(stack.ready.consoleUrl);
  await seen('an open connection', async () => {
    return (await page.getAttribute('[data-testid=connection-state]', 'data-state')) === 'open';
  });
  await seen('itself among the viewers', async () => (await page.textContent('[data-testid=viewer-count]')) === '1');
});

test('clients in two groups appear with their members and their rates, and a group opens to its live status', async () => {
  const begun = Date.now();
  const groups = await Promise.all([busyGroup('red'), busyGroup('blue')]);
  const formedMs = Date.now() - begun;
  try {
    for (const group of groups) {
      const row = `[data-testid=group-row][data-group-id="${group.groupId}"]`;
      await seen(`group ${group.groupId}`, async () => (await page.$(row)) !== null);
      const shownMs = Date.now() - begun;
      for (const nodeId of group.nodeIds) {
        await seen(
          `node ${nodeId}`,
          async () => (await page.$(`[data-testid=node-row][data-node-id="${nodeId}"]`)) !== null,
        );
      }
      const rate = `[data-testid=group-rate][data-group-id="${group.groupId}"]`;
      await seen(`the rates of ${group.groupId}`, async () => {
        const frames = Number((await page.getAttribute(rate, 'data-frames')) ?? '0');
        return frames > 0;
      });
      const ratesMs = Date.now() - begun;
      console.log(`from the clients' start: groups formed ${formedMs} ms, shown ${shownMs} ms, rates ${ratesMs} ms`);
    }

    // This stack's table holds these two groups only.
    await seen('the mesh totals', async () => {
      return (
        (await page.textContent('[data-testid=mesh-totals]')) ===
        '2 domains, 2 groups, 6 nodes (6 connected, 0 polling)'
      );
    });

    const [red] = groups;
    await page.click(`[data-testid=group-row][data-group-id="${red.groupId}"]`);
    await seen('the opened group', async () => {
      return (await page.getAttribute('[data-testid=opened-group]', 'data-group-id')) === red.groupId;
    });
    // The status moves on while the group is open: two readings of one member's step differ.
    const stepOf = async () =>
      page.textContent(`[data-testid=status-row][data-node-id="${red.nodeIds[1]}"] [data-key=step]`);
    await seen('a member status', async () => (await stepOf()) !== null);
    const first = await stepOf();
    await seen('the status updating live', async () => (await stepOf()) !== first);

    // The stack's own metrics, as the CloudWatch dashboard has them in AWS: this stack's two groups and four joins at least.
    const metric = async (name: string) => Number(await page.textContent(`[data-testid=metric-${name}]`));
    await seen('the stack metrics', async () => (await metric('GroupsCreated')) >= 2 && (await metric('Joins')) >= 4);

    // A few seconds more of traffic, so the picture's charts have lines in them.
    await sleep(8_000);
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  } finally {
    await Promise.all(groups.map((group) => group.stop()));
  }
  expect(pageErrors).toEqual([]);
});
