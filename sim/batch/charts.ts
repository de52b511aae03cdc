// Vega-lite specs for batch outputs: pure functions from typed results to a
// spec with its data inline, so a spec file renders on its own (vega-embed,
// the vega-lite CLI) and tests check the JSON, not pixels.
import type { Direction } from './aggregate.ts';
import { unitOf } from './format.ts';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
/** Longer series are averaged in equal bins: a spec stays small enough to open in a browser. */
const MAX_POINTS = 2000;

export type VegaLiteSpec = Record<string, unknown>;

/** Fonts an SRE reads without leaning in: the run report's sizes (reports/lib/charts.ts CONFIG), not vega's 10 px. */
export const BATCH_CONFIG = {
  font: "system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', 'Liberation Sans', Arial, sans-serif",
  title: { anchor: 'start', fontSize: 15, fontWeight: 'bold', subtitleFontSize: 12.5, subtitleColor: '#555555', subtitlePadding: 4, offset: 8 },
  axis: { labelFontSize: 12, titleFontSize: 13, titleFontWeight: 'normal', titleColor: '#333333', labelColor: '#333333', gridColor: '#ececec' },
  legend: { labelFontSize: 12.5, titleFontSize: 12.5, labelLimit: 500, symbolStrokeWidth: 2.5, symbolSize: 300 },
  header: { labelFontSize: 13, titleFontSize: 13 },
  view: { stroke: null },
} as const;

/**
 * Dash patterns, one per line: two variants with the same series (the same
 * choice made twice, or a change that does not matter here) still show as a
 * solid and a dashed line over each other, never as one line.
 */
const DASHES = [[1, 0], [8, 4], [2, 3], [12, 3, 2, 3], [4, 4], [1, 5], [16, 4], [8, 3, 2, 3, 2, 3]];

export interface OverlayLine {
  label: string;
  values: readonly number[];
}

/** A fault window [start, end) in seconds, with its label. */
export interface FaultMark {
  start: number;
  end: number;
  label: string;
}

/** A server that died at `time` in `runs` of the variant's replications. */
export interface CrashMark {
  time: number;
  server: string;
  variant: string;
  runs: number;
}

interface OverlayInput {
  title: string;
  /** What a line is: `variant` (compare) or `grid point` (sweep). */
  what: string;
  yTitle: string;
  time: readonly number[];
  lines: readonly OverlayLine[];
  faults: readonly FaultMark[];
  crashes: readonly CrashMark[];
  replications: number;
}

/** Seconds per axis unit and its name, as the run report's axes (min for runs over 3 min, h from 6 h, d from 3 d). */
function timeUnit(time: readonly number[]): { seconds: number; unit: string } {
  const duration = time.length === 0 ? 0 : time[time.length - 1];
  if (duration >= 3 * 86_400) return { seconds: 86_400, unit: 'd' };
  if (duration >= 6 * 3600) return { seconds: 3600, unit: 'h' };
  if (duration > 180) return { seconds: 60, unit: 'min' };
  return { seconds: 1, unit: 's' };
}

const OVERLAY_HEIGHT = 320;

const round = (x: number) => Number(x.toPrecision(6));

/** Lines that are exactly the same series, named so the reader knows why one seems missing: `a = b`. */
function identicalGroups(lines: readonly OverlayLine[]): string[] {
  const groups = new Map<string, string[]>();
  for (const line of lines) {
    const key = line.values.join(',');
    groups.set(key, [...(groups.get(key) ?? []), line.label]);
  }
  return [...groups.values()].filter((g) => g.length > 1).map((g) => g.join(' = '));
}

/** Series longer than MAX_POINTS averaged in equal bins, as {t, variant, value} rows. */
function binnedRows(time: readonly number[], lines: readonly OverlayLine[], unitSeconds: number) {
  const bin = Math.max(1, Math.ceil(time.length / MAX_POINTS));
  const rows: { t: number; variant: string; value: number }[] = [];
  for (const line of lines) {
    const length = Math.min(time.length, line.values.length);
    for (let start = 0; start < length; start += bin) {
      const stop = Math.min(length, start + bin);
      let sum = 0;
      for (let i = start; i < stop; i++) sum += line.values[i];
      rows.push({ t: round(time[start] / unitSeconds), variant: line.label, value: round(sum / (stop - start)) });
    }
  }
  return rows;
}

