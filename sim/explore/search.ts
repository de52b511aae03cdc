// `stampede explore` (docs/explore.md): searches the scenario's `explore:`
// space for runs that break its gate, the way swarm testing does (each draw
// enables a random subset of the extra fault kinds), then
//   1. bisects each numeric field alone, from the scenario as written, to the
//      value where the gate's verdict flips (the boundary);
//   2. shrinks each distinct failure to a minimal scenario that still fails
//      (fewest faults, shortest and latest faults, smallest population);
//   3. flags metastable runs (metastable.ts).
// Every decision is a pure function of the scenario, the seed and the runs'
// outcomes, and runs are merged in a fixed order, so the findings are the same
// whatever the number of workers. A cache of outcomes keyed by a run's
// overrides makes an interrupted search resumable: the same decisions are
// replayed and only the missing runs go to the workers.
import { deriveSeed, createStream, type Stream } from '../engine/random.ts';
import { canonicalScenario, loadScenarioFile, ScenarioError } from '../scenario/load.ts';
import { tryParseDuration, tryParseRate } from '../scenario/units.ts';
import type { ExploreConfig, Scenario } from '../scenario/types.ts';
import { WorkerPool } from '../batch/pool.ts';
import type { Job } from '../batch/jobs.ts';
import type { JobOutcome } from '../batch/protocol.ts';
import { formatValue, positionOf, valueAt, type ExploreRange } from './range.ts';
import { EXPLORE_WORKER_MARK, type ExploreJob, type ExploreJobResult } from './worker.ts';
import type { Metastability } from './metastable.ts';

const WORKER_MODULE = new URL('./worker.ts', import.meta.url);
/** Swarm draws go to the workers in batches of this many (fixed, so a time budget cuts at the same draws whatever the number of workers). */
const SWARM_BATCH = 8;
/** Bisection stops when the boundary's bracket is this narrow, in the range's position (0..1). */
const BRACKET = 0.005;
const MAX_BISECTION_ROUNDS = 6;

export type Phase = 'swarm' | 'boundary' | 'shrink';

/** A fault added to a draw, in scenario-file form (a `faults.N` override). */
export type ExtraFault = Record<string, string | number | string[] | number[]>;

/** One run the search decided to make. */
export interface Candidate {
  phase: Phase;
  seed: number;
  /** Explored field → its value (numbers in seconds, per second or plain). */
  values: Record<string, number | string>;
  extraFaults: ExtraFault[];
}

export interface RunRecord extends Candidate {
  /** Position in the search's run list. */
  id: number;
  /** The `--set` overrides that make this run from the scenario file (its seed last). */
  overrides: string[];
  ok: boolean;
  error: string | null;
  /** The assertions it fails (empty: it passes the gate). */
  failed: string[];
  recoveryFull: number | null;
  metastable: Metastability | null;
}

export interface Boundary {
  path: string;
  /** Null when the verdict is the same at both ends of the range. */
  value: number | null;
  /** The bracket the flip lies in, and the verdict below it. */
  below: number | null;
  above: number | null;
  failsBelow: boolean | null;
  runs: number;
  note: string;
}

export interface Failure {
  /** The swarm run it comes from. */
  from: number;
  signature: string;
  /** The shrunk run (its overrides reproduce it). */
  run: RunRecord;
  /** Runs the shrinking made. */
  steps: number;
}

export interface ExploreFindings {
  runs: RunRecord[];
  swarm: { planned: number; ran: number; stoppedBy: 'runs' | 'time' };
  boundaries: Boundary[];
  failures: Failure[];
  metastable: number[];
  /** The search stopped early (interrupted): what is here is what finished. */
  interrupted: boolean;
}

export interface SearchOptions {
  file: string;
  /** The user's --set overrides, before the search's own. */
  baseOverrides: string[];
  workers: number;
  /** Outcomes already known (--resume), by run key. */
  cache?: Map<string, JobOutcome>;
  /** A finished run (for progress and the partial file). */
  onRun?: (record: RunRecord, key: string, outcome: JobOutcome) => void;
  signal?: AbortSignal;
  /** Wall-clock seconds since the search started (the time budget); injectable for tests. */
  elapsed?: () => number;
}

/** A run's cache key: the overrides that make it (the file and the base overrides are the same for every run). */
export function runKey(overrides: readonly string[]): string {
  return JSON.stringify(overrides);
}

export class ExploreInputError extends Error {}

