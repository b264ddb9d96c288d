/** The fuzz run inside npm test: a fixed seed, so a failure replays, and a count that keeps it to seconds. */
export const FUZZ_DEFAULTS = { seed: 20261203, runs: 200 } as const;