/**
 * The fault windows shaded grey with their label at the top, in axis units.
 * Windows that overlap in time put their labels on rows one under the
 * other (the first free row, in start order): on one row, a crash inside an
 * outage would write its label over the outage's.
 */
export function faultLayers(faults: readonly FaultMark[], unitSeconds: number): Record<string, unknown>[] {
  if (faults.length === 0) return [];
  const rowEnds: number[] = [];
  const values = [...faults]
    .sort((a, b) => a.start - b.start)
    .map((f) => {
      let row = rowEnds.findIndex((end) => end <= f.start);
      if (row === -1) row = rowEnds.length;
      rowEnds[row] = f.end;
      return { start: round(f.start / unitSeconds), end: round(f.end / unitSeconds), label: f.label, row };
    });
  const rows = Math.max(...values.map((v) => v.row)) + 1;
  return [
    {
      data: { values },
      mark: { type: 'rect', color: '#9aa0a6', opacity: 0.16 },
      encoding: { x: { field: 'start', type: 'quantitative' }, x2: { field: 'end' }, tooltip: [{ field: 'label', type: 'nominal', title: 'fault' }] },
    },
    // The label twice: a white outline under the text, so a line passing behind it does not make it unreadable.
    ...Array.from({ length: rows }, (_, row) => [{ stroke: '#ffffff', strokeWidth: 4 }, {}].map((halo) => ({
      data: { values: values.filter((v) => v.row === row) },
      mark: { type: 'text', align: 'left', baseline: 'top', dx: 4, dy: 4 + 16 * row, fontSize: 12, color: '#4a4f57', limit: 360, ...halo },
      encoding: { x: { field: 'start', type: 'quantitative' }, y: { value: 0 }, text: { field: 'label', type: 'nominal' } },
    }))).flat(),
  ];
}

/**
 * Lines of one per-second series per variant (or grid point), overlaid: each
 * line its colour and its dash, the faults shaded, and each server death
 * marked by a ▲ in its variant's colour, one row of marks per variant above
 * the bottom edge (fault labels take the top) so that marks of different
 * variants at the same second do not hide each other either.
 */
export function overlaySpec(input: OverlayInput): VegaLiteSpec {
  const { seconds, unit } = timeUnit(input.time);
  const labels = input.lines.map((l) => l.label);
  const color = { field: 'variant', type: 'nominal', sort: labels, title: input.what, legend: { orient: 'bottom', direction: 'horizontal', columns: Math.min(3, labels.length) } };
  const strokeDash = { field: 'variant', type: 'nominal', sort: labels, title: input.what, scale: { domain: labels, range: labels.map((_, i) => DASHES[i % DASHES.length]) } };
  const x = { field: 't', type: 'quantitative', title: `time since the run's start (${unit})` };
  const identical = identicalGroups(input.lines);
  const subtitle = [
    `mean over ${input.replications} replication(s) per ${input.what}; faults shaded${input.crashes.length > 0 ? '; ▲ at the bottom: a server died (tooltip: which, in how many replications)' : ''}`,
    ...(identical.length === 0 ? [] : [`identical lines, drawn dashed over each other: ${identical.join('; ')}`]),
  ];
  const layers: Record<string, unknown>[] = [
    ...faultLayers(input.faults, seconds),
    {
      data: { values: binnedRows(input.time, input.lines, seconds) },
      mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
      // Not from zero: the dips and surges are the point, not the distance to the axis.
      encoding: { x, y: { field: 'value', type: 'quantitative', title: input.yTitle, scale: { zero: false } }, color, strokeDash },
    },
  ];
  if (input.crashes.length > 0) {
    const row = new Map(labels.map((label, i) => [label, i]));
    const values = input.crashes.map((c) => ({
      t: round(c.time / seconds),
      variant: c.variant,
      py: OVERLAY_HEIGHT - 6 - 9 * (row.get(c.variant) ?? 0),
      what: `${c.server} died at ${round(c.time)} s (${c.variant}, ${c.runs} of ${input.replications} replication(s))`,
    }));
    layers.push({
      data: { values },
      mark: { type: 'point', shape: 'triangle-up', filled: true, size: 70, opacity: 1 },
      encoding: { x, y: { field: 'py', type: 'quantitative', scale: null }, color, tooltip: [{ field: 'what', type: 'nominal', title: 'server died' }] },
    });
  }
  return {
    $schema: SCHEMA,
    title: { text: input.title, subtitle },
    width: 900,
    height: OVERLAY_HEIGHT,
    config: BATCH_CONFIG,
    layer: layers,
  };
}

