// The batch plan and its job list. A plan is everything that decides a
// batch's outputs (scenario, seeds, variants); the job list is derived from it
// in one fixed order, and every output is a pure function of the plan and the
// jobs' outcomes in that order, so a batch gives the same bytes however many
// workers or shards ran it.
//
// Variants are the cartesian product of the parameters' values, first
// parameter outermost; jobs are variant-major, replication-minor. Every
// variant runs replication i with the same seed (common random numbers): the
// variants then differ only by what they change, not by luck of the draw.
import { readFileSync } from 'node:fs';
import { sha256Hex } from '../sha256.ts';
import { deriveSeed } from '../engine/random.ts';
import { loadScenarioFile, ScenarioError } from '../scenario/load.ts';
import { VERSION } from '../version.ts';
import { estimateRunBytes } from '../memory-estimate.ts';
import type { Scenario } from '../scenario/types.ts';
import { evaluateLimit } from '../gate/assertions.ts';
import { toJsonNumber } from './format.ts';
import type { VariantAssertion } from './gates.ts';
import { formatInteger } from '../format-integer.ts';

export type BatchKind = 'replications' | 'compare' | 'sweep';

/** One swept dimension: a name for tables, the scenario path it overrides, its values as given. */
export interface Parameter {
  name: string;
  path: string;
  values: string[];
}

export interface Variant {
  id: number;
  /** `algorithm=rr, policy=gcm`; the scenario's name when nothing varies. */
  label: string;
  /** Parameter name → value, in parameter order. */
  params: Record<string, string>;
  /** The overrides that make this variant, after the plan's base overrides. */
  overrides: string[];
  /** Its scenario's `assert:` section with the limits for this variant (judged in gates.ts). */
  assertions: VariantAssertion[];
}

export interface BatchPlan {
  kind: BatchKind;
  stampedeVersion: string;
  /** The file as named on the command line (shards on other machines must name it the same way). */
  scenario: { file: string; name: string; sha256: string };
  rootSeed: number;
  /** Overrides common to every job (the user's fixed `--set`s), before the variant's. */
  baseOverrides: string[];
  replications: number;
  /** seeds[i] is the seed of replication i, for every variant. */
  seeds: number[];
  parameters: Parameter[];
  variants: Variant[];
  /** Whether jobs ship their time series back (compare and sweep overlay them). */
  withSeries: boolean;
}

export interface Job {
  /** Position in the job list; outcomes are merged in this order, never in completion order. */
  id: number;
  variant: number;
  replication: number;
  seed: number;
  scenarioFile: string;
  /** Everything `loadScenarioFile` needs, seed last: `stampede run FILE --set ...` reproduces the job. */
  overrides: string[];
  withSeries: boolean;
}

/** Seeds of replications 0..count-1, derived from the scenario's seed. */
export function replicationSeeds(rootSeed: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => deriveSeed(rootSeed, i));
}

/** The cartesian product of the parameters, first parameter outermost. One empty variant if none. */
export function gridVariants(parameters: readonly Parameter[], fallbackLabel: string): Variant[] {
  let combos: Record<string, string>[] = [{}];
  for (const parameter of parameters) {
    combos = combos.flatMap((combo) => parameter.values.map((value) => ({ ...combo, [parameter.name]: value })));
  }
  return combos.map((params, id) => ({
    id,
    label: parameters.length === 0 ? fallbackLabel : parameters.map((p) => `${p.name}=${params[p.name]}`).join(', '),
    params,
    overrides: parameters.map((p) => `${p.path}=${params[p.name]}`),
    assertions: [],
  }));
}

export function jobsOf(plan: BatchPlan): Job[] {
  const jobs: Job[] = [];
  for (const variant of plan.variants) {
    for (let replication = 0; replication < plan.replications; replication++) {
      const seed = plan.seeds[replication];
      jobs.push({
        id: jobs.length,
        variant: variant.id,
        replication,
        seed,
        scenarioFile: plan.scenario.file,
        overrides: [...plan.baseOverrides, ...variant.overrides, `seed=${seed}`],
        withSeries: plan.withSeries,
      });
    }
  }
  return jobs;
}

export interface PlanInput {
  kind: BatchKind;
  file: string;
  /** `--set` overrides applied to every job. */
  baseOverrides: string[];
  /** `--seed`: the root seed, instead of the scenario's own. */
  seed?: number;
  replications: number;
  parameters: Parameter[];
}

export interface PreparedPlan {
  plan: BatchPlan;
  /** Simulated seconds of each variant's runs (for progress and ETA; not part of the plan). */
  durations: number[];
  /** Loader warnings, each once. */
  warnings: string[];
  /** The variant whose run needs the most memory (for the memory check before the jobs start). */
  largest: Scenario;
}

