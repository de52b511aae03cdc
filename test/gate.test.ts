// The gate: the assertion grammar (good and bad inputs, with positions), its
// evaluation, `stampede gate` end to end (exit codes, JUnit, Markdown) and
// `stampede capacity` on scenarios whose answer is known analytically.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import type { Summary } from '../sim/result.ts';
import { expandGlobs } from '../sim/cli/gate.ts';
import {
  AssertionSyntaxError,
  METRICS,
  evaluateLimit,
  judge,
  measure,
  metricTableMarkdown,
  parameterTableMarkdown,
  parseAssertion,
  type AssertionContext,
  type RunLike,
} from '../sim/gate/assertions.ts';
import { capacity, forecast, parseGrowth, type CapacityInput, type Varied } from '../sim/gate/capacity.ts';
import { checkReplications, GateInputError, loadTargets, runGate } from '../sim/gate/gate.ts';
import { capacityText } from '../sim/cli/capacity.ts';
import { escapeXmlAttribute, escapeXmlText } from '../sim/gate/junit.ts';
import { ScenarioError, canonicalScenario, parseScenarioText, type ScenarioIssue } from '../sim/scenario/load.ts';
import { describe as sampleStats } from '../sim/batch/stats.ts';
import { testTmp } from './support/temp.ts';

const CONTEXT: AssertionContext = {
  duration: 1800,
  sampleInterval: 1,
  population: { clients: 50_000 },
  lookup: { instances: 4, capacity: 20_000 },
  sessionServer: { maxSessions: 150_000, maxAcceptsPerSec: 2000, overloadAcceptsPerSec: 5000 },
  regions: [{ servers: 6 }, { servers: 4 }],
  faults: [{}],
};

// ---------------------------------------------------------------------------
// Grammar

