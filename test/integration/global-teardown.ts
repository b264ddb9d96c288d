/**
 * Stops the local stacks global-setup.ts started: SIGTERM to each stack's
 * process (main.ts then closes its connections and kills DynamoDB Local),
 * SIGKILL to its whole process group if it has not exited within 15 s
 * (StackProcess.stop). The short stack goes first: it uses the main stack's
 * DynamoDB Local.
 */
import type { StartedStack } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  const stacks: StartedStack[] = globalThis.__MESH_STACKS__ ?? [];
  for (const stack of [...stacks].reverse()) await stack.process.stop(15_000);
  globalThis.__MESH_STACKS__ = [];
}
