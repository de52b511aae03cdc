// `compare`: which variant wins each metric, and is the win significant?
// The best variant is the one with the best mean; each other variant is
// compared with it by a paired t-test on the per-replication differences
// (replication i of every variant ran with the same seed: see stats.ts).
import { constantValue, type Aggregate, type MetricValues } from './aggregate.ts';
import { metricByVariantSpec } from './charts.ts';
import { overlayCharts } from './overlays.ts';
import { delta, failuresMarkdown, fileSafe, interval, jsonFile, markdownTable, meanPlusMinus, num, unitOf } from './format.ts';
import { assertionMetric } from '../../reports/lib/batch-verdict.ts';
import type { BatchPlan, Job } from './jobs.ts';
import type { OutputFile } from './outputs.ts';
import type { JobOutcome } from './protocol.ts';
import { pairedDifference, type PairedDifference } from './stats.ts';

export interface MetricComparison {
  /** Variant ids by mean, best first; only variants with a value in every completed run. */
  ranking: number[];
  best: number | null;
  /** Variants left out of the ranking: a run without a value (e.g. "not recovered") or no completed run. */
  notRanked: number[];
  /** Every ranked variant but the best, against the best: variant − best over the replications both completed. */
  vsBest: ({ variant: number } & PairedDifference)[];
  /** Best is significantly better than every other ranked variant; null when that cannot be tested. */
  significant: boolean | null;
  verdict: string;
}

/** Null for metrics nobody wins: neutral ones (setup figures) and constants. */
export function compareMetric(plan: BatchPlan, m: MetricValues): MetricComparison | null {
  if (m.direction === null || m.constant) return null;
  const ranked = plan.variants.filter((v) => m.stats[v.id].n > 0 && m.stats[v.id].missing === 0).map((v) => v.id);
  const sign = m.direction === 'lower' ? 1 : -1;
  // Stable sort: equal means keep variant order, so ties resolve the same way every time.
  ranked.sort((a, b) => sign * (m.stats[a].mean! - m.stats[b].mean!));
  const notRanked = plan.variants.map((v) => v.id).filter((id) => !ranked.includes(id));
  const best = ranked[0] ?? null;
  const vsBest = best === null ? [] : ranked.slice(1).map((id) => ({
    variant: id,
    ...pairedDifference(nullsForFailures(m.values[id]), nullsForFailures(m.values[best])),
  }));
  const tested = vsBest.every((d) => d.significant !== null);
  const significant = vsBest.length === 0 || !tested ? null : vsBest.every((d) => d.significant === true);
  return { ranking: ranked, best, notRanked, vsBest, significant, verdict: verdict(plan, best, vsBest, significant, notRanked) };
}

function nullsForFailures(row: readonly (number | null | undefined)[]): (number | null)[] {
  return row.map((v) => (v === undefined ? null : v));
}

function verdict(
  plan: BatchPlan,
  best: number | null,
  vsBest: MetricComparison['vsBest'],
  significant: boolean | null,
  notRanked: number[],
): string {
  const label = (id: number) => plan.variants[id].label;
  const left = notRanked.length === 0 ? '' : ` (not ranked, a run without a value: ${notRanked.map(label).join('; ')})`;
  if (best === null) return `no variant has a value in every run${left}`;
  if (vsBest.length === 0) return `only ${label(best)} can be ranked${left}`;
  if (significant === null) return `${label(best)} has the best mean; too few replications to test significance${left}`;
  if (significant) return `${label(best)} wins, significantly better than every other variant (paired t, 95 %)${left}`;
  const close = vsBest.filter((d) => d.significant !== true).map((d) => label(d.variant));
  return `${label(best)} has the best mean, but is not significantly better than ${close.join('; ')} (paired t, 95 %)${left}`;
}

/** `verdicts`: the Assertions section (gates.ts), '' when the scenario has none. */
export function compareOutputs(plan: BatchPlan, jobs: readonly Job[], agg: Aggregate, outcomes: readonly JobOutcome[], verdicts: string) {
  const comparisons = new Map(agg.metrics.map((m) => [m.metric, compareMetric(plan, m)]));
  const files: OutputFile[] = [{ path: 'compare.md', content: compareMarkdown(plan, agg, comparisons, verdicts) }];
  for (const m of agg.metrics) {
    if (comparisons.get(m.metric) === null) continue;
    const points = plan.variants.map((v) => ({ label: v.label, mean: m.stats[v.id].mean, ci95: m.stats[v.id].ci95, missing: m.stats[v.id].missing, n: m.stats[v.id].n }));
    files.push({ path: metricChartPath(m.metric), content: jsonFile(metricByVariantSpec(m.metric, m.direction, points)) });
  }
  files.push(...overlayCharts(plan, jobs, outcomes));
  return { files, comparisons };
}

