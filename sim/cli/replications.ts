// `stampede run FILE --replications R`: the scenario R times with seeds
// derived from its seed, and per metric the mean, sd and 95 % interval.
import { BatchInputError, preparePlan } from '../batch/jobs.ts';
import { runBatchCommand } from './batch.ts';
import type { RunArgs } from './run.ts';

export async function replicationsCommand(args: RunArgs): Promise<number> {
  if (args.replications === undefined) throw new BatchInputError('--shard splits replications: give --replications R too');
  const prepared = preparePlan({
    kind: 'replications',
    file: args.file,
    baseOverrides: args.set,
    seed: args.seed,
    replications: args.replications,
    parameters: [],
  });
  return runBatchCommand(prepared, args);
}
