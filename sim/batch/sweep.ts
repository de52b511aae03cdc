// `sweep`: the grid of parameter values as a table (one row per grid point,
// the mean of every metric) and a chart of each metric against each swept
// parameter, one line per combination of the other parameters.
import { constantValue, type Aggregate, type MetricValues } from './aggregate.ts';
import { metricByParameterSpec } from './charts.ts';
import { csv, failuresMarkdown, fileSafe, interval, jsonFile, markdownTable, meanPlusMinus, num } from './format.ts';
import type { BatchPlan, Job, Parameter, Variant } from './jobs.ts';
import { overlayCharts } from './overlays.ts';
import type { JobOutcome } from './protocol.ts';
import type { OutputFile } from './outputs.ts';

/** `verdicts`: the Assertions section (gates.ts), '' when the scenario has none. */
export function sweepOutputs(plan: BatchPlan, jobs: readonly Job[], agg: Aggregate, outcomes: readonly JobOutcome[], verdicts: string): OutputFile[] {
  const files: OutputFile[] = [
    { path: 'sweep.csv', content: sweepCsv(plan, agg) },
    { path: 'sweep.md', content: sweepMarkdown(plan, agg, verdicts) },
    // Connected sessions of every grid point overlaid: how the swept value changes the incident's shape.
    ...overlayCharts(plan, jobs, outcomes),
  ];
  for (const m of agg.metrics.filter(charted)) {
    for (const parameter of plan.parameters) {
      files.push({
        path: parameterChartPath(m.metric, parameter.name),
        content: jsonFile(metricByParameterSpec(m.metric, parameter.name, parameter.values, m.direction, pointsFor(plan, m, parameter))),
      });
    }
  }
  return files;
}

/** The chart of one metric against one swept parameter. */
export function parameterChartPath(metric: string, parameter: string): string {
  return `charts/${fileSafe(metric)}--by--${fileSafe(parameter)}.vl.json`;
}

/** A metric worth a chart: it moves, and some run has a value. */
function charted(m: MetricValues): boolean {
  return !m.constant && m.stats.some((s) => s.mean !== null);
}

function pointsFor(plan: BatchPlan, m: MetricValues, parameter: Parameter) {
  return plan.variants.map((v) => ({
    x: v.params[parameter.name],
    group: otherParams(plan, v, parameter),
    label: v.label,
    mean: m.stats[v.id].mean,
    ci95: m.stats[v.id].ci95,
    missing: m.stats[v.id].missing,
    n: m.stats[v.id].n,
  }));
}

function otherParams(plan: BatchPlan, v: Variant, except: Parameter): string {
  return plan.parameters.filter((p) => p !== except).map((p) => `${p.name}=${v.params[p.name]}`).join(', ');
}

/** One row per grid point: its parameter values, completed runs, then the mean of every metric. */
function sweepCsv(plan: BatchPlan, agg: Aggregate): string {
  const header = [...plan.parameters.map((p) => p.name), 'runs', ...agg.metrics.map((m) => m.metric)];
  const rows = plan.variants.map((v) => [
    ...plan.parameters.map((p) => v.params[p.name]),
    agg.completedRuns[v.id],
    ...agg.metrics.map((m) => m.stats[v.id].mean),
  ]);
  return csv(header, rows);
}

function sweepMarkdown(plan: BatchPlan, agg: Aggregate, verdicts: string): string {
  const parts = [
    `# Sweep: ${plan.scenario.name}\n`,
    `Scenario \`${plan.scenario.file}\`, root seed ${plan.rootSeed}, ${plan.replications} replication(s) per grid point ` +
      `(the same seeds at every point). ${agg.jobs.total} jobs, ${agg.jobs.failed} failed. ` +
      `Swept: ${plan.parameters.map((p) => `\`${p.path}\` = ${p.values.join(', ')}`).join('; ')}.\n`,
    `Full grid with every metric's mean: \`sweep.csv\`; intervals: \`stats.csv\`; charts: \`charts/connected.vl.json\` (grid points overlaid), \`charts/METRIC--by--PARAMETER.vl.json\`.\n`,
    verdicts,
  ];
  for (const m of agg.metrics.filter(charted)) {
    const rows = plan.variants.map((v) => {
      const s = m.stats[v.id];
      return [...plan.parameters.map((p) => v.params[p.name]), meanPlusMinus(s), interval(s.ci95), String(s.n), String(s.missing)];
    });
    const better = m.direction === null ? '' : ` (${m.direction} is better)`;
    parts.push(`## ${m.metric}${better}\n`, markdownTable([...plan.parameters.map((p) => p.name), 'mean ± 95 %', '95 % CI', 'n', 'no value'], rows));
  }
  const constant = agg.metrics.filter((m) => m.constant).map((m) => `${m.metric} = ${num(constantValue(m))}`);
  if (constant.length > 0) parts.push('## The same at every grid point\n', `${constant.join(', ')}.\n`);
  parts.push(failuresMarkdown(agg.failures));
  return parts.filter((p) => p !== '').join('\n');
}
