/** A command line that cannot be carried out as given (exit code 2, no stack trace). */
export class UsageError extends Error {}

/**
 * yargs `coerce` for an integer flag: yargs' own `number` type turns `abc`
 * into NaN and `1e20` into a number past exact integers, and the message then
 * shows the wreck instead of what was typed. `1e6` is accepted.
 */
export function integerFlag(flag: string, min = Number.MIN_SAFE_INTEGER) {
  return (value: unknown): number | undefined => {
    if (value === undefined) return undefined;
    if (Array.isArray(value)) throw new UsageError(`--${flag} is given ${value.length} times; give it once`);
    const text = String(value).trim();
    const n = text === '' ? Number.NaN : Number(text);
    if (!Number.isSafeInteger(n)) {
      const why = Number.isInteger(n) ? ` (integers are exact only up to ${Number.MAX_SAFE_INTEGER})` : '';
      throw new UsageError(`--${flag}: expected an integer, found ${JSON.stringify(String(value))}${why}`);
    }
    if (n < min) throw new UsageError(`--${flag}: expected an integer >= ${min}, found ${text}`);
    return n;
  };
}

/** The flags that take a value: `--memory-limit -5GB` must read -5GB as that value, not as flags -5 -G -B. */
const VALUE_FLAGS = new Set([
  'seed', 'set', 'out', 'memory-limit', 'replications', 'workers', 'shard', 'junit', 'summary', 'min', 'max', 'max-runs',
  'precision', 'growth', 'today', 'region', 'vary', 'algorithms', 'policies',
]);

/** `--flag -5GB` → `--flag=-5GB` for flags that take a value, when the value starts with "-" and a digit or ".". */
export function joinNegativeValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const next = argv[i + 1];
    if (word.startsWith('--') && !word.includes('=') && VALUE_FLAGS.has(word.slice(2)) && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`${word}=${next}`);
      i++;
    } else out.push(word);
  }
  return out;
}
