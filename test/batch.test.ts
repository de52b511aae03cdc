// Batches: job order, statistics, worker-count and shard independence of the
// output bytes, failures reported with their seed, and the CLI around them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from 'vega-lite';
import { parse, View } from 'vega';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { aggregate, flattenSummary, metricDirection, reproduceCommand } from '../sim/batch/aggregate.ts';
import { acceptsSpec, faultLayers, metricByParameterSpec, metricByVariantSpec, missingNote, overlaySpec } from '../sim/batch/charts.ts';
import { executePlan } from '../sim/batch/execute.ts';
import { csv } from '../sim/batch/format.ts';
import { gridVariants, jobsOf, preparePlan, replicationSeeds, type BatchPlan, type PlanInput } from '../sim/batch/jobs.ts';
import { batchOutputs, type OutputFile } from '../sim/batch/outputs.ts';
import { mergeShards, parseShard, readShardFiles, shardFileContent, shardFileName, shardJobs } from '../sim/batch/shard.ts';
import { describe as describeSample, pairedDifference, studentTQuantile } from '../sim/batch/stats.ts';
import { TEST_FAULT_ENV } from '../sim/batch/worker.ts';
import { splitTopLevel } from '../sim/cli/batch.ts';
import { main } from '../sim/cli/main.ts';
import { sweepParameters } from '../sim/cli/sweep.ts';
import { deriveSeed } from '../sim/engine/random.ts';
import { testTmp } from './support/temp.ts';

const FILE = 'scenarios/lookup-outage.yaml';
// The operators' outage on a small population, sampled every 10 s: fast, and
// recovery metrics have values (the file's own timeline and assertions hold).
const SMALL = ['population.clients=3000', 'sampleInterval=10s'];

function compareInput(replications: number): PlanInput {
  return {
    kind: 'compare',
    file: FILE,
    baseOverrides: SMALL,
    replications,
    parameters: [
      { name: 'algorithm', path: 'lookup.algorithm', values: ['rr', 'wlc'] },
      { name: 'policy', path: 'client.backoff.policy', values: ['gcm', 'full'] },
    ],
  };
}

function asText(files: OutputFile[]): string {
  return files.map((f) => `== ${f.path}\n${f.content}`).join('');
}