/** A batch's plan holds every job; past these it takes minutes to plan and gigabytes to hold, and would run for years. */
export const MAX_JOBS = 100_000;
export const MAX_VARIANTS = 10_000;

/**
 * Builds the plan and loads every variant's scenario once in this thread, so
 * that a bad override or an unknown algorithm/policy name is the loader's
 * ScenarioError (invalid input) before any job starts, not N failed jobs.
 */
export function preparePlan(input: PlanInput): PreparedPlan {
  if (!Number.isInteger(input.replications) || input.replications < 1) {
    throw new BatchInputError(`--replications must be a positive integer, got ${input.replications}`);
  }
  for (const parameter of input.parameters) {
    if (parameter.path === 'seed') throw new BatchInputError('seed cannot be swept or compared: use --replications (each replication gets its own seed)');
    if (parameter.values.length === 0) throw new BatchInputError(`no values given for ${parameter.name}`);
    const seen = new Set<string>();
    for (const value of parameter.values) {
      if (seen.has(value)) throw new BatchInputError(`${parameter.name} lists ${value} twice`);
      seen.add(value);
    }
  }
  // Counted before anything is loaded or planned: `--replications 1e9` or a 1000 × 1000 grid is refused at once.
  const variantCount = input.parameters.reduce((n, p) => n * p.values.length, 1);
  const jobCount = variantCount * input.replications;
  if (variantCount > MAX_VARIANTS || jobCount > MAX_JOBS) {
    const grid = input.parameters.length === 0 ? '1 variant' : `${input.parameters.map((p) => p.values.length).join(' × ')} = ${formatInteger(variantCount)} variant(s)`;
    const why = variantCount > MAX_VARIANTS ? `at most ${formatInteger(MAX_VARIANTS)} variants` : `at most ${formatInteger(MAX_JOBS)} jobs`;
    throw new BatchInputError(
      `${grid} × ${formatInteger(input.replications)} replication(s) = ${formatInteger(jobCount)} jobs; a batch may have ${why} ` +
        '(the plan alone would take minutes to build and gigabytes to hold): fewer values or replications, or several batches',
    );
  }
  const baseOverrides = [...input.baseOverrides, ...(input.seed === undefined ? [] : [`seed=${input.seed}`])];
  const base = loadScenarioFile(input.file, baseOverrides);
  const warnings = new Set(base.warnings);
  const variants = gridVariants(input.parameters, base.scenario.name);
  let largest = base.scenario;
  const durations = variants.map((variant) => {
    const { scenario, warnings: found } = loadScenarioFile(input.file, [...baseOverrides, ...variant.overrides]);
    for (const w of found) warnings.add(w);
    if (estimateRunBytes(scenario) > estimateRunBytes(largest)) largest = scenario;
    variant.assertions = scenario.assert.map((a) => ({ source: a.source, limit: toJsonNumber(evaluateLimit(a.limit, scenario)) }));
    return scenario.duration;
  });
  const plan: BatchPlan = {
    kind: input.kind,
    stampedeVersion: VERSION,
    scenario: { file: input.file, name: base.scenario.name, sha256: fileSha256(input.file) },
    rootSeed: base.scenario.seed,
    baseOverrides,
    replications: input.replications,
    seeds: replicationSeeds(base.scenario.seed, input.replications),
    parameters: input.parameters,
    variants,
    withSeries: input.kind !== 'replications',
  };
  return { plan, durations, warnings: [...warnings], largest };
}

/**
 * Why a plan read back from a shard or partial file cannot be used, or null:
 * files written before batches judged assertions have no `assertions` in
 * their variants (nor in their jobs' results).
 */
export function stalePlanReason(plan: BatchPlan): string | null {
  if (plan.variants.every((variant) => Array.isArray(variant.assertions))) return null;
  return 'it was written by an earlier stampede, whose batches did not judge assertions';
}

/** A short hash of what decides a batch's outputs, for default directory names. */
export function planHash(plan: BatchPlan): string {
  const key = JSON.stringify([plan.kind, plan.rootSeed, plan.replications, plan.baseOverrides, plan.parameters]);
  return sha256Hex(key).slice(0, 8);
}

function fileSha256(file: string): string {
  try {
    return sha256Hex(readFileSync(file));
  } catch (error) {
    throw new ScenarioError([{ file, path: '', message: `cannot read the scenario file: ${(error as Error).message}` }]);
  }
}

/** A flag or argument of a batch command that makes no sense (exit code 2, like a usage error). */
export class BatchInputError extends Error {
  override name = 'BatchInputError';
}
