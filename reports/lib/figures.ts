// The per-run figures of docs/model.md §8 as label/value pairs, in reading order.
// The HTML header shows them as cards, summary.md as a table.
import type { RunResult } from '../../sim/result.ts';
import { humanDuration, type ChartContext } from './context.ts';
import { grayFigures } from './gray.ts';
import { percent } from './charts.ts';
import { cardVerdict } from './targets.ts';
import type { GateVerdict } from './types.ts';
import type { Level } from './verdict.ts';
import { formatInteger } from '../../sim/format-integer.ts';

export interface Figure {
  label: string;
  value: string;
  /** A smaller second line (a ratio to a limit, a breakdown). */
  note?: string;
  level?: Level;
  /** Assertion metrics the card shows (`recovery.full`, `reconnectTime.*`): it takes the colour of their verdict. */
  metrics?: readonly string[];
  /** The assertions on those metrics, with ✔ / ✘, when the run was judged on any. */
  gate?: string;
  /** Whether they all passed (absent when no assertion is about the card). */
  passed?: boolean;
}

function after(seconds: number | null): string {
  return seconds === null ? 'not reached' : humanDuration(seconds);
}

function percentOf(factor: number | null, what: string): string | undefined {
  if (factor === null) return undefined;
  return `${percent(factor)} of ${what}`;
}

/**
 * The header's cards. A card's colour is the verdict of the assertions on its
 * metrics when there are any; otherwise only a problem (amber, red) is
 * coloured: green is kept for a passed assertion.
 */
export function keyFigures(result: RunResult, ctx: ChartContext, verdicts?: readonly GateVerdict[]): Figure[] {
  return plainFigures(result, ctx).map((f) => {
    const verdict = f.metrics === undefined ? null : cardVerdict(f.metrics, verdicts);
    return verdict === null ? f : { ...f, level: verdict.level, gate: verdict.note, passed: verdict.passed };
  });
}

function plainFigures(result: RunResult, ctx: ChartContext): Figure[] {
  const s = result.summary;
  const figures: Figure[] = [];
  if (s.incidentStart !== null) {
    figures.push(
      { label: 'fault starts at', value: humanDuration(s.incidentStart), note: ctx.faults.map((f) => f.label).join('; ') },
      { label: '99 % of sessions back', value: after(s.recovery.p99), note: 'from the incident start', level: s.recovery.p99 === null ? 'fail' : undefined, metrics: ['recovery.p99'] },
      { label: '99.9 % back', value: after(s.recovery.p999), note: 'from the incident start', level: s.recovery.p999 === null ? 'warn' : undefined, metrics: ['recovery.p999'] },
      { label: 'all sessions back', value: after(s.recovery.full), note: 'from the incident start', level: s.recovery.full === null ? 'fail' : undefined, metrics: ['recovery.full'] },
      {
        label: 'clients disconnected',
        value: formatInteger(s.disconnectedClients),
        note: s.notReconnected > 0 ? `${formatInteger(s.notReconnected)} not back at the end` : 'all back by the end',
        level: s.notReconnected > 0 ? 'fail' : undefined,
        metrics: ['sessions.disconnected', 'sessions.notReconnected', 'sessions.atEnd'],
      },
      {
        label: 'reconnect time, median',
        value: s.reconnectTime.count === 0 ? '–' : after(s.reconnectTime.p50),
        note: s.reconnectTime.count === 0 ? undefined : `p99 ${after(s.reconnectTime.p99)} · max ${after(s.reconnectTime.max)}`,
        metrics: ['reconnectTime.*', 'downtime.*', 'attemptsToReconnect.*'],
      },
    );
  }
  // Leaks first when there are any: without a fault window, they are the run's story.
  figures.push(...grayFigures(s));
  figures.push(
    {
      label: 'peak lookup load, one instance',
      value: `${formatInteger(s.lookup.peakOfferedPerSec)}/s`,
      note: percentOf(s.lookup.peakLoadFactor, 'capacity'),
      level: s.lookup.peakLoadFactor !== null && s.lookup.peakLoadFactor > 1 ? 'warn' : undefined,
      metrics: ['lookup.peakLoad', 'lookup.peakLoadFactor'],
    },
    {
      label: 'lookups timed out / "no server"',
      value: `${formatInteger(s.lookup.timedOut)} / ${formatInteger(s.lookup.noServer)}`,
      note: `peak queue ${formatInteger(s.lookup.peakQueueLength)}`,
      metrics: ['lookup.timedOut', 'lookup.noServer', 'lookup.peakQueue', 'lookup.meanWait', 'lookup.peakMeanWait', 'lookup.rejected', 'lookup.throttled'],
    },
    {
      label: 'peak accept rate, one server',
      value: `${formatInteger(s.server.peakAcceptsPerSec)}/s`,
      note: percentOf(s.server.peakAcceptFactor, 'the limit'),
      level: s.server.peakAcceptFactor !== null && s.server.peakAcceptFactor >= 1 ? 'warn' : undefined,
      metrics: ['server.peakAcceptRate', 'server.peakAcceptFactor'],
    },
    { label: 'server crashes', value: formatInteger(s.server.crashes), level: s.server.crashes > 0 ? 'fail' : undefined, metrics: ['server.crashes'] },
    {
      label: 'imbalance at the end',
      value: s.imbalance.maxOverMean === null ? '–' : `${s.imbalance.maxOverMean.toFixed(3)} max/mean`,
      note: s.imbalance.cv === null ? undefined : `coefficient of variation ${s.imbalance.cv.toFixed(4)}`,
      metrics: ['sessions.imbalance', 'sessions.cv'],
    },
    ...controlPlaneFigures(result),
    {
      label: 'peak carrier attempts',
      value: `${formatInteger(s.peakCarrierAttemptsPerSec)}/s`,
      note: s.carrierAmplification === null ? undefined : `${s.carrierAmplification.toFixed(1)}× the pre-fault rate`,
      metrics: ['carrier.*'],
    },
  );
  return figures;
}

interface ControlPlaneSummary {
  suspensions: number;
  resumes: number;
  failovers: { masterDiedAt: number; newMasterAt: number | null }[];
  fallbackSeconds: number;
}

/** Suspensions, failovers and round-robin fallback, when the result has a control plane that did anything. */
function controlPlaneFigures(result: RunResult): Figure[] {
  const cp = (result.summary as unknown as { controlPlane?: ControlPlaneSummary }).controlPlane;
  if (cp === undefined || cp.suspensions + cp.resumes + cp.failovers.length + cp.fallbackSeconds === 0) return [];
  const failoverTimes = cp.failovers.map((f) => (f.newMasterAt === null ? 'never' : humanDuration(f.newMasterAt - f.masterDiedAt)));
  return [
    {
      label: 'server suspensions / resumes',
      value: `${formatInteger(cp.suspensions)} / ${formatInteger(cp.resumes)}`,
      note: cp.fallbackSeconds > 0 ? `lookups on round robin ${humanDuration(cp.fallbackSeconds)} (instance-time)` : undefined,
      metrics: ['control.suspensions', 'control.fallbackTime'],
    },
    ...(cp.failovers.length === 0
      ? []
      : [{ label: 'manager failovers', value: formatInteger(cp.failovers.length), note: `new master after ${failoverTimes.join(', ')}`, level: cp.failovers.some((f) => f.newMasterAt === null) ? ('fail' as const) : undefined, metrics: ['control.failoverTime'] }]),
  ];
}