function stampede(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['bin/stampede.cjs', ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('job list', () => {
  it('is variant-major, first parameter outermost, with the same seeds for every variant (CRN)', () => {
    const { plan } = preparePlan(compareInput(3));
    const jobs = jobsOf(plan);
    expect(plan.variants.map((v) => v.label)).toEqual([
      'algorithm=rr, policy=gcm', 'algorithm=rr, policy=full', 'algorithm=wlc, policy=gcm', 'algorithm=wlc, policy=full',
    ]);
    expect(jobs.map((j) => [j.id, j.variant, j.replication])).toEqual(
      Array.from({ length: 12 }, (_, i) => [i, Math.floor(i / 3), i % 3]),
    );
    expect(plan.seeds).toEqual([0, 1, 2].map((i) => deriveSeed(1, i)));
    for (const job of jobs) expect(job.seed).toBe(plan.seeds[job.replication]);
    expect(jobs[4].overrides).toEqual([...SMALL, 'lookup.algorithm=rr', 'client.backoff.policy=full', `seed=${plan.seeds[1]}`]);
    expect(reproduceCommand(jobs[4])).toBe(
      `stampede run ${FILE} ${SMALL.map((s) => `--set ${s}`).join(' ')} --set lookup.algorithm=rr --set client.backoff.policy=full --seed ${plan.seeds[1]}`,
    );
  });

  it('derives replication seeds from the root seed, deterministically', () => {
    expect(replicationSeeds(7, 4)).toEqual(replicationSeeds(7, 4));
    expect(replicationSeeds(7, 4)).not.toEqual(replicationSeeds(8, 4));
    expect(new Set(replicationSeeds(7, 50)).size).toBe(50);
  });

  it('builds the sweep grid as a cartesian product and splits --set into swept and fixed', () => {
    const { parameters, fixed } = sweepParameters(['a=1,2,3', 'population.clients=100', 'b=x,y', 'c=[1,2],[3]']);
    expect(fixed).toEqual(['population.clients=100']);
    expect(parameters.map((p) => [p.name, p.values])).toEqual([['a', ['1', '2', '3']], ['b', ['x', 'y']], ['c', ['[1,2]', '[3]']]]);
    const variants = gridVariants(parameters.slice(0, 2), 'x');
    expect(variants.map((v) => v.label)).toEqual(['a=1, b=x', 'a=1, b=y', 'a=2, b=x', 'a=2, b=y', 'a=3, b=x', 'a=3, b=y']);
    expect(variants[3].overrides).toEqual(['a=2', 'b=y']);
    expect(splitTopLevel(`'a,b',{x: 1, y: 2}, 3`)).toEqual([`'a,b'`, '{x: 1, y: 2}', '3']);
  });

  it('rejects a bad variant name through the loader before running anything', () => {
    const input = compareInput(2);
    input.parameters[0].values = ['rr', 'no-such-algorithm'];
    expect(() => preparePlan(input)).toThrow(/no-such-algorithm/);
  });

  it('slices shards by striding and parses k/n', () => {
    const { plan } = preparePlan(compareInput(3));
    const jobs = jobsOf(plan);
    const slices = [1, 2, 3, 4, 5].map((k) => shardJobs(jobs, { index: k, count: 5 }).map((j) => j.id));
    expect(slices[1]).toEqual([1, 6, 11]);
    expect(slices.flat().sort((a, b) => a - b)).toEqual(jobs.map((j) => j.id));
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    expect(() => parseShard('0/4')).toThrow();
    expect(() => parseShard('5/4')).toThrow();
    expect(() => parseShard('two')).toThrow();
  });
});

describe('statistics', () => {
  it('has Student-t quantiles matching the published table', () => {
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.706, 3);
    expect(studentTQuantile(0.975, 2)).toBeCloseTo(4.303, 3);
    expect(studentTQuantile(0.975, 5)).toBeCloseTo(2.571, 3);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.228, 3);
    expect(studentTQuantile(0.975, 30)).toBeCloseTo(2.042, 3);
    expect(studentTQuantile(0.975, 1000)).toBeCloseTo(1.962, 3);
    expect(studentTQuantile(0.995, 3)).toBeCloseTo(5.841, 3);
    expect(studentTQuantile(0.9, 1)).toBeCloseTo(3.078, 3);
    expect(studentTQuantile(0.025, 5)).toBeCloseTo(-2.571, 3);
  });

  it('describes a sample: mean, sd (n − 1), 95 % interval; nulls counted as missing', () => {
    const s = describeSample([2, 4, 4, 4, 5, 5, 7, 9, null]);
    expect(s.n).toBe(8);
    expect(s.missing).toBe(1);
    expect(s.mean).toBe(5);
    expect(s.sd).toBeCloseTo(2.138090, 6);
    const half = studentTQuantile(0.975, 7) * (s.sd! / Math.sqrt(8));
    expect(s.ci95![0]).toBeCloseTo(5 - half, 12);
    expect(half).toBeCloseTo(1.787, 3);
    expect(describeSample([3])).toEqual({ n: 1, missing: 0, mean: 3, sd: null, ci95: null });
    expect(describeSample([null])).toEqual({ n: 0, missing: 1, mean: null, sd: null, ci95: null });
  });

  it('pairs differences: a shared offset is significant even when the samples overlap', () => {
    const a = [10.1, 20.2, 30.1, 40.3, 50.2];
    const b = [10, 20, 30, 40, 50];
    const paired = pairedDifference(a, b);
    expect(paired.n).toBe(5);
    expect(paired.meanDiff).toBeCloseTo(0.18, 12);
    expect(paired.significant).toBe(true);
    // The unpaired intervals overlap almost entirely: only pairing sees the difference.
    expect(describeSample(a).ci95![0]).toBeLessThan(describeSample(b).mean!);
    expect(pairedDifference([1, 2, null], [1, 2, 5]).n).toBe(2);
    expect(pairedDifference([1, 2, 3], [1, 2, 3]).significant).toBe(false);
  });
});