interface AcceptsInput {
  time: readonly number[];
  /** One panel per variant: the mean accepts of each shown server, and its own fault windows (a sweep may move them). */
  panels: readonly { label: string; servers: readonly { server: string; values: readonly number[] }[]; faults: readonly FaultMark[] }[];
  /** Samples per value (the job took the busiest sample of each bin). */
  bin: number;
  /** server.maxAcceptsPerSec, null when unlimited. */
  limit: number | null;
  shownOf: number;
  /** 'variant' (compare) or 'grid point' (sweep): what a panel is. */
  what: string;
  /** How many variants or grid points there are: more than the panels when only the busiest are drawn. */
  panelsOf: number;
  crashes: readonly CrashMark[];
  replications: number;
}

/**
 * Each server's accepts per second, one small panel per variant on a shared
 * scale (the variants side by side, not on top of each other: ten servers
 * times four variants in one plot would be forty tangled lines), with the
 * accept limit, the faults and the deaths of servers.
 */
export function acceptsSpec(input: AcceptsInput): VegaLiteSpec {
  const { seconds, unit } = timeUnit(input.time);
  const labels = input.panels.map((p) => p.label);
  const rows: Record<string, unknown>[] = [];
  for (const panel of input.panels) {
    for (const { server, values } of panel.servers) {
      values.forEach((value, k) => {
        const i = k * input.bin;
        if (i < input.time.length) rows.push({ layer: 'line', variant: panel.label, server, t: round(input.time[i] / seconds), value: round(value) });
      });
    }
    for (const f of panel.faults) rows.push({ layer: 'fault', variant: panel.label, start: round(f.start / seconds), end: round(f.end / seconds), label: f.label });
    if (input.limit !== null) rows.push({ layer: 'limit', variant: panel.label, limit: input.limit, label: `maxAcceptsPerSec ${input.limit}/s` });
  }
  for (const c of input.crashes) {
    rows.push({ layer: 'crash', variant: c.variant, t: round(c.time / seconds), what: `${c.server} died at ${round(c.time)} s (${c.runs} of ${input.replications} replication(s))` });
  }
  const only = (layer: string) => [{ filter: `datum.layer === '${layer}'` }];
  const x = { field: 't', type: 'quantitative', title: `time since the run's start (${unit})` };
  const servers = input.panels[0]?.servers.map((s) => s.server) ?? [];
  const layers: Record<string, unknown>[] = [
    { transform: only('fault'), mark: { type: 'rect', color: '#9aa0a6', opacity: 0.16 }, encoding: { x: { field: 'start', type: 'quantitative' }, x2: { field: 'end' }, tooltip: [{ field: 'label', type: 'nominal', title: 'fault' }] } },
    {
      transform: only('line'),
      mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.6 },
      encoding: {
        x,
        y: { field: 'value', type: 'quantitative', title: 'accepts/s' },
        color: { field: 'server', type: 'nominal', sort: servers, title: 'server', scale: { scheme: 'category10' }, legend: { orient: 'bottom', direction: 'horizontal', columns: 10 } },
      },
    },
  ];
  if (input.limit !== null) {
    layers.push({
      transform: only('limit'),
      mark: { type: 'rule', color: '#6a1b9a', strokeDash: [8, 3, 2, 3], strokeWidth: 1.6 },
      encoding: { y: { field: 'limit', type: 'quantitative' }, tooltip: [{ field: 'label', type: 'nominal', title: 'limit' }] },
    });
  }
  if (input.crashes.length > 0) {
    layers.push({
      transform: only('crash'),
      mark: { type: 'point', shape: 'triangle-down', filled: true, size: 70, color: '#b3261e', opacity: 1 },
      encoding: { x, y: { value: 6 }, tooltip: [{ field: 'what', type: 'nominal', title: 'server died' }] },
    });
  }
  const binned = input.bin > 1 ? `; each point the busiest of ${input.bin} samples` : '';
  const which = input.shownOf > servers.length ? `the ${servers.length} busiest of ${input.shownOf} servers` : 'every server';
  const panels = input.panelsOf > input.panels.length ? `; the ${input.panels.length} ${input.what}s of highest peak of ${input.panelsOf}` : '';
  return {
    $schema: SCHEMA,
    title: {
      text: `Accepts per second of each server, by ${input.what}`,
      subtitle: [
        `${which}, mean over ${input.replications} replication(s)${binned}${panels}; faults shaded`,
        `${input.limit === null ? 'no accept limit (unlimited)' : `purple: maxAcceptsPerSec ${input.limit}/s`}${input.crashes.length > 0 ? '; red ▼: a server died (tooltip: which, in how many replications)' : ''}`,
      ],
    },
    config: BATCH_CONFIG,
    data: { values: rows },
    facet: { row: { field: 'variant', type: 'nominal', sort: labels, title: null, header: { labelOrient: 'top', labelAnchor: 'start', labelFontWeight: 'bold', labelLimit: 800 } } },
    spacing: 14,
    spec: { width: 900, height: 130, layer: layers },
    resolve: { scale: { y: 'shared', x: 'shared' } },
  };
}

