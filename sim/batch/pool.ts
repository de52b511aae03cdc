// A pool of worker threads running jobs from a queue. One code path for 1 or
// N workers (the main thread never runs a job itself), so a batch behaves the
// same whatever N is; outcomes are stored at their job's position and
// returned in job order, never in completion order.
import type { Worker } from 'node:worker_threads';
import { startTypeScriptWorker } from '../engine/typescript-worker.ts';
import type { Job } from './jobs.ts';
import { WORKER_MARK, type FromWorker, type JobOutcome, type ToWorker } from './protocol.ts';

const WORKER_MODULE = new URL('./worker.ts', import.meta.url);

export interface PoolOptions {
  /** Worker threads to start (at most one per job). */
  workers: number;
  /** A job reports its simulated time from time to time. */
  onProgress?: (job: Job, simTime: number) => void;
  /** A job finished (in completion order: for progress only). */
  onOutcome?: (job: Job, outcome: JobOutcome) => void;
  /** Aborting stops every worker at once; the result then has holes where jobs did not finish. */
  signal?: AbortSignal;
}

export function runPool(jobs: readonly Job[], options: PoolOptions): Promise<(JobOutcome | undefined)[]> {
  if (jobs.length === 0) return Promise.resolve([]);
  const position = new Map(jobs.map((job, i) => [job.id, i]));
  // Filled, not sparse: callers look for the undefined entries (array methods skip holes).
  const outcomes: (JobOutcome | undefined)[] = new Array(jobs.length).fill(undefined);
  const live = new Set<Worker>();
  const stopping: Promise<number>[] = [];
  let next = 0;
  let finished = 0;

  return new Promise((resolve) => {
    const retire = (worker: Worker) => {
      live.delete(worker);
      stopping.push(worker.terminate());
    };

    const record = (job: Job, outcome: JobOutcome) => {
      const i = position.get(job.id)!;
      if (outcomes[i] !== undefined) return;
      // The canonical form of an outcome is its JSON (Infinity → null, -0 → 0):
      // then outcomes read back from shard files are the same values as these.
      outcomes[i] = JSON.parse(JSON.stringify(outcome)) as JobOutcome;
      finished++;
      options.onOutcome?.(job, outcomes[i]);
      if (finished === jobs.length) stopAll();
    };

    const stopAll = () => {
      options.signal?.removeEventListener('abort', stopAll);
      next = jobs.length;
      for (const worker of [...live]) retire(worker);
      void Promise.all(stopping).then(() => resolve(outcomes));
    };
    if (options.signal?.aborted) return stopAll();
    options.signal?.addEventListener('abort', stopAll, { once: true });

    const start = () => {
      const worker = startTypeScriptWorker(WORKER_MODULE, { workerData: WORKER_MARK });
      let current: Job | null = null;
      let crash: Error | null = null;

      const dispatch = () => {
        if (next >= jobs.length) {
          current = null;
          retire(worker);
          return;
        }
        current = jobs[next++];
        worker.postMessage({ type: 'run', job: current } satisfies ToWorker);
      };

      worker.on('message', (message: FromWorker) => {
        // A retired worker's late message must not change outcomes already handed back.
        if (!live.has(worker) || current === null || message.jobId !== current.id) return;
        if (message.type === 'progress') {
          options.onProgress?.(current, message.simTime);
          return;
        }
        const job = current;
        current = null;
        record(job, message.type === 'done'
          ? { jobId: job.id, ok: true, result: message.result }
          : { jobId: job.id, ok: false, error: message.error });
        dispatch();
      });
      // An uncaught error inside the thread (not a job's own exception, which
      // the worker reports itself); 'exit' follows and fails the job.
      worker.on('error', (error) => {
        crash = error;
      });
      worker.on('exit', (code) => {
        if (!live.has(worker)) return; // retired by us
        live.delete(worker);
        if (current !== null) {
          const job = current;
          current = null;
          const message = crash
            ? `the worker thread died running this job: ${crash.message}`
            : `the worker thread exited with code ${code} running this job`;
          record(job, { jobId: job.id, ok: false, error: { name: 'WorkerExit', message } });
        }
        // Each death fails the job it was running, so replacements are bounded by the job count.
        if (next < jobs.length) start();
      });

      live.add(worker);
      dispatch();
    };

    const size = Math.max(1, Math.min(Math.floor(options.workers), jobs.length));
    for (let i = 0; i < size; i++) start();
  });
}
