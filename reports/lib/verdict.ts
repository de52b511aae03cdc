// The two badges at the top of a report (and of summary.md): did sessions
// recover, and did the scenario's gates pass. Shared by html.ts and markdown.ts.
import type { Summary } from '../../sim/result.ts';
import { humanDuration } from './context.ts';
import type { GateVerdict } from './types.ts';

export type Level = 'ok' | 'warn' | 'fail' | 'none';

export interface Badge {
  level: Level;
  text: string;
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function recoveryBadge(s: Summary): Badge {
  if (s.incidentStart === null) return { level: 'none', text: 'no fault injected' };
  if (s.recovery.full !== null) return { level: 'ok', text: `recovered: all sessions back ${humanDuration(s.recovery.full)} after the incident start` };
  if (s.recovery.p99 !== null) {
    return {
      level: 'warn',
      text: `partly recovered: 99 % back after ${humanDuration(s.recovery.p99)}, ${integer.format(s.notReconnected)} clients still without a session at the end`,
    };
  }
  return { level: 'fail', text: `not recovered: below 99 % of the pre-fault sessions at the end (${integer.format(s.notReconnected)} clients without a session)` };
}

export function gatesBadge(verdicts: readonly GateVerdict[] | undefined): Badge {
  if (verdicts === undefined || verdicts.length === 0) return { level: 'none', text: 'no assertions' };
  const failed = verdicts.filter((v) => !v.passed).length;
  if (failed === 0) return { level: 'ok', text: verdicts.length === 1 ? 'the gate passed' : `all ${verdicts.length} gates passed` };
  return { level: 'fail', text: `${failed} of ${verdicts.length} gate${verdicts.length === 1 ? '' : 's'} failed` };
}

/** The worse of several levels (fail > warn > ok > none). */
export function worst(levels: readonly Level[]): Level {
  const order: Level[] = ['fail', 'warn', 'ok', 'none'];
  return order.find((level) => levels.includes(level)) ?? 'none';
}

/** A measured value or limit as shown in a table. */
export function formatMeasure(x: number | string | null): string {
  if (x === null) return '–';
  if (typeof x === 'string') return x;
  if (Number.isInteger(x)) return integer.format(x);
  return Number(x.toPrecision(4)).toString();
}
