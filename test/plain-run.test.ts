// `stampede run FILE` and `stampede validate FILES...` with plain flags are read without yargs
// (sim/cli/plain-run.ts). Whatever they read, they must read as yargs does: on thousands of
// generated command lines, each one read gives the command's handler the same arguments through
// main()'s yargs parser; the rest go to yargs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCommandLine, type CommandHandlers } from '../sim/cli/main.ts';
import { plainRunArgs, plainValidateArgs } from '../sim/cli/plain-run.ts';
import { captured } from './support/cli.ts';

/** The fields of each command's arguments that its handler reads. */
const FIELDS = {
  run: ['file', 'seed', 'set', 'out', 'json', 'quiet', 'replications', 'workers', 'shard', 'svg', 'png', 'force', 'resume', 'memoryLimit'],
  validate: ['files', 'set', 'json'],
} as const;
type Command = keyof typeof FIELDS;

/** What yargs gives `command`'s handler for `argv` (the fields it reads), or the error it ends with. */
async function throughYargs(argv: string[], command: Command = 'run'): Promise<Record<string, unknown>> {
  let got: object | null = null;
  const refuse = async () => {
    throw new Error(`not the ${command} command`);
  };
  const handlers: CommandHandlers = {
    run: refuse, compare: refuse, sweep: refuse, merge: refuse, gate: refuse, capacity: refuse, explore: refuse,
    validate: refuse, up: refuse, down: refuse, load: refuse, calibrate: refuse,
  };
  handlers[command] = async (args: object) => {
    got = args;
    return 0;
  };
  const { value: code, stderr } = await captured(() => parseCommandLine(argv, handlers));
  if (got === null || code !== 0) return { error: `exit ${code}: ${stderr}` };
  return fields(got, command);
}

function fields(args: object, command: Command = 'run'): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const field of FIELDS[command]) {
    const value = (args as Record<string, unknown>)[field];
    if (value !== undefined) picked[field] = value;
  }
  return picked;
}

/**
 * On `runs` command lines drawn from `lines`, each one `read` reads (not null) gives `command`'s
 * handler what yargs gives it; and a good share of them are read, so that this tests something.
 */
async function agreesWithYargs(command: Command, lines: fc.Arbitrary<string[]>, read: (argv: string[]) => object | null, runs: number): Promise<void> {
  let taken = 0;
  let cases = 0;
  await fc.assert(
    fc.asyncProperty(lines, async (argv) => {
      cases++;
      const plain = read(argv);
      if (plain === null) return;
      taken++;
      expect(fields(plain, command), argv.join(' ')).toEqual(await throughYargs(argv, command));
    }),
    { seed: 20261207, numRuns: runs },
  );
  expect(taken / cases).toBeGreaterThan(0.1);
}

