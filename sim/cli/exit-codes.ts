// Exit codes of every stampede command, documented in README.md.
export const ExitCode = {
  ok: 0,
  /** A gate assertion failed (the run itself worked). */
  assertionFailed: 1,
  /** Bad input: a scenario file, a flag or an override is invalid. */
  invalidInput: 2,
  /** A batch (replications, compare, sweep, shard, merge) finished, but some of its jobs failed. */
  someJobsFailed: 3,
  /** A bug or an unexpected failure inside stampede. */
  internalError: 70,
  /** Stopped by SIGINT / SIGTERM. */
  interrupted: 130,
} as const;
