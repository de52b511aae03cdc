// A small declarative schema kit, and the scenario file format written with it.
//
// One definition per field gives its validation (collecting every problem, not
// just the first), its resolved value with defaults filled in, its canonical
// textual form (durations and rates that round-trip exactly) and its JSON
// Schema for editors. That single source is why this is hand-written rather
// than zod + ajv: those would need the units, defaults and docs stated twice.
//
// Nodes only see plain values (what `yaml` gives from `toJS()`); mapping a
// problem's path back to a line and column is the loader's business.

import {
  DURATION_PATTERN,
  RATE_PATTERN,
  formatDuration,
  formatRate,
  tryParseDuration,
  tryParseRate,
} from './units.ts';

// ---------------------------------------------------------------------------
// Paths and problems

export type PathSegment = string | number;
export type Path = readonly PathSegment[];

/** What a problem points at in the source: the bad value, the offending key, or the mapping that lacks a key. */
export type Anchor = 'value' | 'key' | 'parent';

export interface Problem {
  path: Path;
  message: string;
  anchor: Anchor;
  severity: 'error' | 'warning';
  /** For a problem inside a one-line string value (a gate assertion): the 0-based character it is at. */
  index?: number;
}

export class Problems {
  readonly list: Problem[] = [];

  error(path: Path, message: string, anchor: Anchor = 'value'): void {
    this.list.push({ path, message, anchor, severity: 'error' });
  }

  warn(path: Path, message: string, anchor: Anchor = 'value'): void {
    this.list.push({ path, message, anchor, severity: 'warning' });
  }

  get hasErrors(): boolean {
    return this.list.some((p) => p.severity === 'error');
  }
}

/** `client.backoff.max`, `faults[1].at`, `population.mcc.450`; the root is "". */
export function formatPath(path: Path): string {
  let text = '';
  for (const segment of path) {
    text += typeof segment === 'number' ? `[${segment}]` : text === '' ? segment : `.${segment}`;
  }
  return text;
}

/** How a raw value is named in "found ..." messages. */
export function describeValue(raw: unknown): string {
  if (raw === null || raw === undefined) return 'an empty value';
  if (typeof raw === 'string') return JSON.stringify(raw);
  if (Array.isArray(raw)) return 'a list';
  if (typeof raw === 'object') return 'a mapping';
  return String(raw);
}

export function isRecord(raw: unknown): raw is Record<string, unknown> {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw);
}

// ---------------------------------------------------------------------------
// Suggestions

/** Edit distance counting a swap of two neighbouring letters as one edit ("korae" → "korea"). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/** The candidate closest to `word`, if it is close enough to be a plausible typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    // Case slips ("requesttimeout") count as one edit, not one per letter.
    const distance = Math.min(
      editDistance(word, candidate),
      editDistance(word.toLowerCase(), candidate.toLowerCase()) + 1,
    );
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return bestDistance <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

/** ` (did you mean "x"?)` or "". */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const match = closest(word, candidates);
  return match === undefined ? '' : ` (did you mean "${match}"?)`;
}

// ---------------------------------------------------------------------------
// Nodes

/** Marks a value that could not be read; its problems are already recorded. */
export const INVALID: unique symbol = Symbol('invalid');
export type Parsed<T> = T | typeof INVALID;

export type JsonSchema = { [key: string]: unknown };

interface NodeOptions<T> {
  /** One line for editors and error messages. */
  doc: string;
  default?: T;
}

interface Check<T> {
  run(value: T, path: Path, problems: Problems): void;
}

export abstract class Node<T> {
  readonly doc: string;
  /** Wrapped in an object so that a default of `null` is still a default. */
  readonly fallback: { value: T } | undefined;
  /** Other spellings a wrapper accepts (`"never"`, `null`), named in "expected ..." messages. */
  readonly alternatives: string[] = [];
  /** Keywords among the alternatives, offered as "did you mean" suggestions. */
  readonly keywords: string[] = [];
  private readonly checks: Check<T>[] = [];

  /** Noun phrase for messages: `expected ${expected}, found ...`. */
  abstract readonly expected: string;

  constructor(options: NodeOptions<T>) {
    this.doc = options.doc;
    this.fallback = 'default' in options ? { value: options.default as T } : undefined;
  }

  /** Reads a raw value, recording every problem; INVALID if the value cannot be used. */
  parse(raw: unknown, path: Path, problems: Problems): Parsed<T> {
    const value = this.read(raw, path, problems);
    if (value !== INVALID) for (const check of this.checks) check.run(value, path, problems);
    return value;
  }

  /** Adds a cross-field check, run once the value itself has been read. */
  refine(run: (value: T, path: Path, problems: Problems) => void): this {
    this.checks.push({ run });
    return this;
  }

  /** The canonical plain form of a resolved value: what a scenario file would say. */
  abstract toRaw(value: T): unknown;

  jsonSchema(): JsonSchema {
    const schema: JsonSchema = { ...this.typeSchema(), description: this.doc };
    if (this.fallback) schema.default = this.toRaw(this.fallback.value);
    return schema;
  }

  /** The node for one segment of an override path (`--set a.b.0.c=...`), if the schema has one. */
  child(_segment: string): Node<unknown> | undefined {
    return undefined;
  }

  /** Field names known below this node, for "did you mean" on override paths. */
  childNames(): string[] {
    return [];
  }

  /** What kind of container a raw value of this node is, so an override can create a missing one. */
  get shape(): 'list' | 'mapping' | 'scalar' {
    return 'scalar';
  }

  protected abstract read(raw: unknown, path: Path, problems: Problems): Parsed<T>;

  protected abstract typeSchema(): JsonSchema;

  /** Records "expected X, found Y" (with the accepted alternatives and any likely keyword). */
  protected mismatch(raw: unknown, path: Path, problems: Problems, why?: string): typeof INVALID {
    const alternatives = this.alternatives.map((a) => `, or ${a}`).join('');
    const hint = typeof raw === 'string' ? didYouMean(raw, this.keywords) : '';
    const detail = hint !== '' ? hint : why === undefined ? '' : ` (${why})`;
    problems.error(path, `expected ${this.expected}${alternatives}, found ${describeValue(raw)}${detail}`);
    return INVALID;
  }
}

/** The resolved type a node produces. */
export type Out<N> = N extends Node<infer T> ? T : never;

// --- bounds, shared by the numeric-like nodes

interface Bounds {
  min?: number;
  max?: number;
  /** The minimum itself is not allowed (`> 0` rather than `>= 0`). */
  exclusiveMin?: boolean;
}

function outOfBounds(value: number, { min, max, exclusiveMin }: Bounds): boolean {
  if (min !== undefined && (exclusiveMin ? value <= min : value < min)) return true;
  return max !== undefined && value > max;
}

function describeBounds({ min, max, exclusiveMin }: Bounds, show: (n: number) => string = String): string {
  if (min !== undefined && max !== undefined) {
    return exclusiveMin ? `in (${show(min)}, ${show(max)}]` : `between ${show(min)} and ${show(max)}`;
  }
  if (min !== undefined) return `${exclusiveMin ? '>' : '>='} ${show(min)}`;
  if (max !== undefined) return `<= ${show(max)}`;
  return '';
}

