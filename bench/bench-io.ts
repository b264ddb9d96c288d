/**
 * Where the bench writes to: the live progress line and the human summary.
 * An interface so runBench can be given other outputs than the console's.
 */
export interface BenchIo {
  /** The live progress line (stderr). */
  progress: (line: string, final: boolean) => void;
  /** The human summary (stdout). */
  print: (text: string) => void;
}

export const consoleIo: BenchIo = {
  progress: (line, final) => {
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
    else if (final) process.stderr.write(`${line}\n`);
  },
  print: (text) => process.stdout.write(`${text}\n`),
};
