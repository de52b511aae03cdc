// Bad input, interruptions and failures (issue 9): clear errors for every
// class of scenario mistake, `stampede validate`, the shipped JSON Schema,
// output safety, and Ctrl-C during a run. The schema kit's own behaviour is
// in scenario.test.ts; this file fills the gaps the issue lists.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { RunResult } from '../sim/result.ts';
import { Interruption, runInSlices, shellCommand } from '../sim/cli/interrupt.ts';
import { main } from '../sim/cli/main.ts';
import { OutputError, prepareOutputDir, safeOutputDir, unusedOutputDir, writeAtomically } from '../sim/cli/output.ts';
import { defaultOutDir } from '../sim/cli/run.ts';
import { ScenarioError, parseScenarioText, type ScenarioIssue } from '../sim/scenario/load.ts';
import { schemaErrors } from './support/json-schema.ts';
import type { JsonSchema } from '../sim/scenario/schema.ts';
import { SCHEMA_FILE, schemaFileContent } from '../sim/scenario/write-schema.ts';
import { runScenario } from './support/model.ts';
import { VERSION } from '../sim/version.ts';
import { childImport } from './support/child-import.ts';
import { tempDir as newTempDir } from './support/temp.ts';

const ROOT = join(import.meta.dirname, '..');
const FILE = 'ops.yaml';
const MINIMAL = 'name: t\nduration: 30m\n';

