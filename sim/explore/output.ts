// What `stampede explore` writes: explore.json (every run and finding),
// explore.md (the findings an operator reads), one runnable scenario per
// shrunk failure (failures/failure-N.yaml, with the commands that reproduce
// it), and index.html with the pass/fail map over two explored fields.
// Every file is a pure function of the findings: the same bytes whatever the
// number of workers.
import { stringify } from 'yaml';
import { canonicalScenario, loadScenarioFile } from '../scenario/load.ts';
import type { ExploreConfig, Scenario } from '../scenario/types.ts';
import { formatValue, rangeText, type ExploreRange } from './range.ts';
import { failing, type Boundary, type ExploreFindings, type RunRecord } from './search.ts';
import { markdownTable } from '../batch/format.ts';
import { shellCommand } from '../cli/interrupt.ts';
import { batchPage } from '../../reports/lib/batch-page.ts';
import { VERSION } from '../version.ts';

export interface ExploreFile {
  path: string;
  content: string;
}

export interface ExploreContext {
  file: string;
  baseOverrides: string[];
  scenario: Scenario;
  config: ExploreConfig;
  outDir: string;
}

/** Where the shrunk failure k is written (1-based), relative to the output directory. */
export function failureFile(k: number): string {
  return `failures/failure-${k}.yaml`;
}

export function exploreFiles(findings: ExploreFindings, ctx: ExploreContext): ExploreFile[] {
  const failures = findings.failures.map((failure, k) => ({ path: failureFile(k + 1), content: failureYaml(failure.run, ctx, k + 1) }));
  const markdown = exploreMarkdown(findings, ctx);
  return [
    { path: 'explore.json', content: `${JSON.stringify(exploreJson(findings, ctx), null, 2)}\n` },
    { path: 'explore.md', content: markdown },
    ...failures,
    {
      path: 'index.html',
      content: batchPage({
        markdown,
        charts: mapSpec(findings, ctx) === null ? [] : [{ id: 'map', metric: null, spec: mapSpec(findings, ctx)! }],
        stampedeVersion: VERSION,
        jobs: { total: findings.runs.length, failed: findings.runs.filter((r) => !r.ok).length },
        gate: gateLine(findings),
      }),
    },
  ];
}

function gateLine(findings: ExploreFindings): { text: string; level: 'ok' | 'warn' | 'fail' } {
  const broken = findings.runs.filter(failing).length;
  if (broken === 0) return { text: `no run of ${findings.runs.length} breaks the gate`, level: 'ok' };
  return { text: `${broken} of ${findings.runs.length} runs break the gate; ${findings.failures.length} failure(s) shrunk, ${findings.metastable.length} metastable`, level: 'fail' };
}

export function exploreJson(findings: ExploreFindings, ctx: ExploreContext): Record<string, unknown> {
  return {
    stampede: { version: VERSION, format: 1 },
    scenario: { file: ctx.file, name: ctx.scenario.name, overrides: ctx.baseOverrides },
    explore: { ...ctx.config, ranges: Object.fromEntries(ctx.config.ranges.map((r) => [r.path, rangeText(r)])) },
    swarm: findings.swarm,
    interrupted: findings.interrupted,
    boundaries: findings.boundaries,
    failures: findings.failures.map((f, k) => ({ ...f, file: failureFile(k + 1), commands: commands(ctx, k + 1) })),
    metastable: findings.metastable,
    runs: findings.runs,
  };
}

function commands(ctx: ExploreContext, k: number): { run: string; gate: string } {
  const file = `${ctx.outDir}/${failureFile(k)}`;
  return { run: shellCommand(['stampede', 'run', file]), gate: shellCommand(['stampede', 'gate', file]) };
}

/** The shrunk failure as a scenario file of its own: the resolved scenario, its seed, no explore section. */
export function failureYaml(run: RunRecord, ctx: ExploreContext, k: number): string {
  const { scenario } = loadScenarioFile(ctx.file, [...ctx.baseOverrides, ...run.overrides, 'explore=off']);
  const document = canonicalScenario(scenario);
  document.name = `${ctx.scenario.name}-failure-${k}`;
  document.description = `Found by stampede explore on ${ctx.file}: ${run.failed.length > 0 ? `fails ${run.failed.join('; ')}` : 'metastable'}`;
  const { run: runCommand, gate } = commands(ctx, k);
  const header = [
    `# A failure stampede explore found in ${ctx.file} and shrunk to a minimal scenario.`,
    `# It ${run.failed.length > 0 ? `fails: ${run.failed.join('; ')}` : 'passes its assertions'}${run.metastable !== null ? ' and is metastable' : ''}.`,
    `# Changes from the explored file: ${run.overrides.join(' ')}`,
    '# Reproduce:',
    `#   ${runCommand}`,
    `#   ${gate}`,
  ];
  return `${header.join('\n')}\n${stringify(document, { lineWidth: 0 })}`;
}

