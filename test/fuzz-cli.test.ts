// Fuzzing the command line (issue 18): `--set` overrides drawn from the
// schema's own paths with hostile values, and file-system conditions for the
// scenario and the output directory. Every case must end with exit code 0, 1
// or 2, one clean message (no stack trace), no temporary or lock file left,
// and an override's problem reported at the override or at a file position.
//
// Reproducible: FUZZ_SEED overrides the fixed seed, FUZZ_RUNS the case count.
//   FUZZ_SEED=7 FUZZ_RUNS=3000 npx vitest run test/fuzz-cli.test.ts
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scenarioSchema, type Node } from '../sim/scenario/schema.ts';
import { cli, STACK, tempDir } from './support/cli.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261206);
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SCENARIO = 'scenarios/lookup-outage.yaml';
const TINY = 'name: tiny\nduration: 2m\npopulation: {clients: 50}\nfaults: [{kind: lookup-outage, at: 30s, duration: 30s}]\n';

/** A path the schema knows, walked down from the top (sometimes with a wrong or odd segment). */
const pathArb: fc.Arbitrary<string> = fc
  .array(fc.nat({ max: 1000 }), { minLength: 1, maxLength: 5 })
  .chain((picks) =>
    fc.constantFrom('known', 'typo', 'index0', 'big').map((twist) => {
      const segments: string[] = [];
      let node: Node<unknown> | undefined = scenarioSchema as Node<unknown>;
      for (const pick of picks) {
        if (node === undefined) break;
        if (node.shape === 'list') segments.push(twist === 'index0' ? `0${pick % 3}` : twist === 'big' ? String(pick) : String(pick % 3));
        else {
          const names = node.childNames();
          if (names.length === 0) break;
          segments.push(names[pick % names.length]);
        }
        node = node.child(segments.at(-1)!);
      }
      if (twist === 'typo' && segments.length > 0) segments[segments.length - 1] += 'x';
      return segments.join('.');
    }),
  );

const valueArb = fc.oneof(
  fc.constantFrom('', '0', '-1', '1e308', '-0', 'NaN', '.inf', 'null', '~', 'true', 'off', 'unlimited', 'all', '[', '{', ']', '[1,2', '{a: 1', '"', "'",
    '!!binary aGk=', '!!timestamp 2001-12-14', '&a [*a]', '*nowhere', '[&a [x,x,x,x], &b [*a,*a,*a,*a], &c [*b,*b,*b,*b], &d [*c,*c,*c,*c]]',
    '---', 'a: b\n---\nc: d', '10 minutes', '1e-300s', '100000d', '0/s', '20000/m', '-5s', '3600s', 'p2c', 'gcm', '[0, 0]', '{}', '[]', 'x'.repeat(300)),
  fc.string({ maxLength: 12 }),
  fc.double().map(String),
  fc.integer().map(String),
);

const overrideArb = fc.tuple(pathArb, valueArb).map(([path, value]) => `${path}=${value}`);

function checkClean(r: { code: number; stdout: string; stderr: string }, what: string): void {
  expect([0, 1, 2], `${what}\n${r.stderr}`).toContain(r.code);
  expect(r.stderr, what).not.toMatch(STACK);
  expect(r.stdout, what).not.toMatch(STACK);
  expect(r.stderr, what).not.toContain('internal error');
}

describe('fuzzed --set overrides', () => {
  it(`validate answers 0 or 2 with located messages (${RUNS} cases, seed ${SEED})`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(overrideArb, { minLength: 1, maxLength: 3 }), async (overrides) => {
        const what = `validate ${SCENARIO} ${overrides.map((o) => `--set ${JSON.stringify(o)}`).join(' ')}`;
        const r = await cli('validate', SCENARIO, ...overrides.flatMap((o) => ['--set', o]));
        checkClean(r, what);
        if (r.code === 2 && !r.stderr.startsWith('stampede:')) {
          // Each issue line starts at the override or at a position in the file.
          for (const line of r.stdout.split('\n').filter((l) => l !== '')) {
            expect(line.startsWith('--set ') || line.startsWith(`${SCENARIO}:`), `${what}\n${line}`).toBe(true);
          }
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

type Condition = 'regular' | 'fifo' | 'directory' | 'missing' | 'device' | 'symlink-loop' | 'huge' | 'empty' | 'binary';
type OutCondition = 'fresh' | 'report' | 'fifo-inside' | 'file' | 'under-file' | 'proc' | 'locked' | 'stale-lock';

function makeInput(dir: string, condition: Condition): string {
  const path = join(dir, 'in.yaml');
  switch (condition) {
    case 'regular': writeFileSync(path, TINY); break;
    case 'fifo': execFileSync('mkfifo', [path]); break;
    case 'directory': mkdirSync(path); break;
    case 'missing': break;
    case 'device': return '/dev/zero';
    case 'symlink-loop': symlinkSync(path, path); break;
    case 'huge': writeFileSync(path, `${TINY}description: "${'y'.repeat(1_100_000)}"\n`); break;
    case 'empty': writeFileSync(path, ''); break;
    case 'binary': writeFileSync(path, Buffer.from([0x6e, 0x00, 0xff, 0xfe])); break;
  }
  return path;
}

function makeOut(dir: string, condition: OutCondition): string {
  const out = join(dir, 'out');
  switch (condition) {
    case 'fresh': return out;
    case 'report': mkdirSync(out); writeFileSync(join(out, 'index.html'), 'x'); return out;
    case 'fifo-inside': mkdirSync(out); execFileSync('mkfifo', [join(out, 'result.json')]); return out;
    case 'file': writeFileSync(out, 'x'); return out;
    case 'under-file': writeFileSync(out, 'x'); return join(out, 'sub');
    case 'proc': return '/proc/stampede-fuzz/out';
    case 'locked': mkdirSync(out); writeFileSync(join(out, '.stampede.lock'), JSON.stringify({ pid: process.pid, host: 'elsewhere', started: 'x', command: 'x' })); return out;
    case 'stale-lock': mkdirSync(out); writeFileSync(join(out, '.stampede.lock'), 'not json'); return out;
  }
}

describe('fuzzed file-system conditions', () => {
  it.runIf(process.platform === 'linux')('run and validate end cleanly whatever the input and output are, leaving no temporary file', async () => {
    const conditions: Condition[] = ['regular', 'fifo', 'directory', 'missing', 'device', 'symlink-loop', 'huge', 'empty', 'binary'];
    const outs: OutCondition[] = ['fresh', 'report', 'fifo-inside', 'file', 'under-file', 'proc', 'locked', 'stale-lock'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...conditions), fc.constantFrom(...outs), fc.boolean(), async (input, output, force) => {
        const dir = tempDir('stampede-fuzz-fs-');
        const file = makeInput(dir, input);
        const out = makeOut(dir, output);
        const what = `${input} → ${output}${force ? ' --force' : ''}`;
        checkClean(await cli('validate', file), `validate ${what}`);
        const r = await cli('run', file, '--out', out, '--quiet', ...(force ? ['--force'] : []));
        checkClean(r, `run ${what}`);
        if (r.code === 0) expect(input, what).toBe('regular');
        const listing = (() => {
          try {
            return readdirSync(out);
          } catch {
            return [];
          }
        })();
        expect(listing.filter((name) => name.includes('.tmp-')), what).toEqual([]);
        if (output !== 'locked' && output !== 'stale-lock') expect(listing.filter((name) => name.endsWith('.lock')), what).toEqual([]);
      }),
      { seed: SEED, numRuns: Math.max(20, Math.round(RUNS / 5)) },
    );
  });
});