function boundsSchema({ min, max, exclusiveMin }: Bounds): JsonSchema {
  const schema: JsonSchema = {};
  if (min !== undefined) schema[exclusiveMin ? 'exclusiveMinimum' : 'minimum'] = min;
  if (max !== undefined) schema.maximum = max;
  return schema;
}

function withBounds(noun: string, bounds: Bounds, show?: (n: number) => string): string {
  const range = describeBounds(bounds, show);
  return range === '' ? noun : `${noun} ${range}`;
}

// --- scalars

/** The shortest duration that must be positive (a timeout, a period): shorter ones stall the clock. */
export const MIN_POSITIVE_DURATION = 0.001;

class DurationNode extends Node<number> {
  readonly expected = 'a duration with a unit such as "5s" or "10m"';

  constructor(
    options: NodeOptions<number>,
    private readonly bounds: Bounds,
  ) {
    super(options);
  }

  protected read(raw: unknown, path: Path, problems: Problems): Parsed<number> {
    if (typeof raw !== 'string') return this.mismatch(raw, path, problems);
    const seconds = tryParseDuration(raw);
    if (typeof seconds === 'string') return this.mismatch(raw, path, problems, seconds);
    if (outOfBounds(seconds, this.bounds)) {
      const bounds = describeBounds(this.bounds, formatDuration);
      problems.error(path, `expected a duration ${bounds}, found ${describeValue(raw)}`);
      return INVALID;
    }
    // A period of 1e-300s never lets the clock move on (t + d === t): the run would never end.
    if (this.bounds.exclusiveMin && this.bounds.min === 0 && seconds < MIN_POSITIVE_DURATION) {
      problems.error(path, `expected a duration of at least ${formatDuration(MIN_POSITIVE_DURATION)}, found ${describeValue(raw)} (shorter would make the run take forever)`);
      return INVALID;
    }
    return seconds;
  }

  toRaw(value: number): unknown {
    return formatDuration(value);
  }

  protected typeSchema(): JsonSchema {
    return { type: 'string', pattern: DURATION_PATTERN };
  }
}

/** A duration such as "10m"; `min` defaults to 0. The default is written as text ("50ms"). */
export function duration(options: { doc: string; default?: string } & Bounds): Node<number> {
  const { doc, default: fallback, ...bounds } = options;
  const resolved = fallback === undefined ? {} : { default: parseDefault(tryParseDuration(fallback), fallback) };
  return new DurationNode({ doc, ...resolved }, { min: 0, ...bounds });
}

function parseDefault(result: number | string, text: string): number {
  if (typeof result === 'string') throw new Error(`bad default ${JSON.stringify(text)} in the schema: ${result}`);
  return result;
}

class RateNode extends Node<number> {
  readonly expected: string;

  constructor(
    options: NodeOptions<number>,
    private readonly bounds: Bounds,
    private readonly unlimited: boolean,
  ) {
    super(options);
    this.expected = `a rate such as "2000/s", "1200/min" or "72000/h"${unlimited ? ', or "unlimited"' : ''}`;
  }

  protected read(raw: unknown, path: Path, problems: Problems): Parsed<number> {
    if (typeof raw !== 'string') return this.mismatch(raw, path, problems);
    const perSecond = tryParseRate(raw);
    if (typeof perSecond === 'string') return this.mismatch(raw, path, problems, perSecond);
    if (perSecond === Infinity && !this.unlimited) {
      return this.mismatch(raw, path, problems, 'this rate cannot be unlimited');
    }
    if (outOfBounds(perSecond, this.bounds)) {
      problems.error(path, `expected a rate ${describeBounds(this.bounds, formatRate)}, found ${describeValue(raw)}`);
      return INVALID;
    }
    return perSecond;
  }

  toRaw(value: number): unknown {
    return formatRate(value);
  }

  protected typeSchema(): JsonSchema {
    const pattern = this.unlimited ? RATE_PATTERN : RATE_PATTERN.replace('|unlimited', '');
    return { type: 'string', pattern };
  }
}

/** Events per second written as "2000/s", "1200/min" or "72000/h"; `unlimited` (Infinity) only if allowed. */
export function rate(options: { doc: string; default?: string; unlimited?: boolean } & Bounds): Node<number> {
  const { doc, default: fallback, unlimited = false, ...bounds } = options;
  const resolved = fallback === undefined ? {} : { default: parseDefault(tryParseRate(fallback), fallback) };
  return new RateNode({ doc, ...resolved }, { min: 0, ...bounds }, unlimited);
}

class NumberNode extends Node<number> {
  readonly expected: string;

  constructor(
    options: NodeOptions<number>,
    private readonly bounds: Bounds,
    private readonly integer: boolean,
  ) {
    super(options);
    this.expected = withBounds(integer ? 'an integer' : 'a number', bounds);
  }

  protected read(raw: unknown, path: Path, problems: Problems): Parsed<number> {
    const valid = this.integer ? Number.isSafeInteger(raw) : typeof raw === 'number' && Number.isFinite(raw);
    if (!valid || outOfBounds(raw as number, this.bounds)) return this.mismatch(raw, path, problems);
    return raw as number;
  }

  toRaw(value: number): unknown {
    return value;
  }

  protected typeSchema(): JsonSchema {
    return { type: this.integer ? 'integer' : 'number', ...boundsSchema(this.bounds) };
  }
}

export function integer(options: NodeOptions<number> & Bounds): Node<number> {
  const { min, max, exclusiveMin, ...rest } = options;
  return new NumberNode(rest, { min, max, exclusiveMin }, true);
}

export function number(options: NodeOptions<number> & Bounds): Node<number> {
  const { min, max, exclusiveMin, ...rest } = options;
  return new NumberNode(rest, { min, max, exclusiveMin }, false);
}

/** A number in [0, 1], or (0, 1] when zero would be meaningless. */
export function probability(options: NodeOptions<number> & { allowZero?: boolean }): Node<number> {
  const { allowZero = true, ...rest } = options;
  return new NumberNode(rest, { min: 0, max: 1, exclusiveMin: !allowZero }, false);
}

class BooleanNode extends Node<boolean> {
  readonly expected = 'true or false';

  protected read(raw: unknown, path: Path, problems: Problems): Parsed<boolean> {
    return typeof raw === 'boolean' ? raw : this.mismatch(raw, path, problems);
  }

  toRaw(value: boolean): unknown {
    return value;
  }

  protected typeSchema(): JsonSchema {
    return { type: 'boolean' };
  }
}

export function boolean(options: NodeOptions<boolean>): Node<boolean> {
  return new BooleanNode(options);
}

class EnumNode<V extends string> extends Node<V> {
  readonly expected: string;

  constructor(
    options: NodeOptions<V>,
    private readonly values: readonly V[],
    private readonly aliases: Readonly<Record<string, V>>,
  ) {
    super(options);
    const names = values.map((v) => JSON.stringify(v)).join(', ');
    const aliasNames = Object.keys(aliases);
    this.expected = `one of ${names}${aliasNames.length > 0 ? ` (aliases: ${aliasNames.join(', ')})` : ''}`;
    this.keywords.push(...values, ...aliasNames);
  }

