// The partial results of an interrupted batch, and resuming from them.
//
// Ctrl-C during compare, sweep or --replications writes the outcomes of the
// jobs that finished to `<kind>.partial.json` (a shard: `shard-K-of-N.partial.json`)
// next to where the outputs would go, keyed by job id. `--resume` reads it
// back, runs only the missing jobs and writes the outputs: as every output is
// a pure function of the plan and the outcomes in job order (outcomes kept in
// their JSON form, like shard files), they are byte-identical to those of an
// uninterrupted run.
import { existsSync } from 'node:fs';
import { checkBatchFile, readJsonFile } from './file-checks.ts';
import { BatchInputError, jobsOf, stalePlanReason, type BatchKind, type BatchPlan } from './jobs.ts';
import type { JobOutcome } from './protocol.ts';
import { shardJobs, type Shard } from './shard.ts';

export interface PartialFile {
  stampedePartial: 1;
  plan: BatchPlan;
  shard: Shard | null;
  /** The jobs that finished (ok or failed), in job order. */
  outcomes: JobOutcome[];
}

export function partialFileName(kind: BatchKind, shard?: Shard): string {
  return shard === undefined ? `${kind}.partial.json` : `shard-${shard.index}-of-${shard.count}.partial.json`;
}

export function partialFileContent(plan: BatchPlan, shard: Shard | undefined, outcomes: readonly JobOutcome[]): string {
  const file: PartialFile = {
    stampedePartial: 1,
    plan,
    shard: shard ?? null,
    outcomes: [...outcomes].sort((a, b) => a.jobId - b.jobId),
  };
  return `${JSON.stringify(file)}\n`;
}

/**
 * The finished outcomes recorded in a partial file, after checking that it
 * belongs to this very plan (and shard): same scenario bytes, seeds,
 * overrides, variants and stampede version. Anything else is invalid input.
 */
export function readPartialFile(path: string, plan: BatchPlan, shard: Shard | undefined): JobOutcome[] {
  let parsed: unknown;
  try {
    parsed = readJsonFile(path, 'partial file');
  } catch (error) {
    if (existsSync(path) || !(error instanceof BatchInputError)) throw prefixed(error, '--resume: ', '; run with --force instead of --resume to start over');
    throw new BatchInputError(`--resume: there is no ${path}, so nothing to resume; run without --resume`);
  }
  const file = parsed as Partial<PartialFile> | null;
  if (file === null || typeof file !== 'object' || Array.isArray(file) || file.stampedePartial !== 1) {
    throw new BatchInputError(`--resume: ${path} is not the partial file of an interrupted batch`);
  }
  try {
    checkBatchFile(path, file.plan, file.outcomes);
  } catch (error) {
    throw prefixed(error, '--resume: ', '; run with --force instead of --resume to start over');
  }
  const outcomes = file.outcomes as JobOutcome[];
  const startOver = 'run with --force instead of --resume to start over';
  if (file.plan.stampedeVersion !== plan.stampedeVersion) {
    throw new BatchInputError(`--resume: ${path} was written by stampede ${file.plan.stampedeVersion}, this is ${plan.stampedeVersion}; ${startOver}`);
  }
  const stale = stalePlanReason(file.plan);
  if (stale !== null) throw new BatchInputError(`--resume: ${path}: ${stale}; ${startOver}`);
  if (file.plan.scenario?.sha256 !== plan.scenario.sha256) {
    throw new BatchInputError(`--resume: ${plan.scenario.file} has changed since ${path} was written; ${startOver}`);
  }
  if (JSON.stringify(file.plan) !== JSON.stringify(plan)) {
    throw new BatchInputError(`--resume: ${path} belongs to another batch (seeds, overrides, variants or replications differ); ${startOver}`);
  }
  if (JSON.stringify(file.shard ?? null) !== JSON.stringify(shard ?? null)) {
    throw new BatchInputError(`--resume: ${path} belongs to another shard; ${startOver}`);
  }
  const all = jobsOf(plan);
  const ids = new Set((shard === undefined ? all : shardJobs(all, shard)).map((job) => job.id));
  const seen = new Set<number>();
  for (const outcome of outcomes) {
    if (!ids.has(outcome.jobId) || seen.has(outcome.jobId)) {
      throw new BatchInputError(`--resume: ${path} holds job ${outcome.jobId}, which is not a job of this batch or is listed twice; ${startOver}`);
    }
    seen.add(outcome.jobId);
  }
  return outcomes;
}

function prefixed(error: unknown, before: string, after: string): unknown {
  return error instanceof BatchInputError ? new BatchInputError(`${before}${error.message}${after}`) : error;
}
