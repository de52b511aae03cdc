// Every scenario shipped in scenarios/ (the catalogue and validation/), found
// by a glob so that a new file is covered by itself, runs through the CLI at
// a small population and writes result.json, index.html and summary.md, and
// with --svg --png every chart of the page as a file. `main()` runs in this
// process (test/support/cli.ts: the CLI as a user sees it, without a node
// start per file); one file also goes through bin/stampede.cjs in a child process.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../sim/scenario/load.ts';
import { cli, STACK, tempDir } from './support/cli.ts';

const ROOT = join(import.meta.dirname, '..');
/** Small enough for CI, large enough that every fault still disconnects someone. */
const CLIENTS = 2000;

function scenarioFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.yaml') || name.endsWith('.yml'))
    .map((name) => relative(ROOT, join(dir, name)))
    .sort();
}

const FILES = scenarioFiles(join(ROOT, 'scenarios'));

/** `--set population.clients=N`, never above the file's own population. */
function populationOverride(file: string): string {
  const { scenario } = loadScenarioFile(join(ROOT, file));
  return `population.clients=${Math.min(CLIENTS, scenario.population.clients)}`;
}

/** The chart ids a report page renders, from its embedded specs. */
function pageCharts(html: string): string[] {
  const json = /<script type="application\/json" id="stampede-charts">(.*?)<\/script>/s.exec(html);
  expect(json, 'the page embeds its chart specs').not.toBeNull();
  return (JSON.parse(json![1]) as { id: string }[]).map((c) => c.id);
}

function expectReport(dir: string): string[] {
  for (const file of ['result.json', 'index.html', 'summary.md']) expect(existsSync(join(dir, file)), file).toBe(true);
  const result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as { summary: { clients: number } };
  expect(result.summary.clients).toBeGreaterThan(0);
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  const charts = pageCharts(html);
  expect(charts).toContain('connected');
  for (const id of charts) expect(html).toContain(`id="chart-${id}"`);
  expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toMatch(/^### .+\(seed \d+\)/);
  return charts;
}

describe('every shipped scenario, end to end', () => {
  it('finds the catalogue and the validation cases', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(10);
    expect(FILES).toContain('scenarios/lookup-outage.yaml');
    expect(FILES.some((f) => f.startsWith('scenarios/validation/'))).toBe(true);
  });

  describe.each(FILES)('%s', (file) => {
    const set = populationOverride(file);

    // One run per file: its report is checked whole, and every chart of the page written as SVG and
    // PNG (that without --svg / --png no chart file is written does not depend on the scenario: below).
    it('writes result.json, index.html and summary.md, and with --svg --png every chart of the page as SVG and PNG', async () => {
      const out = join(tempDir('stampede-e2e-'), 'report');
      const run = await cli('run', file, '--set', set, '--out', out, '--quiet', '--workers', '1', '--svg', '--png');
      expect(run.stderr).not.toMatch(STACK);
      expect([0, 1], run.stderr).toContain(run.code);
      const charts = expectReport(out);
      const written = readdirSync(join(out, 'charts')).sort();
      expect(written).toEqual(charts.flatMap((id) => [`${id}.png`, `${id}.svg`]).sort());
      for (const id of charts) {
        expect(readFileSync(join(out, 'charts', `${id}.svg`), 'utf8')).toMatch(/^<svg[^>]*>/);
        const png = readFileSync(join(out, 'charts', `${id}.png`));
        expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
        expect(statSync(join(out, 'charts', `${id}.png`)).size).toBeGreaterThan(2000);
      }
    });
  });

  it('writes no chart file without --svg or --png', async () => {
    const out = join(tempDir('stampede-e2e-'), 'report');
    const run = await cli('run', 'scenarios/server-crash.yaml', '--set', populationOverride('scenarios/server-crash.yaml'), '--out', out, '--quiet', '--workers', '1');
    expect(run.stderr).not.toMatch(STACK);
    expect([0, 1], run.stderr).toContain(run.code);
    expectReport(out);
    expect(existsSync(join(out, 'charts'))).toBe(false);
  });

  it('bin/stampede.cjs runs a scenario with unlimited capacities and writes its charts (exit 0, no crash)', () => {
    const out = join(tempDir('stampede-e2e-'), 'report');
    const file = 'scenarios/validation/v1-carrier-outage-backoff.yaml';
    const stdout = execFileSync(
      process.execPath,
      [join(ROOT, 'bin/stampede.cjs'), 'run', file, '--set', 'population.clients=500', '--out', out, '--quiet', '--workers', '1', '--svg', '--png'],
      { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    expect(stdout).toContain('v1-carrier-outage-backoff');
    const charts = expectReport(out);
    for (const id of charts) expect(existsSync(join(out, 'charts', `${id}.png`)), id).toBe(true);
    // Unlimited limits are named, never drawn on a scale.
    const svg = readFileSync(join(out, 'charts', 'accept-rate.svg'), 'utf8');
    expect(svg).toContain('Accept limit: unlimited; overload threshold: unlimited (not drawn)');
  });
});
