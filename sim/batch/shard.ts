// Running a batch across machines: `--shard k/n` runs the jobs whose index is
// k − 1 modulo n and writes them to a shard file; `merge` checks that the
// shard files are the n parts of one plan and hands the outcomes, back in job
// order, to the same output code an unsharded run uses.
//
// Striding (not contiguous blocks) spreads every variant over every shard, so
// shards take about the same time even when some variants are slower.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BatchInputError, jobsOf, stalePlanReason, type BatchPlan, type Job } from './jobs.ts';
import type { JobOutcome } from './protocol.ts';
import { checkBatchFile, readJsonFile } from './file-checks.ts';

/** Shard k of n, 1-based like Jest's and Playwright's `--shard`. */
export interface Shard {
  index: number;
  count: number;
}

export interface ShardFile {
  stampedeShard: 1;
  shard: Shard;
  plan: BatchPlan;
  /** The shard's outcomes in job order. */
  outcomes: JobOutcome[];
}

export function parseShard(text: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!match) throw new BatchInputError(`--shard expects k/n such as 1/4, got "${text}"`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1 || index < 1 || index > count) throw new BatchInputError(`--shard ${text}: k must be between 1 and n (n >= 1)`);
  return { index, count };
}

export function shardJobs(jobs: readonly Job[], shard: Shard): Job[] {
  return jobs.filter((job) => job.id % shard.count === shard.index - 1);
}

export function shardFileName(shard: Shard): string {
  return `shard-${shard.index}-of-${shard.count}.json`;
}

export function shardFileContent(plan: BatchPlan, shard: Shard, outcomes: readonly JobOutcome[]): string {
  const file: ShardFile = { stampedeShard: 1, shard, plan, outcomes: [...outcomes] };
  return `${JSON.stringify(file)}\n`;
}

/** Shard files named directly, or every `shard-K-of-N.json` in a named directory. */
export function readShardFiles(paths: readonly string[]): { path: string; file: ShardFile }[] {
  const files = paths.flatMap((path) => {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      throw new BatchInputError(`${path}: no such shard file or directory`);
    }
    if (!isDirectory) return [path];
    const found = readdirSync(path).filter((name) => /^shard-\d+-of-\d+\.json$/.test(name)).sort();
    if (found.length === 0) throw new BatchInputError(`${path}: no shard-K-of-N.json files in this directory`);
    return found.map((name) => join(path, name));
  });
  return files.map((path) => ({ path, file: parseShardFile(path) }));
}

function parseShardFile(path: string): ShardFile {
  const parsed = readJsonFile(path, 'shard file');
  const file = parsed as Partial<ShardFile> | null;
  if (file === null || typeof file !== 'object' || Array.isArray(file) || file.stampedeShard !== 1) {
    throw new BatchInputError(`${path}: not a stampede shard file (written by --shard k/n)`);
  }
  const shard = file.shard as Partial<Shard> | undefined;
  if (typeof shard !== 'object' || shard === null || !Number.isSafeInteger(shard.count) || !Number.isSafeInteger(shard.index) || shard.count! < 1) {
    throw new BatchInputError(`${path}: shard: expected {index, count} with 1 <= index <= count, found ${JSON.stringify(file.shard) ?? 'nothing'}`);
  }
  if (shard.index! < 1 || shard.index! > shard.count!) {
    throw new BatchInputError(`${path}: shard ${shard.index}/${shard.count} cannot exist: k must be between 1 and n`);
  }
  const plan = file.plan as BatchPlan | undefined;
  checkBatchFile(path, plan, file.outcomes);
  const stale = stalePlanReason(plan);
  if (stale !== null) throw new BatchInputError(`${path}: ${stale}; run its shards again with this version`);
  return file as ShardFile;
}

/** The plan and every outcome in job order, exactly as one unsharded run would have them. */
export function mergeShards(shards: readonly { path: string; file: ShardFile }[]): { plan: BatchPlan; outcomes: JobOutcome[] } {
  if (shards.length === 0) throw new BatchInputError('no shard files to merge');
  const first = shards[0];
  const plan = first.file.plan;
  const planText = JSON.stringify(plan);
  const count = first.file.shard.count;
  const byIndex = new Map<number, string>();
  for (const { path, file } of shards) {
    if (file.plan.stampedeVersion !== plan.stampedeVersion) {
      throw new BatchInputError(`${path} was written by stampede ${file.plan.stampedeVersion}, ${first.path} by ${plan.stampedeVersion}`);
    }
    if (JSON.stringify(file.plan) !== planText) {
      throw new BatchInputError(`${path} and ${first.path} belong to different batches (scenario, seeds, overrides or variants differ)`);
    }
    if (file.shard.count !== count) throw new BatchInputError(`${path} is a shard of ${file.shard.count}, ${first.path} of ${count}`);
    const other = byIndex.get(file.shard.index);
    if (other !== undefined) throw new BatchInputError(`shard ${file.shard.index}/${count} given twice: ${other} and ${path}`);
    byIndex.set(file.shard.index, path);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((k) => !byIndex.has(k));
  if (missing.length > 0) throw new BatchInputError(`missing shard(s) ${missing.map((k) => `${k}/${count}`).join(', ')}`);

  const jobs = jobsOf(plan);
  const outcomes: JobOutcome[] = new Array(jobs.length);
  for (const { path, file } of shards) {
    const expected = shardJobs(jobs, file.shard).map((job) => job.id);
    const got = file.outcomes.map((o) => o.jobId);
    if (expected.length !== got.length || expected.some((id, i) => got[i] !== id)) {
      throw new BatchInputError(`${path}: its jobs are not those of shard ${file.shard.index}/${count} of this plan`);
    }
    for (const outcome of file.outcomes) outcomes[outcome.jobId] = outcome;
  }
  return { plan, outcomes };
}