describe('assertion grammar', () => {
  it('reads the examples of the issue', () => {
    const full = parseAssertion('recovery.full <= 20m');
    expect(full).toMatchObject({ metric: 'recovery.full', comparator: '<=', after: null, over: 'every', limitText: '20m' });
    expect(evaluateLimit(full.limit, CONTEXT)).toBe(1200);

    const load = parseAssertion('lookup.peakLoad <= 0.8 * capacity');
    expect(load.limitText).toBe('0.8 * capacity');
    expect(evaluateLimit(load.limit, CONTEXT)).toBe(16_000);

    const accepts = parseAssertion('server.peakAcceptRate <= maxAcceptsPerSec');
    expect(evaluateLimit(accepts.limit, CONTEXT)).toBe(2000);

    const imbalance = parseAssertion('sessions.imbalance <= 1.1 after 30m');
    expect(imbalance).toMatchObject({ metric: 'sessions.imbalance', after: 1800, at: { metric: 0, limit: 22, after: 32 } });
  });

  it('reads qualifiers, units, percentages and arithmetic', () => {
    expect(parseAssertion('recovery.full <= 20m for ci-upper').over).toBe('ci-upper');
    expect(parseAssertion('lookup.peakLoad <= 0.9 * capacity after 15m for mean')).toMatchObject({ after: 900, over: 'mean' });
    expect(parseAssertion('recovery.p99<1m30s').comparator).toBe('<');
    const cases: [string, number][] = [
      ['lookup.peakLoadFactor <= 80%', 0.8],
      ['server.peakAcceptRate <= 1200/min', 20],
      ['recovery.full <= 250ms', 0.25],
      ['sessions.atEnd >= clients - 10', 49_990],
      ['sessions.atEnd >= 0.99 * sessionCapacity / 30', 0.99 * 1_500_000 / 30],
      ['sessions.atEnd >= (servers + 2) * 3', 36],
      ['lookup.peakLoad <= capacity * instances / (2 * instances)', 10_000],
      ['recovery.full <= duration - 10m', 1200],
      ['lookup.peakLoad < 2000/s * 10m / 1h', 2000 * 600 / 3600],
      ['attemptsPerClient.p99 <= 1e2', 100],
      ['sessions.atEnd > -1', -1],
    ];
    for (const [text, limit] of cases) expect(evaluateLimit(parseAssertion(text).limit, CONTEXT), text).toBeCloseTo(limit, 9);
  });

  it('reports syntax errors, unknown names and unit mismatches at the offending character', () => {
    const bad: [string, number, RegExp][] = [
      ['', 0, /^empty assertion; an assertion reads METRIC OP LIMIT/],
      ['recovery.ful <= 20m', 0, /unknown metric "recovery.ful" \(did you mean "recovery.full"\?\)/],
      ['nonsense <= 1', 0, /unknown metric "nonsense" \(the metrics are listed in docs\/gate.md\)/],
      ['capacity <= 1', 0, /"capacity" is a scenario parameter/],
      ['20m >= recovery.full', 0, /expected a metric name, found "20m"/],
      ['recovery.full 20m', 14, /expected a comparison \(<=, <, >=, >\) after "recovery.full", found "20m"/],
      ['recovery.full = 20m', 14, /"=" is not supported/],
      ['recovery.full =< 20m', 14, /write "<=" instead of "=<"/],
      ['recovery.full <=', 16, /expected a number, .* found the end of the assertion/],
      ['recovery.full <= 20', 17, /recovery.full is a duration but the limit is a plain number: give the limit a unit, e.g. "20m"/],
      ['recovery.full <= 20 m', 17, /write the number and its unit without a space: "20m"/],
      ['recovery.full <= 20mins', 19, /bad duration "20mins": unknown unit "mins"/],
      ['lookup.peakLoad <= 16000', 19, /is a rate \(per second\) but the limit is a plain number/],
      ['lookup.peakLoad <= 2000/sec', 24, /bad rate "2000\/sec": unknown unit "\/sec"/],
      ['lookup.peakLoadFactor <= capacity', 25, /lookup.peakLoadFactor is a plain number but the limit is a rate/],
      ['recovery.full <= 20m + 1', 21, /cannot add a plain number to a duration/],
      ['lookup.peakLoad <= 0.8 * capacty', 25, /unknown parameter "capacty" \(did you mean "capacity"\?\)/],
      ['lookup.peakLoad <= capacity-instances', 19, /to subtract, put spaces around "-"/],
      ['lookup.peakLoad <= recovery.full', 19, /a limit may name scenario parameters .* not metrics/],
      ['recovery.full <= (10m + 5m', 26, /expected "\)" to close the "\(" at column 18/],
      ['recovery.full <= 20m # comment', 21, /unexpected character "#"/],
      ['recovery.full <= 20m after 5m', 27, /recovery.full is one figure per run, so "after" does not apply/],
      ['sessions.imbalance <= 1.1 after 30', 32, /expected a duration such as "30m" after "after"/],
      ['sessions.imbalance <= 1.1 after 1m after 2m', 35, /"after" is given twice/],
      ['recovery.full <= 20m for all', 25, /expected every, mean, ci-upper, ci-lower after "for", found "all" \(did you mean "every"\?\)/],
      ['recovery.full <= 20m for ci-uper', 25, /did you mean "ci-upper"/],
      ['recovery.full <= 20m for', 24, /expected every, .* found the end of the assertion/],
      ['recovery.full <= 20m for mean for every', 30, /"for" is given twice/],
      ['recovery.full <= 20m please', 21, /unexpected "please" after the limit/],
    ];
    for (const [text, index, message] of bad) {
      let caught: unknown;
      try {
        parseAssertion(text);
      } catch (error) {
        caught = error;
      }
      expect(caught, text).toBeInstanceOf(AssertionSyntaxError);
      expect((caught as AssertionSyntaxError).message, text).toMatch(message);
      expect((caught as AssertionSyntaxError).index, text).toBe(index);
    }
  });

  it('has a catalogue whose names are unique and whose docs/gate.md tables are current', () => {
    const names = METRICS.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    const doc = readFileSync('docs/gate.md', 'utf8');
    const between = (tag: string) => doc.split(`<!-- ${tag}:begin -->\n`)[1]?.split(`\n<!-- ${tag}:end -->`)[0];
    expect(between('metrics')).toBe(metricTableMarkdown());
    expect(between('parameters')).toBe(parameterTableMarkdown());
  });
});

// ---------------------------------------------------------------------------
// In a scenario file

const FILE = 'gate.yaml';
const BASE = `name: g
duration: 30m
faults:
  - {kind: lookup-outage, at: 1m, duration: 10m}
`;

function issuesOf(text: string, overrides: string[] = []): ScenarioIssue[] {
  try {
    parseScenarioText(text, FILE, overrides);
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    return (error as ScenarioError).issues;
  }
  throw new Error('expected the scenario to be rejected');
}

