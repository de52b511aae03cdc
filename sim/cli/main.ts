// The `stampede` command line. Thin: parses flags, calls the library, prints.
import type { Argv } from 'yargs';
import { ExitCode } from './exit-codes.ts';
import type { RunArgs } from './run.ts';
import type { GateArgs } from './gate.ts';
import type { CapacityArgs } from './capacity.ts';
import type { CompareArgs } from './compare.ts';
import type { SweepArgs } from './sweep.ts';
import type { MergeArgs } from './merge.ts';
import type { ValidateArgs } from './validate.ts';
import type { ExploreArgs } from './explore.ts';
import type { LoadArgs, UpArgs } from './live.ts';
import type { CalibrateArgs } from './calibrate.ts';
import { releaseEarlySignals } from './early-signals.ts';
import { OutputError, WriteError } from './output.ts';
import { LiveError } from '../../live/errors.ts';
import { integerFlag, joinNegativeValues, UsageError } from './usage-error.ts';
import { plainRunArgs, plainValidateArgs } from './plain-run.ts';

// Each command's module is loaded when that command runs, not at every start: together they are
// most of the code (the simulation, batch, gate, reports, live mode), and `--help` or `validate`
// needs none of the others. A module whose builder defines the command's flags is loaded before
// the parser is built when its name is on the command line (`modules`).
const COMMAND_MODULES = {
  run: () => import('./run.ts'),
  compare: () => import('./compare.ts'),
  sweep: () => import('./sweep.ts'),
  merge: () => import('./merge.ts'),
  gate: () => import('./gate.ts'),
  capacity: () => import('./capacity.ts'),
  explore: () => import('./explore.ts'),
  validate: () => import('./validate.ts'),
  up: () => import('./live.ts'),
  down: () => import('./live.ts'),
  load: () => import('./live.ts'),
  calibrate: () => import('./calibrate.ts'),
};
type Modules = { [K in keyof typeof COMMAND_MODULES]?: Awaited<ReturnType<(typeof COMMAND_MODULES)[K]>> };
/** The commands that stop on a signal and write what finished (their Interruption, interrupt.ts). */
const INTERRUPTIBLE = ['run', 'compare', 'sweep', 'explore'] as const;

/** The modules of the commands named on the command line (any word that names one: flags may come first). */
async function commandModules(argv: string[]): Promise<Modules> {
  const modules: Record<string, unknown> = {};
  for (const word of new Set(argv)) {
    if (Object.hasOwn(COMMAND_MODULES, word)) modules[word] = await COMMAND_MODULES[word as keyof typeof COMMAND_MODULES]();
  }
  return modules as Modules;
}

/** A command's builder from its module, loaded by commandModules (yargs calls it only for the command being run). */
function builder<K extends keyof Modules>(modules: Modules, name: K, pick: (module: NonNullable<Modules[K]>) => (y: Argv) => Argv<any>): (y: Argv) => Argv<any> {
  return (y) => {
    const module = modules[name];
    if (module === undefined) throw new Error(`stampede: the ${name} command's module was not loaded`);
    return pick(module as NonNullable<Modules[K]>)(y);
  };
}

export { UsageError };

/** What each command does with its parsed arguments: its exit code. */
export interface CommandHandlers {
  run(args: RunArgs): Promise<number>;
  compare(args: CompareArgs): Promise<number>;
  sweep(args: SweepArgs): Promise<number>;
  merge(args: MergeArgs): Promise<number>;
  gate(args: GateArgs): Promise<number>;
  capacity(args: CapacityArgs): Promise<number>;
  explore(args: ExploreArgs): Promise<number>;
  validate(args: ValidateArgs): Promise<number>;
  up(args: UpArgs): Promise<number>;
  down(): Promise<number>;
  load(args: LoadArgs): Promise<number>;
  calibrate(args: CalibrateArgs): Promise<number>;
}

