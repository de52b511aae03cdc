// Text formats of batch outputs: CSV (RFC 4180), Markdown tables, numbers.
// Numbers in CSV and JSON keep every digit (JavaScript's shortest round-trip
// form); Markdown rounds for reading.
import { metricNamed } from '../gate/assertions.ts';
import type { Failure } from './aggregate.ts';
import type { SampleStats } from './stats.ts';

export type Cell = string | number | null | undefined;

export function csv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\n') + '\n';
}

function csvCell(cell: Cell): string {
  if (cell === null || cell === undefined) return '';
  const text = String(cell);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Text on one line: a folded assertion, or a label with a newline (a table row or a terminal line would break). */
export function oneLine(text: string): string {
  return text.replace(/\s*\r?\n\s*/g, ' ');
}

export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const escape = (s: string) => oneLine(s).replaceAll('|', '\\|');
  const line = (cells: readonly string[]) => `| ${cells.map(escape).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n') + '\n';
}

/** Four significant digits below 1000, whole numbers above; '–' for no value. */
export function num(x: number | null | undefined): string {
  if (x === null || x === undefined) return '–';
  if (Number.isInteger(x)) return String(x);
  if (Math.abs(x) >= 1000) return String(Math.round(x));
  return String(Number(x.toPrecision(4)));
}

/** ` s` for times, `/s` for rates, '' for counts and ratios: as the gate's catalogue says, or by the summary field's name. */
export function unitOf(metric: string): string {
  const unit = metricNamed(metric)?.unit;
  if (unit === 'duration' || /^(recovery|reconnectTime|downtime)\.|Wait$/.test(metric)) return ' s';
  if (unit === 'rate' || /PerSec$/.test(metric)) return '/s';
  return '';
}

/**
 * A difference to a reference with its unit and in percent of the reference:
 * `+200 s (+25.0 %)`; no percent of a reference of 0.
 */
export function delta(diff: number, reference: number, unit: string): string {
  const sign = (x: number) => (x > 0 || Object.is(x, 0) ? '+' : x < 0 ? '-' : '');
  const share = Math.abs((100 * diff) / Math.abs(reference));
  // One decimal, except below 1 %, where two significant digits keep a small difference from reading as 0.0 %.
  const shown = share >= 1 || share === 0 ? share.toFixed(1) : String(Number(share.toPrecision(2)));
  const percent = reference === 0 ? '' : ` (${sign(diff)}${shown} %)`;
  return `${sign(diff)}${num(Math.abs(diff))}${unit}${percent}`;
}

export function interval(ci: readonly [number, number] | null): string {
  return ci === null ? '–' : `[${num(ci[0])}, ${num(ci[1])}]`;
}

/**
 * `812.4 ± 22.3` (mean ± half-width of the 95 % interval); `0.1 (-0.1/+0.2262)`
 * when the interval was cut at the quantity's floor (stats.ts `describe`) and
 * is no longer symmetric: a "±" would claim the part below the floor again.
 */
export function meanPlusMinus(s: SampleStats): string {
  if (s.mean === null) return '–';
  if (s.ci95 === null) return num(s.mean);
  const below = s.mean - s.ci95[0];
  const above = s.ci95[1] - s.mean;
  if (num(below) === num(above)) return `${num(s.mean)} ± ${num(above)}`;
  return `${num(s.mean)} (-${num(below)}/+${num(above)})`;
}

/** A file name for a metric or parameter path: keeps letters, digits, dot, dash and underscore. */
export function fileSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_');
}

/** JSON as written to result files: two-space indent, trailing newline. */
export function jsonFile(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** The failed jobs, each with the command that reproduces it; '' when none failed. */
export function failuresMarkdown(failures: readonly Failure[]): string {
  if (failures.length === 0) return '';
  return [
    `## Failed jobs (${failures.length})\n`,
    ...failures.map(
      (f) =>
        `- job ${f.jobId}, ${f.label}, replication ${f.replication}, seed ${f.seed}: ${f.error.name}: ${f.error.message}\n` +
        `  reproduce: \`${f.reproduce}\``,
    ),
    '',
  ].join('\n');
}

/** A number as JSON holds it exactly: ±Infinity and NaN, which JSON has not, as their names. */
export type JsonNumber = number | 'Infinity' | '-Infinity' | 'NaN' | null;

export function toJsonNumber(x: number | null): JsonNumber {
  if (x === null || Number.isFinite(x)) return x;
  return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
}

export function fromJsonNumber(x: JsonNumber | undefined): number | null {
  if (x === undefined || x === null) return null;
  return typeof x === 'string' ? Number(x) : x;
}
