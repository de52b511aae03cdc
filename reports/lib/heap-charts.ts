// The heap charts of a run with leaks (series.heap, docs/model.md §6): what the
// detectors read and what GC costs, per server. The leaking servers are the
// story, so they are the coloured lines; the healthy ones are one faint band
// (their minimum to maximum) with their median, so that forty servers do not
// bury the one that leaks. What happened to each leaking server (alert,
// first 503, suspension, death, removal) is marked on every panel at the
// same times, labelled on the first.
import type { RunResult } from '../../sim/result.ts';
import type { ChartContext } from './context.ts';
import { bucketFactor, compact, MAX_POINTS } from './downsample.ts';
import { CONFIG, faultRects, faultLabels, limitRules, round3, SI_LABELS, topLabels, xTime, type ChartDef, type Layer, type TopLabel } from './charts.ts';
import { storyMarks, type StoryStep } from './gray.ts';
import { detectorName } from '../../sim/model/gray-failure.ts';
import type { Limit } from './scale.ts';

/** Leaking servers, one strong hue each (none of them the healthy grey). */
const LEAK_COLORS = ['#d62728', '#1f77b4', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const HEALTHY = '#7f7f7f';

/** One colour per kind of step, as the story section words them. */
const STEP_STYLE: Record<StoryStep['kind'], { color: string; label: string; dash: number[] }> = {
  leak: { color: '#7f7f7f', label: 'leak starts', dash: [2, 3] },
  alert: { color: '#b07800', label: 'alert', dash: [6, 3] },
  failure: { color: '#f58518', label: 'first 503', dash: [6, 3] },
  suspended: { color: '#6a1b9a', label: 'first suspension', dash: [6, 3] },
  removed: { color: '#2e7d32', label: 'removed', dash: [] },
  died: { color: '#b3261e', label: 'died out of memory', dash: [] },
};

interface Panel {
  id: string;
  title: string;
  caption: string;
  yTitle: string;
  /** The per-server series. */
  values: Record<string, readonly (number | null)[]>;
  /** A bucket of several samples keeps their mean, or their maximum (counts of failures, which must not be averaged away). */
  stat: 'mean' | 'max';
  limits: Limit[];
  height: number;
  /** Whether the story's labels go above this panel (the first). */
  labelled: boolean;
  yMax?: number;
}

/** Bucket statistic over non-null values; null when a bucket has none (no data: a gap, not a zero). */
function bucketOf(values: readonly (number | null)[], start: number, end: number, stat: 'mean' | 'max' | 'min'): number | null {
  let n = 0;
  let acc = stat === 'mean' ? 0 : stat === 'max' ? -Infinity : Infinity;
  for (let i = start; i < end; i++) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    n++;
    if (stat === 'mean') acc += v;
    else if (stat === 'max') acc = Math.max(acc, v);
    else acc = Math.min(acc, v);
  }
  if (n === 0) return null;
  return stat === 'mean' ? acc / n : acc;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function panelChart(result: RunResult, ctx: ChartContext, p: Panel, leaking: readonly string[]): ChartDef {
  const time = result.series.time;
  const factor = bucketFactor(time.length, MAX_POINTS);
  const healthy = Object.keys(p.values).filter((name) => !leaking.includes(name));
  const shown = (x: number | null) => (x === null ? null : compact(x));
  // The healthy band: at each bucket, the healthy servers' values (each server's own bucket statistic), min to max, and their median.
  const band: { t: number; lo: number | null; hi: number | null; med: number | null }[] = [];
  const lines: { s: string; t: number; v: number | null }[] = [];
  for (let start = 0; start < time.length; start += factor) {
    const end = Math.min(start + factor, time.length);
    let sumT = 0;
    for (let i = start; i < end; i++) sumT += time[i];
    const t = round3(sumT / (end - start) / ctx.time.seconds);
    const values = healthy.map((name) => bucketOf(p.values[name], start, end, p.stat)).filter((v): v is number => v !== null);
    band.push({ t, lo: values.length === 0 ? null : shown(Math.min(...values)), hi: values.length === 0 ? null : shown(Math.max(...values)), med: shown(median(values)) });
    for (const name of leaking) lines.push({ s: name, t, v: shown(bucketOf(p.values[name] ?? [], start, end, p.stat)) });
  }
  const healthyName = `${healthy.length} healthy (median, band min–max)`;
  const names = [...leaking.map((name) => `${name} (leaking)`), healthyName];
  const color = {
    field: 's',
    type: 'nominal' as const,
    scale: { domain: names, range: [...leaking.map((_, i) => LEAK_COLORS[i % LEAK_COLORS.length]), HEALTHY] },
    sort: names,
    title: null,
  };
  const y = {
    type: 'quantitative' as const,
    title: p.yTitle,
    scale: p.yMax === undefined ? { zero: true } : { domain: [0, p.yMax], nice: false },
    axis: { labelExpr: SI_LABELS, grid: true, tickCount: 5, ...(p.stat === 'max' ? { tickMinStep: 1 } : {}) },
  };
  const marks = storyMarks(result).map((m) => ({ x: round3(m.at / ctx.time.seconds), kind: m.kind, what: `${m.server}: ${m.text}`, color: STEP_STYLE[m.kind].color }));
  const layers: Layer[] = [
    ...faultRects(ctx),
    {
      data: { values: band.map((b) => ({ ...b, s: healthyName })) },
      mark: { type: 'area', opacity: 0.18, color: HEALTHY },
      encoding: { x: xTime(ctx), y: { ...y, field: 'lo' }, y2: { field: 'hi' } },
    },
    {
      data: { values: band.map((b) => ({ t: b.t, v: b.med, s: healthyName })) },
      mark: { type: 'line', strokeWidth: 1, opacity: 0.9 },
      encoding: { x: xTime(ctx), y: { ...y, field: 'v' }, color },
    },
    {
      data: { values: lines.map((l) => ({ ...l, s: `${l.s} (leaking)` })) },
      mark: { type: 'line', strokeWidth: 2.2 },
      encoding: {
        x: xTime(ctx),
        y: { ...y, field: 'v' },
        color,
        tooltip: [
          { field: 's', type: 'nominal', title: 'server' },
          { field: 't', type: 'quantitative', title: `time (${ctx.time.unit})`, format: ',.2f' },
          { field: 'v', type: 'quantitative', title: p.yTitle, format: ',.4~r' },
        ],
      },
    },
    ...limitRules(p.limits),
  ];
  if (marks.length > 0) {
    layers.push({
      data: { values: marks },
      mark: { type: 'rule', strokeWidth: 1.6, strokeDash: [6, 3] },
      encoding: {
        x: { field: 'x', type: 'quantitative' },
        color: { field: 'color', type: 'nominal', scale: null },
        tooltip: [{ field: 'what', type: 'nominal', title: 'what happened' }],
      },
    });
  }
  const labels: TopLabel[] = [...faultLabels(ctx)];
  if (p.labelled) {
    // The turning points only, one row each: the first alert, the first 503, the first suspension and the end (death or removal).
    for (const server of leaking) {
      const mine = storyMarks(result).filter((m) => m.server === server);
      // With several leaking servers, only how each ended: a row per label, and more rows would dwarf the plot (the rules and their tooltips say the rest).
      const kinds = leaking.length === 1 ? (['alert', 'failure', 'suspended', 'removed', 'died'] as const) : (['removed', 'died'] as const);
      for (const kind of kinds) {
        const first = mine.find((m) => m.kind === kind);
        if (first !== undefined) labels.push({ x: round3(first.at / ctx.time.seconds), text: `${leaking.length > 1 ? `${server} ` : ''}${STEP_STYLE[kind].label}`, color: STEP_STYLE[kind].color });
      }
    }
  }
  layers.push(...topLabels(labels, ctx));
  return {
    id: p.id,
    title: p.title,
    caption: p.caption,
    wide: true,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: { text: p.title, subtitle: [`${leaking.join(', ')} leaking; ${healthy.length} healthy server${healthy.length === 1 ? '' : 's'} as a band (min–max) and their median`] },
      width: 'container',
      height: p.height,
      autosize: { type: 'fit-x', contains: 'padding' },
      // Two columns from four entries: a static export is 1,000 px wide, and a legend must never be cut off.
      config: names.length > 3 ? { ...CONFIG, legend: { ...CONFIG.legend, columns: 2 } } : CONFIG,
      layer: layers,
    },
  };
}

