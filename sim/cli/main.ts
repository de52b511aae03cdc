// The `stampede` command line. Thin: parses flags, calls the library, prints.
import yargs from 'yargs';
import { ExitCode } from './exit-codes.ts';
import { runCommand, type RunArgs } from './run.ts';
import { ScenarioError } from '../scenario/load.ts';

export class UsageError extends Error {}

export async function main(argv: string[]): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const parser = yargs(argv)
    .scriptName('stampede')
    .usage('$0 <command> [options]\n\nDeterministic simulator of session-server load balancers under faults.')
    .command<RunArgs>(
      'run <file>',
      'Run one scenario and write its result under reports/',
      (y) =>
        y
          .positional('file', { type: 'string', describe: 'Scenario file (YAML)', demandOption: true })
          .option('seed', { type: 'number', describe: 'Root seed (overrides the scenario\'s seed)' })
          .option('set', {
            type: 'string',
            array: true,
            default: [],
            describe: 'Override a field: --set client.backoff.max=3600s (repeatable)',
          })
          .option('out', { type: 'string', describe: 'Output directory (default reports/<scenario>/seed-<seed>[-<overrides hash>])' })
          .option('json', { type: 'boolean', default: false, describe: 'Print the summary as JSON on stdout' })
          .option('quiet', { type: 'boolean', default: false, describe: 'No progress on stderr' })
          .example('$0 run scenarios/lookup-outage.yaml', 'The operators\' 10-minute lookup outage')
          .example('$0 run scenarios/lookup-outage.yaml --set client.backoff.max=3600s', 'The same with GCM\'s own cap')
          .strict(),
      async (args) => {
        exitCode = await runCommand(args);
      },
    )
    .demandCommand(1, 'Name a command; see --help.')
    .strict()
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .epilogue('Exit codes: 0 ok, 1 assertion failed, 2 invalid input, 70 internal error, 130 interrupted.')
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new UsageError(message);
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
  if (error instanceof UsageError) {
    process.stderr.write(`stampede: ${error.message}\nRun 'stampede --help' for usage.\n`);
    return ExitCode.invalidInput;
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`stampede: internal error (please report it with the command line)\n${detail}\n`);
  return ExitCode.internalError;
}
