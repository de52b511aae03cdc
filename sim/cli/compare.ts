// `stampede compare FILE --algorithms rr,wlc --policies gcm,full`: every
// combination on common random numbers, with winners and significance.
import { integerFlag } from './usage-error.ts';
import type { Argv } from 'yargs';
import { BatchInputError, preparePlan, type Parameter } from '../batch/jobs.ts';
import { batchOptions, parseList, runBatchCommand, type BatchArgs } from './batch.ts';

export interface CompareArgs extends BatchArgs {
  file: string;
  algorithms?: string | string[];
  policies?: string | string[];
  replications: number;
  seed?: number;
  set: string[];
}

/** What the variant flags override. Names pass through to the loader, which validates them. */
const VARIED = [
  { flag: 'algorithms', name: 'algorithm', path: 'lookup.algorithm' },
  { flag: 'policies', name: 'policy', path: 'client.backoff.policy' },
] as const;

export function compareBuilder(y: Argv) {
  return batchOptions(
    y
      .positional('file', { type: 'string', describe: 'Scenario file (YAML)', demandOption: true })
      .option('algorithms', { type: 'string', describe: 'Lookup algorithms to compare, comma-separated (lookup.algorithm)' })
      .option('policies', { type: 'string', describe: 'Retry policies to compare, comma-separated (client.backoff.policy)' })
      .option('replications', { type: 'string', coerce: integerFlag('replications'), default: 10, describe: 'Replications per variant (the same seeds for every variant)' })
      .option('seed', { type: 'string', coerce: integerFlag('seed', 0), describe: "Root seed of the replication seeds (overrides the scenario's seed)" })
      .option('set', { type: 'string', array: true, default: [], describe: 'Override a field for every variant: --set population.clients=100000 (repeatable)' })
      .option('out', { type: 'string', describe: 'Output directory (default reports/<scenario>/compare-<hash>)' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the comparison as JSON on stdout' })
      .option('quiet', { type: 'boolean', default: false, describe: 'No progress or timing on stderr' }),
  )
    .example('$0 compare scenarios/lookup-outage.yaml --algorithms rr,wlc,p2c --policies gcm,full', 'Six variants, 10 replications each')
    .example('$0 compare scenarios/lookup-outage.yaml --policies gcm,full --replications 20 --shard 1/4', 'One quarter of the jobs, for `stampede merge`')
    .strict();
}

export async function compareCommand(args: CompareArgs): Promise<number> {
  const parameters: Parameter[] = [];
  for (const varied of VARIED) {
    const values = parseList(args[varied.flag]);
    if (values.length > 0) parameters.push({ name: varied.name, path: varied.path, values });
  }
  if (parameters.length === 0) throw new BatchInputError('name what to compare: --algorithms a,b and/or --policies x,y');
  const prepared = preparePlan({
    kind: 'compare',
    file: args.file,
    baseOverrides: args.set,
    seed: args.seed,
    replications: args.replications,
    parameters,
  });
  return runBatchCommand(prepared, args);
}