describe('outputs', () => {
  it('flattens summaries into dotted metrics with a direction', () => {
    expect(flattenSummary({ a: 1, b: { c: null, d: 2 }, e: 'x' })).toEqual([['a', 1], ['b.c', null], ['b.d', 2]]);
    expect(metricDirection('recovery.full')).toBe('lower');
    expect(metricDirection('sessionsAtEnd')).toBe('higher');
    expect(metricDirection('reconnectTime.count')).toBeNull();
    expect(metricDirection('clients')).toBeNull();
  });

  it('writes CSV cells RFC 4180 style', () => {
    expect(csv(['a', 'b'], [['x,y', 'he said "hi"'], [1.5, null]])).toBe('a,b\n"x,y","he said ""hi"""\n1.5,\n');
  });

  it('marks runs that never reached a recovery on the comparison and sweep charts, never dropping the variant', async () => {
    const points = [
      { label: 'fast', mean: 100, ci95: [90, 110] as [number, number], missing: 0, n: 5 },
      { label: 'some', mean: 300, ci95: [200, 400] as [number, number], missing: 2, n: 3 },
      { label: 'never', mean: null, ci95: null, missing: 5, n: 0 },
    ];
    expect(missingNote('recovery.full', points[1])).toBe('∞ in 2 of 5 runs');
    expect(missingNote('recovery.full', points[2])).toBe('∞ in all 5 runs');
    expect(missingNote('gray.leadTime', points[1])).toBe('no value in 2 of 5 runs');
    expect(missingNote('recovery.full', points[0])).toBe('');
    const svgOf = async (spec: unknown) => new View(parse(compile(spec as never).spec), { renderer: 'none' }).toSVG();
    const byVariant = await svgOf(metricByVariantSpec('recovery.full', 'lower', points));
    expect(byVariant).toContain('some · ∞ 2/5');
    expect(byVariant).toContain('never · ∞ 5/5');
    expect(byVariant.split('∞').length - 1).toBeGreaterThanOrEqual(3); // two labels and the mark on the empty row
    const bySweep = await svgOf(metricByParameterSpec('recovery.full', 'p', ['1', '2', '3'], 'lower', points.map((p, i) => ({ ...p, x: String(i + 1), group: '' }))));
    expect(bySweep).toContain('>∞ 2/5<'); // over the point with runs missing
    expect(bySweep).toContain('>∞ 5/5<'); // on top, where no run has a value
    const complete = await svgOf(metricByParameterSpec('recovery.full', 'p', ['1'], 'lower', [{ ...points[0], x: '1', group: '' }]));
    expect(complete).not.toContain('∞');
  });

  it('puts the labels of faults that overlap in time on rows one under the other', () => {
    const layers = faultLayers(
      [{ start: 180, end: 720, label: 'lookup-outage' }, { start: 360, end: 640, label: 'server-crash' }, { start: 720, end: 800, label: 'after' }, { start: 500, end: 900, label: 'third' }],
      60,
    ) as { data: { values: { label: string; row: number }[] }; mark: { type: string; dy?: number; stroke?: string } }[];
    const rowOf = Object.fromEntries(layers[0].data.values.map((v) => [v.label, v.row]));
    // The outage's row is free again when it ends: the fault after it goes back to the first row.
    expect(rowOf).toEqual({ 'lookup-outage': 0, 'server-crash': 1, third: 2, after: 0 });
    const texts = layers.filter((l) => l.mark.type === 'text' && l.mark.stroke === undefined);
    expect(texts.map((l) => [l.mark.dy, l.data.values.map((v) => v.label)])).toEqual([[4, ['lookup-outage', 'after']], [20, ['server-crash']], [36, ['third']]]);
  });

  it('builds vega-lite specs that compile', () => {
    const points = [{ label: 'a', mean: 1, ci95: [0.5, 1.5] as [number, number], missing: 0, n: 3 }, { label: 'b', mean: null, ci95: null, missing: 3, n: 0 }];
    compile(metricByVariantSpec('m', 'lower', points) as never);
    compile(metricByParameterSpec('m', 'p', ['1', '2'], 'lower', points.map((p, i) => ({ ...p, x: String(i + 1), group: '' }))) as never);
    const spec = metricByParameterSpec('m', 'p', ['30s', '5m'], null, points.map((p, i) => ({ ...p, x: ['30s', '5m'][i], group: 'q=1' })));
    compile(spec as never);
    expect(JSON.stringify(spec)).toContain('"ordinal"');
    const base = { title: 't', what: 'variant', yTitle: 'y', time: [0, 60, 120, 180, 240], replications: 2 };
    const faults = [{ start: 60, end: 120, label: 'crash' }];
    const crashes = [{ time: 60, server: 's1', variant: 'b', runs: 2 }];
    const lines = [{ label: 'a', values: [1, 2, 3, 3, 3] }, { label: 'b', values: [1, 2, 3, 3, 3] }, { label: 'c', values: [1, 1, 1, 1, 1] }];
    const overlay = overlaySpec({ ...base, lines, faults, crashes });
    compile(overlay as never);
    const layers = overlay.layer as { mark: { type: string }; data: { values: Record<string, unknown>[] }; encoding: Record<string, { scale?: { range?: unknown[] } }> }[];
    expect(layers.map((l) => l.mark.type)).toEqual(['rect', 'text', 'text', 'line', 'point']);
    // 4 min: the axis is in minutes, like the run report's.
    expect(layers[0].data.values).toEqual([{ start: 1, end: 2, label: 'crash', row: 0 }]);
    expect(layers[3].data.values).toHaveLength(15);
    // Every line its own dash, and identical lines named, so neither hides the other unexplained.
    const dashes = layers[3].encoding.strokeDash.scale!.range!.map((d) => JSON.stringify(d));
    expect(new Set(dashes).size).toBe(3);
    expect((overlay.title as { subtitle: string[] }).subtitle[1]).toBe('identical lines, drawn dashed over each other: a = b');
    expect(layers[4].data.values[0]).toMatchObject({ t: 1, variant: 'b', py: 320 - 6 - 9 });
    const accepts = acceptsSpec({
      ...base,
      panels: [{ label: 'a', servers: [{ server: 's1', values: [5, 9, 1] }], faults }, { label: 'b', servers: [{ server: 's1', values: [5, 5, 5] }], faults: [] }],
      bin: 2,
      limit: 8,
      shownOf: 3,
      panelsOf: 2,
      crashes,
    });
    compile(accepts as never);
    const rows = (accepts.data as { values: { layer: string; t?: number }[] }).values;
    // Bins of 2 samples: values at samples 0, 2, 4.
    expect(rows.filter((r) => r.layer === 'line').map((r) => r.t)).toEqual([0, 2, 4, 0, 2, 4]);
    expect(rows.filter((r) => r.layer === 'limit')).toHaveLength(2);
    // Each panel shades its own faults: a sweep moves them from one grid point to the next.
    expect(rows.filter((r) => r.layer === 'fault')).toEqual([{ layer: 'fault', variant: 'a', start: 1, end: 2, label: 'crash' }]);
    expect(JSON.stringify(accepts.title)).toContain('the 1 busiest of 3 servers');
  });
});

