// `stampede run FILE` with plain flags is read without yargs (sim/cli/plain-run.ts). Whatever it
// reads, it must read as yargs does: on thousands of generated command lines, each one it accepts
// gives the run handler the same arguments through main()'s yargs parser; the rest go to yargs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCommandLine, type CommandHandlers } from '../sim/cli/main.ts';
import { plainRunArgs } from '../sim/cli/plain-run.ts';
import type { RunArgs } from '../sim/cli/run.ts';
import { captured } from './support/cli.ts';

const FIELDS = ['file', 'seed', 'set', 'out', 'json', 'quiet', 'replications', 'workers', 'shard', 'svg', 'png', 'force', 'resume', 'memoryLimit'] as const;

/** What yargs gives the run handler for `argv` (its RunArgs fields), or the error it ends with. */
async function throughYargs(argv: string[]): Promise<Partial<RunArgs> | { error: string }> {
  let got: RunArgs | null = null;
  const refuse = async () => {
    throw new Error('not the run command');
  };
  const handlers: CommandHandlers = {
    run: async (args) => {
      got = args;
      return 0;
    },
    compare: refuse, sweep: refuse, merge: refuse, gate: refuse, capacity: refuse, explore: refuse,
    validate: refuse, up: refuse, down: refuse, load: refuse, calibrate: refuse,
  };
  const { value: code, stderr } = await captured(() => parseCommandLine(argv, handlers));
  if (got === null || code !== 0) return { error: `exit ${code}: ${stderr}` };
  return fields(got);
}

function fields(args: RunArgs): Partial<RunArgs> {
  const picked: Record<string, unknown> = {};
  for (const field of FIELDS) if (args[field] !== undefined) picked[field] = args[field];
  return picked as Partial<RunArgs>;
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
    let read = 0;
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('a.yaml', '12', 'x=1'), fc.array(word, { maxLength: 7 }), async (file, rest) => {
        const argv = ['run', file, ...rest];
        cases++;
        const plain = plainRunArgs(argv);
        if (plain === null) return;
        read++;
        expect(fields(plain), argv.join(' ')).toEqual(await throughYargs(argv));
      }),
      { seed: 20261207, numRuns: 3000 },
    );
    // Not a test of nothing: a good share of the generated lines are read without yargs.
    expect(read / cases).toBeGreaterThan(0.1);
  });
});
