// Every output file of a batch, as a pure function of the plan and the
// outcomes in job order. An unsharded run and `merge` both call this, which
// is what makes their files byte-identical. Nothing here reads a clock.
import { aggregate, flattenSummary, type Aggregate, type Direction, type Failure } from './aggregate.ts';
import { compareOutputs, metricChartPath, type MetricComparison } from './compare.ts';
import { csv, jsonFile } from './format.ts';
import { jobsOf, type BatchPlan, type Job } from './jobs.ts';
import type { JobOutcome } from './protocol.ts';
import { replicationsOutputs } from './replications.ts';
import type { SampleStats } from './stats.ts';
import { parameterChartPath, sweepOutputs } from './sweep.ts';
import { batchPage } from '../../reports/lib/batch-page.ts';
import { batchVerdicts, variantsPassing, verdictsMarkdown, type BatchVerdict } from './gates.ts';

/** A file to write, by its path relative to the output directory. */
export interface OutputFile {
  path: string;
  content: string;
}

/** `<kind>.json`, and what `--json` prints. */
export interface BatchDocument {
  stampede: { version: string; format: 1 };
  kind: BatchPlan['kind'];
  plan: BatchPlan;
  jobs: Aggregate['jobs'];
  failures: Failure[];
  /** The scenario's assertions judged per variant over its runs (empty when it has none). */
  assertions: BatchVerdict[];
  metrics: {
    metric: string;
    direction: Direction;
    constant: boolean;
    /** Per variant, in variant order. */
    variants: ({ variant: number } & SampleStats)[];
    /** Compare only; null for metrics nobody wins (setup figures, constants). */
    comparison?: MetricComparison | null;
  }[];
}

export interface BatchOutputs {
  document: BatchDocument;
  aggregate: Aggregate;
  files: OutputFile[];
}

export function batchOutputs(plan: BatchPlan, outcomes: readonly JobOutcome[]): BatchOutputs {
  const jobs = jobsOf(plan);
  if (outcomes.length !== jobs.length) throw new Error(`expected ${jobs.length} outcomes, got ${outcomes.length}`);
  const agg = aggregate(plan, jobs, outcomes);
  const verdicts = batchVerdicts(plan, jobs, outcomes);
  const verdictsSection = verdictsMarkdown(plan, verdicts);
  let comparisons: Map<string, MetricComparison | null> | null = null;
  const files: OutputFile[] = [];
  if (plan.kind === 'compare') {
    const compared = compareOutputs(plan, jobs, agg, outcomes, verdictsSection);
    comparisons = compared.comparisons;
    files.push(...compared.files);
  } else if (plan.kind === 'sweep') {
    files.push(...sweepOutputs(plan, jobs, agg, outcomes, verdictsSection));
  } else {
    files.push(...replicationsOutputs(plan, agg, verdictsSection));
  }
  const document: BatchDocument = {
    stampede: { version: plan.stampedeVersion, format: 1 },
    kind: plan.kind,
    plan,
    jobs: agg.jobs,
    failures: agg.failures,
    assertions: verdicts,
    metrics: agg.metrics.map((m) => ({
      metric: m.metric,
      direction: m.direction,
      constant: m.constant,
      variants: m.stats.map((s, variant) => ({ variant, ...s })),
      ...(comparisons === null ? {} : { comparison: comparisons.get(m.metric) ?? null }),
    })),
  };
  files.push({ path: 'index.html', content: pageOf(plan, agg, verdicts, files) });
  files.unshift(
    { path: `${plan.kind}.json`, content: jsonFile(document) },
    { path: 'runs.csv', content: runsCsv(plan, jobs, outcomes, agg) },
    { path: 'stats.csv', content: statsCsv(plan, agg) },
  );
  return { document, aggregate: agg, files };
}