export class Explorer {
  private readonly config: ExploreConfig;
  private readonly scenario: Scenario;
  private readonly runs: RunRecord[] = [];
  private readonly cache: Map<string, JobOutcome>;
  private interrupted = false;
  /** One pool for the whole search: each round decides the next, and would otherwise start its threads again. */
  private pool: WorkerPool | null = null;

  constructor(private readonly options: SearchOptions) {
    const { scenario } = loadScenarioFile(options.file, options.baseOverrides);
    if (scenario.explore === null) throw new ExploreInputError(`${options.file}: no explore: section: nothing to search (docs/explore.md)`);
    if (scenario.assert.length === 0) throw new ExploreInputError(`${options.file}: no assert: section: explore looks for runs that break the gate, and there is none`);
    this.scenario = scenario;
    this.config = scenario.explore;
    this.cache = options.cache ?? new Map();
    this.checkRanges();
  }

  async search(): Promise<ExploreFindings> {
    try {
      return await this.searchAll();
    } finally {
      await this.pool?.close();
      this.pool = null;
    }
  }

  private async searchAll(): Promise<ExploreFindings> {
    const swarm = await this.swarm();
    const boundaries: Boundary[] = [];
    for (const range of this.numericRanges()) {
      if (this.interrupted) break;
      boundaries.push(await this.boundary(range));
    }
    const failures: Failure[] = [];
    for (const failing of this.distinctFailures()) {
      if (this.interrupted || failures.length >= this.config.shrink) break;
      failures.push(await this.shrink(failing));
    }
    return {
      runs: this.runs,
      swarm,
      boundaries,
      failures,
      metastable: this.runs.filter((r) => r.metastable !== null).map((r) => r.id),
      interrupted: this.interrupted,
    };
  }

  // ---- The space -------------------------------------------------------------

  /** Each range's two ends must make a valid scenario: found now, not after an hour of runs. */
  private checkRanges(): void {
    for (const range of this.config.ranges) {
      const ends = range.kind === 'choice' ? range.choices : [range.min, range.max];
      for (const end of ends) {
        const text = formatValue(range, end);
        try {
          loadScenarioFile(this.options.file, [...this.options.baseOverrides, `${range.path}=${text}`]);
        } catch (error) {
          if (!(error instanceof ScenarioError)) throw error;
          const first = error.issues[0];
          throw new ExploreInputError(`${this.options.file}: explore.ranges.${range.path}: the value ${text} makes an invalid scenario: ${first.path === '' ? '' : `${first.path}: `}${first.message}`);
        }
      }
    }
  }

  private numericRanges(): (ExploreRange & { kind: 'numeric' })[] {
    return this.config.ranges.filter((r): r is ExploreRange & { kind: 'numeric' } => r.kind === 'numeric');
  }

  /** The scenario's own value of a field, if it is a number or a word (null: it has none there). */
  baseValue(path: string): number | string | null {
    let node: unknown = this.scenarioDocument();
    for (const segment of path.split('.')) {
      if (node === null || typeof node !== 'object') return null;
      node = (node as Record<string, unknown>)[segment];
    }
    return typeof node === 'number' || typeof node === 'string' ? node : null;
  }

  private document: Record<string, unknown> | null = null;

  private scenarioDocument(): Record<string, unknown> {
    // The resolved scenario in file form, with units: values read from it go back through --set.
    this.document ??= resolvedDocument(this.options.file, this.options.baseOverrides);
    return this.document;
  }

  // ---- Running ---------------------------------------------------------------

  private overridesOf(candidate: Candidate): string[] {
    const ranges = new Map(this.config.ranges.map((r) => [r.path, r]));
    const values = Object.entries(candidate.values).map(([path, value]) => {
      const range = ranges.get(path);
      return `${path}=${range === undefined ? String(value) : formatValue(range, value)}`;
    });
    const first = this.scenario.faults.length;
    const faults = candidate.extraFaults.map((fault, j) => `faults.${first + j}=${flowYaml(fault)}`);
    return [...values, ...faults, `seed=${candidate.seed}`];
  }

