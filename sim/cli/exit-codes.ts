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
  /** Writing an output failed while the command ran (disk full, I/O error): EX_IOERR of sysexits.h. */
  ioError: 74,
  /** Stopped by SIGHUP (the terminal closed, or the parent process of a relaunched stampede died). */
  hangup: 129,
  /** Stopped by SIGINT / SIGTERM. */
  interrupted: 130,
} as const;
