// A batch judges the scenario's assert: section per variant over its runs,
// and must reach the very verdicts `stampede gate --replications R` reaches
// on the same runs; limits follow each variant's scenario; values the JSON of
// shard files cannot hold (a recovery never reached is ∞) survive a merge.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { executePlan } from '../sim/batch/execute.ts';
import { fromJsonNumber, markdownTable, toJsonNumber } from '../sim/batch/format.ts';
import { preparePlan, type PlanInput } from '../sim/batch/jobs.ts';
import { batchOutputs } from '../sim/batch/outputs.ts';
import { mergeShards, readShardFiles, shardFileContent, shardFileName } from '../sim/batch/shard.ts';
import { loadTargets, runGate } from '../sim/gate/gate.ts';
import { testTmp } from './support/temp.ts';

const FILE = 'scenarios/lookup-outage.yaml';
const SMALL = ['population.clients=2000', 'sampleInterval=10s'];

function replications(overrides: string[], count: number): PlanInput {
  return { kind: 'replications', file: FILE, baseOverrides: overrides, replications: count, parameters: [] };
}

describe('assertions judged by a batch', () => {
  it('reach the verdicts of stampede gate on the same runs, every aggregate included', async () => {
    const overrides = [
      ...SMALL,
      'assert.0=recovery.full <= 17m for ci-upper',
      'assert.1=reconnectTime.p99 <= 16m for mean',
      'assert.2=recovery.p99 >= 14m for ci-lower',
    ];
    const prepared = preparePlan(replications(overrides, 3));
    const { outcomes } = await executePlan(prepared, { workers: 2 });
    const batch = batchOutputs(prepared.plan, outcomes).document.assertions;

    const gate = await runGate(loadTargets([FILE], overrides), 3, { workers: 1 });
    const verdicts = gate.scenarios[0].verdicts;
    expect(batch.map((v) => v.assertion)).toEqual(verdicts.map((v) => v.assertion.source));
    expect(batch.map((v) => v.passed)).toEqual(verdicts.map((v) => v.judgement.passed));
    expect(batch.map((v) => v.measured)).toEqual(verdicts.map((v) => v.measuredText));
    expect(batch.map((v) => v.limit)).toEqual(verdicts.map((v) => `${v.assertion.comparator} ${v.limitText}`));
    // Both outcomes occur, or the comparison above would prove little.
    expect(new Set(batch.map((v) => v.passed))).toEqual(new Set([true, false]));
  });

  it('work out each variant limit from its own scenario, and place the section in the summary', async () => {
    const prepared = preparePlan({
      kind: 'sweep',
      file: FILE,
      // Sampled every second: the peak load per second is what the limit is about.
      baseOverrides: ['population.clients=2000'],
      replications: 2,
      parameters: [{ name: 'lookup.capacity', path: 'lookup.capacity', values: ['4/s', '40/s'] }],
    });
    expect(prepared.plan.variants.map((v) => v.assertions[1])).toEqual([
      { source: 'lookup.peakLoad <= 0.8 * capacity', limit: 3.2 },
      { source: 'lookup.peakLoad <= 0.8 * capacity', limit: 32 },
    ]);
    const { outcomes } = await executePlan(prepared, { workers: 1 });
    const { document, files } = batchOutputs(prepared.plan, outcomes);
    const peakLoad = document.assertions.filter((v) => v.assertion.startsWith('lookup.peakLoad'));
    expect(peakLoad.map((v) => [v.variant, v.passed])).toEqual([[0, false], [1, true]]);
    const markdown = files.find((f) => f.path === 'sweep.md')!.content;
    expect(markdown).toContain('1 of 2 variants pass every assertion: lookup.capacity=40/s.');
    expect(markdown).toMatch(/\| lookup\.capacity=4\/s \| `lookup\.peakLoad <= 0\.8 \* capacity` \| FAIL \| \d+\/s \(worst of 2 runs\) \| <= 3\.2\/s \|/);
    expect(markdown.indexOf('## Assertions')).toBeLessThan(markdown.indexOf('## '.concat(document.metrics.find((m) => !m.constant)!.metric)));
    // A variant that fails an assertion makes the page red, not amber: the gate failed for it.
    const page = files.find((f) => f.path === 'index.html')!.content;
    expect(page).toContain('<header class="fail">');
    expect(page).toContain('<span class="badge fail">1 of 2 variants pass every assertion</span>');
  });

  it('keep a recovery never reached (∞) through shard files and merge', async () => {
    // The run ends before the outage is over: recovery.full is never reached (and nothing is left to measure after 25m).
    const prepared = preparePlan(replications([...SMALL, 'duration=8m', 'assert.4=server.crashes <= 0'], 2));
    const { outcomes } = await executePlan(prepared, { workers: 1 });
    const whole = batchOutputs(prepared.plan, outcomes);
    const recovery = whole.document.assertions[0];
    expect(recovery).toMatchObject({ assertion: 'recovery.full <= 20m', passed: false, measured: 'not reached (worst of 2 runs)' });

    const dir = mkdtempSync(join(testTmp(), 'stampede-gates-'));
    for (const index of [1, 2]) {
      const shard = { index, count: 2 };
      const part = await executePlan(prepared, { workers: 1, shard });
      writeFileSync(join(dir, shardFileName(shard)), shardFileContent(prepared.plan, shard, part.outcomes));
    }
    const merged = mergeShards(readShardFiles([dir]));
    expect(batchOutputs(merged.plan, merged.outcomes).files).toEqual(whole.files);
  });

  it('encode the numbers JSON has not', () => {
    for (const x of [Infinity, -Infinity, 0, -0.5, 1e300, null]) expect(fromJsonNumber(JSON.parse(JSON.stringify(toJsonNumber(x))))).toBe(x);
    expect(fromJsonNumber(JSON.parse(JSON.stringify(toJsonNumber(Number.NaN))))).toBeNaN();
  });

  it('make run --replications exit 1 when one fails, like run and gate', () => {
    const r = spawnSync(
      process.execPath,
      ['bin/stampede.cjs', 'run', FILE, '--replications', '2', '--workers', '1', '--quiet', '--out', mkdtempSync(join(testTmp(), 'stampede-gates-cli-')),
        ...[...SMALL, 'assert.0=recovery.full <= 5m'].flatMap((s) => ['--set', s])],
      { encoding: 'utf8' },
    );
    expect(r.stdout).toMatch(/FAIL {2}recovery\.full <= 5m {2}\(measured .* \(worst of 2 runs\); limit <= 300 s \(5\.0 min\)\)/);
    expect(r.stdout).toMatch(/PASS {2}server\.crashes <= 0/);
    expect(r.status).toBe(1);
  });

  it('keep a folded assertion on one table row, in the summary and on the page', async () => {
    expect(markdownTable(['a', 'b'], [['x\n  y', 'p|q']])).toBe('| a | b |\n| --- | --- |\n| x y | p\\|q |\n');
    const prepared = preparePlan(replications([...SMALL, 'assert.0="recovery.full\\n  <= 20m\\n  for mean"'], 2));
    expect(prepared.plan.variants[0].assertions[0].source).toBe('recovery.full\n  <= 20m\n  for mean');
    const { outcomes } = await executePlan(prepared, { workers: 1 });
    const { files, document } = batchOutputs(prepared.plan, outcomes);
    expect(document.assertions[0]).toMatchObject({ passed: true, measured: expect.stringMatching(/\(mean of 2 runs\)$/) });
    const markdown = files.find((f) => f.path === 'replications.md')!.content;
    expect(markdown).toContain('| `recovery.full <= 20m for mean` | pass |');
    const page = files.find((f) => f.path === 'index.html')!.content;
    const main = page.slice(page.indexOf('<main>'), page.indexOf('</main>'));
    expect(main).not.toContain('<p>|');
    expect(main.match(/<td><code>/g)).toHaveLength(document.assertions.length);
  });

  it('refuse shard files written before batches judged assertions, with a clear error', async () => {
    const prepared = preparePlan(replications(SMALL, 2));
    const shard = { index: 1, count: 2 };
    const { outcomes } = await executePlan(prepared, { workers: 1, shard });
    const old = JSON.parse(shardFileContent(prepared.plan, shard, outcomes));
    for (const variant of old.plan.variants) delete variant.assertions;
    const dir = mkdtempSync(join(testTmp(), 'stampede-old-shard-'));
    writeFileSync(join(dir, shardFileName(shard)), JSON.stringify(old));
    expect(() => readShardFiles([dir])).toThrow(/written by an earlier stampede, whose batches did not judge assertions; run its shards again/);
  });
});