  protected read(raw: unknown, path: Path, problems: Problems): Parsed<V> {
    if (typeof raw === 'string') {
      const value = this.values.find((v) => v === raw) ?? (Object.hasOwn(this.aliases, raw) ? this.aliases[raw] : undefined);
      if (value !== undefined) return value;
    }
    return this.mismatch(raw, path, problems);
  }

  toRaw(value: V): unknown {
    return value;
  }

  protected typeSchema(): JsonSchema {
    return { enum: [...this.values, ...Object.keys(this.aliases)] };
  }
}

/** One of `values`; an alias is accepted and resolved to the value it names. */
export function oneOf<const V extends string>(
  values: readonly V[],
  options: NodeOptions<V> & { aliases?: Record<string, V> },
): Node<V> {
  const { aliases = {}, ...rest } = options;
  return new EnumNode(rest, values, aliases);
}

class StringNode extends Node<string> {
  readonly expected: string;

  constructor(
    options: NodeOptions<string>,
    private readonly pattern: RegExp | undefined,
    patternDoc: string | undefined,
  ) {
    super(options);
    this.expected = patternDoc ?? 'a string';
  }

  protected read(raw: unknown, path: Path, problems: Problems): Parsed<string> {
    if (typeof raw !== 'string') return this.mismatch(raw, path, problems);
    if (this.pattern && !this.pattern.test(raw)) return this.mismatch(raw, path, problems);
    return raw;
  }

  toRaw(value: string): unknown {
    return value;
  }

  protected typeSchema(): JsonSchema {
    return this.pattern ? { type: 'string', pattern: this.pattern.source } : { type: 'string' };
  }
}

/** A string; with `pattern`, `patternDoc` says in words what it must look like. */
export function string(options: NodeOptions<string> & { pattern?: RegExp; patternDoc?: string }): Node<string> {
  const { pattern, patternDoc, ...rest } = options;
  return new StringNode(rest, pattern, patternDoc);
}

// --- wrappers

/** A node that accepts what `inner` accepts and more: fields and shape are the inner node's. */
abstract class WrapperNode<T, W> extends Node<W> {
  readonly expected: string;

  constructor(
    options: NodeOptions<W>,
    protected readonly inner: Node<T>,
  ) {
    super(options);
    this.expected = inner.expected;
  }

  override child(segment: string): Node<unknown> | undefined {
    return this.inner.child(segment);
  }

  override childNames(): string[] {
    return this.inner.childNames();
  }

  override get shape() {
    return this.inner.shape;
  }
}

class KeywordNode<T, K> extends WrapperNode<T, T | K> {
  constructor(
    options: NodeOptions<T | K>,
    inner: Node<T>,
    private readonly keyword: string,
    private readonly value: K,
  ) {
    super(options, inner);
    // The inner node phrases the messages, so it must know that the keyword is also accepted.
    inner.alternatives.push(JSON.stringify(keyword));
    inner.keywords.push(keyword);
  }

  protected read(raw: unknown, path: Path, problems: Problems): Parsed<T | K> {
    return raw === this.keyword ? this.value : this.inner.parse(raw, path, problems);
  }

  toRaw(value: T | K): unknown {
    return value === this.value ? this.keyword : this.inner.toRaw(value as T);
  }

  protected typeSchema(): JsonSchema {
    return { anyOf: [this.inner.jsonSchema(), { const: this.keyword }] };
  }
}

/** `inner`, or the word `keyword` standing for `value` (`never` → null, `unlimited` → Infinity, `all`). */
export function orKeyword<T, const K>(
  inner: Node<T>,
  keyword: string,
  value: K,
  options: NodeOptions<T | K>,
): Node<T | K> {
  return new KeywordNode(options, inner, keyword, value);
}

class NullableNode<T> extends WrapperNode<T, T | null> {
  constructor(options: NodeOptions<T | null>, inner: Node<T>) {
    super(options, inner);
    inner.alternatives.push('null');
  }

  protected read(raw: unknown, path: Path, problems: Problems): Parsed<T | null> {
    return raw === null ? null : this.inner.parse(raw, path, problems);
  }

  toRaw(value: T | null): unknown {
    return value === null ? null : this.inner.toRaw(value);
  }

  protected typeSchema(): JsonSchema {
    return { anyOf: [this.inner.jsonSchema(), { type: 'null' }] };
  }
}

/** `inner`, or null (an empty YAML value). */
export function nullable<T>(inner: Node<T>, options: NodeOptions<T | null>): Node<T | null> {
  return new NullableNode(options, inner);
}

// --- collections

class ListNode<T> extends Node<T[]> {
  readonly expected: string;

  constructor(
    options: NodeOptions<T[]>,
    private readonly item: Node<T>,
    private readonly minItems: number,
  ) {
    super(options);
    this.expected = minItems > 0 ? `a list of at least ${minItems} item${minItems > 1 ? 's' : ''}` : 'a list';
  }

  protected read(raw: unknown, path: Path, problems: Problems): Parsed<T[]> {
    if (!Array.isArray(raw) || raw.length < this.minItems) return this.mismatch(raw, path, problems);
    const items = raw.map((item, i) => this.item.parse(item, [...path, i], problems));
    return items.some((item) => item === INVALID) ? INVALID : (items as T[]);
  }

  toRaw(value: T[]): unknown {
    return value.map((item) => this.item.toRaw(item));
  }

  override child(segment: string): Node<unknown> | undefined {
    return /^\d+$/.test(segment) ? this.item : undefined;
  }

  override get shape() {
    return 'list' as const;
  }

  protected typeSchema(): JsonSchema {
    const schema: JsonSchema = { type: 'array', items: this.item.jsonSchema() };
    if (this.minItems > 0) schema.minItems = this.minItems;
    return schema;
  }
}

export function list<T>(item: Node<T>, options: NodeOptions<T[]> & { minItems?: number }): Node<T[]> {
  const { minItems = 0, ...rest } = options;
  return new ListNode(rest, item, minItems);
}

/** How a map's keys (always strings in YAML-as-JSON) are read and written. */
export interface MapKeys<K> {
  /** The key, or why it is not a valid one. */
  parse(text: string): K | { problem: string };
  format(key: K): string;
  /** For the JSON Schema's `propertyNames`. */
  pattern: string;
}

/** Keys that are field paths as `--set` takes them (`faults.0.duration`). */
export function fieldPaths(): MapKeys<string> {
  const pattern = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9]+)*$/;
  return {
    parse: (text) => (pattern.test(text) ? text : { problem: `expected a field path such as faults.0.duration, found ${JSON.stringify(text)}` }),
    format: (key) => key,
    pattern: pattern.source,
  };
}

/** Integer keys in [min, max], e.g. MCCs. */
export function integerKeys(min: number, max: number): MapKeys<number> {
  return {
    parse(text) {
      const value = /^\d+$/.test(text) ? Number(text) : NaN;
      return Number.isSafeInteger(value) && value >= min && value <= max
        ? value
        : { problem: `expected an integer key between ${min} and ${max}, found ${JSON.stringify(text)}` };
    },
    format: String,
    pattern: '^\\d+$',
  };
}