  /** Runs the candidates (cached ones are not run again) and returns their records, in order. */
  private async run(candidates: readonly Candidate[]): Promise<RunRecord[]> {
    const prepared = candidates.map((candidate) => ({ candidate, overrides: this.overridesOf(candidate) }));
    const missing = prepared.filter((p) => !this.cache.has(runKey(p.overrides)));
    const jobs: ExploreJob[] = missing.map((p, i) => ({
      id: i,
      variant: 0,
      replication: 0,
      seed: p.candidate.seed,
      scenarioFile: this.options.file,
      overrides: [...this.options.baseOverrides, ...p.overrides],
      withSeries: false,
      metastableWindow: this.config.metastableWindow,
    }));
    if (jobs.length > 0 && !this.interrupted) {
      this.pool ??= new WorkerPool(this.options.workers, { module: WORKER_MODULE, mark: EXPLORE_WORKER_MARK });
      const outcomes = await this.pool.run(jobs as Job[], { signal: this.options.signal });
      outcomes.forEach((outcome, i) => {
        if (outcome === undefined) this.interrupted = true;
        else this.cache.set(runKey(missing[i].overrides), outcome);
      });
    }
    const records: RunRecord[] = [];
    for (const { candidate, overrides } of prepared) {
      const outcome = this.cache.get(runKey(overrides));
      if (outcome === undefined) {
        this.interrupted = true;
        break;
      }
      const record = toRecord(this.runs.length, candidate, overrides, outcome);
      this.runs.push(record);
      records.push(record);
      this.options.onRun?.(record, runKey(overrides), outcome);
    }
    return records;
  }

  // ---- 1. Swarm ----------------------------------------------------------------

  private async swarm(): Promise<ExploreFindings['swarm']> {
    const planned = this.config.runs;
    const elapsed = this.options.elapsed ?? (() => 0);
    let ran = 0;
    let stoppedBy: 'runs' | 'time' = 'runs';
    while (ran < planned && !this.interrupted) {
      if (this.config.time !== null && elapsed() >= this.config.time) {
        stoppedBy = 'time';
        break;
      }
      const size = Math.min(SWARM_BATCH, planned - ran);
      const draws = Array.from({ length: size }, (_, k) => this.draw(ran + k));
      ran += (await this.run(draws)).length;
    }
    return { planned, ran, stoppedBy };
  }

  /** Draw i of the swarm, from its own stream: adding draws never changes the earlier ones. */
  private draw(i: number): Candidate {
    const stream = createStream(this.config.seed, `explore.draw.${i}`);
    const values: Record<string, number | string> = {};
    for (const range of this.config.ranges) {
      const u = stream();
      values[range.path] = range.kind === 'choice' ? range.choices[Math.floor(u * range.choices.length)] : valueAt(range, u);
    }
    return { phase: 'swarm', seed: deriveSeed(this.config.seed, i), values, extraFaults: this.extraFaults(stream) };
  }

  /** Swarm style: each draw enables a random subset of the kinds, then draws up to `max` faults among them. */
  private extraFaults(stream: Stream): ExtraFault[] {
    const { max, kinds, from, until, longest } = this.config.extraFaults;
    if (max === 0 || kinds.length === 0) return [];
    const usable = kinds.filter((kind) => kind !== 'manager-crash' || this.scenario.managers !== null);
    let enabled = usable.filter(() => stream() < 0.5);
    if (enabled.length === 0 && usable.length > 0) enabled = [usable[Math.floor(stream() * usable.length)]];
    const count = Math.floor(stream() * (max + 1));
    const latest = until ?? this.scenario.duration / 2;
    // Servers in service (spares start shut down: crashing one would change nothing).
    const servers = this.scenario.regions.flatMap((r) => Array.from({ length: r.servers }, (_, i) => `${r.name}-${i}`));
    const instances = this.scenario.lookup.instances;
    const faults: ExtraFault[] = [];
    for (let j = 0; j < count && enabled.length > 0; j++) {
      const kind = enabled[Math.floor(stream() * enabled.length)];
      const at = seconds(from + stream() * Math.max(0, latest - from));
      const length = seconds(Math.max(1, stream() * longest));
      switch (kind) {
        case 'server-crash':
          faults.push({ kind, at: `${at}s`, servers: [servers[Math.floor(stream() * servers.length)]], mode: stream() < 0.5 ? 'refuse' : 'blackhole', restartAfter: `${length}s` });
          break;
        case 'lookup-outage': {
          const n = 1 + Math.floor(stream() * instances);
          const first = Math.floor(stream() * instances);
          const chosen = Array.from({ length: n }, (_, k) => (first + k) % instances).sort((a, b) => a - b);
          faults.push({ kind, at: `${at}s`, duration: `${length}s`, instances: chosen, mode: stream() < 0.5 ? 'blackhole' : 'refuse' });
          break;
        }
        case 'manager-crash':
          faults.push({ kind, at: `${at}s`, managers: [Math.floor(stream() * (this.scenario.managers?.count ?? 1))], restartAfter: `${length}s` });
          break;
        case 'carrier-outage':
          faults.push({ kind, at: `${at}s`, duration: `${length}s`, fraction: Number((0.1 + 0.9 * stream()).toFixed(3)) });
          break;
      }
    }
    return faults;
  }

