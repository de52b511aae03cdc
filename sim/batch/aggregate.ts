// From job outcomes to per-metric, per-variant statistics. The metrics are
// the numeric leaves of the run summary, named by their dotted path
// (`recovery.full`, `lookup.peakLoadFactor`): nothing here lists them, so a
// metric added to the summary shows up in every batch output by itself.
import type { BatchPlan, Job } from './jobs.ts';
import type { JobError, JobOutcome } from './protocol.ts';
import { describe, type SampleStats } from './stats.ts';

/** Which way is better for a metric; null for figures that describe the setup, not the outcome. */
export type Direction = 'lower' | 'higher' | null;

/** One metric's values: values[variant][replication]; null = no value in that run, undefined = the job failed. */
export interface MetricValues {
  metric: string;
  direction: Direction;
  /** The same value in every completed run (setup figures, or a metric the variants do not move). */
  constant: boolean;
  values: (number | null | undefined)[][];
  stats: SampleStats[];
}

export interface Failure {
  jobId: number;
  variant: number;
  label: string;
  params: Record<string, string>;
  replication: number;
  seed: number;
  error: JobError;
  /** The command that runs this job alone. */
  reproduce: string;
}

export interface Aggregate {
  jobs: { total: number; ok: number; failed: number };
  /** Completed (not failed) runs of each variant. */
  completedRuns: number[];
  metrics: MetricValues[];
  failures: Failure[];
}

const NEUTRAL = new Set(['clients', 'events', 'incidentStart', 'preFaultSessions', 'lookup.capacityPerInstance', 'server.maxAcceptsPerSec']);
const HIGHER_IS_BETTER = new Set(['sessionsAtEnd']);

/**
 * Lower is better unless listed: nearly every summary figure is a time, a
 * count of failures or a load peak. Sample sizes (`*.count`) and figures that
 * echo the scenario are neutral: no variant "wins" them.
 */
export function metricDirection(metric: string): Direction {
  if (NEUTRAL.has(metric) || metric.endsWith('.count')) return null;
  return HIGHER_IS_BETTER.has(metric) ? 'higher' : 'lower';
}

/**
 * The smallest value a metric can take, which its confidence intervals do not
 * go below (stats.ts `describe`). Every figure of the run summary is a time,
 * a count, a rate or a ratio of those, so 0; a metric seen negative in some
 * run (none today) obviously can be, and keeps the plain t-interval.
 */
export function metricFloor(values: readonly (number | null | undefined)[]): number {
  return values.some((v) => typeof v === 'number' && v < 0) ? -Infinity : 0;
}

/** Numeric leaves of a summary in its own key order; nulls kept (they mean "no value"). */
export function flattenSummary(summary: object, prefix = '', into: [string, number | null][] = []): [string, number | null][] {
  for (const [key, value] of Object.entries(summary)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (typeof value === 'number' || value === null) into.push([path, value]);
    else if (typeof value === 'object' && !Array.isArray(value)) flattenSummary(value as object, path, into);
  }
  return into;
}

/** `outcomes` in job order, one per job of `jobs`. */
export function aggregate(plan: BatchPlan, jobs: readonly Job[], outcomes: readonly JobOutcome[]): Aggregate {
  const byName = new Map<string, MetricValues>();
  const metrics: MetricValues[] = [];
  const failures: Failure[] = [];
  const completedRuns = plan.variants.map(() => 0);
  outcomes.forEach((outcome, i) => {
    const job = jobs[i];
    if (!outcome.ok) {
      failures.push(failureOf(plan, job, outcome.error));
      return;
    }
    completedRuns[job.variant]++;
    for (const [metric, value] of flattenSummary(outcome.result.summary)) {
      let entry = byName.get(metric);
      if (entry === undefined) {
        // First seen in job order, so the metric order is the same whichever jobs failed.
        entry = {
          metric,
          direction: metricDirection(metric),
          constant: false,
          values: plan.variants.map(() => new Array<number | null | undefined>(plan.replications).fill(undefined)),
          stats: [],
        };
        byName.set(metric, entry);
        metrics.push(entry);
      }
      entry.values[job.variant][job.replication] = value;
    }
  });
  for (const entry of metrics) {
    const completed = entry.values.flat().filter((v) => v !== undefined);
    entry.constant = completed.every((v) => v === completed[0]);
    // A failed job is no sample at all; a null is a run without a value (counted as missing).
    const floor = metricFloor(completed);
    entry.stats = entry.values.map((row) => describe(row.filter((v): v is number | null => v !== undefined), floor));
  }
  return { jobs: { total: jobs.length, ok: jobs.length - failures.length, failed: failures.length }, completedRuns, metrics, failures };
}

function failureOf(plan: BatchPlan, job: Job, error: JobError): Failure {
  const variant = plan.variants[job.variant];
  return {
    jobId: job.id,
    variant: job.variant,
    label: variant.label,
    params: variant.params,
    replication: job.replication,
    seed: job.seed,
    error,
    reproduce: reproduceCommand(job),
  };
}

/** `stampede run FILE --set ... --seed N`, shell-quoted where needed. */
export function reproduceCommand(job: Job): string {
  const overrides = job.overrides.filter((o) => !/^\s*seed\s*=/.test(o));
  const words = ['stampede', 'run', job.scenarioFile, ...overrides.flatMap((o) => ['--set', o]), '--seed', String(job.seed)];
  return words.map(shellQuote).join(' ');
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Mean of each time step over the completed runs of a variant (for overlay charts). */
export function meanSeries(runs: readonly number[][]): number[] {
  if (runs.length === 0) return [];
  const length = Math.min(...runs.map((r) => r.length));
  const out = new Array<number>(length).fill(0);
  for (const run of runs) for (let t = 0; t < length; t++) out[t] += run[t];
  return out.map((sum) => sum / runs.length);
}

/** The value of a constant metric (the first completed run's). */
export function constantValue(m: MetricValues): number | null {
  for (const row of m.values) for (const v of row) if (v !== undefined) return v;
  return null;
}
