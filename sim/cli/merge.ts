// `stampede merge SHARDS... --out DIR`: combines the shard files of one batch
// into exactly the files an unsharded run would have written.
import type { Argv } from 'yargs';
import { mergeShards, readShardFiles } from '../batch/shard.ts';
import { claimBatchOutDir, defaultBatchOutDir, finishBatch } from './batch.ts';

export interface MergeArgs {
  shards: string[];
  out?: string;
  json: boolean;
  force: boolean;
  /** Accepted like every command's --quiet; merge prints no progress. */
  quiet?: boolean;
}

export function mergeBuilder(y: Argv) {
  return y
    .positional('shards', { type: 'string', array: true, describe: 'Shard files, or directories holding shard-K-of-N.json files', demandOption: true })
    .option('out', { type: 'string', describe: 'Output directory (default: the one an unsharded run would use)' })
    .option('json', { type: 'boolean', default: false, describe: 'Print the merged results as JSON on stdout' })
    .option('force', { type: 'boolean', default: false, describe: 'Overwrite earlier results in the output directory' })
    .option('quiet', { type: 'boolean', default: false, describe: 'No progress on stderr (merge has none; accepted like the other commands)' })
    .example('$0 merge shards/ --out reports/compare', 'Merge every shard file found in shards/')
    .strict();
}

export async function mergeCommand(args: MergeArgs): Promise<number> {
  const { plan, outcomes } = mergeShards(readShardFiles(args.shards));
  const outDir = args.out ?? defaultBatchOutDir(plan);
  const claim = claimBatchOutDir(outDir, undefined, args.force);
  try {
    return finishBatch(plan, outcomes, outDir, args.json);
  } finally {
    claim.release();
  }
}
