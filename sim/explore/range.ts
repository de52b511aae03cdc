// One explored field of `stampede explore` (docs/explore.md): its range as
// written in the scenario (`1m..30m`, `60s..3600s`, `100000..5000000`,
// `round-robin|weighted-least-connection`), how a value is drawn from it,
// where the midpoint of two values lies (bisection), and how a value is
// written back as the `--set` text the loader reads.
import { formatDuration, formatRate, tryParseDuration, tryParseRate } from '../scenario/units.ts';

export type RangeScale = 'duration' | 'rate' | 'integer' | 'number';

export type ExploreRange =
  | { path: string; kind: 'numeric'; scale: RangeScale; min: number; max: number; log: boolean }
  | { path: string; kind: 'choice'; choices: string[] };

/** A range's text, parsed; a string says what is wrong with it. */
export function parseRange(path: string, text: string): ExploreRange | string {
  const trimmed = text.trim();
  if (trimmed.includes('|')) {
    const choices = trimmed.split('|').map((c) => c.trim());
    if (choices.some((c) => c === '')) return `a choice list is "a|b|c" with no empty choice, found ${JSON.stringify(text)}`;
    if (new Set(choices).size !== choices.length) return `a choice is listed twice in ${JSON.stringify(text)}`;
    return { path, kind: 'choice', choices };
  }
  const parts = trimmed.split('..');
  if (parts.length !== 2) return `expected a range "A..B" (e.g. 1m..30m) or choices "a|b|c", found ${JSON.stringify(text)}`;
  const [lo, hi] = parts.map((p) => p.trim());
  const read = readEndpoints(lo, hi);
  if (typeof read === 'string') return read;
  const { scale, min, max } = read;
  if (!(min < max)) return `the range must go from a smaller to a larger value, found ${JSON.stringify(text)}`;
  // A range over an order of magnitude or more is searched evenly in its logarithm.
  return { path, kind: 'numeric', scale, min, max, log: min > 0 && max / min >= 10 };
}

function readEndpoints(lo: string, hi: string): { scale: RangeScale; min: number; max: number } | string {
  const both = (read: (t: string) => number | string) => [read(lo), read(hi)];
  if (/[a-z]$/i.test(lo) && /[a-z]$/i.test(hi) && !lo.includes('/')) {
    const [a, b] = both(tryParseDuration);
    if (typeof a === 'string' || typeof b === 'string') return `expected two durations such as 1m..30m: ${typeof a === 'string' ? a : b}`;
    return { scale: 'duration', min: a, max: b };
  }
  if (lo.includes('/') || hi.includes('/')) {
    const [a, b] = both(tryParseRate);
    if (typeof a === 'string' || typeof b === 'string') return `expected two rates such as 1000/s..20000/s: ${typeof a === 'string' ? a : b}`;
    return { scale: 'rate', min: a, max: b };
  }
  const [a, b] = [Number(lo), Number(hi)];
  if (lo === '' || hi === '' || !Number.isFinite(a) || !Number.isFinite(b)) {
    return `expected two numbers, durations (1m..30m) or rates (1000/s..20000/s), found ${JSON.stringify(`${lo}..${hi}`)}`;
  }
  return { scale: Number.isInteger(a) && Number.isInteger(b) ? 'integer' : 'number', min: a, max: b };
}

/** The value of `range` at position u in [0, 1] (evenly in the value, or in its logarithm). */
export function valueAt(range: ExploreRange & { kind: 'numeric' }, u: number): number {
  const value = range.log ? range.min * (range.max / range.min) ** u : range.min + u * (range.max - range.min);
  return snap(range, value);
}

/** Where `value` lies in the range, in [0, 1] (the inverse of `valueAt`). */
export function positionOf(range: ExploreRange & { kind: 'numeric' }, value: number): number {
  return range.log ? Math.log(value / range.min) / Math.log(range.max / range.min) : (value - range.min) / (range.max - range.min);
}

/** Values as the loader takes them: whole numbers for integers, durations to the millisecond. */
function snap(range: ExploreRange & { kind: 'numeric' }, value: number): number {
  const clamped = Math.min(range.max, Math.max(range.min, value));
  if (range.scale === 'integer') return Math.round(clamped);
  if (range.scale === 'duration') return Math.round(clamped * 1000) / 1000;
  return Number(clamped.toPrecision(6));
}

/** The `--set` text of a value. */
export function formatValue(range: ExploreRange, value: number | string): string {
  if (range.kind === 'choice') return String(value);
  const n = value as number;
  if (range.scale === 'duration') return formatDuration(n);
  if (range.scale === 'rate') return formatRate(n);
  return String(n);
}

/** The range as a scenario file writes it (the canonical scenario writes it back). */
export function rangeText(range: ExploreRange): string {
  if (range.kind === 'choice') return range.choices.join('|');
  return `${formatValue(range, range.min)}..${formatValue(range, range.max)}`;
}
