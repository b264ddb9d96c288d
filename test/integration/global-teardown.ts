/**
 * Stops the local stacks global-setup.ts started: SIGTERM to each stack's
 * process (main.ts then closes its connections and kills DynamoDB Local),
 * SIGKILL to its whole process group if it has not exited within 15 s. The short stack goes
 * first: it uses the main stack's DynamoDB Local.
 */
import type { StartedStack } from './global-setup';

function stop({ child }: StartedStack): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return Promise.resolve();
  const group = -child.pid;
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      try {
        process.kill(group, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }, 15_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    try {
      // tsx relays the signal to the node process it runs.
      child.kill('SIGTERM');
    } catch {
      clearTimeout(force);
      resolve();
    }
  });
}

export default async function globalTeardown(): Promise<void> {
  const stacks = globalThis.__MESH_STACKS__ ?? [];
  for (const stack of [...stacks].reverse()) await stop(stack);
  globalThis.__MESH_STACKS__ = [];
}