// ---- explore.md ------------------------------------------------------------------

export function exploreMarkdown(findings: ExploreFindings, ctx: ExploreContext): string {
  const ranges = new Map(ctx.config.ranges.map((r) => [r.path, r]));
  const broken = findings.runs.filter(failing);
  const lines = [
    `# Explore: ${ctx.scenario.name}`,
    '',
    `${findings.runs.length} runs of \`${ctx.file}\` (explore seed ${ctx.config.seed}): ${findings.swarm.ran} random draws of the ${findings.swarm.planned} planned` +
      `${findings.swarm.stoppedBy === 'time' ? ' (the time budget ran out)' : ''}, then bisection and shrinking. ` +
      `${broken.length === 0 ? 'No run broke the gate.' : `${broken.length} runs broke the gate, ${findings.metastable.length} of them metastable.`}` +
      `${findings.interrupted ? ' **Interrupted**: the findings cover the runs that finished; `--resume` finishes the search.' : ''}`,
    '',
    '## Boundaries',
    '',
    'Each explored number alone, from the scenario as written (its seed, no extra faults): the value at which the gate flips.',
    '',
    boundaries(findings.boundaries, ranges),
    '',
    '## Failures, shrunk',
    '',
  ];
  if (findings.failures.length === 0) {
    lines.push(broken.length === 0 ? 'None: no run broke the gate.' : 'None shrunk (explore.shrink is 0).');
  } else {
    lines.push('Each distinct failure, shrunk to the simplest scenario that still fails the same way: a runnable file with its seed.', '');
    findings.failures.forEach((failure, k) => {
      const run = failure.run;
      const { run: runCommand, gate } = commands(ctx, k + 1);
      lines.push(
        `### ${k + 1}. ${failure.signature}`,
        '',
        `From run ${failure.from}, in ${failure.steps} shrinking runs. Seed ${run.seed}; ${describeValues(run, ranges)}` +
          `${run.extraFaults.length === 0 ? '' : `; extra faults: ${run.extraFaults.map((f) => `\`${JSON.stringify(f)}\``).join(', ')}`}` +
          `${run.metastable !== null ? `; metastable (${metastableText(run)})` : ''}.`,
        '',
        `- \`${failureFile(k + 1)}\``,
        `- \`${runCommand}\``,
        `- \`${gate}\``,
        '',
      );
    });
  }
  lines.push('', '## Metastable runs', '');
  const metastable = findings.runs.filter((r) => r.metastable !== null);
  if (metastable.length === 0) {
    lines.push(`None: after every run's last fault, load fell below capacity and sessions recovered within ${ctx.config.metastableWindow} s.`);
  } else {
    lines.push(
      'The trigger ended, yet for at least the window the load stayed above capacity or sessions stopped recovering.',
      '',
      markdownTable(
        ['run', 'values', 'trigger ended', 'stretch', 'why', 'retries × pre-fault', 'lookup timeouts/s', 'peak lookup queue', 'sessions'],
        metastable.map((r) => {
          const m = r.metastable!;
          return [String(r.id), describeValues(r, ranges), `${m.triggerEnd} s`, `${m.from}–${m.to} s`, m.reasons.join(' & '),
            m.retryAmplification === null ? '-' : `${m.retryAmplification.toFixed(1)}×`, m.timedOutPerSec.toFixed(0), String(m.peakLookupQueue),
            m.connectedShare === null ? '-' : `${(100 * m.connectedShare).toFixed(1)} %`];
        }),
      ),
    );
  }
  lines.push('', '## Runs', '', markdownTable(
    ['run', 'phase', 'seed', 'values', 'extra faults', 'verdict', 'all sessions back'],
    findings.runs.map((r) => [String(r.id), r.phase, String(r.seed), describeValues(r, ranges), String(r.extraFaults.length),
      !r.ok ? `error: ${r.error}` : r.failed.length > 0 ? `FAIL: ${r.failed.join('; ')}` : r.metastable !== null ? 'metastable' : 'pass',
      r.recoveryFull === null ? 'not reached' : `${r.recoveryFull.toFixed(0)} s`]),
  ), '');
  return lines.join('\n');
}

