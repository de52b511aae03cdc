// Loads a scenario file: YAML → overrides → schema validation → cross-field
// checks → the resolved `Scenario`. Every problem found is reported together,
// each pointing at a file position (or at the `--set` that caused it).

import { MAX_SCENARIO_BYTES, readRegularFile } from './read-file.ts';
import { LineCounter, isAlias, isCollection, isMap, isScalar, isSeq, parseDocument, visit, type Document, type YAMLError } from 'yaml';
import {
  INVALID,
  Problems,
  didYouMean,
  formatPath,
  isRecord,
  scenarioSchema,
  unknownField,
  type Node,
  type Path,
  type Problem,
  type ScenarioDocument,
} from './schema.ts';
import { formatDuration } from './units.ts';
import { checkAssertions } from '../gate/assertions.ts';
import type { DetectorConfig, ExploreConfig, FaultConfig, MccShare, RegionConfig, Scenario, ServiceConfig, SiteConfig } from './types.ts';
import { parseRange, rangeText, type ExploreRange } from '../explore/range.ts';

// ---------------------------------------------------------------------------
// Issues

export interface ScenarioIssue {
  /** The file, or `--set PATH=VALUE` for a problem caused by an override. */
  file: string;
  line?: number;
  column?: number;
  /** `client.backoff.max`, `faults[1].at`; "" for the file as a whole. */
  path: string;
  message: string;
}

/** `FILE:LINE:COL: PATH: MESSAGE`, leaving out what the issue does not have. */
export function formatIssue(issue: ScenarioIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}:${issue.column ?? 1}`;
  return issue.path === '' ? `${where}: ${issue.message}` : `${where}: ${issue.path}: ${issue.message}`;
}

export class ScenarioError extends Error {
  readonly issues: ScenarioIssue[];

  constructor(issues: ScenarioIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'ScenarioError';
    this.issues = issues;
  }
}

export interface LoadedScenario {
  scenario: Scenario;
  /** Formatted like issues; the scenario is usable but probably not what was meant. */
  warnings: string[];
}

// ---------------------------------------------------------------------------
// Entry points

export function loadScenarioFile(file: string, overrides: string[] = []): LoadedScenario {
  // Regular files only (a FIFO or /dev/zero would hang or never end), and at most 1 MiB.
  const read = readRegularFile(file, MAX_SCENARIO_BYTES);
  if (!read.ok) throw new ScenarioError([{ file, path: '', message: readFailure(read.code, read.reason) }]);
  return parseScenarioText(read.bytes.toString('utf8'), file, overrides);
}

function readFailure(code: string | undefined, reason: string): string {
  if (code === 'ENOENT') return 'no such scenario file';
  if (code === 'EISDIR') return 'is a directory, not a scenario file';
  if (code === 'ESPECIAL') return `${reason}; a scenario must be a regular file`;
  if (code === 'EFBIG') return `${reason}; a scenario is a page of YAML`;
  if (code === 'ENAMETOOLONG') return 'the file name is too long';
  return `cannot read the scenario file: ${reason}`;
}

export function parseScenarioText(text: string, file: string, overrides: string[] = []): LoadedScenario {
  const { raw, locator, yamlWarnings } = readYaml(text, file);
  const issues: ScenarioIssue[] = [];
  locator.overrides = applyOverrides(raw, overrides, issues);

  const problems = new Problems();
  const document = scenarioSchema.parse(raw, [], problems);
  const scenario = document === INVALID ? undefined : resolveScenario(document, problems);
  const located = (severity: Problem['severity']) =>
    sortByPosition(problems.list.filter((p) => p.severity === severity).map((p) => locator.issue(p)));

  issues.push(...located('error'));
  if (scenario === undefined || issues.length > 0) throw new ScenarioError(capped(issues, file));
  return { scenario, warnings: [...yamlWarnings, ...located('warning')].map(formatIssue) };
}

/** The top-level mapping of a YAML text, or a ScenarioError saying why there is none. */
function readYaml(text: string, file: string) {
  const fail = (message: string, line?: number): never => {
    throw new ScenarioError([{ file, path: '', message, ...(line === undefined ? {} : { line, column: 1 }) }]);
  };
  if (text.includes('\u0000')) fail('this is a binary file (it contains NUL bytes), not a YAML scenario');

  const lineCounter = new LineCounter();
  // Duplicate keys are found below in linear time: the library's own check is quadratic in a mapping's size.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const locator = new Locator(file, doc, lineCounter);
  const yamlIssue = (e: YAMLError) => locator.yamlIssue(e.code, e.message, e.pos[0], text);
  const duplicates = duplicateKeys(doc);
  // A document with syntax errors is not worth validating: its structure is a guess.
  if (doc.errors.length > 0 || duplicates.length > 0) {
    const found = [
      ...doc.errors.map((e) => ({ at: e.pos[0], issue: clearerYamlIssue(e, text, locator) ?? yamlIssue(e) })),
      ...duplicates.map((at) => ({ at, issue: locator.yamlIssue('DUPLICATE_KEY', '', at, text) })),
    ].sort((a, b) => a.at - b.at);
    throw new ScenarioError(found.map((f) => f.issue));
  }
  if (doc.contents === null) fail('the file is empty; a scenario needs at least `name` and `duration`', 1);
  const oversized = oversizedMapping(doc);
  if (oversized !== undefined) {
    const message = `a mapping of ${oversized.size} keys; no part of a scenario has more than ${MAX_MAPPING_KEYS} (population.mcc, one per MCC)`;
    const issue = locator.yamlIssue('MAPPING_SIZE', message, oversized.at, text);
    throw new ScenarioError([oversized.top ? { ...issue, path: '' } : issue]);
  }
  // What toJS() would only warn about (`{a: 1}: x`, a collection as a key) or fail on without a position (`*nowhere`).
  const structural: ScenarioIssue[] = [];
  visit(doc, {
    Pair: (_, pair) => {
      if (!isCollection(pair.key)) return;
      const message = 'a key must be a plain name such as `duration`, found a mapping or a list used as a key';
      structural.push(locator.yamlIssue('COLLECTION_KEY', message, rangeStart(pair.key) ?? 0, text));
    },
    Node: (_, node) => {
      const tag = (node as { tag?: string }).tag;
      if (tag === undefined || CORE_TAGS.has(tag)) return;
      const shown = tag.startsWith('tag:yaml.org,2002:') ? `!!${tag.slice('tag:yaml.org,2002:'.length)}` : tag;
      const message = `the tag ${shown} is not allowed in a scenario: values are plain text, numbers, true/false, lists and mappings`;
      structural.push(locator.yamlIssue('TAG', message, rangeStart(node) ?? 0, text));
    },
    Alias: (_, alias) => {
      if (alias.resolve(doc) !== undefined) return;
      const message = `the alias *${alias.source} refers to no anchor &${alias.source} defined before it`;
      structural.push(locator.yamlIssue('UNRESOLVED_ALIAS', message, rangeStart(alias) ?? 0, text));
    },
  });
  if (structural.length > 0) throw new ScenarioError(structural);

  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (error) {
    fail(`cannot read the YAML: ${(error as Error).message}`);
  }
  if (!isRecord(raw)) {
    const found = Array.isArray(raw) ? 'a list' : raw === null ? 'an empty value' : JSON.stringify(raw);
    fail(`expected a mapping of scenario fields (name: ..., duration: ...) at the top level, found ${found}`, 1);
  }
  return { raw: raw as Record<string, unknown>, locator, yamlWarnings: doc.warnings.map(yamlIssue) };
}

/** A scenario's largest mapping is population.mcc, with at most 1000 MCCs: past that a mapping is not a scenario's. */
const MAX_MAPPING_KEYS = 1000;

/** Offsets of keys that repeat an earlier key of their mapping (and of the first key of an oversized mapping). */
function duplicateKeys(doc: Document): number[] {
  const found: number[] = [];
  visit(doc, {
    Map: (_, map) => {
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        if (seen.has(key)) found.push(rangeStart(pair.key) ?? 0);
        seen.add(key);
      }
    },
  });
  return found;
}

/** A mapping far larger than any a scenario has: refused before the schema checks each of its keys. */
function oversizedMapping(doc: Document): { at: number; size: number; top: boolean } | undefined {
  let found: { at: number; size: number; top: boolean } | undefined;
  visit(doc, {
    Map: (_, map) => {
      if (found === undefined && map.items.length > MAX_MAPPING_KEYS) found = { at: rangeStart(map) ?? 0, size: map.items.length, top: map === doc.contents };
    },
  });
  return found;
}

const CORE_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`));

