// Capacity planning (docs/model.md §7.7): the largest population, or the fewest
// session servers or lookup instances, with which a scenario still passes
// every one of its assertions, found by bisection over runs; and, given a
// growth rate, the date on which today's fleet stops passing.
//
// Each probe loads the scenario with one more override (population.clients,
// regions.N.servers or lookup.instances), runs it R times (the same seeds at
// every probe: common random numbers) and passes when every assertion does.
// The search assumes that passing is monotone in the varied value (more
// clients or fewer servers never help). Runs are noisy, so near the limit
// that holds only roughly: use replications with `for mean` / `for ci-upper`
// assertions for a limit that does not hang on one seed's luck.
import { loadScenarioFile, ScenarioError } from '../scenario/load.ts';
import type { Scenario } from '../scenario/types.ts';
import { formatMeasured } from './assertions.ts';
import { checkReplications, executeRuns, GateInputError, seedsFor, verdictsFor, type RunOptions } from './gate.ts';

export type Varied = 'population' | 'servers' | 'lookups';
export const VARIED: readonly Varied[] = ['population', 'servers', 'lookups'];

export type GrowthPeriod = 'day' | 'week' | 'month' | 'year';

/** Compound growth of the population: `percent` per `period`. */
export interface Growth {
  percent: number;
  period: GrowthPeriod;
}

/** Days per period; a month is a twelfth of the mean Gregorian year. */
const PERIOD_DAYS: Record<GrowthPeriod, number> = { day: 1, week: 7, month: 365.2425 / 12, year: 365.2425 };
const PERIOD_NAMES: Record<string, GrowthPeriod> = {
  d: 'day', day: 'day', week: 'week', w: 'week', wk: 'week', month: 'month', mo: 'month', year: 'year', y: 'year', yr: 'year',
};

/** `3%/month`, `40%/year`, `0.5%/day`, `2 %/wk`. */
export function parseGrowth(text: string): Growth {
  const match = /^\s*(-?(?:\d+(?:\.\d*)?|\.\d+))\s*%\s*\/\s*([a-z]+)\s*$/i.exec(text);
  const period = match ? PERIOD_NAMES[match[2].toLowerCase()] : undefined;
  if (!match || period === undefined) {
    throw new GateInputError(`--growth: expected a rate such as "3%/month" (per day, week, month or year), found ${JSON.stringify(text)}`);
  }
  const percent = Number(match[1]);
  if (percent <= -100) throw new GateInputError(`--growth: ${text} would shrink the population below nothing`);
  return { percent, period };
}

/** A calendar day `YYYY-MM-DD` as a UTC day number. */
export function parseDay(text: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const ms = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : NaN;
  if (!match || Number.isNaN(ms) || formatDay(ms / 86_400_000) !== text) {
    throw new GateInputError(`--today: expected a date YYYY-MM-DD, found ${JSON.stringify(text)}`);
  }
  return ms / 86_400_000;
}