  // ---- 2. Boundary ---------------------------------------------------------------

  /**
   * The value of one field at which the gate flips, from the scenario as
   * written (its own seed, no extra faults, every other field as it is):
   * both ends first, then the first flip among the quartiles of the
   * bracket, until the bracket is narrow. Three points a round whatever
   * the number of workers: the same runs, so the same boundary.
   */
  private async boundary(range: ExploreRange & { kind: 'numeric' }): Promise<Boundary> {
    const at = (u: number): Candidate => ({ phase: 'boundary', seed: this.scenario.seed, values: { [range.path]: valueAt(range, u) }, extraFaults: [] });
    const fails = (r: RunRecord) => r.failed.length > 0;
    const ends = await this.run([at(0), at(1)]);
    let runs = ends.length;
    if (ends.length < 2) return { path: range.path, value: null, below: null, above: null, failsBelow: null, runs, note: 'interrupted' };
    if (fails(ends[0]) === fails(ends[1])) {
      return { path: range.path, value: null, below: null, above: null, failsBelow: fails(ends[0]), runs, note: fails(ends[0]) ? 'fails at both ends of the range' : 'passes at both ends of the range' };
    }
    let lo = 0;
    let hi = 1;
    const failsBelow = fails(ends[0]);
    for (let round = 0; round < MAX_BISECTION_ROUNDS && hi - lo > BRACKET && !this.interrupted; round++) {
      const points = [0.25, 0.5, 0.75].map((q) => lo + q * (hi - lo));
      const records = await this.run(points.map(at));
      runs += records.length;
      if (records.length < points.length) break;
      const positions = [lo, ...points, hi];
      const verdicts = [failsBelow, ...records.map(fails), !failsBelow];
      const flip = verdicts.findIndex((v) => v !== failsBelow);
      [lo, hi] = [positions[flip - 1], positions[flip]];
    }
    const below = valueAt(range, lo);
    const above = valueAt(range, hi);
    return { path: range.path, value: valueAt(range, (lo + hi) / 2), below, above, failsBelow, runs, note: '' };
  }

  // ---- 3. Shrinking --------------------------------------------------------------

