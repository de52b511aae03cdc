// Durations and rates as scenario files write them ("10m", "250ms", "20000/s").
//
// Parsing and formatting must round-trip exactly: parseDuration(formatDuration(x))
// === x for every finite non-negative float, because canonical scenarios are
// written out as text and must reload to the very same numbers. That is why
// sub-second units divide (250 / 1000 is correctly rounded, 250 * 0.001 is not)
// and why formatting falls back to plain seconds whenever a nicer unit is not
// exact.

/** Seconds per unit, largest first (formatting prefers the largest exact unit). */
const DURATION_UNITS: ReadonlyArray<readonly [unit: string, seconds: number]> = [
  ['d', 86400],
  ['h', 3600],
  ['m', 60],
  ['s', 1],
];

/** A JS-style non-negative decimal, including the exponent form String(x) produces ("1e-7"). */
const NUMBER = String.raw`(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?`;
const DURATION_PART = new RegExp(`(${NUMBER})([a-zA-Zµ]+)?`, 'y');

/** Pattern for the JSON Schema (editors): one or more number+unit parts. */
export const DURATION_PATTERN = `^(?:${NUMBER}(?:ms|s|m|h|d))+$`;
/** Pattern for the JSON Schema (editors): number/unit, or `unlimited`. */
export const RATE_PATTERN = `^(?:${NUMBER}/(?:s|min|h)|unlimited)$`;

const DURATION_EXPECTED = 'expected a duration with a unit such as "5s" or "10m"';
const DURATION_UNIT_LIST = 'ms, s, m (minutes), h or d';

/** The value, or a plain-message error saying what was expected, what was found and why. */
function orThrow(result: number | string, expected: string, text: string): number {
  if (typeof result === 'string') throw new Error(`${expected}, found ${JSON.stringify(text)} (${result})`);
  return result;
}

/** Parses "10m", "250ms", "1.5h" or "1m30s" into seconds. Throws with a plain message. */
export function parseDuration(text: string): number {
  return orThrow(tryParseDuration(text), DURATION_EXPECTED, text);
}

/** Seconds, or a short reason why `text` is not a duration (for callers that phrase their own message). */
export function tryParseDuration(text: string): number | string {
  const source = text.trim();
  let result = scanDuration(source);
  if (typeof result === 'string' && /\s/.test(source)) {
    // Diagnose "10 minutes" by its unit rather than by its space, unless the space is the only problem.
    const squeezed = scanDuration(source.replace(/\s+/g, ''));
    result = typeof squeezed === 'number' ? 'write the number and unit without a space, e.g. "10m"' : squeezed;
  }
  return result;
}

/** Seconds, or why the text is not a duration. */
function scanDuration(source: string): number | string {
  if (source === '') return 'empty';
  if (source.startsWith('-')) return 'durations cannot be negative';
  let seconds = 0;
  for (let pos = 0; pos < source.length; ) {
    DURATION_PART.lastIndex = pos;
    const match = DURATION_PART.exec(source);
    if (!match) return `cannot read "${source.slice(pos)}"`;
    const [whole, number, unit] = match;
    if (unit === undefined) return `a unit is required: ${DURATION_UNIT_LIST}`;
    const size = unitSeconds(unit);
    if (size === undefined) return `unknown unit "${unit}"; units are ${DURATION_UNIT_LIST}`;
    // Dividing by 1000 is correctly rounded where multiplying by 0.001 is not (250ms must be exactly 0.25).
    seconds += unit === 'ms' ? Number(number) / 1000 : Number(number) * size;
    pos += whole.length;
  }
  return Number.isFinite(seconds) ? seconds : 'too large';
}

function unitSeconds(unit: string): number | undefined {
  if (unit === 'ms') return 0.001;
  return DURATION_UNITS.find(([name]) => name === unit)?.[1];
}

/** Formats seconds so that parseDuration gives back exactly the same number. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new Error(`cannot format ${seconds} as a duration (expected a finite number >= 0)`);
  }
  if (seconds === 0) return '0s';
  const candidates = [
    ...DURATION_UNITS.filter(([, size]) => size > 1).map(([unit, size]) => `${seconds / size}${unit}`),
    ...(seconds > 0 && seconds < 1 ? [`${seconds * 1000}ms`] : []),
  ];
  for (const text of candidates) {
    // Only a whole number of a bigger unit reads better than seconds ("90m", not "1.5h" or "0.0625d").
    const count = Number.parseFloat(text);
    if (Number.isSafeInteger(count) && parseDuration(text) === seconds) return text;
  }
  return `${seconds}s`;
}

const RATE_UNITS: ReadonlyArray<readonly [unit: string, seconds: number]> = [
  ['s', 1],
  ['min', 60],
  ['h', 3600],
];
const RATE = new RegExp(`^(${NUMBER})/([a-zA-Z]+)$`);
const RATE_EXPECTED = 'expected a rate such as "2000/s", "1200/min" or "72000/h", or "unlimited"';

/** Parses "20000/s", "1200/min", "72000/h" or "unlimited" into events per second. Throws with a plain message. */
export function parseRate(text: string): number {
  return orThrow(tryParseRate(text), RATE_EXPECTED, text);
}

/** Events per second, or a short reason why `text` is not a rate. */
export function tryParseRate(text: string): number | string {
  const source = text.trim();
  if (source === 'unlimited') return Infinity;
  if (source === '') return 'empty';
  if (source.startsWith('-')) return 'rates cannot be negative';
  const match = RATE.exec(source);
  if (!match) {
    if (/^[\d.eE+]+$/.test(source)) return 'a unit is required: /s, /min or /h';
    return /\s/.test(source) ? 'write it without spaces, e.g. "2000/s"' : 'not of the form NUMBER/UNIT';
  }
  const [, number, unit] = match;
  const entry = RATE_UNITS.find(([name]) => name === unit);
  if (!entry) return `unknown unit "/${unit}"; units are /s, /min, /h${unit === 'm' ? ' (per minute is /min)' : ''}`;
  const perSecond = Number(number) / entry[1];
  return Number.isFinite(perSecond) ? perSecond : 'too large';
}

/** Formats events per second so that parseRate gives back exactly the same number. */
export function formatRate(perSecond: number): string {
  if (perSecond === Infinity) return 'unlimited';
  if (!Number.isFinite(perSecond) || perSecond < 0) {
    throw new Error(`cannot format ${perSecond} as a rate (expected a number >= 0 or Infinity)`);
  }
  if (Number.isInteger(perSecond)) return `${perSecond}/s`;
  // A fractional per-second rate often reads better per minute or hour (20/min rather than 0.333.../s).
  for (const [unit, size] of RATE_UNITS.slice(1)) {
    const text = `${perSecond * size}/${unit}`;
    if (Number.isSafeInteger(perSecond * size) && parseRate(text) === perSecond) return text;
  }
  return `${perSecond}/s`;
}
