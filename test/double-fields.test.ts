// The model's numeric fields keep the representation V8 gave them at the start (sim/engine/
// double-fields.ts): a field that starts as a small integer and later holds a fraction moves its
// class to a new hidden class and throws away the optimized code built for the old one. V8 reports
// each such change with --trace-generalization (which needs --no-sparkplug in Node 20, or it
// trips over baseline code); every field of the model must be absent from that report.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../sim/scenario/load.ts';
import { Simulation } from './support/model.ts';

/** The build of the current sources (bin/compiled.cjs, which Node loads through require() too), or null. */
const { compiledDir } = createRequire(import.meta.url)('../bin/compiled.cjs') as { compiledDir(): string | null };

/** The model's code: the build's modules, or the sources (through tsx). */
const MODEL = /\/sim\/(model|engine)\/|\/sim\/simulation\./;

/**
 * Fields of the model's objects whose representation changed, as V8 prints them:
 * `[generalizing]NAME:s{...}->d{...;mutable} (+N maps) [FUNCTION at FILE:LINE]`, from a small
 * integer (s) to a double (d) or any object (h), of a field written again after its object was made
 * (`mutable`: a class's running state; an object literal's fields are `const`), the objects of the
 * old hidden class (N more) being moved. Whole lines only: V8's threads can interleave their trace lines.
 */
function generalizedFields(trace: string): string[] {
  return trace.split('\n').filter((line) => {
    const change = /^\[generalizing\][\w$]+:([sdh])\{[^{}[\]]*\}->([sdh])\{[^{}[\]]*mutable\} \(\+\d+ maps\) \[[^[\]]*\]$/.exec(line);
    return change !== null && change[1] !== change[2] && MODEL.test(line);
  });
}

// Between them: the event queue, lookups, churn and recovery (V2), timers run inline (carrier
// outage), heaps and the gray-failure watch, the managers, the L4 switch.
const CASES: [string, number][] = [
  ['scenarios/validation/v2-lookup-outage-churn.yaml', 10_000],
  ['scenarios/carrier-outage.yaml', 5_000],
  ['scenarios/gray-failure-leak.yaml', 1_000],
  ['scenarios/manager-master-loss.yaml', 2_000],
  ['scenarios/l4-ghosts.yaml', 2_000],
];

// One process runs them all, in slices ending at fractions of a second as the CLI's do.
const DRIVER = `
const [simulation, load, cases] = process.argv.slice(1);
const { Simulation } = await import(simulation);
const { loadScenarioFile } = await import(load);
for (const [file, clients] of JSON.parse(cases)) {
  const { scenario } = loadScenarioFile(file, ['population.clients=' + clients]);
  const run = new Simulation(scenario);
  for (let k = 1; k <= 7; k++) run.runUntil((scenario.duration * k) / 7, undefined, scenario.duration);
  run.result();
  run.close();
  process.stderr.write('ran ' + file + '\\n');
}`;

describe('double fields', () => {
  it('no field of the model changes representation during the runs of five scenarios', () => {
    const build = compiledDir();
    const modules = build === null ? { dir: join(import.meta.dirname, '..'), ext: 'ts' } : { dir: build, ext: 'js' };
    const url = (path: string) => pathToFileURL(join(modules.dir, `${path}.${modules.ext}`)).href;
    const run = spawnSync(
      process.execPath,
      [
        '--no-sparkplug', '--trace-generalization', ...(build === null ? ['--import', 'tsx'] : []), '--input-type=module', '-e', DRIVER,
        url('sim/simulation'), url('sim/scenario/load'), JSON.stringify(CASES),
      ],
      { encoding: 'utf8', maxBuffer: 256 * 2 ** 20 },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr.match(/^ran /gm)).toHaveLength(CASES.length);
    expect(run.stdout).toContain('[generalizing]'); // the trace is there: a flag V8 dropped would pass silently
    expect(generalizedFields(run.stdout)).toEqual([]);
  });

  // DOUBLE_ZERO is -0, which Intl and formatInteger print as "-0": no result may hold one, even one
  // taken before anything ran (a run stopped at once) or half-way.
  it.each(CASES.map(([file]) => [file]))('%s: no -0 in a result, before the run or during it', (file) => {
    const { scenario } = loadScenarioFile(file, ['population.clients=500']);
    const run = new Simulation(scenario);
    try {
      const found: string[] = [];
      const walk = (value: unknown, path: string): void => {
        if (Object.is(value, -0)) found.push(path);
        else if (Array.isArray(value)) value.forEach((item, i) => walk(item, `${path}[${i}]`));
        else if (value !== null && typeof value === 'object') for (const [key, item] of Object.entries(value)) walk(item, `${path}.${key}`);
      };
      walk(run.result(0), 'at 0 s');
      run.runUntil(scenario.duration / 3);
      walk(run.result(scenario.duration / 3), 'at a third');
      expect(found).toEqual([]);
    } finally {
      run.close();
    }
  });
});