/** 1-based line and column of `needle` in `text`. */
function positionOf(text: string, needle: string) {
  const before = text.slice(0, text.indexOf(needle)).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

describe('assert: in a scenario', () => {
  it('defaults to no assertions and parses the list into the Scenario', () => {
    expect(parseScenarioText(BASE, FILE).scenario.assert).toEqual([]);
    const { scenario } = parseScenarioText(`${BASE}assert: [recovery.full <= 20m, "lookup.peakLoad <= 0.8 * capacity for mean"]\n`, FILE);
    expect(scenario.assert.map((a) => [a.metric, a.over])).toEqual([['recovery.full', 'every'], ['lookup.peakLoad', 'mean']]);
  });

  it('points each problem at its character in the file, whether the item is plain or quoted', () => {
    const text = `${BASE}assert:
  - recovery.full <= 20m
  - recovery.ful <= 20m
  - "lookup.peakLoad <= 0.8 * capacty"
  - 'sessions.imbalance <= 1.1 after 40m'
  - lookup.peakLoad <= 16000
`;
    const issues = issuesOf(text);
    expect(issues.map((i) => i.path)).toEqual(['assert[1]', 'assert[2]', 'assert[3]', 'assert[4]']);
    expect(issues[0]).toMatchObject({ file: FILE, ...positionOf(text, 'recovery.ful '), message: expect.stringMatching(/did you mean "recovery.full"/) });
    expect(issues[1]).toMatchObject(positionOf(text, 'capacty'));
    expect(issues[2]).toMatchObject({ ...positionOf(text, '40m'), message: "after 40m: the run's last sample is at 30m, so nothing is measured after that; lengthen duration, or change the assertion (--set 'assert.3=...') or run without assertions (--set 'assert=[]')" });
    expect(issues[3]).toMatchObject(positionOf(text, '16000'));
  });

  it('checks assertions against the scenario: faults, run length, unlimited parameters', () => {
    const noFault = 'name: g\nduration: 30m\nlookup: {capacity: unlimited}\n';
    const issues = issuesOf(`${noFault}assert: [recovery.full <= 1m, lookup.peakLoad <= capacity - capacity]\n`);
    expect(issues.map((i) => i.message)).toEqual([
      "recovery.full is measured from the first fault, and this scenario has no faults; change the assertion (--set 'assert.0=...') or run without assertions (--set 'assert=[]')",
      'the limit "capacity - capacity" is not a number in this scenario (capacity is unlimited)',
    ]);
    const { warnings } = parseScenarioText(`${noFault}assert: [lookup.peakLoad <= 0.8 * capacity]\n`, FILE);
    expect(warnings).toEqual([expect.stringMatching(/assert\[0\]: the limit "0.8 \* capacity" is infinite .*capacity is unlimited.*always passes/)]);
  });

  it('reports a bad assertion set by --set against the override', () => {
    const [issue] = issuesOf(BASE, ['assert.0=recovery.full <= 1x']);
    expect(issue).toMatchObject({ file: '--set assert.0=recovery.full <= 1x', path: 'assert[0]' });
    expect(issue.line).toBeUndefined();
  });

  it('round-trips: the canonical scenario writes each assertion back as written', () => {
    const sources = ['recovery.full<=20m', 'lookup.peakLoad <= 0.8 * capacity for ci-upper', 'sessions.imbalance <= 1.1 after 25m'];
    const { scenario } = parseScenarioText(`${BASE}assert: ${JSON.stringify(sources)}\n`, FILE);
    const canonical = canonicalScenario(scenario);
    expect(canonical.assert).toEqual(sources);
    expect(parseScenarioText(stringify(canonical), FILE).scenario).toEqual(scenario);
  });
});

// ---------------------------------------------------------------------------
// Evaluation

function summaryWith(overrides: { recoveryFull?: number | null; imbalance?: number | null; peakLoad?: number }): Summary {
  const d = { count: 0, mean: null, p50: null, p90: null, p99: null, p999: null, max: null };
  return {
    recovery: { p99: 1, p999: 2, full: overrides.recoveryFull === undefined ? 600 : overrides.recoveryFull },
    reconnectTime: d,
    downtime: d,
    attemptsToReconnect: d,
    attemptsPerClient: { ...d, count: 1, p99: 3 },
    imbalance: { maxOverMean: overrides.imbalance === undefined ? 1.05 : overrides.imbalance, cv: 0.01 },
    lookup: { peakOfferedPerSec: overrides.peakLoad ?? 100, peakLoadFactor: null, capacityPerInstance: null },
    server: { peakAcceptsPerSec: 10, maxAcceptsPerSec: 2000, peakAcceptFactor: 0.005, crashes: 0 },
  } as unknown as Summary;
}

const interval = (sample: readonly number[]) => sampleStats(sample).ci95;

describe('evaluation', () => {
  it('reads metrics from the summary, with documented meanings for missing values', () => {
    const run = (s: Summary): RunLike => ({ summary: s });
    expect(measure(parseAssertion('recovery.full <= 20m'), run(summaryWith({})))).toBe(600);
    expect(measure(parseAssertion('recovery.full <= 20m'), run(summaryWith({ recoveryFull: null })))).toBe(Infinity);
    expect(measure(parseAssertion('reconnectTime.p99 <= 20m'), run(summaryWith({})))).toBe(0);
    expect(measure(parseAssertion('attemptsPerClient.p99 <= 5'), run(summaryWith({})))).toBe(3);
    expect(measure(parseAssertion('lookup.peakLoadFactor <= 1'), run(summaryWith({})))).toBe(0);
    expect(measure(parseAssertion('sessions.imbalance <= 1.1'), run(summaryWith({ imbalance: null })))).toBeNull();
  });

  it('reads a windowed metric from the series: the worst sample at or after T, over servers holding sessions', () => {
    const series = {
      time: [0, 60, 120, 180],
      sessionsByServer: { a: [100, 0, 90, 100], b: [100, 50, 110, 100], c: [100, 150, 100, 100] },
      lookups: { offeredPerSec: [[5, 50, 7, 1], [9, 9, 60, 2]] },
      acceptsPerSec: { a: [0, 3, 0, 0], b: [1, 1, 1, 8] },
      carrierAttemptsPerSec: [1, 2, 3, 4],
    } as unknown as RunLike['series'];
    const run: RunLike = { summary: summaryWith({}), series };
    // At 60 s server a holds nothing (crashed) and is left out: max 150 over mean 100.
    expect(measure(parseAssertion('sessions.imbalance <= 2 after 1m'), run)).toBeCloseTo(1.5, 12);
    expect(measure(parseAssertion('sessions.imbalance <= 2 after 2m'), run)).toBeCloseTo(1.1, 12);
    expect(measure(parseAssertion('sessions.imbalance <= 2 after 3m'), run)).toBe(1);
    expect(measure(parseAssertion('lookup.peakLoad <= 100/s after 90s'), run)).toBe(60);
    expect(measure(parseAssertion('lookup.peakLoad <= 100/s after 3m'), run)).toBe(2);
    expect(measure(parseAssertion('server.peakAcceptRate <= 100/s after 2m'), run)).toBe(8);
    expect(measure(parseAssertion('carrier.peakAttemptRate <= 100/s after 1m'), run)).toBe(4);
    expect(() => measure(parseAssertion('sessions.imbalance <= 2 after 1m'), { summary: summaryWith({}) })).toThrow(/needs the run's series/);
  });

  it('judges every run, the mean, and the bounds of the 95 % interval', () => {
    const values = [100, 110, 120];
    const at = (text: string) => judge(parseAssertion(text), 115, values, interval);
    expect(at('recovery.full <= 1m for every')).toMatchObject({ passed: false, compared: 120, failingRuns: [2], basis: 'worst of 3 runs' });
    expect(at('recovery.full >= 1m for every')).toMatchObject({ passed: false, compared: 100, failingRuns: [0, 1] });
    expect(at('recovery.full <= 1m for mean')).toMatchObject({ passed: true, compared: 110, basis: 'mean of 3 runs' });
    const ci = sampleStats(values).ci95!;
    expect(at('recovery.full <= 1m for ci-upper')).toMatchObject({ passed: false, compared: ci[1], basis: '95 % CI upper bound of 3 runs' });
    expect(at('recovery.full >= 1m for ci-lower')).toMatchObject({ passed: false, compared: ci[0] });
    expect(judge(parseAssertion('recovery.full <= 1m'), 60, [59], interval)).toMatchObject({ passed: true, compared: 59, basis: '' });
    expect(judge(parseAssertion('recovery.full < 1m'), 60, [60], interval).passed).toBe(false);
  });

  it('fails on missing values and infinite recoveries, saying why', () => {
    const imbalance = parseAssertion('sessions.imbalance <= 1.1');
    expect(judge(imbalance, 1.1, [null], interval)).toMatchObject({ passed: false, compared: null, note: 'no value in the run' });
    expect(judge(parseAssertion('sessions.imbalance <= 1.1 for mean'), 1.1, [1, null], interval)).toMatchObject({ passed: false, note: 'no value in 1 of 2 runs' });
    const full = parseAssertion('recovery.full <= 20m for ci-upper');
    expect(judge(full, 1200, [600, Infinity], interval)).toMatchObject({ passed: false, compared: Infinity });
    expect(judge(full, 1200, [600], interval)).toMatchObject({ passed: false, note: 'a confidence interval needs at least 2 runs' });
  });
});

// ---------------------------------------------------------------------------
// Capacity arithmetic

describe('growth forecast', () => {
  it('parses growth rates', () => {
    expect(parseGrowth('3%/month')).toEqual({ percent: 3, period: 'month' });
    expect(parseGrowth(' 40 % / year ')).toEqual({ percent: 40, period: 'year' });
    expect(parseGrowth('0.5%/d')).toEqual({ percent: 0.5, period: 'day' });
    expect(() => parseGrowth('3 percent')).toThrow(/expected a rate such as "3%\/month"/);
    expect(() => parseGrowth('3%/fortnight')).toThrow(/per day, week, month or year/);
  });

  it('gives the first day the grown population exceeds the limit', () => {
    // 1000 / 300 at 3 %/month: 40.73 months = 1239.7 days, so day 1240 is the first past the limit.
    expect(forecast(300, 1000, false, { percent: 3, period: 'month' }, '2025-01-01')).toMatchObject({ stopsPassing: '2028-05-25', days: 1240 });
    // Doubling in exactly one year: the limit is reached on day 365.2425; the next whole day fails.
    expect(forecast(100, 200, false, { percent: 100, period: 'year' }, '2024-02-28')).toMatchObject({ days: 366, stopsPassing: '2025-02-28' });
    expect(forecast(300, 200, false, { percent: 3, period: 'month' }, '2025-01-01')).toMatchObject({ stopsPassing: '2025-01-01', days: 0 });
    expect(forecast(300, null, false, { percent: 3, period: 'month' }, '2025-01-01')).toMatchObject({ days: 0 });
    expect(forecast(300, 1000, false, { percent: 0, period: 'month' }, '2025-01-01')).toMatchObject({ stopsPassing: null, days: null });
  });
});

// ---------------------------------------------------------------------------
// XML

/** A small well-formedness check: balanced tags, quoted attributes, only the five entities, no raw "<" or "&". */
function checkWellFormedXml(xml: string): void {
  expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
  const body = xml.slice(xml.indexOf('?>') + 2);
  const stack: string[] = [];
  const token = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let match: RegExpExecArray | null;
  let consumed = 0;
  while ((match = token.exec(body)) !== null) {
    consumed = token.lastIndex;
    const [, closing, name, attrs, selfClosing, text] = match;
    const content = text ?? attrs ?? '';
    expect(content.replace(/&(amp|lt|gt|quot|apos|#\d+);/g, '')).not.toMatch(/&/);
    if (text !== undefined) continue;
    if (closing) expect(stack.pop()).toBe(name);
    else if (!selfClosing) stack.push(name);
  }
  expect(consumed, `not XML from offset ${consumed}: ${body.slice(consumed, consumed + 80)}`).toBe(body.length);
  expect(stack).toEqual([]);
}

describe('XML escaping', () => {
  it('escapes markup and drops characters XML cannot carry', () => {
    expect(escapeXmlText('a < b && c > d')).toBe('a &lt; b &amp;&amp; c &gt; d');
    expect(escapeXmlAttribute(`"x" <= 'y'\n\u0001`)).toBe('&quot;x&quot; &lt;= &apos;y&apos;&#10;\uFFFD');
  });
});

// ---------------------------------------------------------------------------
// The commands

function stampede(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/stampede.cjs', ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A small lookup outage: 2000 clients, 4 servers, 2 lookups down for 2 minutes. */
const SMALL = `name: NAME
duration: 15m
population: {clients: 2000}
lookup: {instances: 2}
regions: [{name: common, servers: 4}]
faults:
  - {kind: lookup-outage, at: 1m, duration: 2m}
`;

function scenarioFile(dir: string, name: string, assertions: string[]): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `${SMALL.replace('NAME', name)}assert:\n${assertions.map((a) => `  - ${JSON.stringify(a)}\n`).join('')}`);
  return file;
}

/** The <testcase> elements of a JUnit file: name, and the failure message if any. */
function testcases(xml: string): { name: string; failure: string | null; error: string | null }[] {
  const unescape = (s: string) => s.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&quot;', '"').replaceAll('&apos;', "'").replaceAll('&amp;', '&');
  return [...xml.matchAll(/<testcase name="([^"]*)"[^>]*>([\s\S]*?)<\/testcase>/g)].map(([, name, body]) => ({
    name: unescape(name),
    failure: /<failure message="([^"]*)"/.exec(body)?.[1] ?? null,
    error: /<error message="([^"]*)"/.exec(body)?.[1] ?? null,
  }));
}