describe('stampede run with plain flags, without yargs', () => {
  it('reads the command lines of the README, the bench and CI as yargs does', async () => {
    const lines = [
      ['run', 'scenarios/lookup-outage.yaml'],
      ['run', 'scenarios/validation/v2-lookup-outage-churn.yaml', '--set', 'population.clients=100000', '--quiet', '--force', '--out', '/tmp/x'],
      ['run', 'scenarios/lookup-outage.yaml', '--set=client.backoff.max=3600s', '--seed', '7', '--json'],
      ['run', 'a.yaml', '--svg', '--png', '--workers=2', '--memory-limit', '8GB', '--seed=1e3'],
    ];
    for (const argv of lines) {
      const plain = plainRunArgs(argv);
      expect(plain, argv.join(' ')).not.toBeNull();
      expect(fields(plain!)).toEqual(await throughYargs(argv));
    }
  });

  it('leaves to yargs what it does not read: help, batches, repeated or unknown flags, odd values', () => {
    for (const argv of [
      ['run', 'a.yaml', '--help'],
      ['run', '--help'],
      ['run'],
      ['run', '-q', 'a.yaml'],
      ['run', 'a.yaml', '--replications', '3'],
      ['run', 'a.yaml', '--quiet', '--quiet'],
      ['run', 'a.yaml', '--out', 'x', '--out', 'y'],
      ['run', 'a.yaml', '--no-json'],
      ['run', 'a.yaml', '--json=false'],
      ['run', 'a.yaml', '--set', 'a=1', 'b=2'],
      ['run', 'a.yaml', '--seed', '-1'],
      ['run', 'a.yaml', '--seed', 'abc'],
      ['run', 'a.yaml', '--memory-limit', '-5GB'],
      ['run', 'a.yaml', '--memoryLimit', '5GB'],
      ['run', 'a.yaml', '--out'],
      ['run', 'a.yaml', 'extra'],
      ['compare', 'a.yaml'],
      ['--quiet', 'run', 'a.yaml'],
    ]) {
      expect(plainRunArgs(argv), argv.join(' ')).toBeNull();
    }
  });

  it('gives the handler what yargs gives it, on every generated command line it reads', async () => {
    const word = fc.constantFrom(
      '--set', '--set=x=1', '--seed', '--seed=5', '--workers', '--workers=-2', '--out', '--out=dir', '--memory-limit', '--memory-limit=off',
      '--json', '--quiet', '--force', '--svg', '--png', '--resume', '--replications', '--shard', '--json=true', '--no-quiet', '--bogus',
      '--help', '-h', '--version', '--', '-5', '7', '1e3', '0x10', ' 8 ', '2.5', '9007199254740993', 'abc', 'a=b', 'x.y=3s', 'true',
      'false', 'run', 'a.yaml', '', '-', 'population.clients=100',
    );
    await agreesWithYargs('run', fc.tuple(fc.constantFrom('a.yaml', '12', 'x=1'), fc.array(word, { maxLength: 7 })).map(([file, rest]) => ['run', file, ...rest]), plainRunArgs, 3000);
  });
});

describe('stampede validate with plain flags, without yargs', () => {
  it('reads the command lines of the docs, editors and CI as yargs does', async () => {
    for (const argv of [
      ['validate', 'scenarios/lookup-outage.yaml'],
      ['validate', 'scenarios/', 'live/scenarios/ci-outage-crash.yaml', '--json'],
      ['validate', 'scenarios/*.yaml', '--set', 'population.clients=50000', '--set=duration=10m'],
    ]) {
      const plain = plainValidateArgs(argv);
      expect(plain, argv.join(' ')).not.toBeNull();
      expect(fields(plain!, 'validate')).toEqual(await throughYargs(argv, 'validate'));
    }
  });

  it('leaves to yargs what it does not read: help, no file, flags first, repeated or unknown flags, odd values', () => {
    for (const argv of [
      ['validate'],
      ['validate', '--help'],
      ['validate', 'a.yaml', '--help'],
      ['validate', '--json', 'a.yaml'],
      ['validate', 'a.yaml', '--json', '--json'],
      ['validate', 'a.yaml', '--json', 'b.yaml'],
      ['validate', 'a.yaml', '--set', 'a=1', 'b=2'],
      ['validate', 'a.yaml', '--set'],
      ['validate', 'a.yaml', '--set', '-1'],
      ['validate', 'a.yaml', '--no-json'],
      ['validate', 'a.yaml', '-j'],
      ['validate', '-', 'a.yaml'],
      ['run', 'a.yaml', '--json', '--json'],
    ]) {
      expect(plainValidateArgs(argv), argv.join(' ')).toBeNull();
    }
  });

  it('gives the handler what yargs gives it, on every generated command line it reads', async () => {
    const word = fc.constantFrom(
      '--set', '--set=x=1', '--set=', '--json', '--json=true', '--no-json', '--bogus', '--help', '-h', '--', '-5', '7', '1e3', '0x10',
      ' 8 ', '2.5', 'abc', 'a=b', 'x.y=3s', 'true', 'false', 'validate', 'a.yaml', 'scenarios/', '', '-', 'population.clients=100',
    );
    const files = fc.array(fc.constantFrom('a.yaml', '12', 'x=1', 'dir/'), { minLength: 1, maxLength: 3 });
    await agreesWithYargs('validate', fc.tuple(files, fc.array(word, { maxLength: 6 })).map(([names, rest]) => ['validate', ...names, ...rest]), plainValidateArgs, 2000);
  });
});