describe('running batches on worker threads', () => {
  afterEach(() => {
    delete process.env[TEST_FAULT_ENV];
  });

  it('writes byte-identical outputs with 1, 2 and 4 workers, and from merged shards', async () => {
    // Two policies × two replications: four jobs, enough for 4 workers and 3 shards.
    // (Worker start-up, not the jobs, is what costs time here.)
    const prepared = preparePlan({ ...compareInput(2), parameters: compareInput(2).parameters.slice(1) });
    const texts: string[] = [];
    for (const workers of [1, 2, 4]) {
      const { outcomes } = await executePlan(prepared, { workers });
      texts.push(asText(batchOutputs(prepared.plan, outcomes).files));
    }
    expect(texts[1]).toBe(texts[0]);
    expect(texts[2]).toBe(texts[0]);
    expect(texts[0]).toContain('== compare.md');
    expect(texts[0]).toContain('== charts/connected.vl.json');
    expect(texts[0]).toContain('== index.html');

    // Three shards, written to files and merged back.
    const dir = mkdtempSync(join(testTmp(), 'stampede-shards-'));
    for (const index of [1, 2, 3]) {
      const shard = { index, count: 3 };
      const { outcomes } = await executePlan(prepared, { workers: 1, shard });
      writeFileSync(join(dir, shardFileName(shard)), shardFileContent(prepared.plan, shard, outcomes));
    }
    const merged = mergeShards(readShardFiles([dir]));
    expect(asText(batchOutputs(merged.plan, merged.outcomes).files)).toBe(texts[0]);

    // An incomplete or mixed set is refused.
    expect(() => mergeShards(readShardFiles([join(dir, 'shard-1-of-3.json'), join(dir, 'shard-3-of-3.json')]))).toThrow(/missing shard\(s\) 2\/3/);
    const other = structuredClone(JSON.parse(readFileSync(join(dir, 'shard-2-of-3.json'), 'utf8')));
    other.plan.rootSeed = 99;
    writeFileSync(join(dir, 'shard-2-of-3.json'), JSON.stringify(other));
    expect(() => mergeShards(readShardFiles([dir]))).toThrow(/different batches/);
  });

  it('reports a job that throws and a worker that dies, with their seeds; the other jobs complete', async () => {
    const prepared = preparePlan({ kind: 'replications', file: FILE, baseOverrides: SMALL, replications: 4, parameters: [] });
    const seeds = prepared.plan.seeds;
    process.env[TEST_FAULT_ENV] = `throw@${seeds[1]},exit@${seeds[2]}`;
    const { jobs, outcomes } = await executePlan(prepared, { workers: 2 });
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, false, true]);
    const agg = aggregate(prepared.plan, jobs, outcomes);
    expect(agg.jobs).toEqual({ total: 4, ok: 2, failed: 2 });
    expect(agg.failures.map((f) => [f.seed, f.error.name])).toEqual([[seeds[1], 'Error'], [seeds[2], 'WorkerExit']]);
    expect(agg.failures[0].error.message).toContain('on purpose');
    expect(agg.failures[1].reproduce).toContain(`--seed ${seeds[2]}`);
    const recovery = agg.metrics.find((m) => m.metric === 'recovery.full')!;
    expect(recovery.stats[0].n).toBe(2);
  });
});