describe('stampede gate', () => {
  const dir = mkdtempSync(join(testTmp(), 'stampede-gate-'));
  const passing = scenarioFile(dir, 'must-pass', [
    'recovery.full <= 10m',
    'lookup.peakLoad <= 0.8 * capacity',
    'server.crashes <= 0',
    'sessions.imbalance <= 1.2 after 12m',
  ]);
  const failing = scenarioFile(dir, 'must-fail', ['recovery.full <= 10m', 'recovery.full <= 10s', 'lookup.peakLoad < 1/s']);

  it('exits 0 when every assertion passes, with one JUnit test case per assertion', () => {
    const junit = join(dir, 'pass.xml');
    const summary = join(dir, 'pass.md');
    const r = stampede('gate', passing, '--junit', junit, '--summary', summary, '--quiet');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^PASS +must-pass +recovery\.full <= 10m +\d+(\.\d+)? s \(\d+\.\d min\) +<= 600 s \(10\.0 min\)$/m);
    expect(r.stdout).toContain('gate PASSED: 4 passed, 0 failed');
    const xml = readFileSync(junit, 'utf8');
    checkWellFormedXml(xml);
    expect(xml).toContain('<testsuites name="stampede gate" tests="4" failures="0" errors="0">');
    expect(testcases(xml)).toEqual([
      { name: 'recovery.full <= 10m', failure: null, error: null },
      { name: 'lookup.peakLoad <= 0.8 * capacity', failure: null, error: null },
      { name: 'server.crashes <= 0', failure: null, error: null },
      { name: 'sessions.imbalance <= 1.2 after 12m', failure: null, error: null },
    ]);
    expect(readFileSync(summary, 'utf8')).toMatch(/^## ✅ stampede gate: passed\n[\s\S]*\| ✅ \| `must-pass` \| `recovery.full <= 10m` \|/);
  });

  it('exits 1 when an assertion fails, with <failure> on exactly the failing test cases, and is deterministic', () => {
    const junit = join(dir, 'fail.xml');
    const summary = join(dir, 'fail.md');
    const r = stampede('gate', passing, failing, '--junit', junit, '--summary', summary, '--quiet');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^FAIL +must-fail +recovery\.full <= 10s /m);
    expect(r.stdout).toContain(`reproduce: stampede run ${failing} --seed 1`);
    expect(r.stdout).toContain('gate FAILED: 5 passed, 2 failed');
    const xml = readFileSync(junit, 'utf8');
    checkWellFormedXml(xml);
    expect(xml).toContain('<testsuites name="stampede gate" tests="7" failures="2" errors="0">');
    expect(xml).toContain(`<testsuite name="must-fail" tests="3" failures="2" errors="0" skipped="0" file="${failing}">`);
    const cases = testcases(xml).slice(4);
    expect(cases.map((c) => [c.name, c.failure !== null])).toEqual([
      ['recovery.full <= 10m', false],
      ['recovery.full <= 10s', true],
      ['lookup.peakLoad < 1/s', true],
    ]);
    expect(cases[1].failure).toMatch(/^recovery\.full measured \d+(\.\d+)? s \(\d+\.\d min\), limit &lt;= 10 s$/);
    expect(readFileSync(summary, 'utf8')).toMatch(/## ❌ stampede gate: failed[\s\S]*\| ❌ \| `must-fail` \| `recovery.full <= 10s` \|[\s\S]*```sh\nstampede run /);
    // Deterministic: the must-pass suite is byte for byte the one the previous gate wrote.
    const suite = (text: string) => /<testsuite name="must-pass"[\s\S]*?<\/testsuite>/.exec(text)?.[0];
    expect(suite(xml)).toBe(suite(readFileSync(join(dir, 'pass.xml'), 'utf8')));
    expect(suite(xml)).toBeDefined();
  });

  it('judges replications: every run, the mean and the CI bound, on worker threads', () => {
    const junit = join(dir, 'replications.xml');
    const file = scenarioFile(dir, 'replicated', ['recovery.full <= 10m', 'recovery.full <= 10m for mean', 'recovery.full <= 10m for ci-upper', 'recovery.p99 >= 1s for ci-lower']);
    const r = stampede('gate', file, '--replications', '3', '--workers', '2', '--junit', junit, '--quiet');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/recovery\.full <= 10m +.*\(worst of 3 runs\)/);
    expect(r.stdout).toMatch(/recovery\.full <= 10m for ci-upper +.*\(95 % CI upper bound of 3 runs\)/);
    expect(readFileSync(junit, 'utf8')).toMatch(/<property name="seeds" value="\d+ \d+ \d+"\/>/);
  });

  it('exits 2 for an invalid assertion, naming file, line and column, before running anything', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, `${SMALL.replace('NAME', 'bad')}assert:\n  - recovery.full <= 10m\n  - lookup.peakLoad <= 0.8 * capacty\n`);
    const junit = join(dir, 'bad.xml');
    const r = stampede('gate', passing, bad, '--junit', junit);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}:10:30: assert[1]: unknown parameter "capacty" (did you mean "capacity"?)`);
    expect(r.stdout).toBe('');
    expect(existsSync(junit)).toBe(false);
  });

  it('exits 2 for other input it cannot use', async () => {
    const glob = stampede('gate', join(dir, 'none-*.yaml'));
    expect(glob.code).toBe(2);
    expect(glob.stderr).toMatch(/no file matches/);
    // The rest is refused by the library before any run (the CLI maps GateInputError to 2).
    const replicated = loadTargets([join(dir, 'replicated.yaml')], []);
    expect(() => checkReplications(replicated, 1)).toThrow(/a confidence bound needs at least 2 runs; give --replications 2 or more/);
    const empty = join(dir, 'empty.yaml');
    writeFileSync(empty, SMALL.replace('NAME', 'empty'));
    await expect(runGate(loadTargets([empty], []), 1, { workers: 1 })).rejects.toThrow(GateInputError);
    await expect(runGate(loadTargets([empty], []), 1, { workers: 1 })).rejects.toThrow(/nothing to gate/);
    expect(() => loadTargets([passing, empty], ['assert.0=recovery.full <= 10'])).toThrow(ScenarioError);
  });

  it('caps the population with --max-clients, after --set, and never grows a smaller scenario', () => {
    const large = join(dir, 'large.yaml');
    writeFileSync(large, `${SMALL.replace('NAME', 'large').replace('clients: 2000', 'clients: 3000')}assert:\n  - server.crashes <= 0\n`);
    const [capped, own] = loadTargets([large, passing], [], 2500);
    expect(capped.scenario.population.clients).toBe(2500);
    expect(capped.overrides).toEqual(['population.clients=2500']);
    expect(own.scenario.population.clients).toBe(2000);
    expect(own.overrides).toEqual([]);
    // The cap applies to the population --set gives.
    const [set] = loadTargets([passing], ['population.clients=9000', 'seed=4'], 2500);
    expect(set.scenario.population.clients).toBe(2500);
    expect(set.overrides).toEqual(['population.clients=9000', 'seed=4', 'population.clients=2500']);
    // A failing run's reproduce command runs what the gate ran.
    const r = stampede('gate', failing, '--max-clients', '1500', '--quiet');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain(`reproduce: stampede run ${failing} --set population.clients=1500 --seed 1`);
    const refused = stampede('gate', failing, '--max-clients', '0');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--max-clients: expected an integer >= 1, found 0');
  });

  it('answers --help', () => {
    const help = stampede('gate', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--junit[\s\S]*--summary[\s\S]*Exit codes: 0 every assertion passed, 1 an assertion failed, 2 invalid input/);
    const capacityHelp = stampede('capacity', '--help');
    expect(capacityHelp.code).toBe(0);
    expect(capacityHelp.stdout).toMatch(/--vary[\s\S]*--growth[\s\S]*--today/);
  });

  it('gates the shipped catalogue at a small population', () => {
    const r = stampede('gate', 'scenarios/{lookup,carrier}-outage.yaml', 'scenarios/server-crash.yaml', '--set', 'population.clients=5000', '--workers', '1', '--quiet');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^PASS +lookup-outage +recovery\.full <= 20m /m);
  });

  it('makes `stampede run` print the verdicts and exit 1 when one fails', () => {
    const out = mkdtempSync(join(testTmp(), 'stampede-gate-run-'));
    const r = stampede('run', failing, '--out', out, '--quiet');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/ {4}PASS {2}recovery\.full <= 10m {2}\(measured .*; limit <= 600 s \(10\.0 min\)\)/);
    expect(r.stdout).toMatch(/ {4}FAIL {2}recovery\.full <= 10s/);
  });
});

describe('glob expansion', () => {
  it('matches *, braces and **, sorted and without duplicates; keeps plain paths as given', () => {
    const shipped = expandGlobs(['scenarios/*.yaml']);
    expect(shipped).toContain('scenarios/lookup-outage.yaml');
    expect(shipped).toEqual([...shipped].sort());
    expect(expandGlobs(['scenarios/{server-crash,lookup-outage}.yaml', 'scenarios/lookup-outage.yaml'])).toEqual([
      'scenarios/lookup-outage.yaml',
      'scenarios/server-crash.yaml',
    ]);
    expect(expandGlobs(['scenarios/**/v1-*.yaml'])).toEqual(['scenarios/validation/v1-carrier-outage-backoff.yaml']);
    expect(expandGlobs(['no/such/file.yaml'])).toEqual(['no/such/file.yaml']);
  });
});

describe('stampede capacity', () => {
  // No faults and no churn: every client that finds room keeps its session, so
  // `sessions.atEnd >= clients` holds exactly while clients <= servers × maxSessions.
  const dir = mkdtempSync(join(testTmp(), 'stampede-capacity-'));
  const file = join(dir, 'capacity.yaml');
  writeFileSync(file, `name: capacity