/** One row per job: its variant, replication, seed, status, then every metric's value. */
function runsCsv(plan: BatchPlan, jobs: readonly Job[], outcomes: readonly JobOutcome[], agg: Aggregate): string {
  const names = agg.metrics.map((m) => m.metric);
  const header = ['job', 'variant', ...plan.parameters.map((p) => p.name), 'replication', 'seed', 'status', 'error', ...names];
  const rows = jobs.map((job, i) => {
    const outcome = outcomes[i];
    const variant = plan.variants[job.variant];
    const values = outcome.ok ? new Map(flattenSummary(outcome.result.summary)) : new Map<string, number | null>();
    return [
      job.id,
      variant.label,
      ...plan.parameters.map((p) => variant.params[p.name]),
      job.replication,
      job.seed,
      outcome.ok ? 'ok' : 'failed',
      outcome.ok ? '' : `${outcome.error.name}: ${outcome.error.message}`,
      ...names.map((name) => values.get(name)),
    ];
  });
  return csv(header, rows);
}

/** Tidy statistics: one row per variant and metric. */
function statsCsv(plan: BatchPlan, agg: Aggregate): string {
  const header = ['variant', ...plan.parameters.map((p) => p.name), 'metric', 'direction', 'n', 'missing', 'mean', 'sd', 'ci95_low', 'ci95_high'];
  const rows = agg.metrics.flatMap((m) =>
    plan.variants.map((v) => {
      const s = m.stats[v.id];
      return [v.label, ...plan.parameters.map((p) => v.params[p.name]), m.metric, m.direction ?? '', s.n, s.missing, s.mean, s.sd, s.ci95?.[0], s.ci95?.[1]];
    }),
  );
  return csv(header, rows);
}

/** index.html: the tables of the batch's Markdown summary, each metric's charts beside its table. */
function pageOf(plan: BatchPlan, agg: Aggregate, verdicts: readonly BatchVerdict[], files: readonly OutputFile[]): string {
  const markdown = files.find((f) => f.path === `${plan.kind}.md`);
  if (markdown === undefined) throw new Error(`no ${plan.kind}.md among the outputs`);
  const metricOf = new Map<string, string>();
  for (const { metric } of agg.metrics) {
    metricOf.set(metricChartPath(metric), metric);
    for (const parameter of plan.parameters) metricOf.set(parameterChartPath(metric, parameter.name), metric);
  }
  const charts = files
    .filter((f) => f.path.startsWith('charts/') && f.path.endsWith('.vl.json'))
    .map((f) => ({
      id: f.path.slice('charts/'.length, -'.vl.json'.length),
      metric: metricOf.get(f.path) ?? null,
      spec: JSON.parse(f.content) as Record<string, unknown>,
    }));
  return batchPage({
    markdown: markdown.content,
    charts,
    stampedeVersion: plan.stampedeVersion,
    jobs: { total: agg.jobs.total, failed: agg.jobs.failed },
    gate: gateBadge(plan, verdicts),
  });
}

/**
 * The header's word on the assertions. A failed assertion is red wherever it
 * is, replications or compare and sweep: a variant that fails is the finding
 * a compare or sweep is run for, but a page that shows it in amber reads as
 * "almost fine" to whoever deploys that variant. Amber is for assertions that
 * could not be judged (a failed run, a bound with one replication).
 */
export function gateBadge(plan: BatchPlan, verdicts: readonly BatchVerdict[]): { text: string; level: 'ok' | 'warn' | 'fail' } | null {
  if (verdicts.length === 0) return null;
  if (plan.kind === 'replications') {
    const failed = verdicts.filter((v) => v.passed === false).length;
    const undecided = verdicts.filter((v) => v.passed === null).length;
    if (failed > 0) return { text: `${failed} of ${verdicts.length} assertions failed`, level: 'fail' };
    if (undecided > 0) return { text: `${undecided} of ${verdicts.length} assertions not judged`, level: 'warn' };
    return { text: 'every assertion passed', level: 'ok' };
  }
  const passing = variantsPassing(plan, verdicts).length;
  const level = verdicts.some((v) => v.passed === false) ? 'fail' : passing === plan.variants.length ? 'ok' : 'warn';
  return { text: `${passing} of ${plan.variants.length} variants pass every assertion`, level };
}
