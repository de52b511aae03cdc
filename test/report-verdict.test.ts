// One verdict at the top of a report that cannot contradict itself: the
// headline is the gate's verdict, each card takes the colour of the
// assertion on its metric (green only for a passed one), and the scenario's
// recovery target is drawn on the sessions chart and on the reconnect CDF.
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../sim/result.ts';
import { loadScenarioFile } from '../sim/scenario/load.ts';
import { runScenario } from './support/model.ts';
import { buildReport, type GateVerdict } from '../reports/lib/index.ts';
import { headline, recoveryFact } from '../reports/lib/verdict.ts';
import { keyFigures } from '../reports/lib/figures.ts';
import { chartContext } from '../reports/lib/context.ts';
import { cardVerdict, metricOf } from '../reports/lib/targets.ts';

// lookup-outage.yaml asserts recovery.full <= 20m, lookup.peakLoad <= 0.8 * capacity, …
const FAILED: GateVerdict[] = [
  { assertion: 'recovery.full <= 20m', measured: '1497 s (25.0 min)', limit: '<= 1200 s (20.0 min)', passed: false },
  { assertion: 'lookup.peakLoad <= 0.8 * capacity', measured: '29/s', limit: '<= 16000/s', passed: true },
];
const PASSED: GateVerdict[] = FAILED.map((v) => ({ ...v, passed: true }));

let result: RunResult;

beforeAll(() => {
  const { scenario } = loadScenarioFile('scenarios/lookup-outage.yaml', ['population.clients=2000']);
  result = runScenario(scenario);
  expect(result.summary.recovery.full, 'the run recovers: its badge alone would be green').not.toBeNull();
});

type AnyLayer = { mark?: { type?: string; color?: string } | string; data?: { values?: unknown }; layer?: AnyLayer[] };

/** The target rules' x positions in a chart spec (dash-dot purple rules). */
function targetXs(spec: unknown): number[] {
  const layers = ((spec as AnyLayer).layer ?? []).filter((l) => typeof l.mark === 'object' && l.mark.type === 'rule' && l.mark.color === '#6a1b9a');
  return layers.flatMap((l) => (l.data?.values as { x: number }[]).map((v) => v.x));
}

describe('the headline', () => {
  it('is the gate verdict: FAIL with the failed assertion, and the recovery badge is not green beside it', () => {
    const h = headline(result.summary, FAILED);
    expect(h).toMatchObject({ level: 'fail', word: 'FAIL', text: '1 of 2 gates failed' });
    expect(h.failures).toEqual(['recovery.full <= 20m: measured 1497 s (25.0 min), limit <= 1200 s (20.0 min)']);
    expect(recoveryFact(result.summary, FAILED).level).toBe('none');
    expect(recoveryFact(result.summary, PASSED).level).toBe('ok');
    expect(headline(result.summary, PASSED)).toMatchObject({ level: 'ok', word: 'PASS' });
  });

  it('without assertions, is the recovery, saying nothing judged it', () => {
    const h = headline(result.summary, undefined);
    expect(h.word).toBe('RECOVERED');
    expect(h.text).toMatch(/^all sessions back .* \(no assertions to judge the run\)$/);
  });

  it('leads the page and summary.md', () => {
    const report = buildReport(result, { verdicts: FAILED });
    expect(report.html).toMatch(/<header class="fail">/);
    expect(report.html).toContain('<div class="headline fail" data-level="fail"><span class="word">FAIL</span>');
    expect(report.html.indexOf('class="headline')).toBeLessThan(report.html.indexOf('class="figures"'));
    expect(report.markdown.split('\n')[0]).toBe(`### ❌ FAIL: lookup-outage (seed ${result.seed}): 1 of 2 gates failed`);
    expect(report.markdown).toContain('- ❌ `recovery.full <= 20m: measured 1497 s (25.0 min), limit <= 1200 s (20.0 min)`');
  });
});

describe('the cards', () => {
  it('take the colour of the assertion on their metric', () => {
    const figures = keyFigures(result, chartContext(result), FAILED);
    const card = (label: string) => figures.find((f) => f.label === label)!;
    expect(card('all sessions back')).toMatchObject({ level: 'fail', passed: false, gate: '✘ recovery.full <= 20m' });
    expect(card('peak lookup load, one instance')).toMatchObject({ level: 'ok', passed: true });
    // Green only where an assertion passed.
    for (const f of figures) if (f.level === 'ok') expect(f.passed, f.label).toBe(true);
  });

  it('are never green without an assertion, even when the run recovered', () => {
    for (const f of keyFigures(result, chartContext(result))) expect(f.level, f.label).not.toBe('ok');
  });

  it('match assertions by metric, families included, and ignore text that does not parse', () => {
    expect(metricOf('reconnectTime.p99 <= 15m for mean')).toBe('reconnectTime.p99');
    expect(metricOf('not an assertion')).toBeNull();
    const verdicts = [{ assertion: 'reconnectTime.p99 <= 15m', measured: 1, limit: 2, passed: false }];
    expect(cardVerdict(['reconnectTime.*'], verdicts)?.level).toBe('fail');
    expect(cardVerdict(['recovery.full'], verdicts)).toBeNull();
  });
});

describe('the recovery target', () => {
  it('is drawn at incident start + 20 min on the sessions chart and at 20 min on the reconnect CDF, saying missed', () => {
    const report = buildReport(result, { verdicts: FAILED });
    const incident = result.summary.incidentStart!;
    const chart = (id: string) => report.charts.find((c) => c.id === id)!.spec;
    expect(targetXs(chart('connected'))).toEqual([(incident + 1200) / 60]);
    expect(targetXs(chart('reconnect-cdf'))).toEqual([20]);
    expect(JSON.stringify(chart('connected'))).toContain('target ✘ missed: recovery.full <= 20m');
    expect(JSON.stringify(buildReport(result, { verdicts: PASSED }).charts[0].spec)).toContain('target ✔ met: recovery.full <= 20m');
  });
});