class MapNode<K, V> extends Node<Array<[K, V]>> {
  readonly expected: string;

  constructor(
    options: NodeOptions<Array<[K, V]>>,
    private readonly keys: MapKeys<K>,
    private readonly value: Node<V>,
    private readonly minEntries: number,
  ) {
    super(options);
    this.expected = minEntries > 0 ? 'a mapping with at least one entry' : 'a mapping';
  }

  protected read(raw: unknown, path: Path, problems: Problems): Parsed<Array<[K, V]>> {
    if (!isRecord(raw) || Object.keys(raw).length < this.minEntries) return this.mismatch(raw, path, problems);
    let valid = true;
    const entries: Array<[K, V]> = [];
    for (const [text, rawValue] of Object.entries(raw)) {
      const key = this.keys.parse(text);
      const value = this.value.parse(rawValue, [...path, text], problems);
      if (typeof key === 'object' && key !== null && 'problem' in key) {
        problems.error([...path, text], key.problem, 'key');
        valid = false;
      } else if (value === INVALID) {
        valid = false;
      } else {
        entries.push([key as K, value]);
      }
    }
    return valid ? entries : INVALID;
  }

  toRaw(entries: Array<[K, V]>): unknown {
    return Object.fromEntries(entries.map(([key, value]) => [this.keys.format(key), this.value.toRaw(value)]));
  }

  override child(_segment: string): Node<unknown> | undefined {
    return this.value;
  }

  override get shape() {
    return 'mapping' as const;
  }

  protected typeSchema(): JsonSchema {
    const schema: JsonSchema = {
      type: 'object',
      propertyNames: { pattern: this.keys.pattern },
      additionalProperties: this.value.jsonSchema(),
    };
    if (this.minEntries > 0) schema.minProperties = this.minEntries;
    return schema;
  }
}

/** A mapping with free keys (read by `keys`) and uniform values; resolves to entries in source order. */
export function map<K, V>(
  keys: MapKeys<K>,
  value: Node<V>,
  options: NodeOptions<Array<[K, V]>> & { minEntries?: number },
): Node<Array<[K, V]>> {
  const { minEntries = 0, ...rest } = options;
  return new MapNode(rest, keys, value, minEntries);
}

export type Shape = Record<string, Node<unknown>>;
export type ObjectOut<S extends Shape> = { [K in keyof S]: Out<S[K]> };

export class ObjectNode<S extends Shape> extends Node<ObjectOut<S>> {
  readonly expected: string;

  constructor(
    doc: string,
    readonly fields: S,
  ) {
    // A section whose every field has a default may be left out as a whole.
    const entries = Object.entries(fields);
    const complete = entries.every(([, field]) => field.fallback !== undefined);
    const fallback = Object.fromEntries(entries.map(([key, field]) => [key, field.fallback?.value]));
    super(complete ? { doc, default: fallback as ObjectOut<S> } : { doc });
    this.expected = `a mapping with fields ${Object.keys(fields).join(', ')}`;
  }

  protected read(raw: unknown, path: Path, problems: Problems): Parsed<ObjectOut<S>> {
    if (!isRecord(raw)) return this.mismatch(raw, path, problems);
    const known = Object.keys(this.fields);
    for (const key of Object.keys(raw)) {
      if (!Object.hasOwn(this.fields, key)) problems.error([...path, key], unknownField(key, known), 'key');
    }
    let valid = true;
    const result: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(this.fields)) {
      const value = this.readField(raw, key, field, path, problems);
      if (value === INVALID) valid = false;
      else result[key] = value;
    }
    return valid ? (result as ObjectOut<S>) : INVALID;
  }

  private readField(raw: Record<string, unknown>, key: string, field: Node<unknown>, path: Path, problems: Problems) {
    if (raw[key] !== undefined) return field.parse(raw[key], [...path, key], problems);
    // A copy, so that no two scenarios share (and could mutate) one default list.
    if (field.fallback) return structuredClone(field.fallback.value);
    problems.error([...path, key], `missing required field "${key}" (${field.doc})`, 'parent');
    return INVALID;
  }

  toRaw(value: ObjectOut<S>): unknown {
    return Object.fromEntries(Object.entries(this.fields).map(([key, field]) => [key, field.toRaw(value[key])]));
  }

  override child(segment: string): Node<unknown> | undefined {
    return Object.hasOwn(this.fields, segment) ? this.fields[segment] : undefined;
  }

  override childNames(): string[] {
    return Object.keys(this.fields);
  }

  override get shape() {
    return 'mapping' as const;
  }

  protected typeSchema(): JsonSchema {
    const entries = Object.entries(this.fields);
    const required = entries.filter(([, field]) => field.fallback === undefined).map(([key]) => key);
    return {
      type: 'object',
      properties: Object.fromEntries(entries.map(([key, field]) => [key, field.jsonSchema()])),
      ...(required.length > 0 ? { required } : {}),
      additionalProperties: false,
    };
  }
}

/** `unknown field "x" [where] (did you mean "y"?)`, or the known fields when none is close. */
export function unknownField(key: string, known: readonly string[], where?: string): string {
  const hint = didYouMean(key, known);
  const head = `unknown field "${key}"${where === undefined ? '' : ` ${where}`}`;
  if (hint === '' && known.length > 0) return `${head} (known fields: ${known.join(', ')})`;
  return `${head}${hint}`;
}

export function object<S extends Shape>(doc: string, fields: S): ObjectNode<S> {
  return new ObjectNode(doc, fields);
}

type Variants = Record<string, ObjectNode<Shape>>;
export type UnionOut<V extends Variants> = { [K in keyof V & string]: { kind: K } & Out<V[K]> }[keyof V & string];

class UnionNode<V extends Variants> extends Node<UnionOut<V>> {
  readonly expected: string;
  private readonly kinds: string[];

  constructor(
    doc: string,
    private readonly variants: V,
  ) {
    super({ doc });
    this.kinds = Object.keys(variants);
    this.expected = `a mapping with a "kind" field (${this.kinds.join(', ')})`;
  }

  protected read(raw: unknown, path: Path, problems: Problems): Parsed<UnionOut<V>> {
    if (!isRecord(raw)) return this.mismatch(raw, path, problems);
    const { kind, ...rest } = raw;
    const kinds = this.kinds.map((k) => JSON.stringify(k)).join(', ');
    if (kind === undefined) {
      problems.error([...path, 'kind'], `missing required field "kind" (one of ${kinds})`, 'parent');
      return INVALID;
    }
    if (typeof kind !== 'string' || !Object.hasOwn(this.variants, kind)) {
      const hint = typeof kind === 'string' ? didYouMean(kind, this.kinds) : '';
      problems.error([...path, 'kind'], `expected one of ${kinds}, found ${describeValue(kind)}${hint}`);
      return INVALID;
    }
    const value = this.variants[kind].parse(rest, path, problems);
    return value === INVALID ? INVALID : ({ kind, ...value } as UnionOut<V>);
  }

