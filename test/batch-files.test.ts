// Issue 18, item 8: shard and partial files are checked field by field; a bad
// one is invalid input (exit 2, the file and the field named), never exit 70
// or blank rows, and --resume keeps what it has.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, STACK, tempDir } from './support/cli.ts';

const SMALL = 'name: small\nduration: 3m\npopulation: {clients: 2000}\nfaults: [{kind: lookup-outage, at: 1m, duration: 30s}]\n';

let dir: string;
let file: string;
let shard: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

beforeAll(async () => {
  dir = tempDir();
  file = join(dir, 'small.yaml');
  writeFileSync(file, SMALL);
  const r = await cli('run', file, '--replications', '2', '--shard', '1/1', '--out', join(dir, 'good'), '--quiet', '--workers', '1');
  expect(r.code, r.stderr).toBe(0);
  shard = JSON.parse(readFileSync(join(dir, 'good', 'shard-1-of-1.json'), 'utf8'));
});

const clone = () => JSON.parse(JSON.stringify(shard));

describe('merge checks every field of a shard file', () => {
  it.each([
    ['a null result', (s: any) => (s.outcomes[0].result = null), 'outcomes[0].result: expected an object with summary, series and assertions, found null'],
    ['a result that is a string', (s: any) => (s.outcomes[1].result = 'x'), 'outcomes[1].result: expected an object with summary, series and assertions, found "x"'],
    ['a summary of the wrong type', (s: any) => (s.outcomes[0].result.summary = 5), 'outcomes[0].result.summary: expected an object of figures, found 5'],
    ['a plan.kind that is a path', (s: any) => (s.plan.kind = '../x'), 'plan.kind: expected replications, compare, sweep, found "../x"'],
    ['a scenario name that is a path', (s: any) => (s.plan.scenario.name = '../../x'), 'plan.scenario.name: "../../x" cannot be a directory name: it contains a path separator'],
    ['no seeds', (s: any) => (s.plan.seeds = null), 'plan.seeds: expected a list, found null'],
    ['outcomes that are not a list', (s: any) => (s.outcomes = {}), 'outcomes: expected a list, found an object'],
    ['a failure without a message', (s: any) => (s.outcomes[0] = { jobId: 0, ok: false, error: { name: 'E' } }), 'outcomes[0].error.message: expected a string, found nothing'],
    ['shard 4/3', (s: any) => (s.shard = { index: 4, count: 3 }), 'shard 4/3 cannot exist: k must be between 1 and n'],
    ['a shard that is not k/n', (s: any) => (s.shard = 'all'), 'shard: expected {index, count} with 1 <= index <= count, found "all"'],
  ])('%s: exit 2 with the file and the field', async (_, mutate, message) => {
    const bad = clone();
    mutate(bad);
    const path = join(tempDir(), 'shard-1-of-1.json');
    writeFileSync(path, JSON.stringify(bad));
    const r = await cli('merge', path, '--out', join(tempDir(), 'merged'));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(`stampede: ${path}: ${message}`);
    expect(r.stderr).not.toMatch(STACK);
  });
});

describe('--resume with a bad partial file', () => {
  it('refuses it before running anything, and leaves it in place', async () => {
    const out = join(tempDir(), 'resume');
    const first = await cli('run', file, '--replications', '2', '--out', out, '--quiet', '--workers', '1', '--force');
    expect(first.code, first.stderr).toBe(0);
    const partial = join(out, 'replications.partial.json');
    const text = JSON.stringify({ stampedePartial: 1, plan: shard.plan, shard: null, outcomes: [{ ...shard.outcomes[0], result: null }] });
    writeFileSync(partial, text);
    const r = await cli('run', file, '--replications', '2', '--out', out, '--quiet', '--workers', '1', '--resume', '--force');
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`stampede: --resume: ${partial}: outcomes[0].result: expected an object`);
    expect(r.stderr).toContain('run with --force instead of --resume to start over');
    expect(readFileSync(partial, 'utf8')).toBe(text);
  });
});