/** Syntax errors whose parser message points at the wrong place or speaks of the parser's API. */
function clearerYamlIssue(error: YAMLError, text: string, locator: Locator): ScenarioIssue | undefined {
  if (error.code === 'MULTIPLE_DOCS') {
    return locator.yamlIssue(error.code, 'the file holds more than one YAML document (this `---` starts another); a scenario is one document', error.pos[0], text);
  }
  const unclosed = /end with an? ([\]}])/.exec(error.message);
  if (error.code === 'BAD_INDENT' && unclosed) {
    // The parser notices at the next line that is not indented further; the mistake is the bracket never closed.
    const close = unclosed[1];
    const open = unclosedBracket(text, error.pos[0], close === ']' ? '[' : '{');
    if (open !== undefined) {
      const what = close === ']' ? 'flow list' : 'flow mapping';
      return locator.yamlIssue(error.code, `this "${close === ']' ? '[' : '{'}" is never closed: a ${what} must end with "${close}" (lines after the first indented further)`, open, text);
    }
  }
  return undefined;
}

/** The offset of the last `open` bracket before `end` not closed before it (quotes and comments skipped). */
function unclosedBracket(text: string, end: number, open: '[' | '{'): number | undefined {
  const stack: { ch: string; at: number }[] = [];
  let quote: string | null = null;
  for (let i = 0; i < end && i < text.length; i++) {
    const ch = text[i];
    if (quote !== null) {
      if (ch === '\\' && quote === '"') i++;
      else if (ch === quote) quote = null;
      continue;
    }
    if (ch === '"' || ch === "'") {
      // A quote starts a quoted scalar only at the start of a value, not inside a word (it's).
      if (i === 0 || /[\s[{,:]/.test(text[i - 1])) quote = ch;
    } else if (ch === '#' && (i === 0 || /\s/.test(text[i - 1]))) {
      while (i < end && text[i] !== '\n') i++;
    } else if (ch === '[' || ch === '{') stack.push({ ch, at: i });
    else if (ch === ']' || ch === '}') stack.pop();
  }
  for (let k = stack.length - 1; k >= 0; k--) if (stack[k].ch === open) return stack[k].at;
  return undefined;
}

/** Past this many issues the rest are counted, not listed: a file of 20,000 unknown keys needs one screen, not 20,000 lines. */
const MAX_ISSUES = 100;

function capped(issues: ScenarioIssue[], file: string): ScenarioIssue[] {
  if (issues.length <= MAX_ISSUES) return issues;
  const more = issues.length - MAX_ISSUES;
  return [...issues.slice(0, MAX_ISSUES), { file, path: '', message: `... and ${more} more problem(s) not shown; fix these first` }];
}

/** Reading order: overrides (no line) first, then by line and column; stable otherwise. */
function sortByPosition(issues: ScenarioIssue[]): ScenarioIssue[] {
  const key = (issue: ScenarioIssue) => (issue.line ?? 0) * 1e6 + (issue.column ?? 0);
  return [...issues].sort((a, b) => key(a) - key(b));
}

// ---------------------------------------------------------------------------
// Positions

/** The fields a check between fields depends on (besides the problem's own path), to report it at an override of one. */
const CAUSES = new WeakMap<Problem, Path[]>();

function causedBy(problems: Problems, causes: Path[]): void {
  const last = problems.list.at(-1);
  if (last !== undefined) CAUSES.set(last, causes);
}

/** An override that was applied, remembered so problems below its path point at it. */
interface AppliedOverride {
  origin: string;
  path: string[];
}

/** Maps a problem's path to a position in the YAML source (or to the override that set it). */
class Locator {
  overrides: AppliedOverride[] = [];
  private readonly keys = new WeakMap<object, Map<string, { key: unknown; value: unknown }>>();

  constructor(
    private readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  issue(problem: Problem): ScenarioIssue {
    const path = formatPath(problem.path);
    const target = problem.anchor === 'parent' ? problem.path.slice(0, -1) : problem.path;
    const found = this.find(target);
    const override = this.overrideFor(problem.path, found.complete ? undefined : target) ?? this.causingOverride(problem);
    if (override) return { file: override.origin, path, message: problem.message };
    const offset = problem.anchor === 'key' && found.complete ? found.keyOffset : found.offset;
    const shift = found.complete ? this.charShift(target, problem.index) : 0;
    return { ...this.position(offset + shift), path, message: problem.message };
  }

  /** Where character `index` of a one-line string value lies, from the start of its node (quotes count). */
  private charShift(path: Path, index: number | undefined): number {
    if (index === undefined) return 0;
    const node = this.doc.getIn(path, true);
    if (!isScalar(node) || typeof node.value !== 'string' || !isRange(node)) return 0;
    const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE' ? 1 : 0;
    // Escapes, folding or a block scalar make the value differ from its source: then its start will do.
    return node.range[1] - node.range[0] === node.value.length + 2 * quoted ? quoted + index : 0;
  }

  yamlIssue(code: string, message: string, offset: number, text: string): ScenarioIssue {
    const path = formatPath(this.pathAt(offset));
    if (code === 'DUPLICATE_KEY') {
      const key = /^[^:\n]*/.exec(text.slice(offset))?.[0].trim() ?? '';
      const message = `duplicate key ${JSON.stringify(key)} (a key may appear only once in a mapping)`;
      return { ...this.position(offset), path, message };
    }
    return { ...this.position(offset), path, message: `YAML: ${message}` };
  }

  private position(offset: number): Pick<ScenarioIssue, 'file' | 'line' | 'column'> {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, column: col };
  }

  /**
   * The override that set `path` or a value above it (the last one, as later
   * overrides win); else, when `unresolved` (the part of the path missing from
   * the file) is given, the first override that created it.
   */
  private overrideFor(path: Path, unresolved: Path | undefined): AppliedOverride | undefined {
    const startsWith = (whole: Path, prefix: Path) =>
      prefix.length <= whole.length && prefix.every((segment, i) => String(whole[i]) === String(segment));
    const setter = [...this.overrides].reverse().find((o) => startsWith(path, o.path));
    if (setter || unresolved === undefined) return setter;
    return this.overrides.find((o) => startsWith(o.path, unresolved));
  }

  /** For a check between fields: the last override that set one of the fields it depends on. */
  private causingOverride(problem: Problem): AppliedOverride | undefined {
    const causes = CAUSES.get(problem);
    if (causes === undefined) return undefined;
    const related = (a: Path, b: Path) => {
      const n = Math.min(a.length, b.length);
      return a.slice(0, n).every((segment, i) => String(segment) === String(b[i]));
    };
    return [...this.overrides].reverse().find((o) => causes.some((cause) => related(o.path, cause)));
  }

  /** Walks the YAML tree along `path` as far as it goes. */
  private find(path: Path): { offset: number; keyOffset: number; complete: boolean } {
    let node: unknown = this.doc.contents;
    let offset = 0;
    let keyOffset = 0;
    for (const segment of path) {
      if (isAlias(node)) node = node.resolve(this.doc);
      offset = rangeStart(node) ?? offset;
      const step = this.step(node, segment);
      if (!step) return { offset, keyOffset: offset, complete: false };
      keyOffset = step.keyOffset ?? offset;
      node = step.value;
    }
    // An empty value (`key:`) has no node of its own; its key marks the spot.
    return { offset: rangeStart(node) ?? keyOffset, keyOffset, complete: true };
  }

  private step(node: unknown, segment: string | number): { value: unknown; keyOffset?: number } | undefined {
    if (isMap(node)) {
      // Indexed once per mapping: a file with thousands of (unknown) keys is located in linear time.
      let index = this.keys.get(node);
      if (index === undefined) {
        index = new Map();
        for (const p of node.items) if (isScalar(p.key) && !index.has(String(p.key.value))) index.set(String(p.key.value), p);
        this.keys.set(node, index);
      }
      const pair = index.get(String(segment));
      return pair && { value: pair.value, keyOffset: rangeStart(pair.key) };
    }
    if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
      return { value: node.items[segment] };
    }
    return undefined;
  }

  /** The path of the deepest key or item whose source contains `offset`. */
  private pathAt(offset: number): Path {
    const path: (string | number)[] = [];
    const contains = (n: unknown) => {
      const range = isRange(n) ? n.range : undefined;
      return range !== undefined && range[0] <= offset && offset < range[2];
    };
    let node: unknown = this.doc.contents;
    for (;;) {
      if (isMap(node)) {
        const pair = node.items.find((p) => contains(p.key) || contains(p.value));
        if (!pair || !isScalar(pair.key)) return path;
        path.push(String(pair.key.value));
        if (contains(pair.key)) return path;
        node = pair.value;
      } else if (isSeq(node)) {
        const index = node.items.findIndex(contains);
        if (index < 0) return path;
        path.push(index);
        node = node.items[index];
      } else {
        return path;
      }
    }
  }
}

function isRange(node: unknown): node is { range: [number, number, number] } {
  return typeof node === 'object' && node !== null && Array.isArray((node as { range?: unknown }).range);
}

function rangeStart(node: unknown): number | undefined {
  return isRange(node) ? node.range[0] : undefined;
}

// ---------------------------------------------------------------------------
// Overrides (--set PATH=VALUE)

function applyOverrides(raw: Record<string, unknown>, overrides: string[], issues: ScenarioIssue[]): AppliedOverride[] {
  const applied: AppliedOverride[] = [];
  for (const text of overrides) {
    // One line, whatever the value holds: a newline would split the issue (and fake another).
    const origin = /[\u0000-\u001f\u007f]/.test(text) ? `--set ${JSON.stringify(text)}` : `--set ${text}`;
    const result = applyOverride(raw, text);
    if (typeof result === 'string') issues.push({ file: origin, path: overridePath(text), message: result });
    else applied.push({ origin, path: result });
  }
  return applied;
}

function overridePath(text: string): string {
  const eq = text.indexOf('=');
  return eq < 0 ? '' : text.slice(0, eq).trim();
}

/** Sets the value in the raw document; returns the path set, or why it could not be. */
function applyOverride(raw: Record<string, unknown>, text: string): string[] | string {
  const eq = text.indexOf('=');
  if (eq < 0) return 'expected PATH=VALUE, e.g. --set client.backoff.max=3600s';
  const segments = text.slice(0, eq).trim().split('.');
  if (segments.some((s) => s === '')) return `expected a dot-separated path such as client.backoff.max before "="`;

  const nodes = schemaNodes(segments);
  if (typeof nodes === 'string') return nodes;
  // A list index as a number would read it (`faults.01.at` is faults[1]), so that problems below it point here.
  segments.forEach((segment, i) => {
    if (i > 0 && nodes[i - 1].shape === 'list' && /^\d+$/.test(segment)) segments[i] = String(Number(segment));
  });
  const value = parseOverrideValue(text.slice(eq + 1));
  if ('problem' in value) return value.problem;

  let container: Record<string, unknown> | unknown[] = raw;
  for (const [i, segment] of segments.entries()) {
    const key = Array.isArray(container) ? Number(segment) : segment;
    if (Array.isArray(container) && (key as number) > container.length) {
      const list = segments.slice(0, i).join('.');
      return `index ${segment} is out of range: ${list} has ${container.length} item(s) (use ${container.length} to append)`;
    }
    const slot = container as Record<string | number, unknown>;
    if (i === segments.length - 1) {
      slot[key] = value.value;
    } else {
      if (!isContainer(slot[key], nodes[i].shape)) slot[key] = seedContainer(nodes[i]);
      container = slot[key] as Record<string, unknown> | unknown[];
    }
  }
  return segments;
}

function isContainer(raw: unknown, shape: Node<unknown>['shape']): raw is Record<string, unknown> | unknown[] {
  return shape === 'list' ? Array.isArray(raw) : isRecord(raw);
}

/**
 * What an override starts from where the file has no value (or a scalar such
 * as `churn: off`): the default, so that `--set regions.0.servers=20` edits the
 * default region rather than replacing it with a half-specified one.
 */
function seedContainer(node: Node<unknown>): Record<string, unknown> | unknown[] {
  const seed = node.fallback ? node.toRaw(node.fallback.value) : undefined;
  if (isContainer(seed, node.shape)) return seed;
  return node.shape === 'list' ? [] : {};
}

/** The schema node for each segment of an override path, or why the path does not exist. */
function schemaNodes(segments: string[]): Node<unknown>[] | string {
  const nodes: Node<unknown>[] = [];
  let node: Node<unknown> = scenarioSchema;
  for (const [i, segment] of segments.entries()) {
    const next = node.child(segment);
    if (!next) {
      const where = i === 0 ? 'at the top level' : `in ${segments.slice(0, i).join('.')}`;
      if (node.shape === 'list') return `"${segment}" is not a list index ${where} (use 0, 1, ...)`;
      if (node.shape === 'scalar') return `${segments.slice(0, i).join('.')} has no fields`;
      return unknownField(segment, node.childNames(), where);
    }
    nodes.push(next);
    node = next;
  }
  return nodes;
}

function parseOverrideValue(text: string): { value: unknown } | { problem: string } {
  const doc = parseDocument(text, { prettyErrors: false });
  const shown = JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
  if (doc.errors.length > 0) {
    return { problem: `cannot read the value ${shown} as YAML: ${doc.errors[0].message}` };
  }
  let problem: string | undefined;
  visit(doc, {
    Node: (_, node) => {
      const tag = (node as { tag?: string }).tag;
      if (problem === undefined && tag !== undefined && !CORE_TAGS.has(tag)) problem = `the value ${shown} has a YAML tag (${tag.replace('tag:yaml.org,2002:', '!!')}), which is not allowed`;
    },
  });
  if (problem !== undefined) return { problem };
  try {
    return { value: doc.toJS() };
  } catch (error) {
    // An alias bomb (`[&a [x,x], &b [*a,*a], ...]`): the library refuses to expand it.
    return { problem: `cannot read the value ${shown} as YAML: ${(error as Error).message}` };
  }
}

// ---------------------------------------------------------------------------
// Cross-field checks and resolution

/** Names of all session servers, numbered globally region by region: `korea-0`, `korea-1`, ... */
export function serverNames(s: Scenario): string[] {
  return namesOf(s.regions);
}

function namesOf(regions: ReadonlyArray<Pick<RegionConfig, 'name' | 'servers'> & { spare?: number }>): string[] {
  return regions.flatMap((region) =>
    Array.from({ length: region.servers + (region.spare ?? 0) }, (_, i) => `${region.name}-${i}`),
  );
}

/** Global indices of region r's servers, spares included (servers are numbered region by region). */
function serversOfRegion(regions: ReadonlyArray<Pick<RegionConfig, 'servers' | 'spare'>>, r: number): number[] {
  const first = regions.slice(0, r).reduce((sum, region) => sum + region.servers + region.spare, 0);
  return range(regions[r].servers + regions[r].spare).map((i) => first + i);
}

/** The scenario's name becomes a directory name (reports/<name>/...): file systems take 255 bytes, and the rest of the path needs room. */
const MAX_NAME_BYTES = 200;

function resolveScenario(doc: ScenarioDocument, problems: Problems): Scenario | undefined {
  if (Buffer.byteLength(doc.name) > MAX_NAME_BYTES) {
    problems.error(['name'], `expected at most ${MAX_NAME_BYTES} characters (bytes in UTF-8), found ${Buffer.byteLength(doc.name)}: the name becomes a directory name under reports/`);
  }
  checkRegions(doc.regions, problems);
  if (doc.services.length === 0) checkMccCoverage(doc, problems);
  checkCapacity(doc, problems);
  checkSamples(doc, problems);
  const services = resolveServices(doc, problems);
  const totalInstances = services.reduce((sum, service) => sum + service.instances, 0);
  const assertions = resolveAssertions(doc, problems);
  const sites = resolveSites(doc, problems, totalInstances);
  // `exec:` (live mode) stays on a fault only when it has one: the simulation never reads it.
  const faults = doc.faults.map((fault, i) => resolveFault(fault, ['faults', i], doc, problems, services, totalInstances, sites))
    .map((fault) => (fault === undefined || fault.exec != null ? fault : (({ exec: _exec, ...rest }) => rest as FaultConfig)(fault)));
  const explore = resolveExplore(doc, problems);
  checkBaselines(doc, problems);
  if (problems.hasErrors) return undefined;

  const { client, lookup, sessionServer, population } = doc;
  return {
    name: doc.name,
    description: doc.description,
    seed: doc.seed,
    duration: doc.duration,
    sampleInterval: doc.sampleInterval,
    rtt: doc.network.rtt,
    population: { clients: population.clients, mcc: normalizeShares(population.mcc), start: population.start },
    client: {
      requestTimeout: client.requestTimeout,
      connectTimeout: client.connectTimeout,
      connectRetries: client.connectRetries,
      lookupFailover: client.lookupFailover,
      keepalive: client.keepalive,
      backoff: { ...client.backoff },
      sessionLifetimeMean: client.churn?.sessionLifetimeMean ?? null,
      throttle: client.throttle === null ? null : { ...client.throttle },
    },
    lookup: {
      ...lookup,
      instances: totalInstances,
      slowStart: { ...lookup.slowStart },
      admission: lookup.admission === null ? null : { ...lookup.admission },
      dns: lookup.algorithm === 'dns' ? { ...lookup.dns } : null,
    },
    sessionServer: { ...sessionServer, heap: { ...sessionServer.heap } },
    regions: doc.regions.map((region) => ({ ...region, mcc: [...region.mcc] })),
    services,
    managers: doc.managers === null ? null : { ...doc.managers },
    leaks: doc.leaks.map((leak, i) => ({
      ...leak,
      server: resolveServers([leak.server], ['leaks', i, 'server'], doc.regions, problems, true)[0] ?? 0,
    })),
    grayDetection: { ...doc.grayDetection, detectors: doc.grayDetection.detectors.map((detector) => ({ ...detector })) as DetectorConfig[] },
    sites,
    faults: faults as FaultConfig[],
    assert: assertions,
    explore,
    l4: lookup.algorithm === 'l4' ? { ...doc.l4 } : null,
  };
}

/**
 * The baselines of docs/model.md §1 replace the lookups' algorithm for the
 * whole scenario: a service cannot choose another, and there is no
 * algorithm to change at run time. Each VIP needs a server.
 */
function checkBaselines(doc: ScenarioDocument, problems: Problems): void {
  const baseline = doc.lookup.algorithm;
  const isBaseline = (name: string) => name === 'dns' || name === 'l4';
  doc.faults.forEach((fault, i) => {
    if (fault.kind !== 'algorithm-change') return;
    if (isBaseline(baseline)) {
      problems.error(['faults', i, 'kind'], `lookup.algorithm is ${baseline}: there is no lookup algorithm to change at run time; remove this fault or change lookup.algorithm`);
    } else if (isBaseline(fault.algorithm)) {
      problems.error(['faults', i, 'algorithm'], `expected one of round-robin, weighted-least-connection, random, power-of-d, least-connection-slow-start: ${fault.algorithm} replaces the lookups for the whole run (set lookup.algorithm: ${fault.algorithm} instead)`);
    }
  });
  doc.services.forEach((service, k) => {
    if (service.algorithm === null || service.algorithm === baseline) return;
    if (isBaseline(baseline)) {
      problems.error(['services', k, 'algorithm'], `lookup.algorithm is ${baseline}: every service goes through it, so a service cannot choose ${service.algorithm}; remove this field or change lookup.algorithm`);
    } else if (isBaseline(service.algorithm)) {
      problems.error(['services', k, 'algorithm'], `${service.algorithm} replaces the lookups of every service: set lookup.algorithm: ${service.algorithm} instead`);
    }
  });
  if (!isBaseline(baseline)) return;
  if (baseline === 'l4') {
    doc.regions.forEach((region, r) => {
      const servers = region.servers + region.spare;
      if (doc.l4.vips > servers) {
        problems.error(['l4', 'vips'], `expected at most ${servers} VIPs per region: region "${region.name}" (regions[${r}]) has ${servers} server${servers === 1 ? '' : 's'}, and every VIP needs one`);
      }
    });
  }
}

/**
 * Services (docs/model.md §2). Without a `services` list there is one, `default`,
 * with every region and lookup instance. A region belongs to one service.
 */
function resolveServices(doc: ScenarioDocument, problems: Problems): ServiceConfig[] {
  const regionIndex = new Map(doc.regions.map((region, i) => [region.name, i]));
  const isCommon = (name: string) => name === 'common' || name.endsWith('-common');
  if (doc.services.length === 0) {
    return [{
      name: 'default',
      share: 1,
      regions: doc.regions.map((_, i) => i),
      commonRegion: regionIndex.get('common') ?? 0,
      firstInstance: 0,
      instances: doc.lookup.instances,
      algorithm: doc.lookup.algorithm,
    }];
  }
  const owner = new Map<string, string>();
  const totalShare = doc.services.reduce((sum, service) => sum + service.share, 0);
  const scale = Math.abs(totalShare - 1) <= 1e-9 ? 1 : totalShare;
  let firstInstance = 0;
  const seen = new Set<string>();
  return doc.services.map((service, k) => {
    const path = ['services', k];
    if (seen.has(service.name)) problems.error([...path, 'name'], `duplicate service name "${service.name}"`);
    seen.add(service.name);
    const regions: number[] = [];
    service.regions.forEach((name, j) => {
      const index = regionIndex.get(name);
      if (index === undefined) problems.error([...path, 'regions', j], unknownRegion(name, [...regionIndex.keys()]));
      else if (owner.has(name)) problems.error([...path, 'regions', j], `region "${name}" already belongs to service "${owner.get(name)}"`);
      else {
        owner.set(name, service.name);
        regions.push(index);
      }
    });
    const mapped = new Set(regions.flatMap((r) => doc.regions[r].mcc));
    let commonRegion = regions[0] ?? 0;
    if (service.commonRegion !== null) {
      const index = regionIndex.get(service.commonRegion);
      if (index === undefined || !regions.includes(index)) {
        problems.error([...path, 'commonRegion'], `"${service.commonRegion}" is not one of the service's regions`);
      } else commonRegion = index;
    } else {
      const common = regions.find((r) => isCommon(doc.regions[r].name));
      if (common !== undefined) commonRegion = common;
      else if (doc.population.mcc.some(([mcc]) => !mapped.has(mcc))) {
        problems.error(path, `some population MCCs map to none of the service's regions and it has no common region: add one named "common" (or ending in "-common") or set commonRegion`);
      }
    }
    const instances = service.lookupInstances ?? doc.lookup.instances;
    const resolved: ServiceConfig = {
      name: service.name,
      share: service.share / scale,
      regions,
      commonRegion,
      firstInstance,
      instances,
      algorithm: service.algorithm ?? doc.lookup.algorithm,
    };
    firstInstance += instances;
    return resolved;
  });
}

/** Sorted by MCC, shares summing to 1. Already-normalized shares are kept bit for bit, so reloading is exact. */
function normalizeShares(entries: Array<[number, number]>): MccShare[] {
  const total = entries.reduce((sum, [, share]) => sum + share, 0);
  const scale = Math.abs(total - 1) <= 1e-9 ? 1 : total;
  return entries.map(([mcc, share]) => ({ mcc, share: share / scale })).sort((a, b) => a.mcc - b.mcc);
}

type RegionDocument = ScenarioDocument['regions'][number];

function checkRegions(regions: RegionDocument[], problems: Problems): void {
  const firstIndex = new Map<string, number>();
  regions.forEach((region, i) => {
    const earlier = firstIndex.get(region.name);
    if (earlier === undefined) firstIndex.set(region.name, i);
    else problems.error(['regions', i, 'name'], `duplicate region name "${region.name}" (also regions[${earlier}])`);
  });
  const names = [...firstIndex.keys()];

  regions.forEach((region, i) => {
    if (region.failover === null) return;
    const path = ['regions', i, 'failover'];
    if (region.failover === region.name) problems.error(path, `region "${region.name}" cannot fail over to itself`);
    else if (!firstIndex.has(region.failover)) {
      problems.error(path, unknownRegion(region.failover, names));
    }
  });
  checkFailoverCycles(regions, firstIndex, problems);

  const mappedBy = new Map<number, string>();
  regions.forEach((region, i) => {
    region.mcc.forEach((mcc, j) => {
      const owner = mappedBy.get(mcc);
      if (owner === undefined) mappedBy.set(mcc, region.name);
      else {
        const where = owner === region.name ? 'listed twice in this region' : `already mapped to region "${owner}"`;
        problems.error(['regions', i, 'mcc', j], `MCC ${mcc} is ${where}; an MCC belongs to at most one region`);
      }
    });
  });
}

function unknownRegion(name: string, names: string[]): string {
  const hint = didYouMean(name, names);
  return `no region named "${name}"${hint !== '' ? hint : ` (regions: ${names.join(', ')})`}`;
}

function checkFailoverCycles(regions: RegionDocument[], indexOf: Map<string, number>, problems: Problems): void {
  const reported = new Set<number>();
  regions.forEach((start, i) => {
    const chain = [i];
    let next = start.failover === null ? undefined : indexOf.get(start.failover);
    while (next !== undefined && next !== i && !chain.includes(next)) {
      chain.push(next);
      const failover = regions[next].failover;
      next = failover === null ? undefined : indexOf.get(failover);
    }
    // Self-failover is reported on its own; a cycle is reported once, at its first region.
    if (next !== i || chain.length < 2 || chain.some((r) => reported.has(r))) return;
    chain.forEach((r) => reported.add(r));
    const names = [...chain, i].map((r) => regions[r].name).join(' -> ');
    problems.error(['regions', i, 'failover'], `failover chain forms a cycle: ${names}`);
  });
}

function checkMccCoverage(doc: ScenarioDocument, problems: Problems): void {
  if (doc.regions.some((region) => region.name === 'common')) return;
  const mapped = new Set(doc.regions.flatMap((region) => region.mcc));
  for (const [mcc] of doc.population.mcc) {
    if (!mapped.has(mcc)) {
      problems.error(
        ['population', 'mcc', String(mcc)],
        `MCC ${mcc} is not mapped to any region, and there is no region named "common" to take unmapped MCCs`,
        'key',
      );
    }
  }
}

function checkCapacity(doc: ScenarioDocument, problems: Problems): void {
  const servers = doc.regions.reduce((sum, region) => sum + region.servers, 0);
  const capacity = servers * doc.sessionServer.maxSessions;
  if (doc.population.clients > capacity) {
    problems.warn(
      ['population', 'clients'],
      `${doc.population.clients} clients exceed the total session capacity of ${capacity} ` +
        `(${servers} servers × ${doc.sessionServer.maxSessions} maxSessions); the rest can never connect`,
    );
  }
}

/** The series hold a point per sample (per server, region, lookup instance): past this, memory and result.json explode. */
const MAX_SAMPLES = 1_000_000;

function checkSamples(doc: ScenarioDocument, problems: Problems): void {
  const samples = Math.floor(doc.duration / doc.sampleInterval) + 1;
  if (samples > MAX_SAMPLES) {
    problems.error(
      ['sampleInterval'],
      `a sample every ${formatDuration(doc.sampleInterval)} over ${formatDuration(doc.duration)} makes ${samples} samples; ` +
        `at most ${MAX_SAMPLES} fit: raise sampleInterval to at least ${formatDuration(Math.ceil(doc.duration / MAX_SAMPLES))}`,
    );
    causedBy(problems, [['duration']]);
  }
}

/** Gate assertions, parsed and checked against this scenario; a problem points at its character in the item. */
function resolveAssertions(doc: ScenarioDocument, problems: Problems) {
  const { assertions, issues } = checkAssertions(doc.assert, doc);
  for (const { item, index, message, severity } of issues) {
    problems.list.push({ path: ['assert', item], message, anchor: 'value', severity, index });
  }
  return assertions;
}

type FaultDocument = ScenarioDocument['faults'][number];

function resolveFault(
  fault: FaultDocument,
  path: Path,
  doc: ScenarioDocument,
  problems: Problems,
  services: ServiceConfig[],
  totalInstances: number,
  sites: SiteConfig[],
): FaultConfig | undefined {
  checkFaultTiming(fault, path, doc.duration, problems);
  switch (fault.kind) {
    case 'site-outage': {
      const site = sites.find((candidate) => candidate.name === fault.site);
      if (site === undefined) {
        const names = sites.map((candidate) => `"${candidate.name}"`).join(', ');
        problems.error([...path, 'site'], sites.length === 0 ? `no site "${fault.site}": this scenario declares no \`sites\`` : `no site "${fault.site}"; sites: ${names}`);
        return { ...fault, servers: [], lookups: [], managers: [] };
      }
      const inRegions = doc.regions.flatMap((region, r) => (site.regions.includes(region.name) ? serversOfRegion(doc.regions, r) : []));
      const servers = [...new Set([...inRegions, ...site.servers])].sort((a, b) => a - b);
      return { ...fault, servers, lookups: [...site.lookups], managers: [...site.managers] };
    }
    case 'lookup-outage': {
      const instances = fault.instances === 'all' ? range(totalInstances) : fault.instances;
      checkIndices(instances, [...path, 'instances'], totalInstances, problems);
      return { ...fault, instances: [...instances] };
    }
    case 'carrier-outage': {
      const names = doc.regions.map((region) => region.name);
      if (fault.region !== null && !names.includes(fault.region)) {
        problems.error([...path, 'region'], unknownRegion(fault.region, names));
      }
      const known = new Set(doc.population.mcc.map(([code]) => code));
      fault.mcc?.forEach((code, j) => {
        if (!known.has(code)) problems.error([...path, 'mcc', j], `no client has MCC ${code}: population.mcc lists ${[...known].join(', ')}`);
      });
      return { ...fault, mcc: fault.mcc === null ? null : [...fault.mcc] };
    }
    case 'server-crash':
    case 'deploy':
    case 'server-start': {
      const servers = resolveServers(fault.servers, [...path, 'servers'], doc.regions, problems);
      return { ...fault, servers };
    }
    case 'manager-crash': {
      const count = doc.managers?.count ?? 0;
      const managers = fault.managers === 'all' ? range(count) : fault.managers;
      const listed = new Set<number>();
      managers.forEach((m, j) => {
        if (m >= count) problems.error([...path, 'managers', j], `no manager ${m}: managers.count is ${count}`);
        else if (listed.has(m)) problems.error([...path, 'managers', j], `manager ${m} is listed twice`);
        listed.add(m);
      });
      if (doc.managers === null) problems.error([...path, 'kind'], 'this scenario has no managers (managers: off)');
      return { ...fault, managers: [...managers] };
    }
    case 'mcc-remap': {
      const names = doc.regions.map((region) => region.name);
      if (!names.includes(fault.region)) problems.error([...path, 'region'], unknownRegion(fault.region, names));
      return { ...fault };
    }
    case 'algorithm-change': {
      const service = services.findIndex((candidate) => candidate.name === fault.service);
      if (service < 0) {
        const names = services.map((candidate) => `"${candidate.name}"`).join(', ');
        problems.error([...path, 'service'], `no service "${fault.service}"; services: ${names}`);
      }
      return { ...fault, service: Math.max(0, service) };
    }
  }
}

/** The `explore:` section: every range parsed, the map's fields among the numeric ranges. */
function resolveExplore(doc: ScenarioDocument, problems: Problems): ExploreConfig | null {
  const explore = doc.explore;
  if (explore === null) return null;
  const ranges: ExploreRange[] = [];
  for (const [path, text] of explore.ranges) {
    const range = parseRange(path, text);
    if (typeof range === 'string') problems.error(['explore', 'ranges', path], range);
    else ranges.push(range);
  }
  const numeric = ranges.filter((range) => range.kind === 'numeric').map((range) => range.path);
  explore.map.forEach((path, j) => {
    if (!numeric.includes(path)) {
      problems.error(['explore', 'map', j], `"${path}" is not one of the numeric ranges of explore.ranges${numeric.length === 0 ? ' (there are none)' : `: ${numeric.join(', ')}`}`);
    }
  });
  if (explore.map.length !== 0 && explore.map.length !== 2) problems.error(['explore', 'map'], `the map needs exactly two fields, found ${explore.map.length}`);
  const { extraFaults } = explore;
  if (extraFaults.until !== null && extraFaults.until < extraFaults.from) {
    problems.error(['explore', 'extraFaults', 'until'], `until (${formatDuration(extraFaults.until)}) is before from (${formatDuration(extraFaults.from)})`);
  }
  if (extraFaults.max > 0 && extraFaults.kinds.length === 0) problems.error(['explore', 'extraFaults', 'kinds'], 'extra faults need at least one kind');
  return {
    ...explore,
    ranges,
    extraFaults: { ...extraFaults, kinds: [...extraFaults.kinds] as ExploreConfig['extraFaults']['kinds'] },
    map: explore.map.length === 2 ? [...explore.map] : numeric.length >= 2 ? numeric.slice(0, 2) : [],
  };
}

/** Sites (docs/model.md §7.10): each names regions, servers, lookup instances and managers that exist. */
function resolveSites(doc: ScenarioDocument, problems: Problems, totalInstances: number): SiteConfig[] {
  const regionNames = doc.regions.map((region) => region.name);
  const seen = new Set<string>();
  return doc.sites.map((site, i) => {
    const path: Path = ['sites', i];
    if (seen.has(site.name)) problems.error([...path, 'name'], `site "${site.name}" is declared twice`);
    seen.add(site.name);
    site.regions.forEach((name, j) => {
      if (!regionNames.includes(name)) problems.error([...path, 'regions', j], unknownRegion(name, regionNames));
    });
    checkIndices(site.lookups, [...path, 'lookups'], totalInstances, problems);
    const managers = doc.managers?.count ?? 0;
    site.managers.forEach((m, j) => {
      if (doc.managers === null) problems.error([...path, 'managers', j], 'this scenario has no managers (managers: off)');
      else if (m >= managers) problems.error([...path, 'managers', j], `no manager ${m}: managers.count is ${managers}`);
    });
    if (site.regions.length + site.servers.length + site.lookups.length + site.managers.length === 0) {
      problems.error(path, 'a site holds nothing: give it regions, servers, lookups or managers');
    }
    const servers = resolveServers(site.servers, [...path, 'servers'], doc.regions, problems);
    return { name: site.name, regions: [...site.regions], servers, lookups: [...site.lookups], managers: [...site.managers] };
  });
}

function checkFaultTiming(fault: FaultDocument, path: Path, runDuration: number, problems: Problems): void {
  const run = formatDuration(runDuration);
  if (fault.at >= runDuration) {
    const start = formatDuration(fault.at);
    problems.error([...path, 'at'], `the fault starts at ${start}, which is not before the end of the run (${run})`);
    causedBy(problems, [['duration']]);
    return;
  }
  const [field, end] =
    fault.kind === 'server-crash' || fault.kind === 'manager-crash'
      ? (['restartAfter', fault.restartAfter === null ? null : fault.at + fault.restartAfter] as const)
      : fault.kind === 'carrier-outage' || fault.kind === 'lookup-outage' || fault.kind === 'site-outage'
        ? (['duration', fault.at + fault.duration] as const)
        : (['at', null] as const);
  if (end !== null && end > runDuration) {
    problems.warn([...path, field], `the fault ends at ${formatDuration(end)}, after the end of the run (${run})`);
    causedBy(problems, [['duration'], [...path, 'at']]);
  }
}

function checkIndices(indices: number[], path: Path, instances: number, problems: Problems): void {
  const seen = new Set<number>();
  indices.forEach((index, j) => {
    if (index >= instances) {
      const why = `lookup.instances is ${instances}, so indices run 0..${instances - 1}`;
      problems.error([...path, j], `no lookup instance ${index}: ${why}`);
    } else if (seen.has(index)) {
      problems.error([...path, j], `lookup instance ${index} is listed twice`);
    }
    seen.add(index);
  });
}

/** `single`: `path` is the one name's own (`leaks[0].server`), not a list's. */
function resolveServers(names: string[], path: Path, regions: RegionDocument[], problems: Problems, single = false): number[] {
  const at = (j: number): Path => (single ? path : [...path, j]);
  const all = namesOf(regions);
  const indexOf = new Map(all.map((name, i) => [name, i]));
  const seen = new Set<string>();
  const indices: number[] = [];
  names.forEach((name, j) => {
    const index = indexOf.get(name);
    if (index === undefined) problems.error(at(j), unknownServer(name, regions));
    else if (seen.has(name)) problems.error(at(j), `server "${name}" is listed twice`);
    else indices.push(index);
    seen.add(name);
  });
  return indices;
}

function unknownServer(name: string, regions: RegionDocument[]): string {
  const region = regions.find((r) => name.startsWith(`${r.name}-`) && /^\d+$/.test(name.slice(r.name.length + 1)));
  if (region) {
    const last = `${region.name}-${region.servers - 1}`;
    return `no server named "${name}": region "${region.name}" has ${region.servers} server(s), ${region.name}-0..${last}`;
  }
  const hint = didYouMean(name, namesOf(regions));
  if (hint !== '') return `no server named "${name}"${hint}`;
  const examples = regions.map((r) => `${r.name}-0`).join(', ');
  return `no server named "${name}"; servers are named <region>-<index>, e.g. ${examples}`;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

// ---------------------------------------------------------------------------
// Canonical form

/** Placeholders for the baselines' sections in a scenario that does not use them (left out of the canonical form). */
const DNS_DEFAULTS = { ttl: 300, ignoreTtl: 0.01 };
const L4_DEFAULTS = { vips: 2, maxSessions: 1_500_000, maxSetupsPerSec: 20_000, ghostTimeout: 1800, healthInterval: 5, failThreshold: 3, riseThreshold: 2 };

/** A plain object that reloads to a deep-equal Scenario: durations and rates as text, Infinity as `unlimited`. */
export function canonicalScenario(s: Scenario): Record<string, unknown> {
  const names = serverNames(s);
  const serverName = (index: number) => {
    const name = names[index];
    if (name === undefined) throw new Error(`scenario has no server with index ${index} (it has ${names.length})`);
    return name;
  };
  const doc: ScenarioDocument = {
    name: s.name,
    description: s.description,
    seed: s.seed,
    duration: s.duration,
    sampleInterval: s.sampleInterval,
    network: { rtt: s.rtt },
    population: {
      clients: s.population.clients,
      mcc: s.population.mcc.map(({ mcc, share }): [number, number] => [mcc, share]),
      start: s.population.start,
    },
    client: {
      requestTimeout: s.client.requestTimeout,
      connectTimeout: s.client.connectTimeout,
      connectRetries: s.client.connectRetries,
      lookupFailover: s.client.lookupFailover,
      keepalive: s.client.keepalive,
      backoff: { ...s.client.backoff },
      churn: { sessionLifetimeMean: s.client.sessionLifetimeMean },
      throttle: s.client.throttle === null ? null : { ...s.client.throttle },
    },
    lookup: {
      ...s.lookup,
      slowStart: { ...s.lookup.slowStart },
      admission: s.lookup.admission === null ? null : { ...s.lookup.admission },
      dns: s.lookup.dns ?? DNS_DEFAULTS,
    },
    sessionServer: { ...s.sessionServer, heap: { ...s.sessionServer.heap } },
    regions: s.regions.map((region) => ({ ...region })),
    services: s.services.map((service) => ({
      name: service.name,
      share: service.share,
      regions: service.regions.map((r) => s.regions[r].name),
      commonRegion: s.regions[service.commonRegion].name,
      lookupInstances: service.instances,
      algorithm: service.algorithm,
    })),
    managers: s.managers === null ? null : { ...s.managers },
    leaks: s.leaks.map((leak) => ({ ...leak, server: serverName(leak.server) })),
    grayDetection: { ...s.grayDetection, detectors: s.grayDetection.detectors.map((detector) => ({ ...detector })) },
    sites: s.sites.map((site) => ({ ...site, servers: site.servers.map(serverName) })),
    faults: s.faults.map((f) => ({ ...f, exec: f.exec ?? null })).map((fault) =>
      fault.kind === 'server-crash' || fault.kind === 'deploy' || fault.kind === 'server-start'
        ? { ...fault, servers: fault.servers.map(serverName) }
        : fault.kind === 'algorithm-change'
          ? { ...fault, service: s.services[fault.service].name }
          : fault.kind === 'site-outage'
            ? { kind: fault.kind, at: fault.at, duration: fault.duration, site: fault.site, exec: fault.exec }
            : { ...fault },
    ),
    assert: s.assert.map((assertion) => assertion.source),
    l4: s.l4 ?? L4_DEFAULTS,
    explore: s.explore === null ? null : {
      ...s.explore,
      ranges: s.explore.ranges.map((range): [string, string] => [range.path, rangeText(range)]),
      extraFaults: { ...s.explore.extraFaults, kinds: [...s.explore.extraFaults.kinds] },
      map: [...s.explore.map],
    },
  };
  const raw = scenarioSchema.toRaw(doc) as Record<string, unknown> & { lookup: Record<string, unknown> };
  // The baselines' sections only when they are used: other scenarios keep the bytes they had before them.
  if (s.lookup.dns === null) delete raw.lookup.dns;
  if (s.l4 === null) delete raw.l4;
  // A fault's `exec:` (live mode) only when it has one.
  for (const fault of raw.faults as Record<string, unknown>[]) if (fault.exec === null) delete fault.exec;
  return raw;
}
