// The gray failure of a leaking server (docs/model.md §6) as the report tells it:
// what happened to each leaking server, in order (leak, alerts, first
// client-visible failure, suspensions, death or removal, what the L4 check
// saw), and each detector's record. A leak is no fault with a start and an
// end, so the recovery figures say nothing about it: this is what the
// header, summary.md and the heap charts say instead. Pure functions of
// result.json.
import type { DetectorReport, GrayFailureReport, RunResult, Summary } from '../../sim/result.ts';
import { humanDuration } from './context.ts';
import type { Level } from './verdict.ts';
import { formatInteger } from '../../sim/format-integer.ts';

/** A time since the run's start, to the minute: "6 d 3 h 54 min", "3 h 5 min", "45 s". */
export function elapsed(seconds: number): string {
  if (seconds < 3600) return humanDuration(seconds);
  const minutes = Math.round(seconds / 60);
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  // "6 d 0 h 42 min" keeps its hours so that the minutes cannot be read as hours; "1 d" needs none.
  const parts = [d > 0 ? `${d} d` : '', h > 0 || (d > 0 && m > 0) ? `${h} h` : '', m > 0 ? `${m} min` : ''].filter((p) => p !== '');
  return parts.join(' ');
}

/** One thing that happened to a leaking server. */
export interface StoryStep {
  /** Seconds since the run's start. */
  at: number;
  /** Short name, for chart markers: leak, alert, 503, suspended, died, removed. */
  kind: 'leak' | 'alert' | 'failure' | 'suspended' | 'died' | 'removed';
  text: string;
}

export interface GrayStory {
  server: string;
  /** How it ended, in two or three words: "died out of memory", "removed at an alert", … */
  outcome: string;
  level: Level;
  /** The story in one sentence (summary.md, the header's badge). */
  sentence: string;
  steps: StoryStep[];
  /** What the L4 (TCP) check saw. */
  l4: string;
}

/** The sessions `server` held at the last sample at or before `at` (what its death dropped), or null. */
function sessionsBefore(result: RunResult, server: string, at: number): number | null {
  const { time, sessionsByServer } = result.series;
  const values = sessionsByServer[server];
  if (values === undefined) return null;
  let k = -1;
  for (let i = 0; i < time.length && time[i] <= at; i++) k = i;
  return k < 0 ? null : values[k];
}