export function formatDay(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

export interface GrowthForecast {
  growth: Growth;
  today: string;
  /** First day on which the grown population exceeds the largest that passes; null if never (no growth). */
  stopsPassing: string | null;
  /** Days from today to that day (0: it already fails today). */
  days: number | null;
  /** The search never found a failing population: the date is a lower bound. */
  atLeast: boolean;
}

/**
 * When P0·(1 + g)^(t / period) first exceeds `limit`: the first whole day
 * after t = period · ln(limit / P0) / ln(1 + g).
 */
export function forecast(current: number, limit: number | null, atLeast: boolean, growth: Growth, today: string): GrowthForecast {
  const start = parseDay(today);
  const base = { growth, today, atLeast };
  if (limit === null || limit < current) return { ...base, stopsPassing: today, days: 0, atLeast: false };
  const rate = Math.log1p(growth.percent / 100);
  if (rate <= 0) return { ...base, stopsPassing: null, days: null };
  const days = Math.floor((PERIOD_DAYS[growth.period] * Math.log(limit / current)) / rate) + 1;
  return { ...base, stopsPassing: formatDay(start + days), days };
}

// ---------------------------------------------------------------------------
// The search

export interface Probe {
  value: number;
  /** 'invalid': the scenario does not load with this value (e.g. a fault names a server it no longer has). */
  verdict: 'pass' | 'fail' | 'invalid';
  /** Failing assertions with what they measured, or the loader's first problem. */
  reasons: string[];
}

export interface CapacityInput {
  file: string;
  /** The user's `--set`s (and seed), before the varied value. */
  overrides: string[];
  vary: Varied;
  /** With --vary servers: the region whose servers vary (default: the only one). */
  region?: string;
  min?: number;
  max?: number;
  /** Bound on the number of runs (each probe costs `replications`). */
  maxRuns: number;
  /** Stop when the passing and failing values are this close: a fraction of the passing one (population only), or 1. */
  precision: number;
  replications: number;
  growth?: Growth;
  today?: string;
  onProbe?: (probe: Probe) => void;
}

export interface CapacityResult {
  file: string;
  name: string;
  vary: Varied;
  /** The override path that varies: population.clients, regions.0.servers, lookup.instances. */
  path: string;
  /** Its value in the scenario as given (today's). */
  current: number;
  /** Population: the largest value that passed; servers / lookups: the fewest. Null if no probe passed. */
  limit: number | null;
  /** The nearest value that failed on the other side of the limit, or null if none did. */
  failing: number | null;
  /** The limit is within the precision (false: --max-runs ran out first). */
  converged: boolean;
  /** Why the search stopped at an end of its range, if it did. */
  bound: string | null;
  probes: Probe[];
  runs: number;
  replications: number;
  /** limit − current (population: headroom in clients), or current − limit (servers: spare ones), and that over current. */
  margin: { absolute: number; relative: number } | null;
  forecast: GrowthForecast | null;
}

interface Setup {
  path: string;
  current: number;
  min: number;
  max: number;
  /** True for population: larger values are harder to pass. */
  largerIsHarder: boolean;
  tolerance: (good: number) => number;
}

function setup(input: CapacityInput, scenario: Scenario): Setup {
  const userMin = input.min;
  const userMax = input.max;
  for (const [flag, value] of [['--min', userMin], ['--max', userMax]] as const) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) throw new GateInputError(`${flag} must be a positive integer, got ${value}`);
  }
  switch (input.vary) {
    case 'population': {
      const current = scenario.population.clients;
      const sessionCapacity = scenario.regions.reduce((n, r) => n + r.servers, 0) * scenario.sessionServer.maxSessions;
      const max = userMax ?? (Number.isFinite(sessionCapacity) ? Math.max(current, 4 * sessionCapacity) : 64 * current);
      const precision = input.precision;
      return { path: 'population.clients', current, min: userMin ?? 1, max, largerIsHarder: true, tolerance: (good) => Math.max(1, Math.floor(precision * good)) };
    }
    case 'servers': {
      const index = regionIndex(scenario, input.region);
      return { path: `regions.${index}.servers`, current: scenario.regions[index].servers, min: userMin ?? 1, max: userMax ?? Math.max(10_000, scenario.regions[index].servers), largerIsHarder: false, tolerance: () => 1 };
    }
    case 'lookups':
      return { path: 'lookup.instances', current: scenario.lookup.instances, min: userMin ?? 1, max: userMax ?? Math.max(1000, scenario.lookup.instances), largerIsHarder: false, tolerance: () => 1 };
  }
}

function regionIndex(scenario: Scenario, region: string | undefined): number {
  const names = scenario.regions.map((r) => r.name);
  if (region === undefined) {
    if (names.length === 1) return 0;
    throw new GateInputError(`this scenario has ${names.length} regions (${names.join(', ')}): name the one whose servers vary with --region`);
  }
  const index = names.indexOf(region);
  if (index < 0) throw new GateInputError(`--region: no region named ${JSON.stringify(region)} (regions: ${names.join(', ')})`);
  return index;
}

export class RunFailedError extends Error {
  override name = 'RunFailedError';
}

