// The gate: load scenario files (every problem in every file before any run),
// run each one R times, and judge each of its assertions over the runs. The
// library returns verdicts; the CLI prints them and writes JUnit / Markdown.
//
// Runs go to the batch worker pool (sim/batch/pool.ts) when there are several
// and they only need their summary; an assertion with `after T` needs the
// run's series, which the pool's job results do not carry, so those runs go
// in this thread. Both paths measure the same numbers: the verdicts do not
// depend on where a run ran.
import { GateInputError } from './errors.ts';

export { GateInputError };
import { reproduceCommand } from '../batch/aggregate.ts';
import { replicationSeeds, type Job } from '../batch/jobs.ts';
import { runPool } from '../batch/pool.ts';
import { describe } from '../batch/stats.ts';
import { loadScenarioFile, ScenarioError, type ScenarioIssue } from '../scenario/load.ts';
import type { Scenario } from '../scenario/types.ts';
import { runScenario } from '../simulation.ts';
import {
  evaluateLimit,
  formatLimit,
  formatMeasured,
  judge,
  measure,
  needsSeries,
  type Assertion,
  type Judgement,
} from './assertions.ts';


// ---------------------------------------------------------------------------
// Loading

export interface GateTarget {
  file: string;
  /** `--set` overrides, as given, then the population `--max-clients` set; applied to every run of this file. */
  overrides: string[];
  scenario: Scenario;
  warnings: string[];
}

/**
 * Loads every file; all their problems are reported together in one ScenarioError. With
 * `maxClients`, a scenario of more clients (after `overrides`) runs at that many, one of fewer at
 * its own: a catalogue of every size gated at a CI-sized population without growing its small ones.
 */
export function loadTargets(files: readonly string[], overrides: readonly string[], maxClients?: number): GateTarget[] {
  const targets: GateTarget[] = [];
  const issues: ScenarioIssue[] = [];
  for (const file of files) {
    try {
      let own = [...overrides];
      let { scenario, warnings } = loadScenarioFile(file, own);
      if (maxClients !== undefined && scenario.population.clients > maxClients) {
        own = [...overrides, `population.clients=${maxClients}`];
        ({ scenario, warnings } = loadScenarioFile(file, own));
      }
      targets.push({ file, overrides: own, scenario, warnings });
    } catch (error) {
      if (!(error instanceof ScenarioError)) throw error;
      issues.push(...error.issues);
    }
  }
  if (issues.length > 0) throw new ScenarioError(issues);
  return targets;
}

/** Refuses, before any run, assertions that the replication count cannot decide. */
export function checkReplications(targets: readonly GateTarget[], replications: number): void {
  if (!Number.isInteger(replications) || replications < 1) {
    throw new GateInputError(`--replications must be a positive integer, got ${replications}`);
  }
  if (replications >= 2) return;
  const needing = targets.flatMap((t) =>
    t.scenario.assert.filter((a) => a.over === 'ci-upper' || a.over === 'ci-lower').map((a) => `${t.file}: ${a.source}`),
  );
  if (needing.length > 0) {
    throw new GateInputError(
      `a confidence bound needs at least 2 runs; give --replications 2 or more for:\n  ${needing.join('\n  ')}`,
    );
  }
}

// ---------------------------------------------------------------------------
// Running

export interface RunRequest {
  file: string;
  /** Everything `loadScenarioFile` needs, without the seed. */
  overrides: string[];
  seed: number;
  assertions: readonly Assertion[];
}

export type RunOutcome =
  | { ok: true; values: (number | null)[] }
  | { ok: false; error: string; reproduce: string };

export interface RunOptions {
  /** Worker threads; 1 runs everything in this thread. */
  workers: number;
  onRunDone?: (done: number, total: number) => void;
}

/** `stampede run FILE --set ... --seed N`: one run of the gate, by hand. */
export function reproduceRun(file: string, overrides: readonly string[], seed: number): string {
  return reproduceCommand(jobOf({ file, overrides: [...overrides], seed, assertions: [] }, 0));
}

/** A request as a batch job (the pool's unit of work; also what reproduceCommand reads). */
function jobOf(request: RunRequest, id: number): Job {
  return {
    id,
    variant: 0,
    replication: id,
    seed: request.seed,
    scenarioFile: request.file,
    overrides: [...request.overrides, `seed=${request.seed}`],
    withSeries: false,
  };
}