/** The story of one leaking server; with `result`, the sessions its death dropped too. */
export function grayStory(g: GrayFailureReport, result?: RunResult): GrayStory {
  const steps: StoryStep[] = [];
  if (g.leakStartedAt !== null) steps.push({ at: g.leakStartedAt, kind: 'leak', text: 'the leak starts' });
  for (const a of g.alerts) steps.push({ at: a.at, kind: 'alert', text: `alert: ${a.detector}` });
  if (g.firstClientFailureAt !== null) steps.push({ at: g.firstClientFailureAt, kind: 'failure', text: 'first failure clients see: a connect refused in a GC pause (HTTP 503)' });
  if (g.firstSuspendedAt !== null) {
    const flapping = g.resumes > 0 ? `; suspended ${g.suspensions}×, resumed ${g.resumes}× (flapping)` : '';
    steps.push({ at: g.firstSuspendedAt, kind: 'suspended', text: `first suspension: the L7 health checks fail in GC pauses${flapping}` });
  }
  if (g.removedAt !== null) steps.push({ at: g.removedAt, kind: 'removed', text: 'pulled from service at the alert (grayDetection.onAlert: remove)' });
  if (g.diedAt !== null) {
    const sessions = result === undefined ? null : sessionsBefore(result, g.server, g.diedAt);
    const dropped = sessions === null ? '' : `; ${formatInteger(sessions)} sessions on it at the last sample before`;
    steps.push({ at: g.diedAt, kind: 'died', text: `died out of memory${dropped}` });
  }
  steps.sort((a, b) => a.at - b.at);

  const l4 =
    g.diedAt === null
      ? 'the L4 (TCP) check never failed: the port stays open while the process lives'
      : g.l4BlindUntilDeath
        ? `L4 never noticed: the TCP check passed until the process died${g.l4FirstFailureAt === null ? '' : ` (first failed at ${elapsed(g.l4FirstFailureAt)})`}`
        : `the L4 (TCP) check first failed at ${elapsed(g.l4FirstFailureAt ?? 0)}`;
  let outcome: string;
  let level: Level;
  if (g.diedAt !== null) {
    outcome = `died out of memory at ${elapsed(g.diedAt)}`;
    level = 'fail';
  } else if (g.removedAt !== null) {
    outcome = `removed at an alert at ${elapsed(g.removedAt)}`;
    level = g.firstClientFailureAt !== null && g.firstClientFailureAt < g.removedAt ? 'warn' : 'none';
  } else if (g.leakStartedAt === null) {
    outcome = 'did not start leaking within the run';
    level = 'none';
  } else {
    outcome = g.firstSuspendedAt !== null ? 'leaking, suspended' : g.firstClientFailureAt !== null ? 'leaking, failing requests' : 'leaking at the end';
    level = g.firstClientFailureAt !== null ? 'warn' : 'none';
  }
  const parts = [
    g.leakStartedAt === null ? 'no leak within the run' : `leak from ${elapsed(g.leakStartedAt)}`,
    g.alertAt === null ? 'no detector alerted' : `first alert ${elapsed(g.alertAt)}`,
    g.firstClientFailureAt === null ? null : `first 503 ${elapsed(g.firstClientFailureAt)}`,
    g.firstSuspendedAt === null ? null : `suspended ${elapsed(g.firstSuspendedAt)}${g.resumes > 0 ? ` (flapped: ${plural(g.suspensions, 'suspension')}, ${plural(g.resumes, 'resume')})` : ''}`,
    g.removedAt === null ? null : `removed ${elapsed(g.removedAt)}`,
    g.diedAt === null ? null : `died out of memory ${elapsed(g.diedAt)}`,
  ].filter((p): p is string => p !== null);
  const blind = g.diedAt !== null && g.l4BlindUntilDeath ? '; L4 never noticed' : '';
  return { server: g.server, outcome, level, sentence: `${g.server}: ${parts.join(', ')}${blind}`, steps, l4 };
}

export function grayStories(result: RunResult): GrayStory[] {
  return (result.summary.grayFailures ?? []).map((g) => grayStory(g, result));
}

/** The badge of a run whose only trouble is a leak (no fault, so no recovery to report). Null without leaks. */
export function grayBadge(summary: Summary): { level: Level; word: string; text: string } | null {
  const stories = (summary.grayFailures ?? []).map((g) => grayStory(g));
  if (stories.length === 0) return null;
  const died = stories.filter((s) => s.outcome.startsWith('died'));
  const level: Level = stories.some((s) => s.level === 'fail') ? 'fail' : stories.some((s) => s.level === 'warn') ? 'warn' : 'none';
  const word = died.length > 0 ? 'OUT OF MEMORY' : 'GRAY FAILURE';
  const shown = stories.slice(0, 3).map((s) => `${s.server} ${s.outcome}${s.outcome.startsWith('died') && s.l4.startsWith('L4 never') ? ' (L4 never noticed)' : ''}`);
  const more = stories.length > 3 ? `, and ${stories.length - 3} more` : '';
  const what = stories.length === 1 ? '1 leaking server' : `${stories.length} leaking servers`;
  return { level, word, text: `gray failure, ${what}: ${shown.join('; ')}${more}` };
}

/** A lead time as the table shows it. */
function lead(seconds: number | null, d: DetectorReport): string {
  if (seconds === null) return '–';
  if (d.caught === 0) return 'missed';
  const missed = d.leaks - d.caught;
  return `${elapsed(seconds)}${missed > 0 ? ` (missed ${missed})` : ''}`;
}

export interface DetectorRow {
  detector: string;
  caught: string;
  leadToFailure: string;
  leadToDeath: string;
  falseAlarms: string;
  perServerDay: string;
  /** Missed a leak, or cried wolf. */
  level: Level;
}