/** The chart of one metric across the variants. */
export function metricChartPath(metric: string): string {
  return `charts/metric--${fileSafe(metric)}.vl.json`;
}

/**
 * The metrics the scenario's assertions name first (in assertion order), then
 * the rest in summary order: what the scenario is about comes before what it
 * is not (restart-herd asserts `server.crashes`, so its section leads).
 */
export function keyFirst(plan: BatchPlan, metrics: readonly MetricValues[]): MetricValues[] {
  const named = [...new Set(plan.variants.flatMap((v) => v.assertions.map((a) => assertionMetric(a.source))))];
  const rank = (m: MetricValues) => (named.includes(m.metric) ? named.indexOf(m.metric) : named.length);
  // Array.prototype.sort is stable: the others keep their order.
  return [...metrics].sort((a, b) => rank(a) - rank(b));
}

/** The runner-up's paired difference to the best, with unit and percent. */
function margin(m: MetricValues, c: MetricComparison): string {
  const next = c.vsBest[0];
  const bestMean = c.best === null ? null : m.stats[c.best].mean;
  if (next === undefined || next.meanDiff === null || bestMean === null) return '–';
  return delta(next.meanDiff, bestMean, unitOf(m.metric));
}

function compareMarkdown(plan: BatchPlan, agg: Aggregate, comparisons: Map<string, MetricComparison | null>, verdicts: string): string {
  const label = (id: number) => plan.variants[id].label;
  const parts: string[] = [
    `# Comparison: ${plan.scenario.name}\n`,
    `Scenario \`${plan.scenario.file}\`, root seed ${plan.rootSeed}, ${plan.replications} replication(s) per variant; ` +
      `replication i of every variant runs with the same seed (common random numbers). ` +
      `${agg.jobs.total} jobs, ${agg.jobs.failed} failed. ` +
      `Winners: best mean; significance by a paired t-test on the per-replication differences against the best, 95 %, ` +
      `without correction for multiple comparisons. ` +
      `Vs best: Δ = variant − best, the mean of the paired differences, in the metric's unit and in % of the best mean, ` +
      `with its 95 % interval; * significant. Intervals of means are Student-t intervals, cut at 0 for quantities that cannot be negative.\n`,
    `Variants: ${plan.variants.map((v) => `\`${v.label}\``).join(', ')}.\n`,
    `Charts (vega-lite): \`charts/connected.vl.json\`, \`charts/carrier-attempts.vl.json\` (variants overlaid), \`charts/accepts.vl.json\` (each server, a panel per variant), \`charts/metric--METRIC.vl.json\`.\n`,
    ...(verdicts === '' ? [] : [verdicts]),
    '## Winners\n',
    markdownTable(
      ['metric', 'better', 'best (by mean)', 'next best: Δ (%)', 'significant'],
      keyFirst(plan, agg.metrics).flatMap((m) => {
        const c = comparisons.get(m.metric);
        if (!c) return [];
        return [[m.metric, m.direction!, c.best === null ? '–' : label(c.best), margin(m, c), c.significant === null ? 'untested' : c.significant ? 'yes' : 'no']];
      }),
    ),
  ];
  for (const m of keyFirst(plan, agg.metrics)) {
    const c = comparisons.get(m.metric);
    if (!c) continue;
    const diff = new Map(c.vsBest.map((d) => [d.variant, d]));
    const unit = unitOf(m.metric);
    const bestMean = c.best === null ? null : m.stats[c.best].mean;
    const rows = [...c.ranking, ...c.notRanked].map((id) => {
      const s = m.stats[id];
      const d = diff.get(id);
      const vs = id === c.best ? 'best'
        : d === undefined || bestMean === null ? 'not ranked'
        : d.meanDiff === null ? '–'
        : `${delta(d.meanDiff, bestMean, unit)} ${interval(d.ci95)}${d.significant ? ' *' : ''}`;
      return [label(id), meanPlusMinus(s), interval(s.ci95), num(s.sd), String(s.n), String(s.missing), vs];
    });
    parts.push(
      `## ${m.metric} (${m.direction} is better)\n`,
      markdownTable(['variant', 'mean ± 95 %', '95 % CI', 'sd', 'n', 'no value', 'vs best: Δ (%) [95 % CI]'], rows),
      `\n${c.verdict}.\n`,
    );
  }
  const constant = agg.metrics.filter((m) => m.constant).map((m) => `${m.metric} = ${num(constantValue(m))}`);
  const neutral = agg.metrics.filter((m) => !m.constant && m.direction === null).map((m) => m.metric);
  if (neutral.length > 0) parts.push('## Not ranked (setup figures)\n', `${neutral.join(', ')} (see stats.csv).\n`);
  if (constant.length > 0) parts.push('## The same in every run\n', `${constant.join(', ')}.\n`);
  parts.push(failuresMarkdown(agg.failures));
  return parts.filter((p) => p !== '').join('\n');
}
