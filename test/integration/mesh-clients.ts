/**
 * MeshClients of one integration test file: `useMeshClients` makes clients on
 * the main stack (each with an id of its own) and, after each test, leaves
 * and closes every one it made, so the shared DynamoDB Local stays tidy. And
 * `waitFor`, which polls a condition until it holds.
 */
import { MeshClient, type MeshClientOptions } from '#client/index';
import { TEST_ENV, testEnv } from './test-env';
import { uniqueId } from './ws-client';

/** A client named `name` (its id is `name-…`), with the file's defaults and these options. */
export type NewClient = (name: string, options?: Partial<MeshClientOptions>) => MeshClient;

export function useMeshClients(defaults: Partial<MeshClientOptions> = {}): NewClient {
  const open: MeshClient[] = [];
  afterEach(async () => {
    const clients = open.splice(0);
    // A group already gone is fine.
    await Promise.all(clients.map((client) => client.leave().catch(() => undefined)));
    for (const client of clients) client.close();
  });
  return (name, options = {}) => {
    const client = new MeshClient({
      url: testEnv(TEST_ENV.main.wsUrl),
      nodeId: uniqueId(name),
      ...defaults,
      ...options,
    });
    open.push(client);
    return client;
  };
}

/** Polls `check` every 20 ms until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