export function detectorRows(summary: Summary): DetectorRow[] {
  return (summary.grayDetectors ?? []).map((d) => ({
    detector: d.detector,
    caught: `${d.caught} of ${d.leaks}`,
    leadToFailure: lead(d.leadToFailure, d),
    leadToDeath: lead(d.leadToDeath, d),
    falseAlarms: formatInteger(d.falseAlarms),
    perServerDay: d.falseAlarmsPerServerDay === null ? '–' : `${Number(d.falseAlarmsPerServerDay.toPrecision(2))} (over ${formatInteger(d.healthyServerDays)} server-days)`,
    level: d.caught < d.leaks ? 'fail' : d.falseAlarms > 0 ? 'warn' : 'ok',
  }));
}

export const DETECTOR_COLUMNS = ['detector', 'caught', 'lead to first failure', 'lead to death', 'false alarms', 'per healthy server-day'] as const;

/** Marker times of every leaking server, for the heap charts. */
export function storyMarks(result: RunResult): { server: string; at: number; kind: StoryStep['kind']; text: string }[] {
  return grayStories(result).flatMap((s) => s.steps.map((step) => ({ server: s.server, ...step })));
}

/** The header's cards for a run with leaks: what became of the leaking servers, and how the detectors did. */
export function grayFigures(summary: Summary): { label: string; value: string; note?: string; level?: Level; metrics: string[] }[] {
  const reports = summary.grayFailures ?? [];
  if (reports.length === 0) return [];
  const stories = reports.map((g) => grayStory(g));
  const died = reports.filter((g) => g.diedAt !== null).length;
  const removed = reports.filter((g) => g.removedAt !== null).length;
  const value = died > 0 ? `${died} of ${reports.length} died out of memory` : removed > 0 ? `${removed} of ${reports.length} removed at an alert` : `${reports.length} leaking`;
  const detectors = summary.grayDetectors ?? [];
  const caught = reports.filter((g) => g.alertAt !== null).length;
  const leads = reports.flatMap((g) => {
    const failure = g.firstClientFailureAt ?? g.diedAt;
    return g.alertAt === null || failure === null ? [] : [failure - g.alertAt];
  });
  const falseAlarms = detectors.reduce((sum, d) => sum + d.falseAlarms, 0);
  return [
    {
      label: reports.length === 1 ? `leaking server ${reports[0].server}` : 'leaking servers',
      value,
      note: stories.map((s) => (stories.length === 1 ? '' : `${s.server}: `) + cardNote(reports[stories.indexOf(s)], s)).join('; '),
      level: died > 0 ? 'fail' : stories.some((s) => s.level === 'warn') ? 'warn' : undefined,
      metrics: ['gray.deaths'],
    },
    {
      label: 'leak detectors',
      value: `${caught} of ${reports.length} leaks caught`,
      note:
        (leads.length === 0 ? 'no alert before a failure' : `first alert ${elapsed(Math.max(0, Math.min(...leads)))} before the first failure`) +
        ` · ${formatInteger(falseAlarms)} false alarm${falseAlarms === 1 ? '' : 's'} (${detectors.length} detectors)`,
      level: caught < reports.length ? 'warn' : undefined,
      metrics: ['gray.warningLead', 'gray.leadTime', 'gray.falseAlarms'],
    },
  ];
}

function plural(n: number, word: string): string {
  return `${formatInteger(n)} ${word}${n === 1 ? '' : 's'}`;
}

/** The card's short version of a story: the first alert, the first 503, and what the L4 check saw. */
function cardNote(g: GrayFailureReport, story: GrayStory): string {
  return [
    g.alertAt === null ? 'no alert' : `first alert ${elapsed(g.alertAt)}`,
    g.firstClientFailureAt === null ? null : `first 503 ${elapsed(g.firstClientFailureAt)}`,
    g.diedAt !== null && g.l4BlindUntilDeath ? 'L4 never noticed' : null,
    g.diedAt === null && g.removedAt === null ? story.outcome : null,
  ].filter((p) => p !== null).join(' · ');
}