describe('batch CLI', () => {
  it('compare --json prints the machine summary; a failing job gives exit code 3 with its reproduce line', () => {
    const out = mkdtempSync(join(testTmp(), 'stampede-compare-'));
    const seed = deriveSeed(1, 1);
    const r = stampede(
      ['compare', FILE, ...SMALL.flatMap((s) => ['--set', s]), '--policies', 'gcm,full', '--replications', '2', '--workers', '2', '--out', out, '--json'],
      { [TEST_FAULT_ENV]: `throw@${seed}` },
    );
    expect(r.code, r.stderr).toBe(3);
    const printed = JSON.parse(r.stdout) as { out: string; kind: string; jobs: { failed: number }; plan: BatchPlan };
    expect(printed.kind).toBe('compare');
    expect(printed.out).toBe(out);
    expect(printed.jobs.failed).toBe(2); // replication 1 of both variants
    expect(r.stderr).toContain(`--seed ${seed}`);
    expect(readFileSync(join(out, 'compare.json'), 'utf8')).toBe(`${JSON.stringify({ ...JSON.parse(r.stdout), out: undefined }, null, 2)}\n`);
    // The same directory again: refused before anything runs, unless --force.
    const again = stampede(['compare', FILE, ...SMALL.flatMap((s) => ['--set', s]), '--policies', 'gcm,full', '--replications', '2', '--out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('--force');
  });

  it('refuses bad input with exit code 2 and answers --help on every batch command', async () => {
    // In-process: a process per --help would cost seconds for nothing.
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(args.join(' ')));
    const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (printed.push(String(chunk)), true));
    try {
      for (const command of ['compare', 'sweep', 'merge', 'run']) {
        printed.length = 0;
        expect(await main([command, '--help'])).toBe(0);
        expect(printed.join('\n')).toMatch(command === 'merge' ? /--out/ : /--workers/);
      }
      printed.length = 0;
      expect(await main(['compare', FILE, '--algorithms', 'rr,nope', '--replications', '2'])).toBe(2);
      expect(printed.join('')).toContain('nope');
      expect(await main(['merge', join(testTmp(), 'no-such-dir-stampede')])).toBe(2);
      expect(await main(['sweep', FILE, '--set', 'seed=1,2'])).toBe(2);
      expect(await main(['run', FILE, '--shard', '1/2'])).toBe(2);
      expect(await main(['run', FILE, '--replications', '2', '--shard', '3/2'])).toBe(2);
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
  });
});
