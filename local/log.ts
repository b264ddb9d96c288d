/**
 * The local stack's log lines: `HH:MM:SS.mmm [part] message` on stderr, so the
 * CLI's stdout keeps only what scripts read (the MESH_READY line).
 */
export type Log = (part: string, message: string) => void;

export const consoleLog: Log = (part, message) => {
  const time = new Date().toISOString().slice(11, 23);
  process.stderr.write(`${time} [${part}] ${message}\n`);
};

/** For tests that assert on behaviour, not on log lines. */
export const silentLog: Log = () => {};

/** Error text for a log line: the stack where there is one. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}
