// The `stampede` command line. Thin: parses flags, calls the library, prints.
import yargs from 'yargs';
import { ExitCode } from './exit-codes.ts';
import { runCommand, type RunArgs } from './run.ts';
import { ScenarioError } from '../scenario/load.ts';
import { gateBuilder, gateCommand, type GateArgs } from './gate.ts';
import { capacityBuilder, capacityCommand, type CapacityArgs } from './capacity.ts';
import { BatchInputError } from '../batch/jobs.ts';
import { compareBuilder, compareCommand, type CompareArgs } from './compare.ts';
import { sweepBuilder, sweepCommand, type SweepArgs } from './sweep.ts';
import { mergeBuilder, mergeCommand, type MergeArgs } from './merge.ts';
import { validateBuilder, validateCommand, type ValidateArgs } from './validate.ts';
import { exploreBuilder, exploreCommand, type ExploreArgs } from './explore.ts';
import { OutputError, WriteError } from './output.ts';
import { releaseEarlySignals } from './interrupt.ts';
// Live mode (docs/live.md): up, down, load.
import { downCommand, LiveError, loadBuilder, loadCommand, upBuilder, upCommand, type LoadArgs, type UpArgs } from './live.ts';

import { integerFlag, joinNegativeValues, UsageError } from './usage-error.ts';

export { UsageError };

export async function main(argv: string[]): Promise<number> {
  releaseEarlySignals();
  let exitCode: number = ExitCode.ok;
  const parser = yargs(joinNegativeValues(argv))
    .scriptName('stampede')
    .usage('$0 <command> [options]\n\nDeterministic simulator of session-server load balancers under faults.')
    .command<RunArgs>(
      'run <file>',
      'Run one scenario and write its result under reports/',
      (y) =>
        y
          .positional('file', { type: 'string', describe: 'Scenario file (YAML)', demandOption: true })
          .option('seed', { type: 'string', coerce: integerFlag('seed', 0), describe: 'Root seed (overrides the scenario\'s seed)' })
          .option('set', {
            type: 'string',
            array: true,
            default: [],
            describe: 'Override a field: --set client.backoff.max=3600s (repeatable)',
          })
          .option('out', { type: 'string', describe: 'Output directory (default reports/<scenario>/seed-<seed>[-<overrides hash>])' })
          .option('json', { type: 'boolean', default: false, describe: 'Print the summary as JSON on stdout' })
          .option('quiet', { type: 'boolean', default: false, describe: 'No progress on stderr' })
          .option('force', { type: 'boolean', default: false, describe: 'Overwrite an earlier report in the output directory' })
          .option('memory-limit', {
            type: 'string',
            describe: "Refuse a run estimated to need more than this (e.g. 8GB; `off` to skip the check; default: the machine's free memory)",
          })
          .option('resume', { type: 'boolean', default: false, describe: 'With --replications: finish an interrupted batch from its partial file' })
          .option('svg', { type: 'boolean', default: false, describe: 'Also write each report chart as charts/<chart>.svg' })
          .option('png', { type: 'boolean', default: false, describe: 'Also write each report chart as charts/<chart>.png' })
          .option('replications', { type: 'string', coerce: integerFlag('replications'), describe: 'Run R replications (seeds derived from the seed): mean, sd and 95 % CI per metric, and the assert: section judged over them as stampede gate does' })
          .option('workers', { type: 'string', coerce: integerFlag('workers'), describe: "Worker threads for --replications, or for a single run's carrier outages (default: one per core)" })
          .option('shard', { type: 'string', describe: 'With --replications: run only shard k of n (k/n) for `stampede merge`' })
          .example('$0 run scenarios/lookup-outage.yaml', 'The operators\' 10-minute lookup outage')
          .example('$0 run scenarios/lookup-outage.yaml --set client.backoff.max=3600s', 'The same with GCM\'s own cap')
          .strict(),
      async (args) => {
        exitCode = await runCommand(args);
      },
    )
    .command<CompareArgs>('compare <file>', 'Compare algorithms × retry policies on common random numbers', compareBuilder, async (args) => {
      exitCode = await compareCommand(args);
    })
    .command<SweepArgs>('sweep <file>', 'Run the grid of --set PATH=V1,V2,... values; tables and charts per metric', sweepBuilder, async (args) => {
      exitCode = await sweepCommand(args);
    })
    .command<MergeArgs>('merge <shards..>', 'Combine the shard files of a --shard k/n batch into its full results', mergeBuilder, async (args) => {
      exitCode = await mergeCommand(args);
    })
    .command<GateArgs>('gate <files..>', "Run scenarios and check their assert: sections (CI gate; JUnit, Markdown)", gateBuilder, async (args) => {
      exitCode = await gateCommand(args);
    })
    .command<CapacityArgs>('capacity <file>', 'Largest population / fewest servers or lookups that still pass the assertions', capacityBuilder, async (args) => {
      exitCode = await capacityCommand(args);
    })
    .command<ExploreArgs>('explore <file>', "Search the scenario's explore: space for runs that break its gate; shrink them; flag metastable runs", exploreBuilder, async (args) => {
      exitCode = await exploreCommand(args);
    })
    .command<ValidateArgs>('validate <files..>', 'Check scenario files without running them (exit code 2 if one is invalid)', validateBuilder, async (args) => {
      exitCode = await validateCommand(args);
    })
    // ---- live mode (docs/live.md)
    .command<UpArgs>('up', 'Start the reference deployment (ZooKeeper, Redis, servers, managers, lookups) on loopback until Ctrl-C', upBuilder, async (args) => {
      exitCode = await upCommand(args);
    })
    .command('down', "Stop the reference deployment that 'stampede up' started", (y) => y.strict(), async () => {
      exitCode = await downCommand();
    })
    .command<LoadArgs>('load <file>', 'Drive a scenario with real clients against the reference deployment (or --target) and compare with its simulation', loadBuilder, async (args) => {
      exitCode = await loadCommand(args);
    })
    .demandCommand(1, 'Name a command; see --help.')
    .strict()
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .epilogue('Exit codes: 0 ok, 1 assertion failed, 2 invalid input, 3 some batch jobs failed, 70 internal error, 74 an output could not be written, 129 hung up (SIGHUP), 130 interrupted.')
    .exitProcess(false)
    .fail((message, error) => {
      // yargs wraps what a flag's coerce throws (a UsageError) in its own YError: that is a usage error too.
      if (error !== undefined && error !== null && error.name !== 'YError') throw error;
      throw new UsageError(error?.message ?? message);
    });

  try {
    await parser.parseAsync();
    return exitCode;
  } catch (error) {
    return reportError(error);
  }
}

function reportError(error: unknown): number {
  if (error instanceof ScenarioError) {
    process.stderr.write(`stampede: invalid scenario\n${error.message}\n`);
    return ExitCode.invalidInput;
  }
  if (error instanceof LiveError) {
    process.stderr.write(`stampede: ${error.message}\n`);
    return ExitCode.invalidInput;
  }
  if (error instanceof OutputError) {
    process.stderr.write(`stampede: ${error.message}\n`);
    return ExitCode.invalidInput;
  }
  if (error instanceof WriteError) {
    process.stderr.write(`stampede: ${error.message}\n`);
    return ExitCode.ioError;
  }
  if (error instanceof UsageError || error instanceof BatchInputError) {
    process.stderr.write(`stampede: ${error.message}\nRun 'stampede --help' for usage.\n`);
    return ExitCode.invalidInput;
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`stampede: internal error (please report it with the command line)\n${detail}\n`);
  return ExitCode.internalError;
}