export interface IntervalPoint {
  label: string;
  mean: number | null;
  ci95: [number, number] | null;
  /** Runs without a value (a recovery never reached), left out of the mean and its interval. */
  missing: number;
  /** Runs with a value. */
  n: number;
}

/**
 * What a point's runs without a value read as: "2 of 5 not reached" under a
 * recovery metric (its null is a recovery that never came), "no value"
 * otherwise. '' when every run has a value. The mean drawn is the others'.
 */
export function missingNote(metric: string, p: IntervalPoint): string {
  if (p.missing === 0) return '';
  const what = metric.startsWith('recovery.') ? '∞' : 'no value';
  return p.n === 0 ? `${what} in all ${p.missing} runs` : `${what} in ${p.missing} of ${p.n + p.missing} runs`;
}

/** The short red mark of runs without a value: `∞ 3/5` (never reached in 3 of 5 runs), `∅ 3/5` (no value); '' when none. */
function missingMark(metric: string, p: IntervalPoint): string {
  return p.missing === 0 ? '' : `${metric.startsWith('recovery.') ? '∞' : '∅'} ${p.missing}/${p.n + p.missing}`;
}

/** The subtitle's key to the red marks, '' when every run has a value. */
function missingKey(metric: string, points: readonly IntervalPoint[]): string {
  if (!points.some((p) => p.missing > 0)) return '';
  return metric.startsWith('recovery.')
    ? '; red ∞ k/n: never reached in k of n runs, the mean is over the others'
    : '; red ∅ k/n: no value in k of n runs, the mean is over the others';
}

/** Mean and 95 % interval of one metric per variant, one row per variant in the given order. */
export function metricByVariantSpec(metric: string, direction: Direction, points: readonly IntervalPoint[]): VegaLiteSpec {
  // A variant with runs that have no value keeps its row, its label saying so: a dropped row would read as "fine".
  const row = (p: IntervalPoint) => (p.missing === 0 ? p.label : `${p.label} · ${missingMark(metric, p)}`);
  const values = points.map((p) => ({ variant: row(p), mean: p.mean, low: p.ci95?.[0] ?? p.mean, high: p.ci95?.[1] ?? p.mean, missing: p.missing }));
  // Labels cut at 240 px (the tooltip keeps them whole): the chart then fits beside its table.
  const y = { field: 'variant', type: 'nominal', sort: points.map(row), title: null, axis: { labelLimit: 240 } };
  const withMean = [{ filter: 'datum.mean != null' }];
  return {
    $schema: SCHEMA,
    title: { text: metric, subtitle: `mean and 95 % confidence interval${betterNote(direction)}${missingKey(metric, points)}` },
    width: 280,
    config: BATCH_CONFIG,
    data: { values },
    layer: [
      // At most about 5 ticks: at 300 px, ten labels like 1.0, 1.1, … run into each other.
      { transform: withMean, mark: 'rule', encoding: { y, x: { field: 'low', type: 'quantitative', title: axisTitle(metric), scale: { zero: false }, axis: { tickCount: 5 } }, x2: { field: 'high' } } },
      {
        transform: withMean,
        mark: { type: 'point', filled: true },
        encoding: { y, x: { field: 'mean', type: 'quantitative' }, color: { condition: { test: 'datum.missing > 0', value: MISSING_RED }, value: '#4c78a8' } },
      },
      // A variant with no value at all: its row holds a red ∞ at the right edge, not nothing.
      { transform: [{ filter: 'datum.mean == null' }], mark: { type: 'text', text: '∞', align: 'right', fontSize: 16, color: MISSING_RED }, encoding: { y, x: { value: 276 } } },
    ],
  };
}

