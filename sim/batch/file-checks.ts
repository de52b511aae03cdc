// Checks of shard and partial files read back from disk. They are JSON that
// anyone can edit, truncate or mix up, so every field the batch code reads is
// checked for its type before use: a wrong one is invalid input (exit code 2,
// the file and the field named), never a crash or a blank row.
import { readRegularFile } from '../scenario/read-file.ts';
import { unsafeSegment } from '../cli/output.ts';
import { BatchInputError, type BatchPlan } from './jobs.ts';
import type { JobOutcome } from './protocol.ts';

/** Shard and partial files carry every job's summary (and series for compare and sweep): far below this. */
export const MAX_BATCH_FILE_BYTES = 256 * 1024 * 1024;

const KINDS = ['replications', 'compare', 'sweep'];

/** The parsed JSON of a shard or partial file, or a BatchInputError saying why there is none. */
export function readJsonFile(path: string, what: string): unknown {
  const read = readRegularFile(path, MAX_BATCH_FILE_BYTES);
  if (!read.ok) {
    if (read.code === 'ENOENT') throw new BatchInputError(`${path}: no such ${what}`);
    throw new BatchInputError(`${path}: not a readable ${what}: it ${read.reason.replace(/^is /, 'is ')}`);
  }
  try {
    return JSON.parse(read.bytes.toString('utf8'));
  } catch (error) {
    throw new BatchInputError(`${path}: not a readable ${what} (${(error as Error).message})`);
  }
}

type Check = (value: unknown, field: string) => string | null;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown, min = 0): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
const isJsonNumber = (v: unknown) => v === null || typeof v === 'number' || v === 'Infinity' || v === '-Infinity' || v === 'NaN';

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  const text = JSON.stringify(v);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

const expect = (ok: boolean, field: string, wanted: string, v: unknown) => (ok ? null : `${field}: expected ${wanted}, found ${describe(v)}`);

function stringList(v: unknown, field: string): string | null {
  if (!Array.isArray(v)) return expect(false, field, 'a list of strings', v);
  const bad = v.findIndex((x) => typeof x !== 'string');
  return bad < 0 ? null : expect(false, `${field}[${bad}]`, 'a string', v[bad]);
}

function each(v: unknown, field: string, check: Check): string | null {
  if (!Array.isArray(v)) return expect(false, field, 'a list', v);
  for (let i = 0; i < v.length; i++) {
    const problem = check(v[i], `${field}[${i}]`);
    if (problem !== null) return problem;
  }
  return null;
}

function first(...problems: (() => string | null)[]): string | null {
  for (const problem of problems) {
    const found = problem();
    if (found !== null) return found;
  }
  return null;
}

/** Why `v` is not a well-formed plan, or null. */
export function planProblem(v: unknown, field = 'plan'): string | null {
  if (!isObject(v)) return expect(false, field, 'an object', v);
  const f = (name: string) => `${field}.${name}`;
  return first(
    () => expect(typeof v.kind === 'string' && KINDS.includes(v.kind), f('kind'), KINDS.join(', '), v.kind),
    () => expect(typeof v.stampedeVersion === 'string', f('stampedeVersion'), 'a string', v.stampedeVersion),
    () => {
      const s = v.scenario;
      if (!isObject(s)) return expect(false, f('scenario'), 'an object', s);
      if (typeof s.file !== 'string') return expect(false, f('scenario.file'), 'a string', s.file);
      if (typeof s.name !== 'string') return expect(false, f('scenario.name'), 'a string', s.name);
      const unsafe = unsafeSegment(s.name);
      if (unsafe !== undefined) return `${f('scenario.name')}: ${JSON.stringify(s.name)} cannot be a directory name: ${unsafe}`;
      return expect(typeof s.sha256 === 'string', f('scenario.sha256'), 'a string', s.sha256);
    },
    () => expect(isInt(v.rootSeed), f('rootSeed'), 'an integer >= 0', v.rootSeed),
    () => stringList(v.baseOverrides, f('baseOverrides')),
    () => expect(isInt(v.replications, 1), f('replications'), 'an integer >= 1', v.replications),
    () => each(v.seeds, f('seeds'), (x, at) => expect(isInt(x), at, 'an integer >= 0', x)),
    () => expect((v.seeds as unknown[]).length === v.replications, f('seeds'), `${String(v.replications)} seeds (one per replication)`, v.seeds),
    () => each(v.parameters, f('parameters'), (p, at) => {
      if (!isObject(p)) return expect(false, at, 'an object', p);
      return first(
        () => expect(typeof p.name === 'string', `${at}.name`, 'a string', p.name),
        () => expect(typeof p.path === 'string', `${at}.path`, 'a string', p.path),
        () => stringList(p.values, `${at}.values`),
      );
    }),
    () => each(v.variants, f('variants'), (x, at) => {
      if (!isObject(x)) return expect(false, at, 'an object', x);
      return first(
        () => expect(isInt(x.id), `${at}.id`, 'an integer >= 0', x.id),
        () => expect(typeof x.label === 'string', `${at}.label`, 'a string', x.label),
        () => expect(isObject(x.params) && Object.values(x.params).every((p) => typeof p === 'string'), `${at}.params`, 'an object of strings', x.params),
        () => stringList(x.overrides, `${at}.overrides`),
        // Missing assertions: a file from before batches judged them (stalePlanReason says so).
        () => (x.assertions === undefined ? null : each(x.assertions, `${at}.assertions`, (a, where) => {
          if (!isObject(a)) return expect(false, where, 'an object', a);
          return first(
            () => expect(typeof a.source === 'string', `${where}.source`, 'a string', a.source),
            () => expect(isJsonNumber(a.limit), `${where}.limit`, 'a number', a.limit),
          );
        })),
      );
    }),
    () => {
      const variants = v.variants as Record<string, unknown>[];
      const bad = variants.findIndex((x, i) => x.id !== i);
      return bad < 0 ? null : `${f(`variants[${bad}].id`)}: expected ${bad} (variants are numbered in order), found ${describe(variants[bad].id)}`;
    },
    () => expect(typeof v.withSeries === 'boolean', f('withSeries'), 'true or false', v.withSeries),
  );
}

