// Fuzzing the scenario loader and the model with mutated copies of the shipped
// scenarios (fast-check). Every case must either be rejected with a clean
// ScenarioError (FILE:LINE:COL: PATH: MESSAGE, no stack trace) or load,
// reload identically from its canonical form, and run (shrunk to 50 clients
// and 2 simulated minutes). No uncaught exception, no hang: each case runs in
// a worker thread and must answer within CASE_TIMEOUT_MS.
//
// Reproducible: the seed is fixed (FUZZ_SEED overrides it, FUZZ_RUNS the case
// count) and printed with any failure, with the mutated text.
//   FUZZ_SEED=123 FUZZ_RUNS=20000 npx vitest run test/fuzz.test.ts
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { startTypeScriptWorker } from '../sim/engine/typescript-worker.ts';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';
import type { CaseOutcome } from './fuzz/case.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20240611);
const RUNS = Number(process.env.FUZZ_RUNS ?? 1200);
const CASE_TIMEOUT_MS = 15_000;

const SCENARIO_DIR = join(import.meta.dirname, '..', 'scenarios');
const SCENARIOS = readdirSync(SCENARIO_DIR, { recursive: true, encoding: 'utf8' })
  .filter((name) => /\.ya?ml$/.test(name))
  .sort()
  .map((name) => ({ name, text: readFileSync(join(SCENARIO_DIR, name), 'utf8') }));

// ---------------------------------------------------------------------------
// A worker that runs cases; a case that does not answer in time is a hang.

class CaseRunner {
  private worker: Worker | null = null;
  private nextId = 0;

  run(text: string): Promise<CaseOutcome | { outcome: 'hang' | 'crash'; detail: string }> {
    const worker = (this.worker ??= this.start());
    const id = this.nextId++;
    return new Promise((resolve) => {
      const done = (result: CaseOutcome | { outcome: 'hang' | 'crash'; detail: string }) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('exit', onExit);
        resolve(result);
      };
      const onMessage = (message: { id: number } & CaseOutcome) => {
        if (message.id === id) done(message);
      };
      const onExit = (code: number) => {
        this.worker = null;
        done({ outcome: 'crash', detail: `the worker exited with code ${code} (out of memory?)` });
      };
      const timer = setTimeout(() => {
        this.worker = null;
        void worker.terminate();
        done({ outcome: 'hang', detail: `no answer within ${CASE_TIMEOUT_MS} ms` });
      }, CASE_TIMEOUT_MS);
      worker.on('message', onMessage);
      worker.on('exit', onExit);
      worker.postMessage({ id, text });
    });
  }

  private start(): Worker {
    const worker = startTypeScriptWorker(new URL('./fuzz/case.ts', import.meta.url), {
      resourceLimits: { maxOldGenerationSizeMb: 768 },
    });
    worker.on('error', () => {}); // 'exit' follows and reports it
    return worker;
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = null;
  }
}

// ---------------------------------------------------------------------------
// Mutations

/** Values an operator might write, or a fuzzer might: wrong types, bad units, out of range, YAML oddities. */
const weirdValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '10 minutes', '-5s', '5', '0', '-1', '0s', '0ms', '1e308', '1e309', '-1e308', '1e-300s', '0.0001ms', '1e-7s',
    '99999999999999999999', '9007199254740993', '1.5', '0.5', '2', '-0', '.inf', '-.inf', '.nan', '0x10', '1_000',
    'unlimited', 'never', 'off', 'all', 'none', '~', 'null', 'true', 'false', 'yes', '""', "''",
    '[]', '{}', '[1, 2]', '[-1]', '[999999]', '{a: 1}', '[common-0]', '[common-999]', '[korea-0, korea-0]',
    '2000/s', '0/s', '-2000/s', '1/ms', '1e308/s', '5m30s', '100d', '1000000d', '3600s',
    'common', 'korea', 'nowhere', 'rr', 'wlc', 'p2c', 'gcm', 'full', 'blackhole', 'refuse', 'connected',
    'lookup-outage', 'server-crash', 'carrier-outage', 'manager-crash', 'deploy', 'server-start', 'algorithm-change', 'mcc-remap',
    '&anchor 5s', '*nowhere', '!!binary AAAA', '!!str 5', '!custom 1', '|\n  text', '>-', '"\\u0000"', '"\\xff"',
  ),
  fc.integer().map(String),
  fc.integer({ min: -1000, max: 100_000 }).map(String),
  fc.double({ noNaN: false }).map(String),
  fc
    .tuple(
      fc.oneof(fc.nat({ max: 100_000 }).map(String), fc.double({ min: 0, max: 1e6, noNaN: true }).map(String), fc.constantFrom('-1', '1e-9', '0', '1e12')),
      fc.constantFrom('ms', 's', 'm', 'h', 'd', '/s', '/min', '/h', '', ' s', 'sec', 'minutes', '/m'),
    )
    .map(([n, unit]) => `${n}${unit}`),
  fc.string({ maxLength: 12 }).map((s) => JSON.stringify(s)),
  fc.string({ maxLength: 12 }),
);