const COMMAND_HANDLERS: CommandHandlers = {
  run: async (args) => (await COMMAND_MODULES.run()).runCommand(args),
  compare: async (args) => (await COMMAND_MODULES.compare()).compareCommand(args),
  sweep: async (args) => (await COMMAND_MODULES.sweep()).sweepCommand(args),
  merge: async (args) => (await COMMAND_MODULES.merge()).mergeCommand(args),
  gate: async (args) => (await COMMAND_MODULES.gate()).gateCommand(args),
  capacity: async (args) => (await COMMAND_MODULES.capacity()).capacityCommand(args),
  explore: async (args) => (await COMMAND_MODULES.explore()).exploreCommand(args),
  validate: async (args) => (await COMMAND_MODULES.validate()).validateCommand(args),
  up: async (args) => (await COMMAND_MODULES.up()).upCommand(args),
  down: async () => (await COMMAND_MODULES.down()).downCommand(),
  load: async (args) => (await COMMAND_MODULES.load()).loadCommand(args),
  calibrate: async (args) => (await COMMAND_MODULES.calibrate()).calibrateCommand(args),
};

export async function main(argv: string[]): Promise<number> {
  // Answered here, not by yargs, and the version module loaded only then: it is part of the
  // simulation's bundle, which --help never loads (~11 ms).
  if (argv.length === 1 && argv[0] === '--version') {
    process.stdout.write(`${(await import('../version.ts')).VERSION}\n`);
    return ExitCode.ok;
  }
  // The command's modules first: until they are loaded, a signal gets bin/stampede.cjs's early answer.
  const modules = await commandModules(argv);
  // `stampede run FILE` and `stampede validate FILES...` with plain flags, as scripts, editors and CI
  // write them, without loading yargs (plain-run.ts).
  const plainRun = plainRunArgs(argv);
  const plainValidate = plainRun === null ? plainValidateArgs(argv) : null;
  if (plainRun === null && plainValidate === null) return parseCommandLine(argv, COMMAND_HANDLERS, modules);
  try {
    return await (plainRun !== null ? COMMAND_HANDLERS.run(plainRun) : COMMAND_HANDLERS.validate(plainValidate!));
  } catch (error) {
    return await reportError(error);
  }
}

/** The command line through yargs, and the command it names run by `handlers` (a test gives its own). */
export async function parseCommandLine(argv: string[], handlers: CommandHandlers = COMMAND_HANDLERS, loaded?: Modules): Promise<number> {
  const modules = loaded ?? (await commandModules(argv));
  // Loaded here, not at the top: `stampede run` with plain flags never needs it (~7 ms to load).
  const { default: yargs } = await import('yargs');
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
        exitCode = await handlers.run(args);
      },
    )
    .command<CompareArgs>('compare <file>', 'Compare every algorithm with every retry policy on common random numbers', builder(modules, 'compare', (m) => m.compareBuilder), async (args) => {
      exitCode = await handlers.compare(args);
    })
    .command<SweepArgs>('sweep <file>', 'Run the grid of --set PATH=V1,V2,... values; tables and charts per metric', builder(modules, 'sweep', (m) => m.sweepBuilder), async (args) => {
      exitCode = await handlers.sweep(args);
    })
    .command<MergeArgs>('merge <shards..>', 'Combine the shard files of a --shard k/n batch into its full results', builder(modules, 'merge', (m) => m.mergeBuilder), async (args) => {
      exitCode = await handlers.merge(args);
    })
    .command<GateArgs>('gate <files..>', "Run scenarios and check their assert: sections (CI gate; JUnit, Markdown)", builder(modules, 'gate', (m) => m.gateBuilder), async (args) => {
      exitCode = await handlers.gate(args);
    })
    .command<CapacityArgs>('capacity <file>', 'Largest population / fewest servers or lookups that still pass the assertions', builder(modules, 'capacity', (m) => m.capacityBuilder), async (args) => {
      exitCode = await handlers.capacity(args);
    })
    .command<ExploreArgs>('explore <file>', "Search the scenario's explore: space for runs that break its gate; shrink them; flag metastable runs", builder(modules, 'explore', (m) => m.exploreBuilder), async (args) => {
      exitCode = await handlers.explore(args);
    })
    .command<ValidateArgs>('validate <files..>', 'Check scenario files without running them (exit code 2 if one is invalid)', builder(modules, 'validate', (m) => m.validateBuilder), async (args) => {
      exitCode = await handlers.validate(args);
    })
    // ---- live mode (docs/live.md)
    .command<UpArgs>('up', 'Start the reference deployment (ZooKeeper, Redis, servers, managers, lookups) on loopback until Ctrl-C', builder(modules, 'up', (m) => m.upBuilder), async (args) => {
      exitCode = await handlers.up(args);
    })
    .command('down', "Stop the reference deployment that 'stampede up' started", (y) => y.strict(), async () => {
      exitCode = await handlers.down();
    })
    .command<LoadArgs>('load <file>', 'Drive a scenario with real clients against the reference deployment (or --target) and compare with its simulation', builder(modules, 'load', (m) => m.loadBuilder), async (args) => {
      exitCode = await handlers.load(args);
    })
    .command<CalibrateArgs>('calibrate <result>', "Write a live run's measured connect latency, lookup service rate and accept rate into a new scenario file", builder(modules, 'calibrate', (m) => m.calibrateBuilder), async (args) => {
      exitCode = await handlers.calibrate(args);
    })
    // The command that runs, once parsed (any word may name one: `--out run`): one that stops on a
    // signal keeps bin/stampede.cjs's answer until its Interruption takes over (interrupt.ts); for the
    // others a signal from now on ends the process at once, as any process, or reaches their own handler.
    .middleware(async (args) => {
      if ((INTERRUPTIBLE as readonly string[]).includes(String(args._[0]))) return;
      // One that came while the modules loaded may still wait in the event loop (loading them from
      // the build's script gives it no turn): answered before the handler goes, not dropped with it.
      await new Promise((resolve) => setImmediate(resolve));
      releaseEarlySignals();
    })
    .demandCommand(1, 'Name a command; see --help.')
    .strict()
    .help()
    .alias('h', 'help')
    // `stampede --version` is answered before the parser (above).
    .version(false)
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .epilogue('`stampede --version` prints the version. Exit codes: 0 ok, 1 assertion failed, 2 invalid input, 3 some batch jobs failed, 70 internal error, 74 an output could not be written, 129 hung up (SIGHUP), 130 interrupted.')
    .exitProcess(false)
    .fail((message, error) => {
      // yargs wraps what a flag's coerce throws (a UsageError) in its own YError: that is a usage error too.
      if (error !== undefined && error !== null && error.name !== 'YError') throw error;
      throw new UsageError(error?.message ?? message);
    });

  withoutHelpCache(parser);
  try {
    await parser.parseAsync();
    return exitCode;
  } catch (error) {
    return await reportError(error);
  }
}