function summaryProblem(v: unknown, field: string): string | null {
  if (!isObject(v)) return expect(false, field, 'an object of figures', v);
  for (const [key, value] of Object.entries(v)) {
    if (value === null || typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') continue;
    if (Array.isArray(value)) continue;
    if (isObject(value)) {
      const problem = summaryProblem(value, `${field}.${key}`);
      if (problem !== null) return problem;
    } else return expect(false, `${field}.${key}`, 'a number, null or an object', value);
  }
  return null;
}

/** Why `v` is not a well-formed job outcome, or null. */
export function outcomeProblem(v: unknown, field: string, withSeries: boolean): string | null {
  if (!isObject(v)) return expect(false, field, 'an object', v);
  return first(
    () => expect(isInt(v.jobId), `${field}.jobId`, 'an integer >= 0', v.jobId),
    () => expect(typeof v.ok === 'boolean', `${field}.ok`, 'true or false', v.ok),
    () => {
      if (v.ok === false) {
        const e = v.error;
        if (!isObject(e)) return expect(false, `${field}.error`, 'an object with name and message', e);
        return first(
          () => expect(typeof e.name === 'string', `${field}.error.name`, 'a string', e.name),
          () => expect(typeof e.message === 'string', `${field}.error.message`, 'a string', e.message),
        );
      }
      const r = v.result;
      if (!isObject(r)) return expect(false, `${field}.result`, 'an object with summary, series and assertions', r);
      return first(
        () => summaryProblem(r.summary, `${field}.result.summary`),
        () => each(r.assertions, `${field}.result.assertions`, (a, at) => expect(isJsonNumber(a), at, 'a number', a)),
        () => {
          if (r.series === null || r.series === undefined) return withSeries ? expect(false, `${field}.result.series`, 'the run\'s series (this batch compares them)', r.series) : null;
          const s = r.series;
          if (!isObject(s)) return expect(false, `${field}.result.series`, 'an object or null', s);
          for (const key of ['time', 'connected', 'carrierAttemptsPerSec']) {
            const problem = each(s[key], `${field}.result.series.${key}`, (x, at) => expect(typeof x === 'number' || x === null, at, 'a number', x));
            if (problem !== null) return problem;
          }
          return overlayExtrasProblem(s, `${field}.result.series`);
        },
      );
    },
  );
}

const isNumber = (x: unknown) => typeof x === 'number';

/** The per-server accepts, crashes and fault windows of a series (optional: older files lack them). */
function overlayExtrasProblem(s: Record<string, unknown>, field: string): string | null {
  return first(
    () => {
      if (s.accepts === undefined) return null;
      const a = s.accepts;
      if (!isObject(a)) return expect(false, `${field}.accepts`, 'an object with bin and byServer', a);
      if (!isInt(a.bin, 1)) return expect(false, `${field}.accepts.bin`, 'an integer >= 1', a.bin);
      if (!isObject(a.byServer)) return expect(false, `${field}.accepts.byServer`, 'an object', a.byServer);
      for (const [server, values] of Object.entries(a.byServer)) {
        const problem = each(values, `${field}.accepts.byServer.${server}`, (x, at) => expect(isNumber(x), at, 'a number', x));
        if (problem !== null) return problem;
      }
      return null;
    },
    () => s.crashes === undefined ? null : each(s.crashes, `${field}.crashes`, (c, at) => !isObject(c) ? expect(false, at, 'an object with time and server', c)
      : first(() => expect(isNumber(c.time), `${at}.time`, 'a number', c.time), () => expect(typeof c.server === 'string', `${at}.server`, 'a string', c.server))),
    () => s.faults === undefined ? null : each(s.faults, `${field}.faults`, (w, at) => !isObject(w) ? expect(false, at, 'an object with kind, start, end and label', w)
      : first(
          () => expect(typeof w.kind === 'string', `${at}.kind`, 'a string', w.kind),
          () => expect(isNumber(w.start), `${at}.start`, 'a number', w.start),
          () => expect(isNumber(w.end), `${at}.end`, 'a number', w.end),
          () => expect(typeof w.label === 'string', `${at}.label`, 'a string', w.label),
        )),
  );
}

/** Checks a plan and outcomes read from `path`; throws BatchInputError naming the file and the field. */
export function checkBatchFile(path: string, plan: unknown, outcomes: unknown): asserts plan is BatchPlan {
  const problem = planProblem(plan) ?? each(outcomes, 'outcomes', (o, at) => outcomeProblem(o, at, (plan as BatchPlan).withSeries));
  if (problem !== null) throw new BatchInputError(`${path}: ${problem}`);
  void (outcomes as JobOutcome[]);
}