function boundaries(list: readonly Boundary[], ranges: Map<string, ExploreRange>): string {
  if (list.length === 0) return 'No numeric field is explored.';
  return markdownTable(
    ['field', 'boundary', 'bracket', 'below it', 'runs'],
    list.map((b) => {
      const range = ranges.get(b.path)!;
      const show = (v: number | null) => (v === null ? '-' : formatValue(range, v));
      return [`\`${b.path}\``, b.value === null ? b.note : show(b.value), b.value === null ? '-' : `${show(b.below)} – ${show(b.above)}`,
        b.failsBelow === null ? '-' : b.failsBelow ? 'FAIL' : 'pass', String(b.runs)];
    }),
  );
}

function describeValues(run: RunRecord, ranges: Map<string, ExploreRange>): string {
  const entries = Object.entries(run.values);
  if (entries.length === 0) return 'as written';
  return entries.map(([path, value]) => `${path}=${ranges.has(path) ? formatValue(ranges.get(path)!, value) : value}`).join(', ');
}

function metastableText(run: RunRecord): string {
  const m = run.metastable!;
  return `${m.reasons.join(' & ')} from ${m.from} s to ${m.to} s after the trigger ended at ${m.triggerEnd} s`;
}

// ---- The map -----------------------------------------------------------------------

/**
 * The pass/fail map over the two fields of `explore.map`: every run that set
 * both, coloured by when all sessions were back (failures marked), with the
 * boundaries found by bisection drawn as rules.
 */
export function mapSpec(findings: ExploreFindings, ctx: ExploreContext): Record<string, unknown> | null {
  if (ctx.config.map.length !== 2) return null;
  const [xPath, yPath] = ctx.config.map;
  const ranges = new Map(ctx.config.ranges.map((r) => [r.path, r]));
  const x = ranges.get(xPath) as ExploreRange & { kind: 'numeric' };
  const y = ranges.get(yPath) as ExploreRange & { kind: 'numeric' };
  const points = findings.runs
    .filter((r) => typeof r.values[xPath] === 'number' && typeof r.values[yPath] === 'number' && r.ok)
    .map((r) => ({
      x: r.values[xPath],
      y: r.values[yPath],
      verdict: r.failed.length > 0 ? 'fails the gate' : r.metastable !== null ? 'metastable' : 'passes',
      back: r.recoveryFull === null ? null : Math.round(r.recoveryFull),
      run: r.id,
    }));
  if (points.length === 0) return null;
  const axis = (range: ExploreRange & { kind: 'numeric' }, path: string) => ({
    title: `${path}${range.scale === 'duration' ? ' (s)' : range.scale === 'rate' ? ' (/s)' : ''}`,
    scale: { type: range.log ? 'log' : 'linear', domain: [range.min, range.max] },
  });
  const rules = findings.boundaries.filter((b) => b.value !== null && (b.path === xPath || b.path === yPath));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: `Pass/fail map: ${xPath} × ${yPath}`, subtitle: 'Colour: when all sessions were back (s); crosses fail the gate; rules: the boundaries found by bisection' },
    width: 640,
    height: 420,
    layer: [
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 70 },
        encoding: {
          x: { field: 'x', type: 'quantitative', ...axis(x, xPath) },
          y: { field: 'y', type: 'quantitative', ...axis(y, yPath) },
          color: { field: 'back', type: 'quantitative', title: 'all back (s)', scale: { scheme: 'viridis' } },
          shape: { field: 'verdict', type: 'nominal', title: 'verdict', scale: { domain: ['passes', 'fails the gate', 'metastable'], range: ['circle', 'cross', 'diamond'] } },
          tooltip: [{ field: 'run' }, { field: 'x', title: xPath }, { field: 'y', title: yPath }, { field: 'verdict' }, { field: 'back', title: 'all back (s)' }],
        },
      },
      ...rules.map((b) => ({
        data: { values: [{ v: b.value }] },
        mark: { type: 'rule', color: '#d1242f', strokeDash: [6, 4], strokeWidth: 2 },
        encoding: b.path === xPath ? { x: { field: 'v', type: 'quantitative' } } : { y: { field: 'v', type: 'quantitative' } },
      })),
    ],
  };
}