  toRaw(value: UnionOut<V>): unknown {
    const { kind, ...rest } = value as { kind: string } & Record<string, unknown>;
    const fields = this.variants[kind].toRaw(rest as ObjectOut<Shape>) as Record<string, unknown>;
    return { kind, ...fields };
  }

  override child(segment: string): Node<unknown> | undefined {
    // An override path is checked before the kind is known, so any variant's field will do.
    if (segment === 'kind') return oneOf(this.kinds, { doc: 'kind' });
    return Object.values(this.variants)
      .map((variant) => variant.child(segment))
      .find((node) => node !== undefined);
  }

  override childNames(): string[] {
    return [...new Set(['kind', ...Object.values(this.variants).flatMap((variant) => variant.childNames())])];
  }

  override get shape() {
    return 'mapping' as const;
  }

  protected typeSchema(): JsonSchema {
    return {
      type: 'object',
      required: ['kind'],
      oneOf: Object.entries(this.variants).map(([kind, variant]) => {
        const schema = variant.jsonSchema();
        const properties = schema.properties as Record<string, unknown>;
        const required = (schema.required ?? []) as string[];
        return {
          ...schema,
          properties: { kind: { const: kind }, ...properties },
          required: ['kind', ...required],
        };
      }),
    };
  }
}

/** One of several object shapes, chosen by the value of their `kind` field. */
export function union<V extends Variants>(doc: string, variants: V): Node<UnionOut<V>> {
  return new UnionNode(doc, variants);
}

// ---------------------------------------------------------------------------
// The scenario file format (defaults from docs/model.md)

const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;
const NAME_DOC = 'a name of lowercase letters, digits, "-" and "_" (starting with a letter or digit)';

const mcc = integer({ doc: 'mobile country code', min: 0, max: 999 });

const faultTiming = {
  at: duration({ doc: 'when the fault starts, from the beginning of the run' }),
  duration: duration({ doc: 'how long the fault lasts', exclusiveMin: true }),
};

/** `exec:` of any fault: what `stampede load --target URL` runs on the user's system (docs/live.md). */
const faultExec = nullable(
  object('commands run by `stampede load --target URL` at the fault\'s start and end, against your own system; the simulation ignores them', {
    start: nullable(string({ doc: 'shell command run when the fault starts' }), { doc: 'shell command run when the fault starts, or empty (null)', default: null }),
    end: nullable(string({ doc: 'shell command run when the fault ends' }), {
      doc: 'shell command run when the fault ends (at + duration, or at + restartAfter), or empty (null)',
      default: null,
    }),
    timeout: duration({ doc: 'each command is stopped after this long, and the run aborted (wall time: not scaled by --time-scale)', exclusiveMin: true, default: '30s' }),
  }),
  { doc: 'commands to cause this fault on your own system under `stampede load --target URL` (live mode); ignored by the simulation', default: null },
);

const faults = {
  'lookup-outage': object('lookup servers go down', {
    ...faultTiming,
    instances: orKeyword(
      list(integer({ doc: 'lookup instance index (0-based)', min: 0 }), { doc: 'instance indices', minItems: 1 }),
      'all',
      'all',
      { doc: '`all`, or the 0-based indices of the lookup instances that go down', default: 'all' },
    ),
    mode: oneOf(['blackhole', 'refuse'], {
      doc: '`blackhole`: no answer (clients time out); `refuse`: immediate failure',
      default: 'blackhole',
    }),
    exec: faultExec,
  }),
  'carrier-outage': object("clients lose their carrier's network", {
    ...faultTiming,
    region: nullable(string({ doc: 'region name' }), {
      doc: 'region whose clients lose their network; empty (null) for every region',
      default: null,
    }),
    mcc: nullable(list(mcc, { doc: 'MCCs', minItems: 1 }), {
      doc: 'only clients with these MCCs lose their network (a carrier of one country); empty (null) for every MCC',
      default: null,
    }),
    fraction: probability({ doc: 'share of the selected clients that lose their network', allowZero: false, default: 1 }),
    exec: faultExec,
  }),
  'site-outage': object('a data centre (IDC) is lost: its lookups, managers and session servers fail together, as vanished hosts, and come back after `duration`', {
    ...faultTiming,
    site: string({ doc: 'site name (`sites`)' }),
    exec: faultExec,
  }),
  'manager-crash': object('server managers crash', {
    at: faultTiming.at,
    managers: orKeyword(list(integer({ doc: 'manager index (0 is the initial master)', min: 0 }), { doc: 'manager indices', minItems: 1 }), 'all', 'all' as const, {
      doc: 'manager indices (0 is the initial master), or `all`',
      default: 'all',
    }),
    restartAfter: orKeyword(duration({ doc: 'time until the managers come back' }), 'never', null, {
      doc: 'time until the managers come back, or `never`',
      default: null,
    }),
    exec: faultExec,
  }),
  deploy: object('a deploy: drain, stop and restart servers with a new version, one after the other', {
    at: faultTiming.at,
    servers: list(string({ doc: 'server name' }), { doc: 'servers to deploy, in order', minItems: 1 }),
    stagger: duration({ doc: "time between two servers' deploys", default: '0s' }),
    drain: duration({ doc: 'how long a server drains (no new sessions) before its remaining sessions are closed', default: '1m' }),
    restartAfter: duration({ doc: 'time from shutdown to the start of the new version', default: '30s' }),
    closeRate: rate({ doc: 'after the drain, sessions still open are closed at this rate (`unlimited`: all at once)', exclusiveMin: true, unlimited: true, default: 'unlimited' }),
    exec: faultExec,
  }),
  'server-start': object('spare servers start (capacity growth)', {
    at: faultTiming.at,
    servers: list(string({ doc: 'server name' }), { doc: 'servers to start', minItems: 1 }),
    exec: faultExec,
  }),
  'algorithm-change': object("a service's distribution algorithm is changed through the manager", {
    at: faultTiming.at,
    service: string({ doc: 'service name (`default` when the scenario declares no services)', default: 'default' }),
    algorithm: oneOf(['round-robin', 'weighted-least-connection', 'random', 'power-of-d', 'least-connection-slow-start', 'dns', 'l4'], {
      doc: 'the new algorithm (not `dns` or `l4`: those replace the lookups for the whole run)',
      aliases: { rr: 'round-robin', wlc: 'weighted-least-connection', p2c: 'power-of-d', 'power-of-two': 'power-of-d', 'slow-start': 'least-connection-slow-start' },
    }),
    exec: faultExec,
  }),
  'mcc-remap': object('the lookup MCC -> region table is changed', {
    at: faultTiming.at,
    mcc: integer({ doc: 'mobile country code', min: 0, max: 999 }),
    region: string({ doc: 'region the MCC maps to from now on' }),
    exec: faultExec,
  }),
  'server-crash': object('session servers crash', {
    at: faultTiming.at,
    servers: list(string({ doc: 'server name' }), {
      doc: 'names of the crashing servers, e.g. common-0 (server i of a region is <region>-<i>)',
      minItems: 1,
    }),
    mode: oneOf(['refuse', 'blackhole'], {
      doc: '`refuse`: the process dies, the host answers; `blackhole`: the host vanishes',
      default: 'refuse',
    }),
    restartAfter: orKeyword(duration({ doc: 'time until restart' }), 'never', null, {
      doc: 'time until the server is started again, or `never`',
      default: null,
    }),
    exec: faultExec,
  }),
};