function issuesOf(text: string): ScenarioIssue[] {
  try {
    parseScenarioText(text, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    return (error as ScenarioError).issues;
  }
  throw new Error('expected the scenario to be rejected');
}

/** The formatted issue (FILE:LINE:COL: PATH: MESSAGE) at `path`: exactly one. */
function errorAt(text: string, path: string): string {
  const issues = issuesOf(text);
  const matching = issues.filter((issue) => issue.path === path);
  expect(matching, JSON.stringify(issues, null, 1)).toHaveLength(1);
  const [issue] = matching;
  expect(issue.file).toBe(FILE);
  expect(issue.line).toBeGreaterThanOrEqual(1);
  expect(issue.column).toBeGreaterThanOrEqual(1);
  return `${issue.file}:${issue.line}:${issue.column}: ${issue.path}: ${issue.message}`;
}

function tempDir(prefix = 'stampede-errors-'): string {
  return newTempDir(prefix);
}

/** `main` in this process, with stdout and stderr captured. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (err.push(String(chunk)), true));
  try {
    const code = await main(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

// ---------------------------------------------------------------------------
// 1. Scenario errors: each class the issue lists, with file, line, column,
// path, what was found and what was expected.

describe('scenario errors', () => {
  describe('out-of-range values', () => {
    it.each([
      ['population: {clients: -5}', 'population.clients', `${FILE}:3:23: population.clients: expected an integer between 1 and 134217728, found -5`],
      ['population: {clients: 0}', 'population.clients', `${FILE}:3:23: population.clients: expected an integer between 1 and 134217728, found 0`],
      ['population: {clients: 200000000}', 'population.clients', `${FILE}:3:23: population.clients: expected an integer between 1 and 134217728, found 200000000`],
      ['regions: [{name: common, servers: 0}]', 'regions[0].servers', `${FILE}:3:35: regions[0].servers: expected an integer between 1 and 10000, found 0`],
      ['lookup: {capacity: 0/s}', 'lookup.capacity', `${FILE}:3:20: lookup.capacity: expected a rate > 0/s, found "0/s"`],
      ['managers: {count: 0}', 'managers.count', `${FILE}:3:19: managers.count: expected an integer between 1 and 16, found 0`],
      ['population: {mcc: {450: -1}}', 'population.mcc.450', `${FILE}:3:25: population.mcc.450: expected a number > 0, found -1`],
    ])('%s', (yaml, path, expected) => {
      expect(errorAt(`${MINIMAL}${yaml}\n`, path)).toBe(expected);
    });

    it('refuses a probability above 1 in every field that is one', () => {
      const fault = `${MINIMAL}faults: [{kind: carrier-outage, at: 1m, duration: 1m, fraction: 1.01}]\n`;
      expect(errorAt(fault, 'faults[0].fraction')).toMatch(/expected a number in \(0, 1\], found 1.01$/);
    });

    it('refuses periods so short that the clock could not move on, instead of hanging', () => {
      expect(errorAt(`${MINIMAL}lookup: {infoRefresh: 1e-300s}\n`, 'lookup.infoRefresh')).toBe(
        `${FILE}:3:23: lookup.infoRefresh: expected a duration of at least 1ms, found "1e-300s" (shorter would make the run take forever)`,
      );
      expect(errorAt(`${MINIMAL}managers: {healthInterval: 0.5ms}\n`, 'managers.healthInterval')).toMatch(/at least 1ms/);
    });

    it('refuses more samples than the series can hold, saying what sampleInterval would do', () => {
      expect(errorAt('name: t\nduration: 30d\n', 'sampleInterval')).toMatch(
        /sampleInterval: a sample every 1s over 30d makes 2592001 samples; at most 1000000 fit: raise sampleInterval to at least 3s$/,
      );
      expect(() => parseScenarioText('name: t\nduration: 30d\nsampleInterval: 3s\n', FILE)).not.toThrow();
    });
  });

  describe('bad units', () => {
    it.each([
      ['duration: 10 minutes', 'duration', /found "10 minutes" \(unknown unit "minutes"; units are ms, s, m \(minutes\), h or d\)$/],
      ['duration: -5s', 'duration', /found "-5s" \(durations cannot be negative\)$/],
      ['duration: 30', 'duration', /expected a duration with a unit such as "5s" or "10m", found 30$/],
      ['duration: 10 m', 'duration', /write the number and unit without a space, e.g. "10m"/],
    ])('%s', (line, path, message) => {
      expect(errorAt(`name: t\n${line}\n`, path)).toMatch(message);
    });

    it.each([
      ['"20000"', /a unit is required: \/s, \/min or \/h/],
      ['20000/m', /per minute is \/min/],
      ['-5/s', /rates cannot be negative/],
      ['20000 per second', /write it without spaces/],
    ])('rate %s', (value, message) => {
      expect(errorAt(`${MINIMAL}lookup: {capacity: ${value}}\n`, 'lookup.capacity')).toMatch(message);
    });
  });

  describe('inconsistent values', () => {
    it.each([
      ['lookup-outage', 'duration: -1m', /faults\[0\]\.duration: .*found "-1m" \(durations cannot be negative\)/],
      ['lookup-outage', 'duration: 0s', /faults\[0\]\.duration: expected a duration > 0s, found "0s"/],
      ['carrier-outage', 'duration: 0s', /faults\[0\]\.duration: expected a duration > 0s, found "0s"/],
      ['server-crash', 'servers: [common-0], restartAfter: -2m', /faults\[0\]\.restartAfter: .*or "never", found "-2m" \(durations cannot be negative\)/],
    ])('a %s fault that ends before it starts (%s)', (kind, fields, message) => {
      expect(errorAt(`${MINIMAL}faults: [{kind: ${kind}, at: 5m, ${fields}}]\n`, 'faults[0].' + /^\w+/.exec(fields.split(', ').at(-1)!)![0])).toMatch(message);
    });

    it('a fault that starts after the end of the run', () => {
      expect(errorAt(`${MINIMAL}faults: [{kind: server-crash, at: 31m, servers: [common-0]}]\n`, 'faults[0].at')).toMatch(
        /the fault starts at 31m, which is not before the end of the run \(30m\)$/,
      );
    });

    const regions = 'regions: [{name: common}, {name: korea, mcc: [450]}]\n';
    it.each([
      ['a region (carrier outage)', '{kind: carrier-outage, at: 1m, duration: 1m, region: koera}', 'faults[0].region', 'no region named "koera" (did you mean "korea"?)'],
      ['a region (MCC remap)', '{kind: mcc-remap, at: 1m, mcc: 450, region: japan}', 'faults[0].region', 'no region named "japan" (regions: common, korea)'],
      ['a server (crash)', '{kind: server-crash, at: 1m, servers: [korea-10]}', 'faults[0].servers[0]', 'no server named "korea-10": region "korea" has 10 server(s), korea-0..korea-9'],
      ['a server (deploy)', '{kind: deploy, at: 1m, servers: [comon-1]}', 'faults[0].servers[0]', 'no server named "comon-1" (did you mean "common-1"?)'],
      ['a manager', '{kind: manager-crash, at: 1m, managers: [0, 5]}', 'faults[0].managers[1]', 'no manager 5: managers.count is 2'],
      ['a service', '{kind: algorithm-change, at: 1m, service: web, algorithm: rr}', 'faults[0].service', 'no service "web"; services: "default"'],
      ['a lookup instance', '{kind: lookup-outage, at: 1m, duration: 1m, instances: [4]}', 'faults[0].instances[0]', 'no lookup instance 4: lookup.instances is 4, so indices run 0..3'],
    ])('a fault that refers to %s that does not exist', (_what, fault, path, message) => {
      expect(errorAt(`${MINIMAL}${regions}faults:\n  - ${fault}\n`, path)).toMatch(new RegExp(`: ${path.replace(/[[\].]/g, '\\$&')}: ${message.replace(/[()[\].?*+]/g, '\\$&')}$`));
    });

    it('a leak on a server that does not exist, at the leak’s own field', () => {
      expect(errorAt(`${MINIMAL}leaks: [{server: comon-2}]\n`, 'leaks[0].server')).toBe(
        `${FILE}:3:18: leaks[0].server: no server named "comon-2" (did you mean "common-2"?)`,
      );
    });

    it('a service that lists a region that does not exist', () => {
      expect(errorAt(`${MINIMAL}services: [{name: web, regions: [common, nowhere]}]\n`, 'services[0].regions[1]')).toMatch(/no region named "nowhere"/);
    });

    it('a failover cycle of two regions', () => {
      const text = `${MINIMAL}regions: [{name: common, failover: b}, {name: b, failover: common}]\n`;
      expect(errorAt(text, 'regions[0].failover')).toMatch(/failover chain forms a cycle: common -> b -> common$/);
    });

    it('a population no fleet can hold is a warning, not an error', () => {
      const { scenario, warnings } = parseScenarioText(`${MINIMAL}population: {clients: 2000000}\n`, FILE);
      expect(scenario.population.clients).toBe(2_000_000);
      expect(warnings).toEqual([
        `${FILE}:3:23: population.clients: 2000000 clients exceed the total session capacity of 1500000 (10 servers × 150000 maxSessions); the rest can never connect`,
      ]);
    });
  });

  describe('YAML structure', () => {
    it('duplicate keys at the top level and inside a list item', () => {
      expect(errorAt(`${MINIMAL}seed: 1\nseed: 2\n`, 'seed')).toBe(`${FILE}:4:1: seed: duplicate key "seed" (a key may appear only once in a mapping)`);
      expect(errorAt(`${MINIMAL}regions:\n  - name: common\n    servers: 2\n    servers: 3\n`, 'regions[0].servers')).toBe(
        `${FILE}:6:5: regions[0].servers: duplicate key "servers" (a key may appear only once in a mapping)`,
      );
    });

    it('a mapping used as a key (which the YAML library would only warn about)', () => {
      const issues = issuesOf(`${MINIMAL}? {a: 1}\n: 5\n`);
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatchObject({ line: 3, column: 3 });
      expect(issues[0].message).toMatch(/a key must be a plain name/);
    });

    it('an alias to no anchor, with its position', () => {
      expect(errorAt(`${MINIMAL}seed: *nowhere\n`, 'seed')).toBe(`${FILE}:3:7: seed: YAML: the alias *nowhere refers to no anchor &nowhere defined before it`);
    });

    it.each([
      ['an empty file', '', /the file is empty/],
      ['only blank lines', '\n\n   \n', /the file is empty/],
      ['a binary file (PNG header)', '\x89PNG\r\n\x1a\n\0\0\0\rIHDR', /binary file/],
      ['a UTF-16 file', Buffer.from('\ufeffname: t\n', 'utf16le').toString('latin1'), /binary file/],
    ])('%s', (_what, text, message) => {
      const issues = issuesOf(text);
      expect(issues).toHaveLength(1);
      expect(`${issues[0].file}: ${issues[0].message}`).toMatch(new RegExp(`^${FILE}: .*${message.source}`));
    });
  });
});

// ---------------------------------------------------------------------------
// 2. `stampede validate` and the JSON Schema

describe('stampede validate', () => {
  const dir = tempDir('stampede-validate-');
  const good = join(dir, 'good.yaml');
  const bad = join(dir, 'bad.yaml');
  const crowded = join(dir, 'crowded.yaml');
  writeFileSync(good, MINIMAL);
  writeFileSync(bad, 'name: bad\nduration: 10 minutes\nlookup:\n  instnces: 2\n');
  writeFileSync(crowded, `${MINIMAL}population: {clients: 2000000}\n`);

  it('prints ok for valid files and exits 0, warnings included', async () => {
    const r = await cli('validate', good, crowded);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `ok ${good}\nwarning: ${crowded}:3:23: population.clients: 2000000 clients exceed the total session capacity of 1500000 ` +
        `(10 servers × 150000 maxSessions); the rest can never connect\nok ${crowded} (1 warning)\n2 files: 2 ok, 0 invalid\n`,
    );
  });

  it('prints each issue as FILE:LINE:COL: PATH: MESSAGE and exits 2 when a file is invalid', async () => {
    const r = await cli('validate', good, bad);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`ok ${good}\n`);
    expect(r.stdout).toContain(`${bad}:2:11: duration: expected a duration with a unit such as "5s" or "10m", found "10 minutes"`);
    expect(r.stdout).toContain(`${bad}:4:3: lookup.instnces: unknown field "instnces" (did you mean "instances"?)`);
    expect(r.stdout).toMatch(/2 files: 1 ok, 1 invalid\n$/);
  });

  it('expands globs and directories, and validates every shipped scenario', async () => {
    const glob = await cli('validate', join(dir, '*.yaml'));
    expect(glob.code).toBe(2);
    expect(glob.stdout).toMatch(/3 files: 2 ok, 1 invalid/);
    const shipped = await cli('validate', 'scenarios/');
    expect(shipped.code, shipped.stdout).toBe(0);
    expect(shipped.stdout).toMatch(/\d+ files: (\d+) ok, 0 invalid\n$/);
  });

  it('answers --json with the structured issues', async () => {
    const r = await cli('validate', good, bad, '--json');
    expect(r.code).toBe(2);
    const printed = JSON.parse(r.stdout) as { ok: number; invalid: number; files: { file: string; ok: boolean; issues: ScenarioIssue[] }[] };
    expect(printed.ok).toBe(1);
    expect(printed.invalid).toBe(1);
    expect(printed.files[1].issues[0]).toEqual({
      file: bad,
      line: 2,
      column: 11,
      path: 'duration',
      message: 'expected a duration with a unit such as "5s" or "10m", found "10 minutes" (unknown unit "minutes"; units are ms, s, m (minutes), h or d)',
    });
  });

  it('exits 2 for a glob that matches nothing, a missing file and a binary file', async () => {
    const none = await cli('validate', join(dir, 'nothing-*.yaml'));
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no file matches/);
    const binary = join(dir, 'image.yaml');
    writeFileSync(binary, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00]));
    const r = await cli('validate', join(dir, 'missing.yaml'), binary);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`${join(dir, 'missing.yaml')}: no such scenario file`);
    expect(r.stdout).toContain(`${binary}: this is a binary file`);
  });
});

describe('the shipped JSON Schema', () => {
  it(`${SCHEMA_FILE} is the one generated from the loader's schema (run \`npm run schema\` after changing it)`, () => {
    expect(readFileSync(join(ROOT, SCHEMA_FILE), 'utf8')).toBe(schemaFileContent());
  });

  it('accepts every shipped scenario as an editor would read it', () => {
    const schema = JSON.parse(schemaFileContent()) as JsonSchema;
    const dir = join(ROOT, 'scenarios');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.ya?ml$/.test(f));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      // Editors see MCC keys as strings, as JSON has no other keys.
      const raw = JSON.parse(JSON.stringify(parseYaml(readFileSync(join(dir, file), 'utf8'))));
      expect(schemaErrors(schema, raw), file).toEqual([]);
    }
  });

  it('is referenced from the scenario documentation', () => {
    expect(readFileSync(join(ROOT, 'docs', 'scenarios.md'), 'utf8')).toContain('yaml-language-server: $schema=');
  });
});

// ---------------------------------------------------------------------------
// 6. Output safety

describe('output safety', () => {
  it('keeps names from scenario files inside the output directory', () => {
    expect(safeOutputDir('reports', 'lookup-outage', 'seed-1')).toBe(join('reports', 'lookup-outage', 'seed-1'));
    for (const name of ['..', '.', '', '../etc', 'a/b', 'a\\b', '/etc', 'C:evil', 'x\0y']) {
      expect(() => safeOutputDir('reports', name), JSON.stringify(name)).toThrow(OutputError);
    }
    expect(() => defaultOutDir('../../etc', 1, [])).toThrow(/refusing to use "..\/..\/etc" as an output directory name under reports/);
  });

  it('refuses a scenario name from a shard file that would lead out of reports/ (merge, exit 2)', async () => {
    const dir = tempDir();
    const plan = {
      kind: 'compare', stampedeVersion: VERSION, scenario: { file: 'x.yaml', name: '../../evil', sha256: '0' }, rootSeed: 1,
      baseOverrides: [], replications: 1, seeds: [1], parameters: [], variants: [], withSeries: false,
    };
    writeFileSync(join(dir, 'shard-1-of-1.json'), JSON.stringify({ stampedeShard: 1, shard: { index: 1, count: 1 }, plan, outcomes: [] }));
    const r = await cli('merge', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('plan.scenario.name: "../../evil" cannot be a directory name: it contains a path separator');
  });

  it('writes to a device or a pipe named on the command line directly; never replaces one', () => {
    if (!existsSync('/dev/null')) return;
    writeAtomically('/dev/null', 'discarded', { intoSpecialFile: true });
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
    expect(() => writeAtomically('/dev/null', 'x')).toThrow('cannot write /dev/null: it is a character device, not a regular file');
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('refuses an earlier report unless forced, checks only the named files when given, and refuses a file', () => {
    const dir = join(tempDir(), 'out');
    prepareOutputDir(dir); // created
    expect(existsSync(dir)).toBe(true);
    prepareOutputDir(dir); // empty: fine
    writeFileSync(join(dir, 'result.json'), '{}');
    expect(() => prepareOutputDir(dir)).toThrow(`${dir} already holds an earlier report (result.json); pass --force to overwrite it, or choose another directory with --out`);
    expect(() => prepareOutputDir(dir, { force: true })).not.toThrow();
    expect(() => prepareOutputDir(dir, { files: ['shard-2-of-3.json'] })).not.toThrow();
    expect(() => prepareOutputDir(dir, { files: ['result.json'] })).toThrow(OutputError);
    expect(() => prepareOutputDir(join(dir, 'result.json'))).toThrow(/is a file/);
  });

  it('writes atomically and leaves no temporary file behind, even when the write fails', () => {
    const dir = tempDir();
    const path = join(dir, 'result.json');
    writeAtomically(path, 'one');
    writeAtomically(path, 'two');
    expect(readFileSync(path, 'utf8')).toBe('two');
    expect(readdirSync(dir)).toEqual(['result.json']);
    mkdirSync(join(dir, 'taken'));
    expect(() => writeAtomically(join(dir, 'taken'), 'x')).toThrow();
    expect(readdirSync(dir).sort()).toEqual(['result.json', 'taken']);
  });

  it('`run` names a report it could not write, says result.json is complete, and leaves no temporary file', async () => {
    const dir = tempDir();
    const file = join(dir, 'small.yaml');
    writeFileSync(file, 'name: small\nduration: 2m\npopulation: {clients: 500}\nfaults: [{kind: lookup-outage, at: 30s, duration: 30s}]\n');
    const out = join(dir, 'report');
    // The page's name is taken by a directory: its rename fails (EISDIR), after result.json was written.
    mkdirSync(join(out, 'index.html'), { recursive: true });
    const run = await cli('run', file, '--out', out, '--quiet', '--force');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(`the report in ${out} (result.json is complete)`);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')).summary.clients).toBe(500);
    expect(readdirSync(out).filter((name) => name.includes('.tmp-'))).toEqual([]);
  });

  it('passes over temporary files an earlier process with the same pid left behind, and leaves them alone', () => {
    const dir = tempDir();
    // A fresh process numbers its temporary files from 0: those of a killed one with its pid are in the way.
    const output = childImport('sim/cli/output.ts');
    const script = `
      import { writeFileSync } from 'node:fs';
      import { writeAtomically } from ${JSON.stringify(output.href)};
      for (let n = 0; n < 3; n++) writeFileSync(process.argv[1] + '/result.json.tmp-' + process.pid + '-' + n, 'stale');
      writeAtomically(process.argv[1] + '/result.json', 'fresh');
      process.stdout.write(String(process.pid));`;
    const pid = execFileSync(process.execPath, [...output.execArgv, '--input-type=module', '-e', script, dir], { encoding: 'utf8' });
    expect(readFileSync(join(dir, 'result.json'), 'utf8')).toBe('fresh');
    expect(readdirSync(dir).sort()).toEqual(['result.json', ...[0, 1, 2].map((n) => `result.json.tmp-${pid}-${n}`)]);
    for (let n = 0; n < 3; n++) expect(readFileSync(join(dir, `result.json.tmp-${pid}-${n}`), 'utf8')).toBe('stale');
  });

  it('picks a fresh default directory next to an earlier report instead of overwriting it', () => {
    const dir = join(tempDir(), 'seed-1');
    expect(unusedOutputDir(dir)).toBe(dir);
    mkdirSync(dir);
    expect(unusedOutputDir(dir)).toBe(dir); // empty: free
    writeFileSync(join(dir, 'result.json'), '{}');
    expect(unusedOutputDir(dir)).toBe(`${dir}-2`);
    mkdirSync(`${dir}-2`);
    writeFileSync(join(`${dir}-2`, 'result.json'), '{}');
    expect(unusedOutputDir(dir)).toBe(`${dir}-3`);
  });

  it('`run` refuses to overwrite an earlier report before running (exit 2), and overwrites it with --force', async () => {
    const dir = tempDir();
    const file = join(dir, 'small.yaml');
    writeFileSync(file, 'name: small\nduration: 3m\npopulation: {clients: 2000}\nfaults: [{kind: lookup-outage, at: 1m, duration: 30s}]\n');
    const out = join(dir, 'report');
    const args = ['run', file, '--out', out, '--quiet'];
    const first = await cli(...args);
    expect(first.code, first.stderr).toBe(0);
    const written = readFileSync(join(out, 'result.json'), 'utf8');
    const again = await cli(...args);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`stampede: ${out} already holds an earlier report (`);
    expect(again.stderr).toContain('pass --force to overwrite it');
    expect(again.stderr).not.toMatch(/\n\s+at /);
    const forced = await cli(...args, '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(join(out, 'result.json'), 'utf8')).toBe(written);
    expect(readdirSync(out).filter((name) => name.includes('.tmp-'))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------
// 4. Interruption of `run`

describe('interruption', () => {
  const small = () => parseScenarioText('name: t\nduration: 5m\npopulation: {clients: 3000}\nfaults: [{kind: lookup-outage, at: 1m, duration: 1m}]\n', FILE).scenario;

  it('running in slices gives the very same result as running in one go', async () => {
    const scenario = small();
    const whole = JSON.stringify(runScenario(scenario));
    const sliced = await runInSlices(scenario, { shouldStop: () => false, sliceMs: 0.5 });
    expect(sliced.stoppedAt).toBeNull();
    expect(JSON.stringify(sliced.result)).toBe(whole);
  });

  it('a stopped run returns what it simulated, up to where it stopped', async () => {
    let slices = 0;
    // The first slice is one sample interval (1 s) and a slice at most doubles: 3 slices stay below 7 s.
    const run = await runInSlices(small(), { shouldStop: () => ++slices > 3, sliceMs: 1 });
    expect(run.stoppedAt).toBeGreaterThan(0);
    expect(run.stoppedAt).toBeLessThanOrEqual(7);
    expect(run.result!.series.time.at(-1)).toBeLessThanOrEqual(run.stoppedAt!);
    expect(run.result!.series.time.length).toBe(Math.floor(run.stoppedAt!) + 1);
  });

  it('a stop before the model is built returns nothing', async () => {
    expect(await runInSlices(small(), { shouldStop: () => true })).toEqual({ result: null, stoppedAt: 0 });
  });

  it('quotes re-run commands for a POSIX shell', () => {
    expect(shellCommand(['stampede', 'run', 'a b.yaml', '--set', "name=it's", '--out', 'reports/x'])).toBe(
      `stampede run 'a b.yaml' --set 'name=it'\\''s' --out reports/x`,
    );
  });

  it('the first signal asks to stop; the handler is removed by dispose', () => {
    const messages: string[] = [];
    const stream = { write: (text: string) => (messages.push(text), true) } as unknown as NodeJS.WritableStream;
    const before = process.listenerCount('SIGINT');
    const interruption = new Interruption(stream).install();
    expect(process.listenerCount('SIGINT')).toBe(before + 1);
    process.emit('SIGINT', 'SIGINT');
    expect(interruption.requested).toBe(true);
    expect(messages.join('')).toMatch(/SIGINT: stopping and writing what finished \(press Ctrl-C again to exit at once\)/);
    interruption.dispose();
    expect(process.listenerCount('SIGINT')).toBe(before);
  });

  /** Starts `stampede run` on the 1M-client lookup outage; resolves once the simulation is running. */
  function startRun(out: string) {
    const child = spawn(process.execPath, ['bin/stampede.cjs', 'run', 'scenarios/lookup-outage.yaml', '--out', out], { cwd: ROOT });
    let stderr = '';
    const exited = new Promise<{ code: number | null; signal: string | null; at: number }>((resolve) => {
      child.on('exit', (code, signal) => resolve({ code, signal, at: performance.now() }));
    });
    const running = new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('stampede: running ')) resolve();
      });
      void exited.then(() => reject(new Error(`the run ended before it started:\n${stderr}`)));
    });
    return { child, running, exited, stderr: () => stderr };
  }

  it('Ctrl-C during `run` stops within a second, writes a partial result.json and exits 130', async () => {
    /** One run interrupted half a second in: its exit, and how long after the signal it came. */
    const interrupted = async (out: string) => {
      const run = startRun(out);
      await run.running;
      await new Promise((resolve) => setTimeout(resolve, 500));
      const signalled = performance.now();
      run.child.kill('SIGINT');
      const { code, signal, at } = await run.exited;
      expect({ code, signal }, run.stderr()).toEqual({ code: 130, signal: null });
      console.log(`interrupt: exit ${code} ${(at - signalled).toFixed(0)} ms after SIGINT`);
      return { run, ms: at - signalled };
    };
    // 90-190 ms alone; the suite's other files can hold the process back past the second (1.13 s
    // once, the cores busy with the live deployment and the charts): a second try before it fails.
    let out = join(tempDir(), 'run');
    let { run, ms } = await interrupted(out);
    if (ms >= 1000) {
      out = join(tempDir(), 'run-again');
      ({ run, ms } = await interrupted(out));
    }
    expect(ms).toBeLessThan(1000);

    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as RunResult;
    const partial = result.partial!;
    expect(partial.stoppedAt).toBeGreaterThan(0);
    expect(partial.stoppedAt).toBeLessThan(1800);
    expect(partial.reason).toMatch(/^interrupted by SIGINT after [\d.]+ s of 1800 s simulated$/);
    expect(partial.rerun).toBe(`stampede run scenarios/lookup-outage.yaml --out ${out} --force`);
    expect(result.series.time.length).toBe(Math.floor(partial.stoppedAt) + 1);
    expect(run.stderr()).toContain(`partial result (${partial.stoppedAt.toFixed(1)} s of 1800 s simulated) written to ${join(out, 'result.json')}`);
    expect(run.stderr()).toContain(partial.rerun);
    expect(readdirSync(out)).toEqual(['result.json']); // no report of a partial run, no temporary file
  });

  it('a signal while the report is written exits at once with 130: result.json whole, no temporary file, no lock left', async () => {
    const out = join(tempDir(), 'report');
    // A small run whose report takes a second or more (every chart as SVG and PNG).
    const child = spawn(process.execPath, ['bin/stampede.cjs', 'run', 'scenarios/lookup-outage.yaml', '--set', 'population.clients=2000', '--svg', '--png', '--quiet', '--out', out], { cwd: ROOT });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    // Once result.json is there the report is being written (charts/ fills last).
    const deadline = performance.now() + 60_000;
    while (!existsSync(join(out, 'result.json')) && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 100));
    child.kill('SIGINT');
    const exit = await exited;
    expect(exit, stderr).toEqual({ code: 130, signal: null });
    expect(stderr).toContain('stampede: SIGINT: exiting at once; the report is not finished (result.json is complete)');
    expect((JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as RunResult).partial).toBeUndefined();
    const left = [...readdirSync(out), ...(existsSync(join(out, 'charts')) ? readdirSync(join(out, 'charts')) : [])];
    expect(left.filter((name) => name.includes('.tmp-') || name === '.stampede.lock')).toEqual([]);
  });

  it('SIGTERM does the same; a second signal exits at once', async () => {
    const term = startRun(join(tempDir(), 'term'));
    await term.running;
    term.child.kill('SIGTERM');
    expect((await term.exited).code).toBe(130);
    expect(term.stderr()).toMatch(/SIGTERM: stopping/);

    const twice = startRun(join(tempDir(), 'twice'));
    await twice.running;
    twice.child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 20));
    twice.child.kill('SIGINT');
    const exit = await twice.exited;
    expect(exit.code).toBe(130);
  });
});