/** A key: a typo of a real one, or anything. */
const keyEdit = fc.oneof(
  fc.record({ typo: fc.constantFrom('drop', 'swap', 'double', 'case', 'underscore') }),
  fc.record({ replace: fc.oneof(fc.string({ minLength: 1, maxLength: 10 }), fc.constantFrom('kind', 'at', 'name', 'duration', 'servers', '<<', '? x', '-', '"quoted"')) }),
);

type Mutation =
  | { op: 'replace-value'; target: number; value: string }
  | { op: 'delete'; target: number }
  | { op: 'rename-key'; target: number; key: { typo: string } | { replace: string } }
  | { op: 'duplicate-line'; target: number }
  | { op: 'move-line'; target: number; to: number }
  | { op: 'indent'; target: number; by: number }
  | { op: 'truncate'; at: number }
  | { op: 'insert-bytes'; at: number; bytes: string };

/** Values of the right shape, often in range: these get past the schema and exercise the model. */
const plausibleValue: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 600 }), fc.constantFrom('ms', 's', 's', 'm')).map(([n, unit]) => `${n}${unit}`),
  fc.integer({ min: 0, max: 20 }).map(String),
  fc.double({ min: 0, max: 1, noNaN: true }).map(String),
  fc.tuple(fc.integer({ min: 1, max: 50_000 }), fc.constantFrom('/s', '/min')).map(([n, unit]) => `${n}${unit}`),
  fc.constantFrom('unlimited', 'never', 'off', 'all', 'true', 'false', '[0]', '[0, 1]', 'common', 'common-0', 'refuse', 'blackhole', 'disconnected'),
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('replace-value' as const), target: fc.nat(), value: weirdValue }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('replace-value' as const), target: fc.nat(), value: plausibleValue }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('delete' as const), target: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('rename-key' as const), target: fc.nat(), key: keyEdit }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('duplicate-line' as const), target: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('move-line' as const), target: fc.nat(), to: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('indent' as const), target: fc.nat(), by: fc.integer({ min: -4, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('insert-bytes' as const),
      at: fc.nat(),
      bytes: fc.oneof(
        fc.uint8Array({ minLength: 1, maxLength: 8 }).map((b) => Buffer.from(b).toString('latin1')),
        fc.constantFrom('\u0000', '\t', '\r', '\ufeff', '\u2028', '\ud800', ':', '- ', '{', '[', '#', '&a ', '*a', '%YAML 1.1\n', '---\n', '...\n'),
      ),
    }),
  },
);

/** The mapping entries and sequence items of a YAML text: where they are and what they hold. */
interface Slot {
  /** Character range of the key (mapping entries only). */
  key?: [number, number];
  /** Character range of the value (empty at the end of the key for `key:`). */
  value: [number, number];
  /** The whole entry, from its key (or `- `) to the end of its value. */
  whole: [number, number];
}

function slotsOf(text: string): Slot[] {
  const doc = parseDocument(text, { keepSourceTokens: false });
  const slots: Slot[] = [];
  const range = (node: unknown): [number, number] | undefined => {
    const r = (node as { range?: [number, number, number] } | null)?.range;
    return r ? [r[0], r[1]] : undefined;
  };
  const visit = (node: YamlNode | null | undefined) => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = range(pair.key);
        if (!key) continue;
        const value = range(pair.value) ?? [key[1] + 1, key[1] + 1];
        slots.push({ key, value, whole: [key[0], Math.max(value[1], key[1])] });
        visit(pair.value as YamlNode);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) {
        const value = range(item);
        if (!value) continue;
        slots.push({ value, whole: value });
        visit(item as YamlNode);
      }
    } else if (isScalar(node)) {
      // leaves are reached through their parent
    }
  };
  visit(doc.contents as YamlNode);
  return slots;
}

function typo(key: string, kind: string): string {
  if (key.length < 2) return `${key}x`;
  const i = Math.floor(key.length / 2);
  switch (kind) {
    case 'drop': return key.slice(0, i) + key.slice(i + 1);
    case 'swap': return key.slice(0, i - 1) + key[i] + key[i - 1] + key.slice(i + 1);
    case 'double': return key.slice(0, i) + key[i] + key.slice(i);
    case 'case': return key.toLowerCase() === key ? key.toUpperCase() : key.toLowerCase();
    default: return key.replace(/[A-Z]/, (c) => `_${c.toLowerCase()}`);
  }
}

/** A value written so that it stays on its line in block or flow context. */
function inline(value: string): string {
  return value.includes('\n') ? JSON.stringify(value) : value;
}