/** The heap charts, first the one the detectors read; none without leaks. */
export function heapCharts(result: RunResult, ctx: ChartContext): ChartDef[] {
  const heap = result.series.heap;
  const reports = result.summary.grayFailures ?? [];
  if (heap === undefined || reports.length === 0) return [];
  const leaking = reports.map((g) => g.server);
  const detectors = ctx.scenario.grayDetection.detectors;
  const thresholds: Limit[] = detectors.flatMap((d) => (d.kind === 'threshold' ? [{ value: d.percent, what: detectorName(d), label: `detector: ${detectorName(d)}` }] : []));
  const cpuLevels: Limit[] = detectors.flatMap((d) => (d.kind === 'cpu' ? [{ value: d.percent, what: detectorName(d), label: `detector: ${detectorName(d)}` }] : []));
  const who = leaking.length === 1 ? `${leaking[0]} leaks` : `${leaking.length} servers leak`;
  const panels: Panel[] = [
    {
      id: 'heap-old-gen',
      title: 'Old generation after full GC',
      caption: `The share of the heap still live after each full GC, as the logged GC lines give it: what the threshold and trend detectors read. ${who}; the healthy servers' readings are noisy around their normal level. Dashed rules: each leaking server's alerts, first 503, suspension and death; grey dashed: the threshold detectors' levels. A gap means no full GC in that sample (no data).`,
      yTitle: 'live after full GC (%)',
      values: heap.postGcOldGenPercent,
      stat: 'mean',
      limits: thresholds,
      height: 220,
      labelled: true,
      yMax: 100,
    },
    {
      id: 'heap-full-gcs',
      title: 'Full GCs per minute',
      caption: 'Full GCs come faster as the old generation fills (less free space to fill) and last longer (more to trace): the cost that fails health checks and connects.',
      yTitle: 'full GCs per minute',
      values: heap.fullGcPerMin,
      stat: 'mean',
      limits: [],
      height: 150,
      labelled: false,
    },
    {
      id: 'heap-cpu',
      title: 'CPU',
      caption: 'CPU of each server: its share of the load plus the time in GC. What the CPU detectors (grey dashed rules) read; it rises only near the end.',
      yTitle: 'CPU (%)',
      values: heap.cpuPercent,
      stat: 'mean',
      limits: cpuLevels,
      height: 150,
      labelled: false,
      yMax: 100,
    },
    {
      id: 'heap-health-checks',
      title: 'Health checks failed in GC pauses',
      caption: 'L7 health checks that landed in a GC pause and failed, per sample (the most in any sample where several share a point): enough in a row suspend the server, a pass resumes it (flapping).',
      yTitle: 'failed checks per sample',
      values: heap.healthCheckFailures,
      stat: 'max',
      limits: [],
      height: 130,
      labelled: false,
    },
  ];
  return panels.map((p) => panelChart(result, ctx, p, leaking));
}
