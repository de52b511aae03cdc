// `stampede run FILE` and `stampede validate FILES...` followed by plain flags, read without yargs:
// loading yargs and building its parser took ~13 ms of every such start (a 1,000-client run takes
// ~0.2 s in all, a validate ~0.08 s), and it is how scripts, editors, gates' CI jobs and the bench
// write them. Only the forms below are read here; anything else (another command, --help, a flag
// not listed, a flag given twice, a value that starts with "-", a word where a flag should be, a bad
// integer) returns null, and yargs parses the command line as it always did, errors and help
// included. test/plain-run.test.ts holds the two to the same arguments on every command line it
// generates.
import type { RunArgs } from './run.ts';
import type { ValidateArgs } from './validate.ts';
import { integerFlag } from './usage-error.ts';

/** `--json`: no value (`--json=false`, `--no-json` and `--json true` go to yargs). */
const SWITCHES = { json: 'json', quiet: 'quiet', force: 'force', svg: 'svg', png: 'png' } as const;
/** `--out DIR` or `--out=DIR`. */
const TEXTS = { out: 'out', 'memory-limit': 'memoryLimit' } as const;
/** As main()'s coerce reads them; a value it refuses goes to yargs, which words the error. */
const INTEGERS = { seed: integerFlag('seed', 0), workers: integerFlag('workers') } as const;

/** The arguments yargs would give `run`'s handler for `argv`, or null when yargs must read it. */
export function plainRunArgs(argv: readonly string[]): RunArgs | null {
  const [command, file] = argv;
  if (command !== 'run' || file === undefined || !isValue(file)) return null;
  const args: RunArgs = { file, set: [], json: false, quiet: false, force: false, resume: false, svg: false, png: false };
  const seen = new Set<string>();
  for (let i = 2; i < argv.length; i++) {
    const word = argv[i];
    if (!word.startsWith('--')) return null;
    const equals = word.indexOf('=');
    const name = equals < 0 ? word.slice(2) : word.slice(2, equals);
    if (name !== 'set' && seen.has(name)) return null;
    seen.add(name);
    if (Object.hasOwn(SWITCHES, name)) {
      if (equals >= 0) return null;
      args[SWITCHES[name as keyof typeof SWITCHES]] = true;
      continue;
    }
    if (!Object.hasOwn(TEXTS, name) && !Object.hasOwn(INTEGERS, name) && name !== 'set') return null;
    const value = equals < 0 ? argv[++i] : word.slice(equals + 1);
    if (value === undefined || !isValue(value)) return null;
    if (name === 'set') args.set.push(value);
    else if (Object.hasOwn(TEXTS, name)) args[TEXTS[name as keyof typeof TEXTS]] = value;
    else {
      const key = name as keyof typeof INTEGERS;
      try {
        args[key] = INTEGERS[key](value);
      } catch {
        return null;
      }
    }
  }
  return args;
}

/**
 * The arguments yargs would give `validate`'s handler for `argv`, or null when yargs must read it:
 * the files first, then `--json` (once) and `--set VALUE` / `--set=VALUE` (any number of times).
 */
export function plainValidateArgs(argv: readonly string[]): ValidateArgs | null {
  if (argv[0] !== 'validate') return null;
  const args: ValidateArgs = { files: [], set: [], json: false };
  let i = 1;
  for (; i < argv.length && !argv[i].startsWith('--'); i++) {
    if (!isValue(argv[i])) return null;
    args.files.push(argv[i]);
  }
  if (args.files.length === 0) return null;
  for (; i < argv.length; i++) {
    const word = argv[i];
    if (word === '--json' && !args.json) {
      args.json = true;
      continue;
    }
    const value = word === '--set' ? argv[++i] : word.startsWith('--set=') ? word.slice('--set='.length) : undefined;
    if (value === undefined || !isValue(value)) return null;
    args.set.push(value);
  }
  return args;
}

/** A word yargs reads as a value wherever it stands: not empty, not a flag, not a negative number. */
function isValue(word: string): boolean {
  return word !== '' && !word.startsWith('-');
}
