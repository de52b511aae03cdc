// A pool of worker threads running jobs from a queue. One code path for 1 or
// N workers (the main thread never runs a job itself), so a batch behaves the
// same whatever N is; outcomes are stored at their job's position and
// returned in job order, never in completion order. A batch uses a pool
// once (`runPool`); `stampede explore`, which decides its next runs from the
// last ones, keeps one for the whole search (`WorkerPool`), so that each
// round does not pay for starting threads again.
import type { Worker } from 'node:worker_threads';
import { startTypeScriptWorker } from '../engine/typescript-worker.ts';
import type { Job } from './jobs.ts';
import { WORKER_MARK, type FromWorker, type JobOutcome, type ToWorker } from './protocol.ts';

const WORKER_MODULE = new URL('./worker.ts', import.meta.url);

export interface PoolOptions extends RunOptions {
  /** Worker threads to start (at most one per job). */
  workers: number;
  /** Another worker module speaking the same protocol, and the workerData that marks its threads (stampede explore's). */
  worker?: WorkerModule;
}

export interface WorkerModule {
  module: URL;
  mark: string;
}

export interface RunOptions {
  /** A job reports its simulated time from time to time. */
  onProgress?: (job: Job, simTime: number) => void;
  /** A job finished (in completion order: for progress only). */
  onOutcome?: (job: Job, outcome: JobOutcome) => void;
  /** Aborting stops every worker at once; the result then has holes where jobs did not finish. */
  signal?: AbortSignal;
}

/** Runs `jobs` on a pool of its own, closed when they are done. */
export async function runPool(jobs: readonly Job[], options: PoolOptions): Promise<(JobOutcome | undefined)[]> {
  if (jobs.length === 0) return [];
  const pool = new WorkerPool(Math.min(options.workers, jobs.length), options.worker);
  try {
    return await pool.run(jobs, options);
  } finally {
    await pool.close();
  }
}

/** A thread and the job it runs (null: idle). */
interface Slot {
  worker: Worker;
  current: Job | null;
  crash: Error | null;
}

export class WorkerPool {
  private readonly slots = new Set<Slot>();
  private readonly size: number;
  private readonly module: WorkerModule;
  private closed = false;
  /** The batch being run: its queue and how to record an outcome. */
  private batch: { jobs: readonly Job[]; next: number; record: (job: Job, outcome: JobOutcome) => void; options: RunOptions } | null = null;

  constructor(workers: number, module?: WorkerModule) {
    this.size = Math.max(1, Math.floor(workers));
    this.module = module ?? { module: WORKER_MODULE, mark: WORKER_MARK };
  }

  /** Runs `jobs` (one batch at a time) and returns their outcomes in job order; holes if aborted (the pool is then closed). */
  run(jobs: readonly Job[], options: RunOptions = {}): Promise<(JobOutcome | undefined)[]> {
    if (this.batch !== null) throw new Error('WorkerPool.run: a batch is already running');
    if (jobs.length === 0) return Promise.resolve([]);
    const position = new Map(jobs.map((job, i) => [job.id, i]));
    // Filled, not sparse: callers look for the undefined entries (array methods skip holes).
    const outcomes: (JobOutcome | undefined)[] = new Array(jobs.length).fill(undefined);
    let finished = 0;
    return new Promise((resolve) => {
      const done = () => {
        options.signal?.removeEventListener('abort', abort);
        this.batch = null;
        resolve(outcomes);
      };
      const abort = () => {
        void this.close().then(done);
      };
      if (this.closed || options.signal?.aborted) return abort();
      options.signal?.addEventListener('abort', abort, { once: true });
      this.batch = {
        jobs,
        next: 0,
        options,
        record: (job, outcome) => {
          const i = position.get(job.id)!;
          if (outcomes[i] !== undefined) return;
          // The canonical form of an outcome is its JSON (Infinity → null, -0 → 0):
          // then outcomes read back from shard files are the same values as these.
          outcomes[i] = JSON.parse(JSON.stringify(outcome)) as JobOutcome;
          finished++;
          options.onOutcome?.(job, outcomes[i]);
          if (finished === jobs.length) done();
        },
      };
      while (this.slots.size < Math.min(this.size, jobs.length)) this.start();
      for (const slot of this.slots) if (slot.current === null) this.dispatch(slot);
    });
  }

  /** Stops every thread. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const stopping = [...this.slots].map((slot) => slot.worker.terminate());
    this.slots.clear();
    await Promise.all(stopping);
  }

  private start(): void {
    const worker = startTypeScriptWorker(this.module.module, { workerData: this.module.mark });
    const slot: Slot = { worker, current: null, crash: null };
    worker.on('message', (message: FromWorker) => {
      const batch = this.batch;
      // A retired worker's late message must not change outcomes already handed back.
      if (!this.slots.has(slot) || batch === null || slot.current === null || message.jobId !== slot.current.id) return;
      if (message.type === 'progress') {
        batch.options.onProgress?.(slot.current, message.simTime);
        return;
      }
      const job = slot.current;
      slot.current = null;
      batch.record(job, message.type === 'done'
        ? { jobId: job.id, ok: true, result: message.result }
        : { jobId: job.id, ok: false, error: message.error });
      this.dispatch(slot);
    });
    // An uncaught error inside the thread (not a job's own exception, which
    // the worker reports itself); 'exit' follows and fails the job.
    worker.on('error', (error) => {
      slot.crash = error;
    });
    worker.on('exit', (code) => {
      if (!this.slots.has(slot)) return; // retired by us
      this.slots.delete(slot);
      const batch = this.batch;
      if (slot.current !== null && batch !== null) {
        const job = slot.current;
        slot.current = null;
        const message = slot.crash
          ? `the worker thread died running this job: ${slot.crash.message}`
          : `the worker thread exited with code ${code} running this job`;
        batch.record(job, { jobId: job.id, ok: false, error: { name: 'WorkerExit', message } });
      }
      // Each death fails the job it was running, so replacements are bounded by the job count.
      if (this.batch !== null && this.batch.next < this.batch.jobs.length) {
        this.start();
        for (const idle of this.slots) if (idle.current === null) this.dispatch(idle);
      }
    });
    this.slots.add(slot);
  }

  /** Gives `slot` the batch's next job, if there is one. */
  private dispatch(slot: Slot): void {
    const batch = this.batch;
    if (batch === null || batch.next >= batch.jobs.length) return;
    slot.current = batch.jobs[batch.next++];
    slot.worker.postMessage({ type: 'run', job: slot.current } satisfies ToWorker);
  }
}
