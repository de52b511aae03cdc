// `stampede sweep FILE --set a=1,2,3 --set b=x,y`: the grid of values ×
// replications, as tables and one chart per metric and swept parameter.
import { integerFlag } from './usage-error.ts';
import type { Argv } from 'yargs';
import { BatchInputError, preparePlan, type Parameter } from '../batch/jobs.ts';
import { batchOptions, runBatchCommand, splitTopLevel, type BatchArgs } from './batch.ts';

export interface SweepArgs extends BatchArgs {
  file: string;
  set: string[];
  replications: number;
  seed?: number;
}

export function sweepBuilder(y: Argv) {
  return batchOptions(
    y
      .positional('file', { type: 'string', describe: 'Scenario file (YAML)', demandOption: true })
      .option('set', {
        type: 'string',
        array: true,
        default: [],
        describe: 'PATH=V1,V2,... sweeps PATH over the values; PATH=V (one value) fixes it for every run (repeatable)',
      })
      .option('replications', { type: 'string', coerce: integerFlag('replications'), default: 1, describe: 'Replications per grid point (the same seeds at every point)' })
      .option('seed', { type: 'string', coerce: integerFlag('seed', 0), describe: "Root seed of the replication seeds (overrides the scenario's seed)" })
      .option('out', { type: 'string', describe: 'Output directory (default reports/<scenario>/sweep-<hash>)' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the sweep results as JSON on stdout' })
      .option('quiet', { type: 'boolean', default: false, describe: 'No progress or timing on stderr' }),
  )
    .example('$0 sweep scenarios/lookup-outage.yaml --set client.backoff.max=60s,300s,3600s --set lookup.instances=2,4', 'A 3-by-2 grid')
    .example("$0 sweep scenarios/lookup-outage.yaml --set 'population.clients=100000' --set lookup.capacity=10000/s,20000/s --replications 5", 'A fixed field and a swept one')
    .strict();
}

/** Splits the --set flags into swept parameters (several values) and fixed overrides (one value). */
export function sweepParameters(sets: readonly string[]): { parameters: Parameter[]; fixed: string[] } {
  const parameters: Parameter[] = [];
  const fixed: string[] = [];
  for (const text of sets) {
    const eq = text.indexOf('=');
    if (eq < 0) throw new BatchInputError(`--set ${text}: expected PATH=V1,V2,...`);
    const path = text.slice(0, eq).trim();
    const values = splitTopLevel(text.slice(eq + 1));
    if (values.some((v) => v === '')) throw new BatchInputError(`--set ${text}: an empty value in the list`);
    if (values.length === 1) {
      fixed.push(text);
      continue;
    }
    if (parameters.some((p) => p.path === path)) throw new BatchInputError(`--set ${path} is swept twice; give all its values in one --set`);
    parameters.push({ name: path, path, values });
  }
  if (parameters.length === 0) throw new BatchInputError('nothing to sweep: give at least one --set PATH=V1,V2');
  return { parameters, fixed };
}

export async function sweepCommand(args: SweepArgs): Promise<number> {
  const { parameters, fixed } = sweepParameters(args.set);
  const prepared = preparePlan({
    kind: 'sweep',
    file: args.file,
    baseOverrides: fixed,
    seed: args.seed,
    replications: args.replications,
    parameters,
  });
  return runBatchCommand(prepared, args);
}