export async function capacity(input: CapacityInput, options: RunOptions): Promise<CapacityResult> {
  if (!VARIED.includes(input.vary)) throw new GateInputError(`--vary must be one of ${VARIED.join(', ')}, got ${JSON.stringify(input.vary)}`);
  if (input.growth !== undefined && input.vary !== 'population') {
    throw new GateInputError('--growth forecasts when the population outgrows today\'s fleet: use it with --vary population');
  }
  if (input.growth !== undefined && input.today === undefined) throw new GateInputError('--growth needs --today YYYY-MM-DD');
  if (input.today !== undefined) parseDay(input.today);
  if (!(input.precision >= 0 && input.precision < 1)) throw new GateInputError(`--precision must be in [0, 1), got ${input.precision}`);
  const base = loadScenarioFile(input.file, input.overrides).scenario;
  checkReplications([{ file: input.file, overrides: input.overrides, scenario: base, warnings: [] }], input.replications);
  if (base.assert.length === 0) throw new GateInputError(`${input.file} has no assert: section, so every ${input.vary} value passes`);
  const s = setup(input, base);
  if (s.min > s.max) throw new GateInputError(`--min ${s.min} is above --max ${s.max}`);
  // The search starts from today's value and reports the margin to it: a range without it would claim
  // a verdict on today's value that no run measured.
  if (s.current < s.min || s.current > s.max) {
    const [flag, bound, side] = s.current < s.min ? ['--min', s.min, 'above'] : ['--max', s.max, 'below'];
    throw new GateInputError(
      `${flag} ${bound} leaves out today's value (${s.path} = ${s.current}), which the search starts from and measures the margin to: ` +
        `the range must include it; ${side === 'above' ? 'lower --min' : 'raise --max'}, or change today's value with --set ${s.path}=N`,
    );
  }
  const maxProbes = Math.floor(input.maxRuns / input.replications);
  if (!Number.isInteger(input.maxRuns) || maxProbes < 1) {
    throw new GateInputError(`--max-runs must allow at least one probe of ${input.replications} run(s), got ${input.maxRuns}`);
  }

  const probes: Probe[] = [];
  const known = new Map<number, Probe>();
  const probe = async (value: number): Promise<Probe> => {
    const seen = known.get(value);
    if (seen) return seen;
    const result = await runProbe(input, s.path, value, options);
    probes.push(result);
    known.set(value, result);
    input.onProbe?.(result);
    return result;
  };
  const budgetLeft = () => probes.length < maxProbes;
  const passes = (p: Probe) => p.verdict === 'pass';
  // One step towards harder (more clients, fewer servers) or easier values, clamped to the range.
  const harder = (v: number) => (s.largerIsHarder ? Math.min(s.max, v * 2) : Math.max(s.min, Math.ceil(v / 2)));
  const easier = (v: number) => (s.largerIsHarder ? Math.max(s.min, Math.floor(v / 2)) : Math.min(s.max, v * 2));

  let good: number | null = null;
  let bad: number | null = null;
  let bound: string | null = null;
  const start = s.current;
  if (passes(await probe(start))) good = start;
  else bad = start;

  // Bracket: walk away from the known side until the verdict flips or the range ends.
  while (good === null || bad === null) {
    const from: number = good ?? bad!;
    const next = good !== null ? harder(from) : easier(from);
    if (next === from) {
      bound = good !== null
        ? `passes even at the ${s.largerIsHarder ? 'upper' : 'lower'} end of the search (${from}; see --${s.largerIsHarder ? 'max' : 'min'})`
        : `fails even at the ${s.largerIsHarder ? 'lower' : 'upper'} end of the search (${from}; see --${s.largerIsHarder ? 'min' : 'max'})`;
      break;
    }
    if (!budgetLeft()) break;
    if (passes(await probe(next))) good = next;
    else bad = next;
  }

  // Bisect: geometric while the bracket spans more than a factor 2, then arithmetic.
  while (good !== null && bad !== null && Math.abs(bad - good) > s.tolerance(good) && budgetLeft()) {
    const [low, high] = good < bad ? [good, bad] : [bad, good];
    let mid = high > 2 * low ? Math.round(Math.sqrt(low * high)) : Math.floor((low + high) / 2);
    mid = Math.min(high - 1, Math.max(low + 1, mid));
    if (passes(await probe(mid))) good = mid;
    else bad = mid;
  }

  const converged = bound !== null || (good !== null && bad !== null && Math.abs(bad - good) <= s.tolerance(good));
  const margin = good === null ? null : marginOf(s, good);
  const hitUpper = bound !== null && good !== null;
  return {
    file: input.file,
    name: base.name,
    vary: input.vary,
    path: s.path,
    current: s.current,
    limit: good,
    failing: bad,
    converged,
    bound,
    probes,
    runs: probes.filter((p) => p.verdict !== 'invalid').length * input.replications,
    replications: input.replications,
    margin,
    forecast: input.growth === undefined ? null : forecast(s.current, good, hitUpper, input.growth, input.today!),
  };
}

function marginOf(s: Setup, limit: number): { absolute: number; relative: number } {
  const absolute = s.largerIsHarder ? limit - s.current : s.current - limit;
  return { absolute, relative: absolute / s.current };
}

async function runProbe(input: CapacityInput, path: string, value: number, options: RunOptions): Promise<Probe> {
  const overrides = [...input.overrides, `${path}=${value}`];
  let scenario: Scenario;
  try {
    scenario = loadScenarioFile(input.file, overrides).scenario;
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    return { value, verdict: 'invalid', reasons: [error.issues[0]?.message ?? error.message] };
  }
  const seeds = seedsFor(scenario, input.replications);
  const outcomes = await executeRuns(
    seeds.map((seed) => ({ file: input.file, overrides, seed, assertions: scenario.assert })),
    options,
  );
  const failed = outcomes.find((o) => !o.ok);
  if (failed && !failed.ok) throw new RunFailedError(`a run failed: ${failed.error}\nreproduce: ${failed.reproduce}`);
  const verdicts = verdictsFor(scenario, outcomes);
  const failing = verdicts.filter((v) => !v.judgement.passed);
  return {
    value,
    verdict: failing.length === 0 ? 'pass' : 'fail',
    reasons: failing.map((v) => `${v.assertion.source} (measured ${formatMeasured(v.assertion, v.judgement.compared)}${v.judgement.note === '' ? '' : `, ${v.judgement.note}`})`),
  };
}
