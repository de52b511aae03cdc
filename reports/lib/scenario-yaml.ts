// The resolved scenario as YAML, for the report page. A scenario is block mappings and sequences of
// plain words, durations and numbers: written here in a few microseconds, where the yaml library's
// stringify, whose code a run never warms, took ~5 ms of a small run's report. Anything outside
// those simple cases goes to the library, so the page says exactly what `stringify` would
// (test/scenario-yaml.test.ts holds the two to that on every shipped scenario and on random values).
import { stringify } from 'yaml';

/** `value` as `stringify(value, { lineWidth: 0 })` writes it. */
export function scenarioYaml(value: unknown): string {
  return simpleYaml(value) ?? stringify(value, { lineWidth: 0 });
}

/** What the YAML 1.2 core schema reads as something other than a string: such a string must be quoted. */
const NOT_A_STRING = [
  /^(?:~|[Nn]ull|NULL)?$/,
  /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/,
  /^[-+]?[0-9]+$/,
  /^0o[0-7]+$/,
  /^0x[0-9a-fA-F]+$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/,
  /^[-+]?\.(?:inf|Inf|INF)$/,
  /^\.(?:nan|NaN|NAN)$/,
];
/** Words, durations, names and sentences with no character YAML gives a meaning (no `:`, `#`, quotes, brackets, a leading `-`). */
const PLAIN = /^[A-Za-z0-9_][A-Za-z0-9_ .,()/%+-]*$/;

/** A scalar as the library writes it, or null when it is not one of the simple cases. */
function scalar(value: unknown): string | null {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return !Number.isFinite(value) ? null : Object.is(value, -0) ? '-0' : String(value);
  if (typeof value !== 'string') return null;
  // A number written as a string (an MCC as a mapping key): the library quotes it with double quotes.
  if (/^[0-9]+$/.test(value)) return `"${value}"`;
  if (!PLAIN.test(value) || value.endsWith(' ') || value.includes('  ') || NOT_A_STRING.some((pattern) => pattern.test(value))) return null;
  return value;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

/** The document, or null if any part of it is not a simple case. */
function simpleYaml(value: unknown): string | null {
  const lines: string[] = [];
  if (isMapping(value) && Object.keys(value).length > 0) return mapping(value, '', lines) ? `${lines.join('\n')}\n` : null;
  if (Array.isArray(value) && value.length > 0) return sequence(value, '', lines) ? `${lines.join('\n')}\n` : null;
  return null;
}

/** A node after `key:` or `- `: inline (a scalar, `{}` or `[]`) or null if it needs lines of its own. */
function inline(value: unknown): string | null {
  if (isMapping(value)) return Object.keys(value).length === 0 ? '{}' : null;
  if (Array.isArray(value)) return value.length === 0 ? '[]' : null;
  return scalar(value);
}

/** Lines of a non-empty mapping at `indent`; the first may be given its start (`- ` of a sequence item). */
function mapping(map: Record<string, unknown>, indent: string, lines: string[], firstStart = indent): boolean {
  let first = true;
  for (const [key, value] of Object.entries(map)) {
    const name = scalar(key);
    if (name === null || value === undefined) return false;
    const start = first ? firstStart : indent;
    first = false;
    const shown = inline(value);
    if (shown !== null) lines.push(`${start}${name}: ${shown}`);
    else if (isMapping(value)) {
      lines.push(`${start}${name}:`);
      if (!mapping(value, `${indent}  `, lines)) return false;
    } else if (Array.isArray(value)) {
      lines.push(`${start}${name}:`);
      if (!sequence(value, `${indent}  `, lines)) return false;
    } else return false;
  }
  return true;
}

/** Lines of a non-empty sequence at `indent`. */
function sequence(items: readonly unknown[], indent: string, lines: string[]): boolean {
  for (const item of items) {
    const shown = inline(item);
    if (shown !== null) lines.push(`${indent}- ${shown}`);
    else if (isMapping(item)) {
      if (!mapping(item, `${indent}  `, lines, `${indent}- `)) return false;
    } else {
      // A sequence in a sequence, or a value that is no scalar: the library's.
      return false;
    }
  }
  return true;
}