/**
 * yargs renders the whole help text each time a command's handler starts (usage.js,
 * cacheHelpMessage), in case the handler asks for it later: ~25 ms of every `stampede run`, and
 * ~10 s of CPU across the test suite, which runs main() hundreds of times. stampede never shows
 * help once a command has started (.fail() above throws; nothing calls showHelp or getHelp), so
 * nothing is cached; --help and usage errors render as before. Through yargs' internal methods
 * (the ones its command.js calls): a yargs without them keeps its cache, and only costs the time.
 */
export function withoutHelpCache(parser: Argv): void {
  type Usage = { cacheHelpMessage?: unknown };
  const internal = parser as unknown as { getInternalMethods?: () => { getUsageInstance?: () => Usage } };
  const usage = typeof internal.getInternalMethods === 'function' ? internal.getInternalMethods().getUsageInstance?.() : undefined;
  if (typeof usage?.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
}

/**
 * The classes of scenario and batch input errors, from their modules, which are loaded only
 * when the error's class has their class's name: an error cannot be of a class that this
 * process never loaded, and loading them for another error would cost a good part of a start.
 */
async function inputErrorClasses(error: unknown) {
  const name = (error as { constructor?: { name?: string } } | null)?.constructor?.name;
  return {
    ScenarioError: name === 'ScenarioError' ? (await import('../scenario/load.ts')).ScenarioError : undefined,
    BatchInputError: name === 'BatchInputError' ? (await import('../batch/jobs.ts')).BatchInputError : undefined,
  };
}

async function reportError(error: unknown): Promise<number> {
  if (error instanceof UsageError) {
    process.stderr.write(`stampede: ${error.message}\nRun 'stampede --help' for usage.\n`);
    return ExitCode.invalidInput;
  }
  const { ScenarioError, BatchInputError } = await inputErrorClasses(error);
  if (ScenarioError !== undefined && error instanceof ScenarioError) {
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
  if (BatchInputError !== undefined && error instanceof BatchInputError) {
    process.stderr.write(`stampede: ${error.message}\nRun 'stampede --help' for usage.\n`);
    return ExitCode.invalidInput;
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`stampede: internal error (please report it with the command line)\n${detail}\n`);
  return ExitCode.internalError;
}