const MISSING_RED = '#c0392b';

export interface ParameterPoint extends IntervalPoint {
  /** The swept parameter's value, as given on the command line. */
  x: string;
  /** The other parameters' values (`b=y, c=z`), one line each; '' when there is no other parameter. */
  group: string;
}

/**
 * One metric against one swept parameter, one line per combination of the
 * other parameters. The x axis is quantitative when every value is a plain
 * number, otherwise ordinal in the order given (`30s,5m,1h` stays in order).
 */
export function metricByParameterSpec(
  metric: string,
  parameter: string,
  order: readonly string[],
  direction: Direction,
  points: readonly ParameterPoint[],
): VegaLiteSpec {
  const numeric = order.every((v) => /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v.trim()));
  const values = points.map((p) => ({
    x: numeric ? Number(p.x) : p.x,
    group: p.group,
    mean: p.mean,
    low: p.ci95?.[0] ?? p.mean,
    high: p.ci95?.[1] ?? p.mean,
    missing: p.missing,
    note: missingNote(metric, p),
    mark: missingMark(metric, p),
  }));
  const x = numeric
    ? { field: 'x', type: 'quantitative', title: parameter }
    : { field: 'x', type: 'ordinal', sort: [...order], title: parameter, axis: { labelAngle: 0 } };
  const grouped = points.some((p) => p.group !== '');
  const color = grouped ? { color: { field: 'group', type: 'nominal', title: 'other parameters', legend: { labelLimit: 400 } } } : {};
  const withMean = [{ filter: 'datum.mean != null' }];
  const tooltip = [{ field: 'x', title: parameter }, ...(grouped ? [{ field: 'group', title: 'other parameters' }] : []), { field: 'note', title: 'runs without a value' }];
  return {
    $schema: SCHEMA,
    title: {
      text: `${metric} by ${parameter}`,
      subtitle: `mean and 95 % confidence interval${betterNote(direction)}${missingKey(metric, points)}`,
    },
    width: 480,
    height: 300,
    config: BATCH_CONFIG,
    data: { values },
    layer: [
      { transform: withMean, mark: 'rule', encoding: { x, y: { field: 'low', type: 'quantitative', title: axisTitle(metric) }, y2: { field: 'high' }, ...color } },
      { transform: withMean, mark: { type: 'line', point: true }, encoding: { x, y: { field: 'mean', type: 'quantitative' }, ...color } },
      // Runs without a value are marked where they happened: over the point ("∞ 2/5"), or on top of the chart when no run has one.
      {
        transform: [{ filter: 'datum.missing > 0 && datum.mean != null' }],
        mark: { type: 'text', dy: -14, fontSize: 12, fontWeight: 'bold', color: MISSING_RED },
        encoding: { x, y: { field: 'mean', type: 'quantitative' }, text: { field: 'mark' }, tooltip },
      },
      {
        transform: [{ filter: 'datum.mean == null' }],
        mark: { type: 'text', baseline: 'top', dy: 2, fontSize: 12, fontWeight: 'bold', color: MISSING_RED },
        encoding: { x, y: { value: 0 }, text: { field: 'mark' }, tooltip },
      },
    ],
  };
}

/** `recovery.full (s)`: the metric with its unit, when it has one. */
function axisTitle(metric: string): string {
  const unit = unitOf(metric).trim();
  return unit === '' ? metric : `${metric} (${unit})`;
}

function betterNote(direction: Direction): string {
  return direction === null ? '' : `; ${direction} is better`;
}