  /** The first failing swarm run of each distinct failure (its failed assertions, and whether metastable). */
  private distinctFailures(): RunRecord[] {
    const seen = new Set<string>();
    return this.runs.filter((r) => {
      if (r.phase !== 'swarm' || !failing(r)) return false;
      const key = signature(r);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  /**
   * Greedy shrinking, each step kept only if the run still fails in the same
   * way (one of its failed assertions still fails, or it stays metastable):
   * drop extra faults one by one; then move every field to its simplest
   * value (durations and populations to the range's low end, start times
   * late, other fields back to the scenario's own value), all at once if
   * the failure survives that, else one field at a time.
   */
  private async shrink(start: RunRecord): Promise<Failure> {
    let current = start;
    let steps = 0;
    const still = (r: RunRecord) => (start.failed.length > 0 ? r.failed.some((a) => start.failed.includes(a)) : r.metastable !== null);
    for (let dropped = true; dropped && current.extraFaults.length > 0 && !this.interrupted;) {
      dropped = false;
      const fewer = current.extraFaults.map((_, j) => ({ ...asCandidate(current), extraFaults: current.extraFaults.filter((__, k) => k !== j) }));
      const records = await this.run(fewer);
      steps += records.length;
      const kept = records.find(still);
      if (kept !== undefined) {
        current = kept;
        dropped = true;
      }
    }
    const moves = this.simplerMoves(current);
    if (moves.length > 0 && !this.interrupted) {
      const all = await this.run([moves.reduce((c, move) => move(c), asCandidate(current))]);
      steps += all.length;
      if (all.length === 1 && still(all[0])) {
        current = all[0];
      } else {
        for (const move of moves) {
          if (this.interrupted) break;
          const one = await this.run([move(asCandidate(current))]);
          steps += one.length;
          if (one.length === 1 && still(one[0])) current = one[0];
        }
      }
    }
    return { from: start.id, signature: signature(start), run: { ...current, phase: 'shrink' }, steps };
  }

  /** The moves toward a simpler scenario from `record`, each a function of a candidate (those that change something). */
  private simplerMoves(record: RunRecord): ((c: Candidate) => Candidate)[] {
    const moves: ((c: Candidate) => Candidate)[] = [];
    for (const range of this.config.ranges) {
      const target = this.simplestValue(range);
      if (target === null || record.values[range.path] === target) continue;
      moves.push((c) => ({ ...c, values: { ...c.values, [range.path]: target } }));
    }
    const explored = new Set(this.config.ranges.map((r) => r.path));
    if (!explored.has('population.clients') && this.scenario.population.clients >= 4000) {
      const quarter = Math.round(this.scenario.population.clients / 4);
      moves.push((c) => ({ ...c, values: { ...c.values, 'population.clients': quarter } }));
    }
    // Extra faults as short as they can be.
    record.extraFaults.forEach((fault, j) => {
      const shorter: ExtraFault = { ...fault };
      if ('duration' in fault) shorter.duration = '1s';
      if ('restartAfter' in fault) shorter.restartAfter = '1s';
      if (JSON.stringify(shorter) !== JSON.stringify(fault)) moves.push((c) => ({ ...c, extraFaults: c.extraFaults.map((f, k) => (k === j ? shorter : f)) }));
    });
    return moves;
  }

  /** Durations and populations: the low end; start times (`.at`): the high end; anything else: the scenario's own value. */
  private simplestValue(range: ExploreRange): number | string | null {
    if (range.kind === 'numeric') {
      if (/\.(duration|restartAfter|drain|stagger)$/.test(range.path) || range.path === 'population.clients') return range.min;
      if (/\.at$/.test(range.path)) return range.max;
    }
    const base = this.baseValue(range.path);
    if (base === null) return null;
    if (range.kind === 'choice') return range.choices.includes(String(base)) ? String(base) : null;
    const value = typeof base === 'number' ? base : parseNumeric(range, base);
    return value !== null && value >= range.min && value <= range.max ? valueAt(range, positionOf(range, value)) : null;
  }
}

function toRecord(id: number, candidate: Candidate, overrides: string[], outcome: JobOutcome): RunRecord {
  if (!outcome.ok) {
    return { ...candidate, id, overrides, ok: false, error: `${outcome.error.name}: ${outcome.error.message}`, failed: [], recoveryFull: null, metastable: null };
  }
  const result = outcome.result as ExploreJobResult;
  return {
    ...candidate,
    id,
    overrides,
    ok: true,
    error: null,
    failed: result.failed,
    recoveryFull: result.summary.recovery.full,
    metastable: result.metastable,
  };
}

function asCandidate(record: RunRecord): Candidate {
  return { phase: 'shrink', seed: record.seed, values: { ...record.values }, extraFaults: record.extraFaults.map((f) => ({ ...f })) };
}

export function failing(record: RunRecord): boolean {
  return record.failed.length > 0 || record.metastable !== null;
}

export function signature(record: RunRecord): string {
  return [...[...record.failed].sort(), ...(record.metastable !== null ? ['metastable'] : [])].join(' & ');
}

function seconds(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** A value of the scenario in file form (`10m`, `20000/s`) as the range's number. */
function parseNumeric(range: ExploreRange & { kind: 'numeric' }, text: string): number | null {
  const value = range.scale === 'duration' ? tryParseDuration(text) : range.scale === 'rate' ? tryParseRate(text) : Number(text);
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** A fault as one line of YAML flow mapping (`{kind: server-crash, at: 10s, servers: [common-1]}`). */
export function flowYaml(fault: ExtraFault): string {
  const item = (v: string | number) => (typeof v === 'number' ? String(v) : /^[A-Za-z0-9._/-]+$/.test(v) ? v : JSON.stringify(v));
  const entries = Object.entries(fault).map(([k, v]) => `${k}: ${Array.isArray(v) ? `[${v.map(item).join(', ')}]` : item(v)}`);
  return `{${entries.join(', ')}}`;
}

/** The scenario in file form after the base overrides (what `canonicalScenario` writes: units included). */
function resolvedDocument(file: string, overrides: readonly string[]): Record<string, unknown> {
  return canonicalScenario(loadScenarioFile(file, [...overrides]).scenario);
}
