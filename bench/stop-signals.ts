/**
 * For the bench's child processes (the baseline relay, the profiled stack):
 * run `stop` on SIGTERM, SIGINT or a closed IPC channel, and when the bench
 * that spawned us is gone. Spawned through the tsx CLI, a child whose bench
 * died without stopping it is re-parented; it notices within a second.
 */
export function stopWhenAsked(stop: () => void): void {
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', stop);
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop();
  }, 1000).unref();
}