/** Measures every request's assertions in its run; outcomes in request order. */
export async function executeRuns(requests: readonly RunRequest[], options: RunOptions): Promise<RunOutcome[]> {
  const outcomes: RunOutcome[] = new Array(requests.length);
  let done = 0;
  const tick = () => options.onRunDone?.(++done, requests.length);

  const summaryOnly = requests.flatMap((r, i) => (r.assertions.some(needsSeries) ? [] : [i]));
  const pooled = options.workers > 1 && summaryOnly.length > 1 ? new Set(summaryOnly) : new Set<number>();
  if (pooled.size > 0) {
    const indices = [...pooled];
    const jobs = indices.map((i, j) => jobOf(requests[i], j));
    const results = await runPool(jobs, { workers: options.workers, onOutcome: tick });
    results.forEach((outcome, j) => {
      const i = indices[j];
      if (outcome === undefined) {
        // Only an aborted pool leaves holes, and the gate does not abort it.
        outcomes[i] = { ok: false, error: 'the run did not finish', reproduce: reproduceCommand(jobs[j]) };
      } else if (outcome.ok) {
        outcomes[i] = { ok: true, values: requests[i].assertions.map((a) => measure(a, { summary: outcome.result.summary })) };
      } else {
        outcomes[i] = { ok: false, error: `${outcome.error.name}: ${outcome.error.message}`, reproduce: reproduceCommand(jobs[j]) };
      }
    });
  }
  requests.forEach((request, i) => {
    if (pooled.has(i)) return;
    const job = jobOf(request, i);
    try {
      const { scenario } = loadScenarioFile(job.scenarioFile, job.overrides);
      const result = runScenario(scenario);
      outcomes[i] = { ok: true, values: request.assertions.map((a) => measure(a, result)) };
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      outcomes[i] = { ok: false, error: message, reproduce: reproduceCommand(job) };
    }
    tick();
  });
  return outcomes;
}

// ---------------------------------------------------------------------------
// Verdicts

export interface AssertionVerdict {
  assertion: Assertion;
  limit: number;
  /** The metric in each run, in seed order. */
  values: (number | null)[];
  judgement: Judgement;
  measuredText: string;
  limitText: string;
}

export interface ScenarioVerdicts {
  file: string;
  name: string;
  overrides: string[];
  seeds: number[];
  assertions: Assertion[];
  /** One per assertion; empty when a run failed. */
  verdicts: AssertionVerdict[];
  /** Runs that failed (a bug in stampede): their assertions have no verdict. */
  errors: { seed: number; error: string; reproduce: string }[];
  /** `stampede run ...` for each seed, to look at a run by hand. */
  reproduce: string[];
}

export interface GateReport {
  replications: number;
  scenarios: ScenarioVerdicts[];
  /** Files with no `assert:` section (nothing to run). */
  skipped: { file: string; name: string }[];
  passed: number;
  failed: number;
  /** Assertions left undecided because a run failed. */
  errored: number;
}

/** The seeds of a scenario's runs: its own seed alone, or R derived ones (as `run --replications R`). */
export function seedsFor(scenario: Scenario, replications: number): number[] {
  return replications === 1 ? [scenario.seed] : replicationSeeds(scenario.seed, replications);
}

/** Judges every assertion of a scenario over its runs' outcomes (one per seed). */
export function verdictsFor(scenario: Scenario, outcomes: readonly RunOutcome[]): AssertionVerdict[] {
  const interval = (sample: readonly number[]) => describe(sample).ci95;
  return scenario.assert.map((assertion, k) => {
    const values = outcomes.map((o) => (o.ok ? o.values[k] : null));
    const limit = evaluateLimit(assertion.limit, scenario);
    const judgement = judge(assertion, limit, values, interval);
    const measured = formatMeasured(assertion, judgement.compared);
    return {
      assertion,
      limit,
      values,
      judgement,
      measuredText: judgement.basis === '' ? measured : `${measured} (${judgement.basis})`,
      limitText: formatLimit(assertion, limit),
    };
  });
}

export async function runGate(targets: readonly GateTarget[], replications: number, options: RunOptions): Promise<GateReport> {
  checkReplications(targets, replications);
  const gated = targets.filter((t) => t.scenario.assert.length > 0);
  if (gated.length === 0) {
    throw new GateInputError(`nothing to gate: none of ${targets.map((t) => t.file).join(', ')} has an assert: section`);
  }
  const requests: RunRequest[] = [];
  const spans = gated.map((target) => {
    const seeds = seedsFor(target.scenario, replications);
    const start = requests.length;
    for (const seed of seeds) {
      requests.push({ file: target.file, overrides: target.overrides, seed, assertions: target.scenario.assert });
    }
    return { target, seeds, start };
  });
  const outcomes = await executeRuns(requests, options);

  const scenarios = spans.map(({ target, seeds, start }): ScenarioVerdicts => {
    const mine = outcomes.slice(start, start + seeds.length);
    const errors = mine.flatMap((o, i) => (o.ok ? [] : [{ seed: seeds[i], error: o.error, reproduce: o.reproduce }]));
    return {
      file: target.file,
      name: target.scenario.name,
      overrides: target.overrides,
      seeds,
      assertions: target.scenario.assert,
      verdicts: errors.length > 0 ? [] : verdictsFor(target.scenario, mine),
      errors,
      reproduce: seeds.map((seed) => reproduceRun(target.file, target.overrides, seed)),
    };
  });
  const all = scenarios.flatMap((s) => s.verdicts);
  return {
    replications,
    scenarios,
    skipped: targets.filter((t) => t.scenario.assert.length === 0).map((t) => ({ file: t.file, name: t.scenario.name })),
    passed: all.filter((v) => v.judgement.passed).length,
    failed: all.filter((v) => !v.judgement.passed).length,
    errored: scenarios.filter((s) => s.errors.length > 0).reduce((n, s) => n + s.assertions.length, 0),
  };
}
