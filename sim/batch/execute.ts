// Runs a prepared plan (or one shard of it) on the worker pool. The library
// side: it reports progress through a callback and returns outcomes in job
// order; the CLI draws progress and writes files.
import { jobsOf, type Job, type PreparedPlan } from './jobs.ts';
import { runPool } from './pool.ts';
import type { JobOutcome } from './protocol.ts';
import { shardJobs, type Shard } from './shard.ts';

export interface ExecuteOptions {
  workers: number;
  /** Run only this shard's jobs. */
  shard?: Shard;
  /** Simulated seconds done over all selected jobs, and their total. */
  onProgress?: (doneSeconds: number, totalSeconds: number, jobsDone: number, jobsTotal: number) => void;
  /** Stops the batch: running jobs are abandoned and `interrupted` is set. */
  signal?: AbortSignal;
  /** Outcomes of jobs that already finished (`--resume`): these jobs are not run again. */
  completed?: readonly JobOutcome[];
}

export interface Executed {
  /** The jobs that ran (all of them, or the shard's), in job order. */
  jobs: Job[];
  /** In job order; complete unless interrupted. */
  outcomes: JobOutcome[];
  /** Stopped through `signal`: some outcomes are missing, and the batch must not be written as if whole. */
  interrupted: boolean;
  jobsDone: number;
}

export async function executePlan(prepared: PreparedPlan, options: ExecuteOptions): Promise<Executed> {
  const all = jobsOf(prepared.plan);
  const jobs = options.shard ? shardJobs(all, options.shard) : all;
  const duration = (job: Job) => prepared.durations[job.variant];
  const total = jobs.reduce((sum, job) => sum + duration(job), 0);
  const completed = new Map((options.completed ?? []).map((outcome) => [outcome.jobId, outcome]));
  const pending = jobs.filter((job) => !completed.has(job.id));
  const doneByJob = new Map<number, number>();
  let done = jobs.reduce((sum, job) => sum + (completed.has(job.id) ? duration(job) : 0), 0);
  let jobsDone = jobs.length - pending.length;
  const advance = (job: Job, simTime: number) => {
    const previous = doneByJob.get(job.id) ?? 0;
    const now = Math.min(simTime, duration(job));
    doneByJob.set(job.id, now);
    done += now - previous;
    options.onProgress?.(done, total, jobsDone, jobs.length);
  };
  const ran = await runPool(pending, {
    workers: options.workers,
    signal: options.signal,
    onProgress: advance,
    onOutcome: (job) => {
      jobsDone++;
      advance(job, duration(job));
    },
  });
  const byId = new Map(pending.map((job, i) => [job.id, ran[i]]));
  const outcomes = jobs.map((job) => completed.get(job.id) ?? byId.get(job.id));
  const interrupted = outcomes.some((o) => o === undefined);
  return { jobs, outcomes: outcomes.filter((o): o is JobOutcome => o !== undefined), interrupted, jobsDone };
}