function applyMutation(text: string, m: Mutation): string {
  const lines = text.split('\n');
  const line = (n: number) => n % Math.max(1, lines.length);
  switch (m.op) {
    case 'truncate':
      return text.slice(0, m.at % (text.length + 1));
    case 'insert-bytes': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + m.bytes + text.slice(at);
    }
    case 'duplicate-line': {
      const i = line(m.target);
      return [...lines.slice(0, i + 1), lines[i], ...lines.slice(i + 1)].join('\n');
    }
    case 'move-line': {
      const copy = [...lines];
      const [moved] = copy.splice(line(m.target), 1);
      copy.splice(m.to % (copy.length + 1), 0, moved);
      return copy.join('\n');
    }
    case 'indent': {
      const i = line(m.target);
      const copy = [...lines];
      copy[i] = m.by >= 0 ? ' '.repeat(m.by) + copy[i] : copy[i].replace(new RegExp(`^ {0,${-m.by}}`), '');
      return copy.join('\n');
    }
    default:
      break;
  }
  // Structural edits on a mapping entry or list item; the text may already be
  // broken YAML (an earlier mutation), in which case the parser's best guess will do.
  const slots = slotsOf(text);
  if (slots.length === 0) return text;
  const slot = slots[m.target % slots.length];
  const splice = ([from, to]: [number, number], insert: string) => text.slice(0, from) + insert + text.slice(to);
  if (m.op === 'replace-value') {
    const [from, to] = slot.value;
    // After a bare `key:` a value needs its space, or `key:5s` reads as one plain string.
    return splice([from, to], text[from - 1] === ':' ? ` ${inline(m.value)}` : inline(m.value));
  }
  if (m.op === 'delete') {
    const [from, to] = slot.whole;
    // Take the whole line when the entry is alone on it, else just the entry.
    const lineStart = text.lastIndexOf('\n', from - 1) + 1;
    const lineEnd = text.indexOf('\n', to) < 0 ? text.length : text.indexOf('\n', to) + 1;
    const alone = /^\s*(- )?$/.test(text.slice(lineStart, from)) && /^\s*$/.test(text.slice(to, lineEnd));
    return alone ? text.slice(0, lineStart) + text.slice(lineEnd) : splice([from, to], '');
  }
  // rename-key
  if (!slot.key) return text;
  const key = text.slice(...slot.key);
  const renamed = 'typo' in m.key ? typo(key, m.key.typo) : m.key.replace;
  return splice(slot.key, renamed);
}

const fuzzCase = fc.record({
  scenario: fc.nat({ max: SCENARIOS.length - 1 }),
  // Mostly one mutation (which often still runs), sometimes a pile-up.
  mutations: fc.oneof({ weight: 3, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 1 }) }, fc.array(mutation, { minLength: 2, maxLength: 4 })),
});

function mutated(c: { scenario: number; mutations: Mutation[] }): string {
  return c.mutations.reduce(applyMutation, SCENARIOS[c.scenario].text);
}

// ---------------------------------------------------------------------------

describe('fuzzing the shipped scenarios', () => {
  const runner = new CaseRunner();
  afterAll(() => runner.close());
  const tally = { rejected: 0, ran: 0 };

  it('finds scenario files to mutate', () => {
    expect(SCENARIOS.length).toBeGreaterThanOrEqual(5);
  });

  it(`every mutated scenario runs or is rejected cleanly (${RUNS} cases, seed ${SEED})`, { timeout: 600_000 }, async () => {
    const started = Date.now();
    try {
      await fc.assert(
        fc.asyncProperty(fuzzCase, async (c) => {
          const text = mutated(c);
          const result = await runner.run(text);
          if (result.outcome === 'rejected' || result.outcome === 'ran') {
            tally[result.outcome]++;
            return;
          }
          const stage = 'stage' in result ? result.stage : result.outcome;
          throw new Error(`${stage} (${SCENARIOS[c.scenario].name}):\n${result.detail}\n--- mutated text ---\n${text}\n---`);
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      );
    } catch (error) {
      const cause = (error as Error).cause instanceof Error ? `\n${((error as Error).cause as Error).message}` : '';
      throw new Error(`fuzz failure with FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}\n${(error as Error).message}${cause}`);
    }
    const seconds = (Date.now() - started) / 1000;
    console.log(`fuzz: ${RUNS} cases (seed ${SEED}) in ${seconds.toFixed(1)} s: ${tally.ran} ran, ${tally.rejected} rejected`);
    // A fuzzer whose mutations are all rejected (or all harmless) tests little.
    expect(tally.ran).toBeGreaterThan(RUNS / 10);
    expect(tally.rejected).toBeGreaterThan(RUNS / 10);
  });
});
