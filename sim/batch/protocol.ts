// The messages between the pool (main thread) and its workers, both
// directions, defined once and imported by both sides. Messages are the only
// thing the threads share: each side gets a structured-clone copy.
import type { Summary } from '../result.ts';
import type { Job } from './jobs.ts';
import type { JsonNumber } from './format.ts';

/** The pool's workerData: marks its threads, so importing worker.ts anywhere else starts no listener. */
export const WORKER_MARK = 'stampede-batch-worker';

/** Main thread → worker. A worker runs one job at a time; the pool ends it with terminate(). */
export type ToWorker = { type: 'run'; job: Job };

/** Worker → main thread. Every `run` is answered by exactly one `done` or `failed`. */
export type FromWorker =
  | { type: 'progress'; jobId: number; simTime: number }
  | { type: 'done'; jobId: number; result: JobResult }
  | { type: 'failed'; jobId: number; error: JobError };

/** What a job sends back: the summary, the series only the compare overlays need, and the scenario's assertions measured. */
export interface JobResult {
  summary: Summary;
  series: CompactSeries | null;
  /** The value of each of the scenario's assertions in this run, in order (sim/batch/gates.ts judges them). */
  assertions: JsonNumber[];
}

export interface CompactSeries {
  time: number[];
  connected: number[];
  carrierAttemptsPerSec: number[];
  /**
   * Accepts per second of each server, in bins of `bin` samples (the busiest
   * sample of each bin: a herd's spike of one sample survives the binning),
   * at most ACCEPT_POINTS bins: a batch keeps one per job, for every server.
   * Absent in shard files written before it existed, like the two below.
   */
  accepts?: { bin: number; byServer: Record<string, number[]> };
  /** Servers that died (crash, overload, out of memory, host lost), in time order. */
  crashes?: { time: number; server: string }[];
  /** The scenario's faults as windows [start, end) with a label (reports/lib/context.ts). */
  faults?: { kind: string; start: number; end: number; label: string }[];
}

/** Bins of per-server accepts a job ships back, at most. */
export const ACCEPT_POINTS = 600;

/** Name and message only: a stack trace holds machine paths and would make result files differ. */
export interface JobError {
  name: string;
  message: string;
}

/** The outcome of one job, as merged, written to shard files and read back by `merge`. */
export type JobOutcome = { jobId: number; ok: true; result: JobResult } | { jobId: number; ok: false; error: JobError };