export const scenarioSchema = object('a stampede scenario', {
  name: string({ doc: 'scenario name, used in output paths', pattern: NAME_PATTERN, patternDoc: NAME_DOC }),
  description: string({ doc: 'free text', default: '' }),
  seed: integer({ doc: 'random seed', min: 0, default: 1 }),
  duration: duration({ doc: 'simulated time to run', exclusiveMin: true }),
  sampleInterval: duration({ doc: 'time between two samples of the metrics', exclusiveMin: true, default: '1s' }),
  network: object('the network between clients and servers', {
    rtt: duration({ doc: 'round-trip time of every successful network exchange', default: '50ms' }),
  }),
  population: object('the clients', {
    clients: integer({ doc: 'number of clients (at most 2^27 = 134,217,728: their 64-byte records are read through typed arrays of at most 2^32 elements; that many need about 16 GiB, and `stampede run` refuses a run its machine\'s free memory cannot hold)', min: 1, max: 134_217_728, default: 1_000_000 }),
    mcc: map(integerKeys(0, 999), number({ doc: 'share of clients', min: 0, exclusiveMin: true }), {
      doc: 'MCC -> share of clients (normalized to sum to 1)',
      minEntries: 1,
      default: [[450, 1]],
    }),
    start: oneOf(['connected', 'disconnected'], {
      doc: '`connected`: steady state at t = 0; `disconnected`: every client starts by looking up',
      default: 'connected',
    }),
  }),
  client: object('client behaviour', {
    requestTimeout: duration({ doc: 'lookup request timeout', exclusiveMin: true, default: '5s' }),
    connectTimeout: duration({ doc: 'session connect timeout', exclusiveMin: true, default: '5s' }),
    connectRetries: integer({ doc: 'connect retries per address', min: 0, max: 100, default: 2 }),
    lookupFailover: orKeyword(integer({ doc: 'addresses', min: 0, max: 255 }), 'all', Infinity, {
      doc: 'after a failed lookup request, how many other lookup addresses of its service the client tries in turn before it backs off: `all` (the source: losing some lookup instances goes unnoticed) or a number (0: back off at once)',
      default: Infinity,
    }),
    keepalive: duration({ doc: 'delay before a client notices a session on a vanished host', default: '30s' }),
    backoff: object('the client backoff timer', {
      policy: oneOf(['gcm', 'gcm-clamped', 'none', 'exponential', 'full', 'equal', 'decorrelated'], {
        doc: 'retry policy: gcm (the source\'s rule: the base doubles while below max, so it ends at or past max), gcm-clamped (base capped at max), none (fixed interval), exponential (no jitter), AWS full/equal/decorrelated jitter',
        aliases: { fixed: 'none', 'full-jitter': 'full', 'equal-jitter': 'equal', 'decorrelated-jitter': 'decorrelated' },
        default: 'gcm',
      }),
      initial: duration({ doc: 'base backoff at the first failure', exclusiveMin: true, default: '3s' }),
      max: duration({ doc: 'gcm: the base stops doubling once it reaches this; other policies: cap on the base', exclusiveMin: true, default: '300s' }),
    }).refine((backoff, path, problems) => {
      if (backoff.max < backoff.initial) {
        problems.error(
          [...path, 'max'],
          `max (${formatDuration(backoff.max)}) must be at least initial (${formatDuration(backoff.initial)})`,
        );
      }
    }),
    churn: orKeyword(
      object('background session churn', {
        sessionLifetimeMean: orKeyword(
          duration({ doc: 'mean session lifetime', exclusiveMin: true }),
          'off',
          null,
          { doc: 'mean session lifetime (exponential), or `off`', default: 3600 },
        ),
      }),
      'off',
      null,
      { doc: 'background session churn, or `off`', default: { sessionLifetimeMean: 3600 } },
    ),
    throttle: orKeyword(
      object('client-side adaptive throttling of lookups (Google SRE)', {
        k: number({ doc: 'accepts multiplier K in max(0, (requests - K accepts) / (requests + 1))', min: 1, default: 2 }),
        window: duration({ doc: 'time constant of the request and accept counts', exclusiveMin: true, default: '2m' }),
      }),
      'off',
      null,
      { doc: 'client-side adaptive throttling of lookups, or `off`', default: null },
    ),
  }),
  lookup: object('the lookup servers', {
    instances: integer({ doc: 'number of lookup instances', min: 1, max: 1000, default: 4 }),
    capacity: rate({
      doc: 'lookups per second one instance serves',
      exclusiveMin: true,
      unlimited: true,
      default: '20000/s',
    }),
    infoRefresh: duration({ doc: 'period of session-count refresh from the managers', exclusiveMin: true, default: '10s' }),
    localCounting: boolean({ doc: 'count own assignments between refreshes', default: true }),
    retryAfter: orKeyword(duration({ doc: 'fixed wait', exclusiveMin: true }), 'off', null, {
      doc: 'a fixed, unjittered T in the "no server, retry after T" answer, or `off`: the client waits its own backoff timer (the source\'s behaviour; a fixed T brings every such client back in lockstep)',
      default: null,
    }),
    algorithm: oneOf(['round-robin', 'weighted-least-connection', 'random', 'power-of-d', 'least-connection-slow-start', 'dns', 'l4'], {
      doc: 'distribution algorithm; `dns` and `l4` are the baselines the operators replaced (docs/model.md §1): DNS round robin with client caches (`lookup.dns`), an L4 switch with VIPs (`l4`)',
      aliases: {
        rr: 'round-robin',
        wlc: 'weighted-least-connection',
        p2c: 'power-of-d',
        'power-of-two': 'power-of-d',
        pod: 'power-of-d',
        'slow-start': 'least-connection-slow-start',
        lcss: 'least-connection-slow-start',
      },
      default: 'weighted-least-connection',
    }),
    choices: integer({ doc: 'd of power-of-d choices (Envoy least_request)', min: 2, max: 100, default: 2 }),
    slowStart: object('slow start of least-connection-slow-start for servers that come back', {
      window: duration({ doc: 'ramp-up time of a server that comes back', exclusiveMin: true, default: '60s' }),
      aggression: number({ doc: 'weight factor (elapsed/window)^(1/aggression); 1 is a linear ramp', min: 0, exclusiveMin: true, default: 1 }),
      minWeightPercent: number({ doc: 'floor of the weight factor in percent', min: 0, max: 100, exclusiveMin: true, default: 10 }),
    }),
    admission: orKeyword(
      object('lookup admission control', {
        maxQueue: integer({ doc: 'queue length beyond which a lookup answers "retry after" at once', min: 1, default: 20_000 }),
        rejectCapacity: rate({ doc: 'rejections per second one instance can send', exclusiveMin: true, default: '200000/s' }),
        retryAfter: duration({ doc: 'T in the "busy, retry after T" answer', exclusiveMin: true, default: '30s' }),
      }),
      'off',
      null,
      { doc: 'admission control, or `off` (requests queue until clients time out)', default: null },
    ),
    dns: object('DNS round robin (only with `algorithm: dns`): the lookup instances answer as DNS servers, one address in rotation, and clients cache it', {
      ttl: duration({ doc: 'how long a client keeps a resolved address before it resolves again', exclusiveMin: true, default: '5m' }),
      ignoreTtl: probability({ doc: 'share of clients that ignore the TTL and keep their first address for good (the source: "for months")', default: 0.01 }),
    }),
  }),
  sessionServer: object('every session server', {
    maxSessions: orKeyword(integer({ doc: 'sessions', min: 1 }), 'unlimited', Infinity, {
      doc: 'maximum sessions per server, or `unlimited`',
      default: 150_000,
    }),
    maxAcceptsPerSec: rate({ doc: 'new sessions accepted per second', unlimited: true, default: '2000/s' }),
    overloadAcceptsPerSec: rate({
      doc: 'connection attempts per second that, sustained for overloadFor, crash the server',
      unlimited: true,
      default: '5000/s',
    }),
    overloadFor: duration({ doc: 'how long an overload must last to crash', exclusiveMin: true, default: '10s' }),
    startupTime: duration({ doc: 'time from (re)start to running', default: '30s' }),
    restartAfterCrash: orKeyword(duration({ doc: 'restart delay' }), 'never', null, {
      doc: 'time after an overload crash before restart, or `never`',
      default: 120,
    }),
    weight: number({ doc: 'weight for weighted algorithms', min: 0, exclusiveMin: true, default: 1 }),
    heap: object('every server\'s JVM heap (the gray failure of a leak; used only with `leaks`)', {
      sizeMB: number({ doc: 'maximum heap, MB (the source: 1398144K); a larger heap only buys time against a leak', min: 1, default: 1365 }),
      healthyLivePercent: number({ doc: 'old generation live after a full GC on a healthy server, percent of the heap', min: 0, max: 99, default: 8 }),
      noisePercent: number({ doc: 'standard deviation of one full GC\'s reading of it, percent points (healthy servers are noisy around ~10 %)', min: 0, default: 1.5 }),
      fullGcInterval: duration({ doc: 'time between full GCs of a healthy server at the fleet\'s mean load; shrinks with the free old generation', exclusiveMin: true, default: '1h' }),
      fullGcPause: duration({ doc: 'pause of one full GC on a healthy server; grows with the live heap', exclusiveMin: true, default: '300ms' }),
      cpuPercent: number({ doc: 'CPU of a server at the fleet\'s mean load outside GC, percent', min: 0, max: 100, default: 20 }),
      tick: duration({ doc: 'how often each heap\'s state advances', exclusiveMin: true, default: '1m' }),
    }),
  }),
  regions: list(
    object('a region', {
      name: string({ doc: 'region name', pattern: NAME_PATTERN, patternDoc: NAME_DOC }),
      mcc: list(mcc, { doc: 'MCCs mapped to this region', default: [] }),
      servers: integer({ doc: 'number of session servers', min: 1, max: 10000, default: 10 }),
      spare: integer({ doc: 'extra servers that start shut down, for a server-start fault', min: 0, max: 10000, default: 0 }),
      failover: nullable(string({ doc: 'region name' }), {
        doc: "region whose servers take this region's clients when all of its own are down",
        default: null,
      }),
    }),
    {
      doc: 'regions; the one named `common` takes every unmapped MCC',
      minItems: 1,
      default: [{ name: 'common', mcc: [], servers: 10, spare: 0, failover: null }],
    },
  ),
  services: list(
    object('a service sharing the manager set', {
      name: string({ doc: 'service name', pattern: NAME_PATTERN, patternDoc: NAME_DOC }),
      share: number({ doc: 'share of the clients using this service (normalized)', min: 0, exclusiveMin: true, default: 1 }),
      regions: list(string({ doc: 'region name' }), { doc: "the service's regions (names are unique across services)", minItems: 1 }),
      commonRegion: nullable(string({ doc: 'region name' }), {
        doc: 'region taking MCCs no region of the service maps (default: its region named common or ending in -common)',
        default: null,
      }),
      lookupInstances: nullable(integer({ doc: 'lookup instances', min: 1, max: 1000 }), {
        doc: "the service's lookup instances (default lookup.instances)",
        default: null,
      }),
      algorithm: nullable(
        oneOf(['round-robin', 'weighted-least-connection', 'random', 'power-of-d', 'least-connection-slow-start', 'dns', 'l4'], {
          doc: 'distribution algorithm (`dns` and `l4` only as lookup.algorithm is)',
          aliases: { rr: 'round-robin', wlc: 'weighted-least-connection', p2c: 'power-of-d', 'power-of-two': 'power-of-d', 'slow-start': 'least-connection-slow-start' },
        }),
        { doc: "the service's algorithm (default lookup.algorithm)", default: null },
      ),
    }),
    { doc: 'services sharing the managers; none: one service, `default`, with every region', default: [] },
  ),
  managers: orKeyword(
    object('the server managers (master + slaves)', {
      count: integer({ doc: 'number of managers (1 master, the rest slaves)', min: 1, max: 16, default: 2 }),
      healthInterval: duration({ doc: 'period of the L7 health check of each session server', exclusiveMin: true, default: '5s' }),
      healthTimeout: duration({ doc: 'timeout of one health check', exclusiveMin: true, default: '2s' }),
      failThreshold: integer({ doc: 'consecutive failed checks before a server is suspended', min: 1, max: 100, default: 3 }),
      recoverThreshold: integer({ doc: 'consecutive successful checks before a server is resumed', min: 1, max: 100, default: 3 }),
      syncInterval: duration({ doc: 'period at which slaves copy Redis', exclusiveMin: true, default: '5s' }),
      zkSessionTimeout: duration({ doc: "ZooKeeper session timeout (how long a dead master's znode lasts)", exclusiveMin: true, default: '10s' }),
    }),
    'off',
    null,
    {
      doc: 'server managers, or `off` (lookups read the fleet directly: an idealized oracle)',
      default: { count: 2, healthInterval: 5, healthTimeout: 2, failThreshold: 3, recoverThreshold: 3, syncInterval: 5, zkSessionTimeout: 10 },
    },
  ),
  leaks: list(
    object('a session server with a memory leak (gray failure)', {
      server: string({ doc: 'server name' }),
      startAfter: orKeyword(duration({ doc: 'time from the process start' }), 'random', null, {
        doc: 'when the leak starts in a process\'s life: a time after its start, or `random` (uniform over the first half of the run, drawn anew for each process)',
        default: 0,
      }),
      growthMBPerDay: number({ doc: 'leaked MB per day when the leak starts, at the fleet\'s mean load', min: 0, exclusiveMin: true, default: 25 }),
      doublingTime: orKeyword(duration({ doc: 'doubling time', exclusiveMin: true }), 'never', null, {
        doc: 'the leak speeds up: its rate doubles every this long, or `never` (a constant rate)',
        default: 86_400,
      }),
      loadProportional: boolean({ doc: 'the leak grows with the server\'s request load (its sessions over the fleet\'s mean): the source\'s cause, a race in a shared cache\'s get()', default: true }),
    }),
    { doc: 'leaking servers', default: [] },
  ),
  grayDetection: object('how operators watch the heaps of the fleet for a leak (only with `leaks`)', {
    checkEvery: duration({ doc: 'how often the logged full-GC lines are read (the source: once a day)', exclusiveMin: true, default: '1d' }),
    detectors: list(
      union('a leak detector', {
        threshold: object('alert when the median old generation after full GC since the last reading passes a share', {
          percent: number({ doc: 'share of the heap, percent', min: 0, max: 100, exclusiveMin: true, default: 30 }),
        }),
        trend: object('alert when the old generation after full GC rises: Theil-Sen slope of the readings\' medians over a window (robust to the noise)', {
          window: duration({ doc: 'readings looked back over', exclusiveMin: true, default: '3d' }),
          percentPerDay: number({ doc: 'slope that alerts, percent points per day', min: 0, exclusiveMin: true, default: 2 }),
        }),
        cpu: object('alert when CPU stays above a level (the operators\' SMS alerts)', {
          percent: number({ doc: 'CPU, percent', min: 0, max: 100, exclusiveMin: true, default: 80 }),
          for: duration({ doc: 'how long it must stay above', default: '10m' }),
        }),
      }),
      {
        doc: 'the detectors to evaluate, each reported with its lead time and false alarms',
        default: [{ kind: 'threshold', percent: 30 }, { kind: 'trend', window: 259_200, percentPerDay: 2 }, { kind: 'cpu', percent: 80, for: 600 }],
      },
    ),
    onAlert: oneOf(['none', 'remove'], {
      doc: '`remove`: at a server\'s first alert the operator drains it from service (no new sessions, the open ones closed after `drain`) and stops it for analysis; `none`: only the alert',
      default: 'none',
    }),
    drain: duration({ doc: 'with onAlert remove: how long the server drains before its open sessions are closed', default: '1m' }),
  }),
  sites: list(
    object('a data centre (IDC): what a site-outage takes down together', {
      name: string({ doc: 'site name', pattern: NAME_PATTERN, patternDoc: NAME_DOC }),
      regions: list(string({ doc: 'region name' }), { doc: 'regions whose session servers are all in this site', default: [] }),
      servers: list(string({ doc: 'server name' }), { doc: 'further session servers in this site, e.g. common-0', default: [] }),
      lookups: list(integer({ doc: 'lookup instance index (0-based)', min: 0 }), { doc: 'lookup instances in this site', default: [] }),
      managers: list(integer({ doc: 'manager index (0 is the initial master)', min: 0 }), { doc: 'server managers in this site', default: [] }),
    }),
    { doc: 'sites (data centres), for site-outage faults; a component in no site fails only by its own faults', default: [] },
  ),
  l4: object('an L4 switch with VIPs (only with `lookup.algorithm: l4`): clients connect to their VIP, the switch picks a server of its group', {
    vips: integer({ doc: "VIPs per region; a region's servers are split among them in order, and a client keeps its VIP", min: 1, max: 10000, default: 2 }),
    maxSessions: orKeyword(integer({ doc: 'entries', min: 1 }), 'unlimited', Infinity, {
      doc: "entries the switch's session table holds, ghosts included; beyond, new connections are dropped (or `unlimited`)",
      default: 1_500_000,
    }),
    maxSetupsPerSec: rate({ doc: 'connection setups the switch handles per second (its capacity depends on the connection pattern); beyond, SYNs are dropped', exclusiveMin: true, unlimited: true, default: '20000/s' }),
    ghostTimeout: duration({ doc: 'how long an entry whose connection vanished without a FIN or RST (a carrier outage, a vanished host) stays in the table', exclusiveMin: true, default: '30m' }),
    healthInterval: duration({ doc: 'period of the TCP health check (it sees only the port: a leaking server stays in rotation)', exclusiveMin: true, default: '5s' }),
    failThreshold: integer({ doc: 'consecutive failed checks before a server leaves its VIP', min: 1, max: 100, default: 3 }),
    riseThreshold: integer({ doc: 'consecutive passed checks before it comes back', min: 1, max: 100, default: 2 }),
  }),
  faults: list(union('a fault', faults), { doc: 'faults injected during the run', default: [] }),
  assert: list(string({ doc: 'a gate assertion such as "recovery.full <= 20m" (grammar and metrics: docs/gate.md)' }), {
    doc: 'assertions `stampede gate` checks after the run; invalid ones are reported at load time',
    default: [],
  }),
  explore: orKeyword(
    object('what `stampede explore` searches for runs that break the gate (docs/explore.md); runs ignore it', {
      seed: integer({ doc: 'seed of the search\'s draws (each run keeps the scenario\'s own seed)', min: 0, default: 1 }),
      runs: integer({ doc: 'budget: random draws to run (the swarm phase)', min: 0, max: 100_000, default: 100 }),
      time: orKeyword(duration({ doc: 'wall-clock time', exclusiveMin: true }), 'none', null, {
        doc: 'budget: wall-clock time for the swarm phase, or `none` (the draws are then all run)',
        default: null,
      }),
      ranges: map(fieldPaths(), string({ doc: '`A..B` (durations, rates or numbers, e.g. `1m..30m`, `100000..5000000`) or choices `a|b|c`' }), {
        doc: 'field path (as in --set) -> the range explored',
        default: [],
      }),
      extraFaults: object('faults added at random to each draw, swarm style (each draw enables a random subset of the kinds)', {
        max: integer({ doc: 'most extra faults in one draw', min: 0, max: 10, default: 0 }),
        kinds: list(oneOf(['server-crash', 'lookup-outage', 'manager-crash', 'carrier-outage'], { doc: 'fault kind' }), {
          doc: 'kinds drawn from',
          default: ['server-crash', 'lookup-outage', 'manager-crash', 'carrier-outage'],
        }),
        from: duration({ doc: 'earliest start of an extra fault', default: '0s' }),
        until: orKeyword(duration({ doc: 'latest start' }), 'end', null, { doc: 'latest start of an extra fault, or `end` (half the run)', default: null }),
        longest: duration({ doc: 'longest extra fault (outage duration or time to restart)', exclusiveMin: true, default: '10m' }),
      }),
      map: list(string({ doc: 'field path' }), { doc: 'the two explored fields of the pass/fail map (default: the first two numeric ranges)', default: [] }),
      shrink: integer({ doc: 'failing runs shrunk to a minimal scenario (distinct failures first)', min: 0, max: 100, default: 5 }),
      metastableWindow: duration({ doc: 'after the last fault ends, overload or stalled recovery lasting this long marks a run metastable', exclusiveMin: true, default: '5m' }),
    }),
    'off',
    null,
    { doc: 'the search space of `stampede explore`, or `off`', default: null },
  ),
});

/** The scenario as the file states it, defaults filled in (before the loader's cross-field resolution). */
export type ScenarioDocument = Out<typeof scenarioSchema>;

/** JSON Schema (draft 2020-12) of scenario files, for editors. */
export function scenarioJsonSchema(): JsonSchema {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'stampede scenario',
    ...scenarioSchema.jsonSchema(),
  };
}
