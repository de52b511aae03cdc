// The two badges at the top of a report (and of summary.md): did sessions
// recover, and did the scenario's gates pass. Shared by html.ts and markdown.ts.
import type { Summary } from '../../sim/result.ts';
import { humanDuration } from './context.ts';
import { grayBadge } from './gray.ts';
import type { GateVerdict } from './types.ts';
import { formatInteger } from '../../sim/format-integer.ts';

export type Level = 'ok' | 'warn' | 'fail' | 'none';

export interface Badge {
  level: Level;
  text: string;
}

export function recoveryBadge(s: Summary): Badge {
  if (s.incidentStart === null) {
    // A leak is no fault with a window: what happened to the leaking servers is the run's story.
    const gray = grayBadge(s);
    return gray === null ? { level: 'none', text: 'no fault injected' } : { level: gray.level, text: gray.text };
  }
  if (s.recovery.full !== null) return { level: 'ok', text: `recovered: all sessions back ${humanDuration(s.recovery.full)} after the incident start` };
  if (s.recovery.p99 !== null) {
    return {
      level: 'warn',
      text: `partly recovered: 99 % back after ${humanDuration(s.recovery.p99)}, ${formatInteger(s.notReconnected)} clients still without a session at the end`,
    };
  }
  return { level: 'fail', text: `not recovered: below 99 % of the pre-fault sessions at the end (${formatInteger(s.notReconnected)} clients without a session)` };
}

export function gatesBadge(verdicts: readonly GateVerdict[] | undefined): Badge {
  if (verdicts === undefined || verdicts.length === 0) return { level: 'none', text: 'no assertions' };
  const failed = verdicts.filter((v) => !v.passed).length;
  if (failed === 0) return { level: 'ok', text: verdicts.length === 1 ? 'the gate passed' : `all ${verdicts.length} gates passed` };
  return { level: 'fail', text: `${failed} of ${verdicts.length} gate${verdicts.length === 1 ? '' : 's'} failed` };
}

/** The page's headline: the gate's verdict when the scenario has assertions, else the recovery. */
export interface Headline {
  level: Level;
  /** PASS, FAIL, or the recovery in one or two words when there are no assertions. */
  word: string;
  text: string;
  /** The failed assertions, each with what was measured against the limit. */
  failures: string[];
}

const RECOVERY_WORD: Record<Level, string> = { ok: 'RECOVERED', warn: 'PARTLY RECOVERED', fail: 'NOT RECOVERED', none: 'NO FAULT' };

export function headline(s: Summary, verdicts: readonly GateVerdict[] | undefined): Headline {
  const gates = gatesBadge(verdicts);
  if (gates.level === 'none') {
    const gray = s.incidentStart === null ? grayBadge(s) : null;
    if (gray !== null) return { level: gray.level, word: gray.word, text: `${gray.text} (no assertions to judge the run)`, failures: [] };
    const recovery = recoveryBadge(s);
    // "partly recovered: 99 % back after …" → the word says the first part, the text the rest.
    const detail = recovery.text.includes(': ') ? recovery.text.slice(recovery.text.indexOf(': ') + 2) : recovery.text;
    return { level: recovery.level, word: RECOVERY_WORD[recovery.level], text: `${detail} (no assertions to judge the run)`, failures: [] };
  }
  const failures = (verdicts ?? []).filter((v) => !v.passed).map((v) => `${v.assertion}: measured ${formatMeasure(v.measured)}, limit ${formatMeasure(v.limit)}`);
  return { level: gates.level, word: gates.level === 'ok' ? 'PASS' : 'FAIL', text: gates.text, failures };
}

/**
 * The recovery badge beside a headline: it never shows the pass colour while a
 * gate failed (a run can recover and still miss its target).
 */
export function recoveryFact(s: Summary, verdicts: readonly GateVerdict[] | undefined): Badge {
  const badge = recoveryBadge(s);
  return badge.level === 'ok' && gatesBadge(verdicts).level === 'fail' ? { ...badge, level: 'none' } : badge;
}

/** A measured value or limit as shown in a table. */
export function formatMeasure(x: number | string | null): string {
  if (x === null) return '–';
  if (typeof x === 'string') return x;
  if (Number.isInteger(x)) return formatInteger(x);
  return Number(x.toPrecision(4)).toString();
}