duration: 2m
population: {clients: 300}
client: {churn: off}
regions: [{name: common, servers: 2}]
sessionServer: {maxSessions: 500}
assert:
  - sessions.atEnd >= clients
`);

  it('finds the largest population that passes (servers × maxSessions), with margin and growth date', () => {
    const r = stampede('capacity', file, '--vary', 'population', '--precision', '0', '--growth', '3%/month', '--today', '2025-01-01', '--json', '--quiet');
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ path: 'population.clients', current: 300, limit: 1000, failing: 1001, converged: true });
    expect(result.margin).toEqual({ absolute: 700, relative: 700 / 300 });
    expect(result.forecast).toMatchObject({ today: '2025-01-01', stopsPassing: '2028-05-25', days: 1240 });
    expect(result.probes.length).toBeLessThanOrEqual(16);
    expect(result.probes.find((p: { value: number }) => p.value === 1001).reasons).toEqual(['sessions.atEnd >= clients (measured 1000)']);
  });

  const input = (over: Partial<CapacityInput>): CapacityInput => ({
    file, overrides: [], vary: 'population', maxRuns: 16, precision: 0, replications: 1, ...over,
  });

  it('finds the fewest servers that pass (clients / maxSessions) and bounds the runs', async () => {
    const servers = await capacity(input({ vary: 'servers', overrides: ['population.clients=1000', 'sessionServer.maxSessions=100'] }), { workers: 1 });
    expect(servers).toMatchObject({ path: 'regions.0.servers', current: 2, limit: 10, failing: 9, margin: { absolute: -8 } });
    const text = capacityText(servers);
    expect(text).toContain('fewest servers that pass: 10 (9 fails)');
    expect(text).toContain("margin: today's 2 servers fail; 8 more are needed");

    const short = await capacity(input({ maxRuns: 3 }), { workers: 1 });
    expect(short.probes.map((p) => p.value)).toEqual([300, 600, 1200]);
    expect(short).toMatchObject({ converged: false, limit: 600, failing: 1200, runs: 3 });
  });

  it('refuses what it cannot answer before any run', async () => {
    const refused = async (over: Partial<CapacityInput>, message: RegExp) => {
      await expect(capacity(input(over), { workers: 1 })).rejects.toThrow(message);
    };
    await refused({ vary: 'servers', growth: { percent: 3, period: 'month' }, today: '2025-01-01' }, /use it with --vary population/);
    await refused({ growth: { percent: 3, period: 'month' }, today: '2025-02-30' }, /--today: expected a date YYYY-MM-DD/);
    await refused({ vary: 'cpus' as Varied }, /--vary must be one of population, servers, lookups/);
    await refused({ overrides: ['assert=[]'] }, /has no assert: section/);
    await refused({ maxRuns: 1, replications: 2 }, /--max-runs must allow at least one probe/);
    const bad = stampede('capacity', file, '--vary', 'population', '--growth', '3%/fortnight');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--growth: expected a rate such as "3%\/month"/);
  });
});

describe('CI examples', () => {
  it('are valid YAML that gate on the shipped scenarios with JUnit output', () => {
    for (const path of ['examples/github-actions-gate.yml', 'examples/gitlab-ci-gate.yml']) {
      const text = readFileSync(path, 'utf8');
      expect(() => parseYaml(text), path).not.toThrow();
      expect(text).toMatch(/stampede\.cjs gate 'scenarios\/\*\.yaml'/);
      expect(text).toContain('--junit reports/gate/junit.xml');
    }
    expect(readFileSync('.ci/run', 'utf8')).toMatch(/stampede\.cjs gate 'scenarios\/\*\.yaml' --max-clients \d+/);
  });
});
