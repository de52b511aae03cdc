// The scenario's assertions as the report shows them: which metric each gate
// verdict is about (so a card takes the colour of the assertion on its
// metric), and the recovery targets drawn on the time axes (incident start +
// 20 min for `recovery.full <= 20m`).
import { evaluateLimit, parseAssertion, type Assertion } from '../../sim/gate/assertions.ts';
import type { Scenario } from '../../sim/scenario/types.ts';
import type { GateVerdict } from './types.ts';
import type { Level } from './verdict.ts';

/** The metric an assertion is about (`recovery.full` of `recovery.full <= 20m`), or null if it does not parse. */
export function metricOf(assertion: string): string | null {
  try {
    return parseAssertion(assertion).metric;
  } catch {
    return null;
  }
}

/** A metric name matches a pattern exactly, or by its family (`reconnectTime.*`). */
function matches(metric: string, pattern: string): boolean {
  return pattern.endsWith('.*') ? metric.startsWith(pattern.slice(0, -1)) : metric === pattern;
}

export interface CardVerdict {
  level: Level;
  /** The assertions on the card's metrics, each with ✔ or ✘. */
  note: string;
  passed: boolean;
}

/**
 * The verdict on a card showing `patterns`: failed if any assertion on them
 * failed, passed if every one passed, null when none is about them.
 */
export function cardVerdict(patterns: readonly string[], verdicts: readonly GateVerdict[] | undefined): CardVerdict | null {
  const mine = (verdicts ?? []).filter((v) => {
    const metric = metricOf(v.assertion);
    return metric !== null && patterns.some((p) => matches(metric, p));
  });
  if (mine.length === 0) return null;
  const passed = mine.every((v) => v.passed);
  return {
    level: passed ? 'ok' : 'fail',
    passed,
    note: mine.map((v) => `${v.passed ? '✔' : '✘'} ${v.assertion}`).join(' · '),
  };
}

/** A limit in time from the incident start that an assertion sets, drawn on the time axes. */
export interface Target {
  /** The assertion as written. */
  assertion: string;
  metric: string;
  /** Seconds after the incident start. */
  seconds: number;
  /** The gate's verdict, or null when the run was not judged on it. */
  passed: boolean | null;
}

/** Metrics measured in seconds from the incident start: recovery times and reconnect times. */
const FROM_INCIDENT = ['recovery.*', 'reconnectTime.*'];

/** The targets of the scenario's upper bounds on recovery and reconnect times (`<=` or `<`, whole run). */
export function recoveryTargets(scenario: Scenario, verdicts: readonly GateVerdict[] | undefined): Target[] {
  return scenario.assert.flatMap((a: Assertion) => {
    if (!FROM_INCIDENT.some((p) => matches(a.metric, p)) || a.comparator[0] !== '<' || a.after !== null) return [];
    const seconds = evaluateLimit(a.limit, scenario);
    if (!Number.isFinite(seconds) || seconds < 0) return [];
    const verdict = verdicts?.find((v) => v.assertion === a.source);
    return [{ assertion: a.source, metric: a.metric, seconds, passed: verdict === undefined ? null : verdict.passed }];
  });
}
