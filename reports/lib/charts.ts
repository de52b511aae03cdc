// Chart specs: pure functions from a run's result (plus its chart context) to
// a vega-lite spec. No clock, no randomness: the same result gives the same
// JSON. Long series are bucketed (downsample.ts) so a report stays light.
//
// Conventions every chart follows, so a reader learns them once:
// - x is simulated time in minutes (seconds for runs of 3 minutes or less),
//   over the whole run, with fault windows shaded red and labelled above the plot;
// - one color per meaning across charts (PALETTE);
// - load is on a log scale (it spans orders of magnitude between calm and storm),
//   and limits are dashed grey rules with their value in the label;
// - hovering a time series shows every series at that time.
import type { Config, TopLevelSpec } from 'vega-lite';
import type { Distribution, RunResult } from '../../sim/result.ts';
import { bucket, bucketFactor, compact, maxSeries, MAX_POINTS, serverGrid, sumSeries } from './downsample.ts';
import { humanDuration, type ChartContext } from './context.ts';
import { finiteMax, logDomain, splitLimits, type Limit } from './scale.ts';
import { heapCharts } from './heap-charts.ts';
import { grayBadge } from './gray.ts';
import { formatInteger } from '../../sim/format-integer.ts';

type LayerSpec = Extract<TopLevelSpec, { layer: unknown }>;
export type Layer = LayerSpec['layer'][number];

export interface ChartDef {
  /** File-name safe identifier: `charts/<id>.svg`. */
  id: string;
  /** Plain-text title (the spec carries the same title). */
  title: string;
  /** One or two sentences under the chart: how to read it. */
  caption: string;
  /** Full page width (time series) or half (distributions). */
  wide: boolean;
  spec: TopLevelSpec;
}

export const FONT = "'DejaVu Sans', 'Liberation Sans', 'Helvetica Neue', Arial, sans-serif";

/** One color per meaning, shared by every chart. */
export const PALETTE = {
  connected: '#2e7d32',
  lookingUp: '#4c78a8',
  connecting: '#72b7b2',
  idleBackoff: '#f58518',
  offered: '#4c78a8',
  busiest: '#1b3a66',
  served: '#2e7d32',
  timedOut: '#f58518',
  noServer: '#e45756',
  refused: '#b279a2',
  rejected: '#9d755d',
  throttled: '#79706e',
  attempts: '#4c78a8',
  mean: '#7f7f7f',
  fault: '#e45756',
  faultText: '#b3261e',
  recovery: '#1b5e20',
  target: '#6a1b9a',
  limit: '#666666',
  hover: '#888888',
} as const;

/** Regions after the total: hues that do not collide with the semantic colors above. */
const REGION_COLORS = ['#4c78a8', '#9467bd', '#8c6d31', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f', '#393b79'];

const LABEL_ROW = 15;
/** Name of the interactive hover layer; static exports drop it (render.ts). */
export const HOVER_LAYER = 'hover';
const TIME_SERIES_HEIGHT = 240;

export const CONFIG: Config = {
  font: FONT,
  background: '#ffffff',
  padding: { left: 6, right: 14, top: 6, bottom: 6 },
  title: { anchor: 'start', fontSize: 15, fontWeight: 'bold', subtitleFontSize: 12, subtitleColor: '#555555', subtitlePadding: 4, offset: 6 },
  axisY: { minExtent: 46 },
  axis: {
    labelFontSize: 11,
    titleFontSize: 12,
    titleFontWeight: 'normal',
    titleColor: '#333333',
    labelColor: '#333333',
    gridColor: '#ececec',
    domainColor: '#999999',
    tickColor: '#999999',
  },
  legend: {
    orient: 'bottom',
    direction: 'horizontal',
    title: null,
    labelFontSize: 12,
    labelLimit: 400,
    symbolType: 'stroke',
    symbolOpacity: 1,
    symbolStrokeWidth: 3,
    symbolSize: 200,
    columnPadding: 22,
    offset: 10,
  },
  view: { stroke: null },
  line: { strokeWidth: 1.8 },
  text: { fontSize: 11 },
};

// ---------------------------------------------------------------------------
// Building blocks

interface LineInput {
  name: string;
  values: readonly number[];
  /** Which bucket statistic the line follows: the mean, or the max for peaks that must not be averaged away. */
  stat: 'mean' | 'max';
}

interface SeriesRow {
  s: string;
  t: number[];
  v: (number | null)[];
  lo?: (number | null)[];
  hi?: (number | null)[];
  /** Log charts: 1 where the line's value is exactly zero (drawn along the axis floor), null elsewhere: a zero is data, a gap is none. */
  z?: (number | null)[];
}

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Columnar rows (one per line, flattened in the spec): about a third of the bytes of one object per point. */
function seriesRows(time: readonly number[], lines: readonly LineInput[], ctx: ChartContext, options: { log: boolean; band: boolean }): SeriesRow[] {
  const factor = bucketFactor(time.length, MAX_POINTS);
  const shown = (x: number): number | null => (options.log && !(x > 0) ? null : compact(x));
  // Every line has the same buckets, so the same times: computed once, each row a copy of them.
  let t: number[] | undefined;
  return lines.map((line) => {
    const b = bucket(time, line.values, factor);
    const values = line.stat === 'max' ? b.max : b.mean;
    t ??= b.t.map((at) => round3(at / ctx.time.seconds));
    const row: SeriesRow = {
      s: line.name,
      t: t.slice(),
      v: values.map(shown),
    };
    if (options.log) row.z = values.map((x) => (x === 0 ? 1 : null));
    if (options.band && factor > 1) {
      // Peak lines have no band; empty arrays flatten to nulls.
      row.lo = line.stat === 'mean' ? b.min.map(shown) : [];
      row.hi = line.stat === 'mean' ? b.max.map(shown) : [];
    }
    return row;
  });
}

/** The values a chart's rows draw, lines and the tops of their bands, for its y scale (loops: a report's code runs once, unoptimized, and spreads cost it more). */
function drawnValues(rows: readonly SeriesRow[]): (number | null)[] {
  const out: (number | null)[] = [];
  for (let r = 0; r < rows.length; r++) {
    const { v, hi } = rows[r];
    for (let i = 0; i < v.length; i++) out.push(v[i]);
    if (hi !== undefined) for (let i = 0; i < hi.length; i++) out.push(hi[i]);
  }
  return out;
}

export function timeTitle(ctx: ChartContext): string {
  return `time since start (${ctx.time.unit})`;
}

export function xTime(ctx: ChartContext, field = 't') {
  return {
    field,
    type: 'quantitative' as const,
    title: timeTitle(ctx),
    scale: { domain: [0, round3(ctx.scenario.duration / ctx.time.seconds)], nice: false, zero: true },
    axis: { tickCount: 12, grid: true },
  };
}

/** Shaded fault windows (full plot height); a fault without duration (a config change) is a red rule. */
export function faultRects(ctx: ChartContext): Layer[] {
  const layers: Layer[] = [];
  const windows = ctx.faults.filter((f) => f.end > f.start);
  const instants = ctx.faults.filter((f) => !(f.end > f.start));
  if (windows.length > 0) {
    layers.push({
      data: { values: windows.map((f) => ({ start: round3(f.start / ctx.time.seconds), end: round3(f.end / ctx.time.seconds), fault: f.label })) },
      mark: { type: 'rect', color: PALETTE.fault, opacity: 0.12 },
      encoding: {
        x: { field: 'start', type: 'quantitative' },
        x2: { field: 'end' },
        tooltip: [{ field: 'fault', type: 'nominal', title: 'fault' }],
      },
    });
  }
  if (instants.length > 0) {
    layers.push({
      data: { values: instants.map((f) => ({ x: round3(f.start / ctx.time.seconds), fault: f.label })) },
      mark: { type: 'rule', color: PALETTE.faultText, strokeWidth: 1.5, strokeDash: [5, 3] },
      encoding: { x: { field: 'x', type: 'quantitative' }, tooltip: [{ field: 'fault', type: 'nominal', title: 'fault' }] },
    });
  }
  return layers;
}

/** Fault start and end as thin red rules (for charts where a shaded band would hide the data). */
function faultEdges(ctx: ChartContext): Layer[] {
  if (ctx.faults.length === 0) return [];
  const edges = ctx.faults.flatMap((f) => [
    { x: round3(f.start / ctx.time.seconds), fault: `${f.label} (start)` },
    { x: round3(f.end / ctx.time.seconds), fault: `${f.label} (end)` },
  ]);
  return [
    {
      data: { values: edges },
      mark: { type: 'rule', color: PALETTE.faultText, strokeWidth: 1.5, strokeDash: [5, 3] },
      encoding: { x: { field: 'x', type: 'quantitative' }, tooltip: [{ field: 'fault', type: 'nominal', title: 'fault' }] },
    },
  ];
}

export interface TopLabel {
  /** In axis units. */
  x: number;
  /** Without the ▼ that points at x. */
  text: string;
  color: string;
}

/** Past this share of the axis a label ends at its x instead of starting there, so it never runs off the plot. */
const RIGHT_ALIGNED_FROM = 0.6;

/**
 * Labels above the plot, one row each, so they never sit on the data nor on
 * each other. A label in the right part of the axis ends at its mark, so no
 * label widens the chart past its plot (which would shift the plot out of
 * line with the charts below).
 */
export function topLabels(labels: readonly TopLabel[], ctx: ChartContext): Layer[] {
  if (labels.length === 0) return [];
  const xMax = ctx.scenario.duration / ctx.time.seconds;
  const rows = labels.map((l, i) => {
    const right = l.x > RIGHT_ALIGNED_FROM * xMax;
    return { x: l.x, label: right ? `${l.text} ▼` : `▼ ${l.text}`, color: l.color, right, y: -6 - (labels.length - 1 - i) * LABEL_ROW };
  });
  const layer = (right: boolean): Layer => ({
    data: { values: rows.filter((r) => r.right === right).map(({ right: _, ...r }) => r) },
    // dx centres the ▼ on its x.
    mark: { type: 'text', align: right ? 'right' : 'left', baseline: 'bottom', dx: right ? 4.5 : -4.5, fontSize: 11, fontWeight: 'bold' },
    encoding: {
      x: { field: 'x', type: 'quantitative' },
      y: { field: 'y', type: 'quantitative', scale: null },
      text: { field: 'label', type: 'nominal' },
      color: { field: 'color', type: 'nominal', scale: null },
    },
  });
  return [false, true].filter((right) => rows.some((r) => r.right === right)).map(layer);
}

export function faultLabels(ctx: ChartContext): TopLabel[] {
  return ctx.faults.map((f) => ({ x: round3(f.start / ctx.time.seconds), text: f.label, color: PALETTE.faultText }));
}

/** Horizontal dashed limits (capacity, accept limit), labelled at the right end; only limits splitLimits drew. */
export function limitRules(rules: readonly Limit[]): Layer[] {
  const values = rules.map((r) => ({ y: r.value, label: r.label }));
  if (values.length === 0) return [];
  const labels = (below: boolean): Layer => ({
    data: { values: rules.filter((r) => (r.labelBelow ?? false) === below).map((r) => ({ y: r.value, label: r.label })) },
    mark: { type: 'text', align: 'right', baseline: below ? 'top' : 'bottom', dy: below ? 3 : -3, dx: -2, color: '#444444', fontSize: 11 },
    encoding: { x: { value: 'width' }, y: { field: 'y', type: 'quantitative' }, text: { field: 'label', type: 'nominal' } },
  });
  return [
    {
      data: { values },
      mark: { type: 'rule', color: PALETTE.limit, strokeDash: [6, 4], strokeWidth: 1.3 },
      encoding: { y: { field: 'y', type: 'quantitative' } },
    },
    ...[false, true].filter((below) => rules.some((r) => (r.labelBelow ?? false) === below)).map(labels),
  ];
}

/** Vertical rules at given times (recovery marks), in axis units. */
function timeRules(rules: readonly { x: number; label: string }[], color: string): Layer[] {
  if (rules.length === 0) return [];
  return [
    {
      data: { values: rules.map((r) => ({ x: r.x, mark: r.label })) },
      mark: { type: 'rule', color, strokeDash: [4, 3], strokeWidth: 1.6 },
      encoding: { x: { field: 'x', type: 'quantitative' }, tooltip: [{ field: 'mark', type: 'nominal', title: 'mark' }] },
    },
  ];
}

interface TargetMark {
  /** In axis units. */
  x: number;
  label: string;
}

/**
 * The assertions' upper bounds on recovery and reconnect times, on an axis
 * whose zero is `origin` seconds (0: the run's start; the incident start: 0
 * on the reconnect CDF). `metrics` picks which (recovery.* on the sessions chart).
 */
function targetMarks(ctx: ChartContext, origin: number, metrics: (metric: string) => boolean): TargetMark[] {
  const incident = ctx.faults.length === 0 ? null : Math.min(...ctx.faults.map((f) => f.start));
  if (incident === null) return [];
  return ctx.targets
    .filter((t) => metrics(t.metric))
    .map((t) => ({
      x: round3((incident + t.seconds - origin) / ctx.time.seconds),
      label: `target ${t.passed === null ? '' : t.passed ? '✔ met' : '✘ missed'}: ${t.assertion}`.replace('target :', 'target:'),
    }));
}

/** Target rules: dash-dot purple, distinct from the green recovery marks and the red faults. */
function targetRules(targets: readonly TargetMark[]): Layer[] {
  if (targets.length === 0) return [];
  return [
    {
      data: { values: targets.map((t) => ({ x: t.x, target: t.label })) },
      mark: { type: 'rule', color: PALETTE.target, strokeDash: [8, 3, 2, 3], strokeWidth: 1.8 },
      encoding: { x: { field: 'x', type: 'quantitative' }, tooltip: [{ field: 'target', type: 'nominal', title: 'target' }] },
    },
  ];
}

/** Escapes a series name for use as a vega-lite field name (dots and brackets are paths). */
function fieldRef(name: string): string {
  return name.replace(/[.[\]\\]/g, (c) => `\\${c}`);
}

/**
 * Hover anywhere over the plot: the time under the pointer shows as a grey
 * rule with every series' value in the tooltip. Each time point owns an
 * invisible rule as wide as the gap to the next one, so finding it needs no
 * voronoi (which would cost a DOM path per point).
 */
function hoverLayer(ctx: ChartContext, names: readonly string[], points: number, format: string): Layer {
  return {
    name: HOVER_LAYER,
    transform: [
      { pivot: 's', value: 'v', groupby: ['t'] },
      // On a log chart a rate of zero is stored as null (a gap in the line); the tooltip says 0.
      ...names.map((name) => ({ calculate: `isValid(datum[${JSON.stringify(name)}]) ? datum[${JSON.stringify(name)}] : 0`, as: name })),
    ],
    mark: { type: 'rule', color: PALETTE.hover, strokeWidth: { expr: `max(1, width / ${Math.max(1, points)})` } },
    encoding: {
      x: { field: 't', type: 'quantitative' },
      opacity: { condition: { param: 'hover', value: 0.5, empty: false }, value: 0 },
      tooltip: [
        { field: 't', type: 'quantitative', title: timeTitle(ctx), format: ',.2f' },
        ...names.map((name) => ({ field: fieldRef(name), type: 'quantitative' as const, title: name, format })),
      ],
    },
    params: [{ name: 'hover', select: { type: 'point', fields: ['t'], on: 'pointerover', clear: 'pointerout' } }],
  };
}

interface TimeSeriesArgs {
  id: string;
  title: string;
  /** One string per subtitle line (keep each under ~100 characters). */
  subtitle: string[];
  caption: string;
  yTitle: string;
  log: boolean;
  time: readonly number[];
  lines: readonly LineInput[];
  colors: Readonly<Record<string, string>>;
  /** Lines drawn wide and translucent, under the others (e.g. "served", which hides under "offered" when they agree). */
  wide?: readonly string[];
  /** Lines drawn dashed (a second family of series on the same axis, e.g. connect failures beside lookup failures). */
  dashed?: readonly string[];
  /** Points on the lines too: sparse series, where a value alone between zeros would draw no line. */
  points?: boolean;
  limits?: readonly Limit[];
  /** Unit of the limits' values in words (`/s`). */
  limitUnit?: string;
  marks?: readonly { x: number; label: string }[];
  /** The assertions' limits on the time axis (targetMarks). */
  targets?: readonly TargetMark[];
  /** Stacked areas instead of lines. */
  stacked?: boolean;
  /** Fixed top of a linear y scale (the stack of every client). */
  yMax?: number;
  height?: number;
}

/** Axis labels in SI units, each formatted on its own ("0", "0.1", "200k", "1.5M"; not "0M" or "100m"). */
export const SI_LABELS = "datum.value < 1 ? format(datum.value, '.2~f') : format(datum.value, '.3~s')";

/** The shared shape of every time-series chart: faults, bands, lines, limits, marks, labels, hover. */
function timeSeries(ctx: ChartContext, a: TimeSeriesArgs): ChartDef {
  const rows = seriesRows(a.time, a.lines, ctx, { log: a.log, band: !a.stacked });
  const names = a.lines.map((l) => l.name);
  const drawn = drawnValues(rows);
  const limits = splitLimits(a.limits ?? [], finiteMax(drawn), a.limitUnit);
  const color = {
    field: 's',
    type: 'nominal' as const,
    scale: { domain: names, range: names.map((n) => a.colors[n] ?? '#333333') },
    sort: names,
  };
  let yScale: { type: 'log'; domain: [number, number]; clamp: boolean } | { zero: boolean };
  let yAxis: { labelExpr: string; values?: number[]; grid: boolean; tickMinStep?: number };
  if (a.log) {
    const log = logDomain(drawn.concat(limits.drawn.map((l) => l.value)));
    yScale = { type: 'log', domain: log.domain, clamp: true };
    yAxis = { labelExpr: SI_LABELS, values: log.ticks, grid: true };
  } else {
    // Linear time series are counts (sessions, clients): whole numbers on the axis.
    yScale = { zero: true };
    yAxis = { labelExpr: SI_LABELS, grid: true, tickMinStep: 1 };
  }
  const hasBand = rows.some((r) => r.lo !== undefined);
  const flattenFields = [...(hasBand ? ['t', 'v', 'lo', 'hi'] : ['t', 'v']), ...(a.log ? ['z'] : [])];
  // Opaque stacked areas would hide a shaded window: mark the fault edges on top instead.
  const layers: Layer[] = a.stacked ? [] : [...faultRects(ctx)];
  if (hasBand) {
    layers.push({
      mark: { type: 'area', opacity: 0.18, interpolate: 'linear' },
      encoding: { x: xTime(ctx), y: { field: 'lo', type: 'quantitative', scale: yScale }, y2: { field: 'hi' }, color },
    });
  }
  if (a.stacked) {
    layers.push({
      transform: [{ calculate: `indexof(${JSON.stringify(names)}, datum.s)`, as: 'order' }],
      mark: { type: 'area', opacity: 0.85, interpolate: 'linear' },
      encoding: {
        x: xTime(ctx),
        y: {
          field: 'v',
          type: 'quantitative',
          stack: 'zero',
          title: a.yTitle,
          axis: yAxis,
          ...(a.yMax === undefined ? {} : { scale: { domain: [0, a.yMax], nice: false } }),
        },
        color: { ...color, legend: { symbolType: 'square', symbolStrokeWidth: 0 } },
        order: { field: 'order', type: 'quantitative' },
      },
    });
    layers.push(...faultEdges(ctx));
  } else {
    const wide = new Set(a.wide ?? []);
    const y = { field: 'v', type: 'quantitative' as const, scale: yScale, title: a.yTitle, axis: yAxis };
    if (wide.size > 0) {
      layers.push({
        transform: [{ filter: { field: 's', oneOf: [...wide] } }],
        mark: { type: 'line', interpolate: 'linear', strokeWidth: 5, opacity: 0.45 },
        encoding: { x: xTime(ctx), y, color },
      });
    }
    if (a.log && yScale && 'domain' in yScale) {
      // A rate of zero, along the floor of the log axis as a dotted line of the series' colour: zero is data, unlike a gap.
      const floor = yScale.domain[0];
      layers.push({
        transform: [{ filter: 'datum.z != null' }, { calculate: String(floor), as: 'floor' }],
        mark: { type: 'point', shape: 'stroke', size: 30, strokeWidth: 1.2, opacity: 0.7 },
        encoding: { x: xTime(ctx), y: { field: 'floor', type: 'quantitative', scale: yScale }, color },
      });
    }
    const dashed = a.dashed ?? [];
    const plain = [...wide, ...dashed];
    const point = a.points ? { point: { filled: true, size: 14 } } : {};
    layers.push({
      ...(plain.length > 0 ? { transform: [{ filter: { not: { field: 's', oneOf: plain } } }] } : {}),
      mark: { type: 'line', interpolate: 'linear', ...point },
      encoding: { x: xTime(ctx), y, color },
    });
    if (dashed.length > 0) {
      layers.push({
        transform: [{ filter: { field: 's', oneOf: [...dashed] } }],
        mark: { type: 'line', interpolate: 'linear', strokeDash: [6, 3], ...point },
        encoding: { x: xTime(ctx), y, color },
      });
    }
  }
  const targets = a.targets ?? [];
  layers.push(
    ...limitRules(limits.drawn),
    ...timeRules(a.marks ?? [], PALETTE.recovery),
    ...targetRules(targets),
    hoverLayer(ctx, names, rows[0]?.t.length ?? 1, ',.4~r'),
  );
  const labels = [
    ...faultLabels(ctx),
    ...(a.marks ?? []).map((m) => ({ x: m.x, text: m.label, color: PALETTE.recovery })),
    ...targets.map((t) => ({ x: t.x, text: t.label, color: PALETTE.target })),
  ];
  layers.push(...topLabels(labels, ctx));

  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: a.title, subtitle: limits.words.length === 0 ? a.subtitle : [...a.subtitle, `${capitalize(limits.words.join('; '))} (not drawn)`] },
    width: 'container',
    height: a.height ?? TIME_SERIES_HEIGHT,
    autosize: { type: 'fit-x', contains: 'padding' },
    config: CONFIG,
    data: { values: rows },
    transform: [{ flatten: flattenFields }],
    layer: layers,
  };
  return { id: a.id, title: a.title, caption: a.caption, wide: true, spec };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A recovery mark at `incidentStart + seconds`, in axis units, or nothing if not reached. */
function recoveryMark(ctx: ChartContext, incidentStart: number, seconds: number | null, what: string) {
  if (seconds === null) return [];
  return [{ x: round3((incidentStart + seconds) / ctx.time.seconds), label: `${what} after ${humanDuration(seconds)}` }];
}

function allZero(values: readonly number[]): boolean {
  return values.every((v) => v === 0);
}

// ---------------------------------------------------------------------------
// The charts

/** Connected sessions over time, total and per region, with fault windows and the 99 % / 100 % recovery marks. */
export function connectedChart(result: RunResult, ctx: ChartContext): ChartDef {
  const { series, summary } = result;
  const regions = Object.keys(series.connectedByRegion);
  const lines: LineInput[] = [{ name: 'all regions', values: series.connected, stat: 'mean' }];
  const colors: Record<string, string> = { 'all regions': PALETTE.connected };
  if (regions.length > 1) {
    regions.forEach((region, i) => {
      lines.push({ name: region, values: series.connectedByRegion[region], stat: 'mean' });
      colors[region] = REGION_COLORS[i % REGION_COLORS.length];
    });
  }
  const marks =
    summary.incidentStart === null
      ? []
      : [
          ...recoveryMark(ctx, summary.incidentStart, summary.recovery.p99, '99 % back'),
          ...recoveryMark(ctx, summary.incidentStart, summary.recovery.full, 'all back'),
        ];
  const limits: Limit[] =
    summary.preFaultSessions === null ? [] : [{ value: summary.preFaultSessions, what: 'before the fault', label: `before the fault: ${formatInteger(summary.preFaultSessions)}`, labelBelow: true }];
  return timeSeries(ctx, {
    id: 'connected',
    title: 'Connected sessions',
    subtitle: [recoverySentence(result)],
    caption:
      'Real sessions at each sample. Red bands are fault windows; green dashed rules mark when sessions were back at 99 % of the pre-fault count for good, and when every client the incident disconnected had a session again.',
    yTitle: 'connected sessions',
    log: false,
    time: series.time,
    lines,
    colors,
    limits,
    marks,
    targets: targetMarks(ctx, 0, (metric) => metric.startsWith('recovery.')),
  });
}

/** "From the incident start: 99 % back after 15.1 min, 99.9 % after …, all after …". */
export function recoverySentence(result: RunResult): string {
  const s = result.summary;
  if (s.incidentStart === null) {
    const gray = grayBadge(s);
    return gray === null ? 'No fault in this scenario.' : `No fault window; ${gray.text}`;
  }
  const at = (x: number | null) => (x === null ? 'not reached' : humanDuration(x));
  return (
    `From the incident start: 99 % back after ${at(s.recovery.p99)}, 99.9 % after ${at(s.recovery.p999)}, all after ${at(s.recovery.full)}` +
    (s.notReconnected > 0 ? ` — ${formatInteger(s.notReconnected)} clients still without a session at the end` : '')
  );
}

/** Lookup load (offered, served, timed out, "no server") against capacity. */
export function lookupLoadChart(result: RunResult, ctx: ChartContext): ChartDef {
  const l = result.series.lookups;
  const n = result.series.time.length;
  const candidates: LineInput[] = [
    { name: 'offered, all instances', values: sumSeries(l.offeredPerSec, n), stat: 'mean' },
    { name: 'offered, busiest instance (peak)', values: maxSeries(l.offeredPerSec, n), stat: 'max' },
    { name: 'served', values: sumSeries(l.servedPerSec, n), stat: 'mean' },
  ];
  // Results written before a series existed lack it: leave it out like a series that stayed at zero.
  const lines = candidates.filter((c) => c.values !== undefined && !allZero(c.values));
  const capacity = ctx.scenario.lookup.capacity;
  const instances = ctx.scenario.lookup.instances;
  const limits: Limit[] = [{ value: capacity, what: 'capacity of one instance', label: `capacity of one instance: ${formatInteger(capacity)}/s` }];
  if (instances > 1) {
    const all = capacity * instances;
    limits.push({ value: all, what: `capacity of all ${instances} instances`, label: `capacity of all ${instances} instances: ${formatInteger(all)}/s` });
  }
  const s = result.summary.lookup;
  const factor = s.peakLoadFactor;
  const peak = factor === null ? '' : ` (${percent(factor)} of its capacity)`;
  // Say which way the load went, so that a log axis with a tall line is not read as overload.
  const reading =
    factor === null ? 'Capacity unlimited: the lookups cannot overload' : factor > 1 ? 'Above capacity: the lookups were a bottleneck (their queue grew)' : factor < 0.5 ? 'Well below capacity at every moment: the lookups were not the bottleneck' : 'Below capacity at every moment';
  return timeSeries(ctx, {
    id: 'lookup-load',
    title: 'Lookup load',
    subtitle: [`Peak on one instance ${formatInteger(s.peakOfferedPerSec)}/s${peak}. ${reading}`],
    caption:
      'Requests per second that reached the lookups, log scale, against their capacity (dashed): read the height against those rules, not against the top of the plot. A rate of zero is drawn as a dotted line along the bottom of the axis (a gap would mean no data), and a series that stayed at zero is left out. "Busiest instance" is the most loaded lookup instance at each moment, to compare with the capacity of one instance. Lookups that failed (timed out on the client, "no server", refused, rejected) are in "Errors by reason". Where several seconds share a plotted point, a light band spans their minimum and maximum.',
    yTitle: 'lookups per second (log)',
    log: true,
    time: result.series.time,
    lines,
    wide: ['served'],
    colors: {
      'offered, all instances': PALETTE.offered,
      'offered, busiest instance (peak)': PALETTE.busiest,
      served: PALETTE.served,
    },
    limits,
    limitUnit: '/s',
  });
}

/** "0.4 %", "37 %", "< 0.1 %": a share of capacity that never reads as zero when it is not. */
export function percent(factor: number): string {
  if (factor > 0 && factor < 0.001) return '< 0.1 %';
  return `${(factor * 100).toFixed(factor < 0.1 ? 1 : 0)} %`;
}

/** Connect failures by reason (series.connectFailuresPerSec), in the words of the chart. */
const CONNECT_FAILURES = [
  ['deadProcess', 'connect refused: process dead', '#b3261e'],
  ['notInService', 'connect refused: starting, standby or draining', '#b279a2'],
  ['serverFull', 'connect refused: server full', '#8c564b'],
  ['acceptLimit', 'connect refused: accept limit', '#9d755d'],
  ['gcPause', 'connect refused: 503 in a GC pause', '#e377c2'],
  ['noAnswer', 'connect timed out: host not answering', '#17becf'],
  ['networkDown', 'connect timed out: the client network down', '#bcbd22'],
] as const;

/**
 * Every failed attempt per second by why it failed: the lookups' (timed out
 * on the client, "no server", refused, rejected, throttled) as solid lines,
 * the connects' (refused for each reason, timed out) dashed. Null when
 * nothing failed.
 */
export function errorsChart(result: RunResult, ctx: ChartContext): ChartDef | null {
  const l = result.series.lookups;
  const connect = result.series.connectFailuresPerSec;
  const candidates: (LineInput & { color: string })[] = [
    { name: 'lookup timed out (client side)', values: l.timedOutPerSec, stat: 'mean', color: PALETTE.timedOut },
    { name: 'lookup answered "no server"', values: l.noServerPerSec, stat: 'mean', color: PALETTE.noServer },
    { name: 'lookup refused', values: l.refusedPerSec, stat: 'mean', color: PALETTE.refused },
    { name: 'lookup rejected "busy" (admission)', values: l.rejectedPerSec, stat: 'mean', color: PALETTE.rejected },
    { name: 'lookup throttled on the device', values: l.throttledPerSec, stat: 'mean', color: PALETTE.throttled },
    ...(connect === undefined ? [] : CONNECT_FAILURES.map(([key, name, color]) => ({ name, values: connect[key], stat: 'mean' as const, color }))),
  ];
  const nonZero = candidates.filter((c) => c.values !== undefined && !allZero(c.values));
  if (nonZero.length === 0) return null;
  // Long samples make per-second rates tiny (one failure in 30 min is 0.0006/s, under a log axis's floor): count per minute or per hour then.
  const per = ctx.scenario.sampleInterval >= 600 ? { seconds: 3600, word: 'hour' } : ctx.scenario.sampleInterval >= 10 ? { seconds: 60, word: 'minute' } : { seconds: 1, word: 'second' };
  const lines = nonZero.map((c) => ({ ...c, values: per.seconds === 1 ? c.values : c.values.map((v) => v * per.seconds) }));
  const perSecondTotal = (values: readonly number[]) => values.reduce((sum, v, k) => sum + v * (k === 0 ? 1 : result.series.time[k] - result.series.time[k - 1]), 0);
  const totals = nonZero.map((line) => `${line.name.replace(/^(lookup|connect) /, '')} ${formatInteger(Math.round(perSecondTotal(line.values)))}`);
  return timeSeries(ctx, {
    id: 'errors',
    title: 'Errors by reason',
    subtitle: [`Failed lookups (solid) and connects (dashed) per ${per.word}; ${connect === undefined ? 'this result has no connect failures by reason' : 'totals in the legend order:'}`, ...chunk(totals, 4).map((row) => row.join(' · '))],
    caption:
      'What clients saw fail, per second, by reason, log scale: a rate of zero is a dotted line along the bottom of the axis, a gap is no data. Lookups: timed out on the client (the lookup never answered in time: down, unreachable, or the client\'s network down), "no server", refused, rejected by admission control, throttled on the device. Connects: refused by a dead process, by a server not in service (starting, standby, draining), full, at its accept limit, or with a 503 in a GC pause; timed out on a host that does not answer, or because the client\'s network was down. Counted when the client sees the failure.',
    yTitle: `failures per ${per.word} (log)`,
    log: true,
    time: result.series.time,
    lines,
    dashed: lines.filter((line) => line.name.startsWith('connect')).map((line) => line.name),
    points: true,
    colors: Object.fromEntries(lines.map((line) => [line.name, line.color])),
  });
}

function chunk<T>(values: readonly T[], size: number): T[][] {
  const rows: T[][] = [];
  for (let i = 0; i < values.length; i += size) rows.push(values.slice(i, i + size));
  return rows;
}

/**
 * Downtime percentiles of the reconnects completed in each time bucket
 * (distributions.downtimeOverTime): how long the clients who got back in
 * that minute had been without a session, as Gatling and k6 draw latency
 * percentiles over time. Null without reconnects.
 */
export function downtimeOverTimeChart(result: RunResult, ctx: ChartContext): ChartDef | null {
  const d = result.distributions?.downtimeOverTime;
  if (d === undefined || d.buckets.length === 0) return null;
  const stats = [
    ['p50', 'p50', '#2e7d32'],
    ['p90', 'p90', '#f58518'],
    ['p99', 'p99', '#e45756'],
    ['max', 'max', '#1b3a66'],
  ] as const;
  const unit = d.buckets.some((b) => b.max >= 180) ? { seconds: 60, name: 'min' } : { seconds: 1, name: 's' };
  const half = d.bucketSeconds / 2;
  // Consecutive buckets form a run; a missing bucket starts a new one, so the line breaks there.
  let run = 0;
  const values = d.buckets.flatMap((b, i) => {
    if (i > 0 && b.start - d.buckets[i - 1].start > d.bucketSeconds * 1.5) run++;
    return stats.map(([key, name]) => ({ t: round3((b.start + half) / ctx.time.seconds), s: name, run: `${name}-${run}`, v: round3(b[key] / unit.seconds), n: b.count, from: round3(b.start / ctx.time.seconds) }));
  });
  const names = stats.map(([, name]) => name);
  const color = { field: 's', type: 'nominal' as const, scale: { domain: names, range: stats.map(([, , c]) => c) }, sort: names, title: null };
  const y = { field: 'v', type: 'quantitative' as const, title: `downtime (${unit.name})`, scale: { zero: true }, axis: { grid: true } };
  const total = d.buckets.reduce((sum, b) => sum + b.count, 0);
  return {
    id: 'downtime-over-time',
    title: 'Downtime of the reconnects, over time',
    caption: `Each point is one bucket of ${humanDuration(d.bucketSeconds)}: the reconnects completed in it, and how long those clients had been without a session (p50, p90, p99, max), as load tools draw latency percentiles over time. Empty buckets (no reconnect) are gaps, not zeros; hover a point for the number of reconnects behind it.`,
    wide: true,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: { text: 'Downtime of the reconnects, over time', subtitle: [`${formatInteger(total)} reconnects of disconnected clients, in buckets of ${humanDuration(d.bucketSeconds)} by when they got back`] },
      width: 'container',
      height: 220,
      autosize: { type: 'fit-x', contains: 'padding' },
      config: CONFIG,
      layer: [
        ...faultRects(ctx),
        {
          data: { values },
          // Points as well as lines: a bucket alone between gaps stays visible.
          mark: { type: 'line', point: { filled: true, size: 16 }, strokeWidth: 1.6 },
          encoding: {
            x: xTime(ctx),
            y,
            color,
            // A gap where buckets are missing: lines join only neighbouring buckets.
            detail: { field: 'run', type: 'nominal' },
            tooltip: [
              { field: 'from', type: 'quantitative', title: `bucket from (${ctx.time.unit})`, format: ',.2f' },
              { field: 's', type: 'nominal', title: 'percentile' },
              { field: 'v', type: 'quantitative', title: `downtime (${unit.name})`, format: ',.3~r' },
              { field: 'n', type: 'quantitative', title: 'reconnects in the bucket', format: ',' },
            ],
          },
        },
        ...topLabels(faultLabels(ctx), ctx),
      ],
    },
  };
}

/** Attempts clients send into the mobile network per second, against the pre-fault rate; only for a carrier outage (its point). */
export function carrierAttemptsChart(result: RunResult, ctx: ChartContext): ChartDef | null {
  if (!ctx.faults.some((f) => f.kind === 'carrier-outage') || result.series.carrierAttemptsPerSec === undefined) return null;
  const s = result.summary;
  const amplification = s.carrierAmplification === null ? '' : ` (${s.carrierAmplification.toFixed(1)}× the pre-fault rate)`;
  return timeSeries(ctx, {
    id: 'carrier-attempts',
    title: 'Carrier attempts',
    subtitle: [`Peak ${formatInteger(s.peakCarrierAttemptsPerSec)} attempts/s from the clients into the mobile network${amplification}`],
    caption:
      'Lookups and connects per second that clients sent, whether or not their network carried them: what the carrier sees. Log scale; a rate of zero leaves a gap. Where several seconds share a plotted point, a light band spans their minimum and maximum.',
    yTitle: 'attempts per second (log)',
    log: true,
    time: result.series.time,
    lines: [{ name: 'attempts sent by clients', values: result.series.carrierAttemptsPerSec, stat: 'mean' }],
    colors: { 'attempts sent by clients': PALETTE.attempts },
  });
}

/** Sessions on each session server over time, as a heatmap (time bins × servers). */
export function sessionsPerServerChart(result: RunResult, ctx: ChartContext): ChartDef {
  const grid = serverGrid(result.series.time, result.series.sessionsByServer, { interval: ctx.scenario.sampleInterval });
  const servers = grid.rows.map((r) => r.name);
  const rows = grid.rows.map((r) => ({ server: r.name, v: r.values.map(compact) }));
  // Bins are equal (the last may be cut short): a cell's edges follow from its index, so the
  // data holds one number per cell. Bin k (from 1) covers [(k-1)·w, min(k·w, last end)).
  const binSeconds = grid.end[0] - grid.start[0];
  const width = binSeconds / ctx.time.seconds;
  const lastEnd = round3(grid.end[grid.end.length - 1] / ctx.time.seconds);
  const t0 = round3(grid.start[0] / ctx.time.seconds);
  // Whole-pixel rows (and a rounded band scale) leave no anti-aliasing seams between servers.
  const rowPixels = Math.max(3, Math.min(24, Math.floor(520 / Math.max(1, servers.length))));
  const height = servers.length * rowPixels;
  const imbalance = result.summary.imbalance;
  const layers: Layer[] = [
    {
      transform: [
        { flatten: ['v'], as: ['v'] },
        { window: [{ op: 'row_number', as: 'bin' }], groupby: ['server'] },
        { calculate: `${t0} + (datum.bin - 1) * ${width}`, as: 'start' },
        { calculate: `min(${t0} + datum.bin * ${width}, ${lastEnd})`, as: 'end' },
        // Drawn a little wider than the bin so neighbouring cells overlap: no anti-aliasing seams.
        { calculate: `min(datum.end + ${width * 0.25}, ${lastEnd})`, as: 'drawnEnd' },
      ],
      mark: { type: 'rect' },
      encoding: {
        x: xTime(ctx, 'start'),
        x2: { field: 'drawnEnd' },
        y: {
          field: 'server',
          type: 'ordinal',
          sort: servers,
          scale: { round: true, paddingInner: 0, paddingOuter: 0 },
          title: servers.length > 1 ? `session server (${servers.length})` : 'session server',
          axis: { labelOverlap: true, labelFontSize: servers.length > 30 ? 9 : 11, ticks: false, domain: false },
        },
        color: {
          field: 'v',
          type: 'quantitative',
          title: 'sessions',
          scale: { scheme: 'viridis', zero: true },
          legend: { orient: 'right', direction: 'vertical', title: 'sessions', labelExpr: SI_LABELS, tickMinStep: 1, gradientLength: Math.min(200, height) },
        },
        tooltip: [
          { field: 'server', type: 'nominal', title: 'server' },
          { field: 'start', type: 'quantitative', title: `from (${ctx.time.unit})`, format: ',.2f' },
          { field: 'end', type: 'quantitative', title: `to (${ctx.time.unit})`, format: ',.2f' },
          { field: 'v', type: 'quantitative', title: 'sessions (mean)', format: ',.0f' },
        ],
      },
    },
    ...faultEdges(ctx),
    ...topLabels(faultLabels(ctx), ctx),
  ];
  return {
    id: 'sessions-per-server',
    title: 'Sessions per session server',
    caption: `Each row is one session server, each cell the mean session count over ${humanDuration(binSeconds)}. A dark row is a server with few sessions (crashed, or not yet refilled); an uneven column is an imbalance.`,
    wide: true,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: {
        text: 'Sessions per session server',
        subtitle: [
          `${servers.length} servers, bins of ${humanDuration(binSeconds)}; imbalance at the end: max/mean ${imbalance.maxOverMean?.toFixed(3) ?? '-'}, ` +
            `coefficient of variation ${imbalance.cv?.toFixed(4) ?? '-'}`,
        ],
      },
      width: 'container',
      height,
      autosize: { type: 'fit-x', contains: 'padding' },
      config: CONFIG,
      data: { values: rows },
      layer: layers,
    },
  };
}

/** Accept rate of the busiest server (and the mean) against the accept limit and the overload threshold. */
export function acceptRateChart(result: RunResult, ctx: ChartContext): ChartDef {
  const { series } = result;
  const n = series.time.length;
  const accepts = Object.values(series.acceptsPerSec);
  const attempts = Object.values(series.connectAttemptsPerSec);
  const mean = sumSeries(accepts, n).map((x) => x / Math.max(1, accepts.length));
  const lines: LineInput[] = [
    { name: 'connect attempts, busiest server (peak)', values: maxSeries(attempts, n), stat: 'max' },
    { name: 'accepted, busiest server (peak)', values: maxSeries(accepts, n), stat: 'max' },
    { name: 'accepted, mean over servers', values: mean, stat: 'mean' },
  ];
  const ss = ctx.scenario.sessionServer;
  const limits: Limit[] = [
    { value: ss.maxAcceptsPerSec, what: 'accept limit', label: `accept limit: ${formatInteger(ss.maxAcceptsPerSec)}/s` },
    {
      value: ss.overloadAcceptsPerSec,
      what: 'overload threshold',
      label: `overload: ${formatInteger(ss.overloadAcceptsPerSec)} attempts/s for ${humanDuration(ss.overloadFor)} crashes a server`,
    },
  ];
  const s = result.summary.server;
  const factor = s.peakAcceptFactor === null ? '' : ` (${(s.peakAcceptFactor * 100).toFixed(0)} % of the limit)`;
  return timeSeries(ctx, {
    id: 'accept-rate',
    title: 'Accept rate per session server',
    subtitle: [`Peak ${formatInteger(s.peakAcceptsPerSec)} accepts/s on one server${factor}; ${s.crashes === 0 ? 'no server crashed' : s.crashes === 1 ? '1 crash' : `${s.crashes} crashes`}`],
    caption:
      'Per second, log scale. The busiest server at each moment against the accept limit; connect attempts above the overload threshold for long enough crash a server.',
    yTitle: 'per second, one server (log)',
    log: true,
    time: series.time,
    lines,
    wide: ['accepted, busiest server (peak)'],
    colors: {
      'connect attempts, busiest server (peak)': PALETTE.attempts,
      'accepted, busiest server (peak)': PALETTE.served,
      'accepted, mean over servers': PALETTE.mean,
    },
    limits,
    limitUnit: '/s',
  });
}

/** Clients per state, stacked. */
export function clientStatesChart(result: RunResult, ctx: ChartContext): ChartDef {
  const c = result.series.clientsByState;
  const lines: LineInput[] = [
    { name: 'connected', values: c.connected, stat: 'mean' },
    { name: 'connecting', values: c.connecting, stat: 'mean' },
    { name: 'looking up', values: c.lookingUp, stat: 'mean' },
    { name: 'backing off', values: c.idleBackoff, stat: 'mean' },
  ];
  return timeSeries(ctx, {
    id: 'client-states',
    title: 'Clients per state',
    subtitle: [`${formatInteger(result.summary.clients)} clients; each is backing off, looking up, connecting or connected`],
    caption: 'Stacked: the height of each band is the number of clients in that state. Clients leave "connected" when a fault or churn ends their session.',
    yTitle: 'clients',
    log: false,
    stacked: true,
    yMax: result.summary.clients,
    time: result.series.time,
    lines,
    colors: { connected: PALETTE.connected, connecting: PALETTE.connecting, 'looking up': PALETTE.lookingUp, 'backing off': PALETTE.idleBackoff },
  });
}

const QUANTILES = [
  ['p50', 'p50', 0.5],
  ['p90', 'p90', 0.9],
  ['p99', 'p99', 0.99],
  ['p999', 'p99.9', 0.999],
  ['max', 'max', 1],
] as const;

/** Position on a "nines" axis: 50 % → 0.3, 90 % → 1, 99 % → 2, 99.9 % → 3, and the maximum one step further. */
const NINES = { p50: Math.log10(2), p90: 1, p99: 2, 'p99.9': 3, max: 4 } as const;
const NINES_LABELS = "{'0': '0 %', '0.301': '50 %', '1': '90 %', '2': '99 %', '3': '99.9 %', '4': 'all (max)'}[format(datum.value, '.3~f')]";

function quantilePoints(d: Distribution) {
  return QUANTILES.flatMap(([key, label, p]) => {
    const x = d[key];
    return x === null ? [] : [{ label, p, x }];
  });
}

/**
 * CDF of reconnect time (and of downtime) of the clients a fault disconnected, through the recorded
 * quantiles, on a "nines" axis so the tail is as readable as the median. Null without disconnected clients.
 */
export function reconnectCdfChart(result: RunResult, ctx: ChartContext): ChartDef | null {
  const s = result.summary;
  if (s.reconnectTime.count === 0 || s.incidentStart === null) return null;
  const incident = s.incidentStart;
  const curves = [
    { name: 'back, since the incident start', d: s.reconnectTime, color: PALETTE.connected },
    { name: 'downtime, since the session was lost', d: s.downtime, color: PALETTE.idleBackoff },
  ];
  // Full CDF points when the result has them (format 1 results written before it kept only quantiles).
  const cdfs = [result.distributions?.reconnectTimeCdf, result.distributions?.downtimeCdf];
  const labelOf = (p: number) => QUANTILES.find(([, , share]) => share === p)?.[1] ?? '';
  const values = curves.flatMap((c, i) => {
    const cdf = cdfs[i];
    const points =
      cdf && cdf.length > 0
        ? cdf.map((point) => ({ label: labelOf(point.p), p: point.p, x: point.seconds }))
        : quantilePoints(c.d);
    return points.map((q) => ({
      curve: c.name,
      q: q.label === '' ? `${(q.p * 100).toFixed(q.p > 0.99 ? 2 : 0)} %` : q.label,
      label: q.label,
      y: round3(q.p >= 1 ? NINES.max : Math.min(NINES.max, -Math.log10(1 - q.p))),
      x: round3(q.x / ctx.time.seconds),
      time: humanDuration(q.x),
    }));
  });
  const faults = ctx.faults
    .filter((f) => f.end > incident)
    .map((f) => ({ start: round3(Math.max(0, f.start - incident) / ctx.time.seconds), end: round3((f.end - incident) / ctx.time.seconds), fault: f.label }));
  const color = { field: 'curve', type: 'nominal' as const, scale: { domain: curves.map((c) => c.name), range: curves.map((c) => c.color) }, sort: curves.map((c) => c.name), title: null };
  const x = { field: 'x', type: 'quantitative' as const, title: `time since the incident start (${ctx.time.unit})`, scale: { zero: true } };
  const y = {
    field: 'y',
    type: 'quantitative' as const,
    title: 'share of disconnected clients',
    scale: { domain: [0, 4.2], nice: false },
    axis: { values: [0, round3(NINES.p50), 1, 2, 3, 4], labelExpr: NINES_LABELS, grid: true },
  };
  const tooltip = [
    { field: 'curve', type: 'nominal' as const, title: 'curve' },
    { field: 'q', type: 'nominal' as const, title: 'quantile' },
    { field: 'time', type: 'nominal' as const, title: 'time' },
  ];
  const layers: Layer[] = [];
  if (faults.length > 0) {
    layers.push({
      data: { values: faults },
      mark: { type: 'rect', color: PALETTE.fault, opacity: 0.12 },
      encoding: { x: { field: 'start', type: 'quantitative' }, x2: { field: 'end' }, tooltip: [{ field: 'fault', type: 'nominal', title: 'fault' }] },
    });
  }
  const targets = targetMarks(ctx, incident, () => true);
  layers.push(...targetRules(targets));
  if (targets.length > 0) {
    // Inside the plot, under its top edge, one line each; the text ends at the rule (the plot's right half holds the tail).
    layers.push({
      data: { values: targets.map((t, i) => ({ x: t.x, y: 4.2 - 0.22 * i, label: t.label })) },
      mark: { type: 'text', align: 'right', baseline: 'top', dx: -4, dy: 2, fontSize: 10, fontWeight: 'bold', color: PALETTE.target },
      encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, text: { field: 'label', type: 'nominal' } },
    });
  }
  layers.push(
    { data: { values }, mark: { type: 'line', point: { filled: true, size: 12 } }, encoding: { x, y, color, tooltip } },
    {
      data: { values },
      transform: [{ filter: { field: 'curve', equal: curves[0].name } }, { filter: "datum.label != ''" }],
      mark: { type: 'text', align: 'left', dx: 7, dy: 9, fontSize: 10, color: PALETTE.recovery },
      encoding: { x, y, text: { field: 'time', type: 'nominal' } },
    },
  );
  return {
    id: 'reconnect-cdf',
    title: 'Reconnect time of disconnected clients',
    caption:
      'How long the clients the incident disconnected took to get a session again, as a cumulative share on a "nines" scale (50 %, 90 %, 99 %, 99.9 %, all), so the tail is as readable as the median. ' +
      'Time runs from the incident start, as on the cards; red: the fault windows, on the same clock. The cards\' "99 % / 99.9 % of sessions back" count sessions against the pre-fault count, ' +
      'this curve counts the disconnected clients only, so its 99 % and 99.9 % differ (they come later when only part of the clients were disconnected); "all" is the same moment on both.',
    wide: false,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: {
        text: 'Reconnect time of disconnected clients',
        subtitle: [
          `${formatInteger(s.reconnectTime.count)} clients; mean ${humanDuration(s.reconnectTime.mean ?? 0)} after the incident start,`,
          `mean downtime ${humanDuration(s.downtime.mean ?? 0)}`,
        ],
      },
      width: 'container',
      height: 260,
      autosize: { type: 'fit-x', contains: 'padding' },
      config: { ...CONFIG, legend: { ...CONFIG.legend, columns: 1, symbolType: 'stroke' } },
      layer: layers,
    },
  };
}

/** Attempts per client: a histogram over every client, and over the clients the incident disconnected. */
export function attemptsChart(result: RunResult): ChartDef {
  const d = result.distributions;
  return d && d.attemptsPerClient.length > 0 ? attemptsHistogram(result) : attemptsQuantiles(result);
}

function attemptsHistogram(result: RunResult): ChartDef {
  const s = result.summary;
  const d = result.distributions;
  const groups: { name: string; bins: [number, number][]; color: string }[] = [
    { name: 'every client, whole run', bins: d.attemptsPerClient, color: PALETTE.attempts },
  ];
  if (d.attemptsToReconnect.length > 0) {
    groups.push({ name: 'disconnected clients, until back', bins: d.attemptsToReconnect, color: PALETTE.idleBackoff });
  }
  const values = groups.flatMap((g) => g.bins.map(([attempts, clients]) => ({ group: g.name, attempts, end: attempts + 1, clients })));
  // Ticks at whole powers of ten; the axis starts at ½ so that a bin of one client still has a bar.
  const clientsTicks = logDomain([1, ...values.map((v) => v.clients)]).ticks;
  const clientsAxis = { domain: [0.5, clientsTicks[clientsTicks.length - 1]], ticks: clientsTicks };
  const color = { field: 'group', type: 'nominal' as const, scale: { domain: groups.map((g) => g.name), range: groups.map((g) => g.color) }, sort: groups.map((g) => g.name), title: null };
  return {
    id: 'attempts',
    title: 'Attempts per client',
    caption:
      'How many lookups and connects each client made (a histogram, clients on a log scale): over the whole run, and for the clients the incident disconnected, until they were back.',
    wide: false,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: {
        text: 'Attempts per client',
        subtitle: [
          `${formatInteger(s.attemptsPerClient.count)} clients: median ${compact(s.attemptsPerClient.p50 ?? 0)}, max ${compact(s.attemptsPerClient.max ?? 0)}`,
          `${formatInteger(s.attemptsToReconnect.count)} disconnected: median ${compact(s.attemptsToReconnect.p50 ?? 0)} to get back`,
        ],
      },
      width: 'container',
      height: 260,
      autosize: { type: 'fit-x', contains: 'padding' },
      config: { ...CONFIG, legend: { ...CONFIG.legend, columns: 1, symbolType: 'square' } },
      data: { values },
      mark: { type: 'bar', opacity: 0.7, binSpacing: 0 },
      encoding: {
        // Bins of one attempt each, whatever the range: the axis shows whole numbers only.
        x: { field: 'attempts', type: 'quantitative', bin: { binned: true, step: 1 }, title: 'attempts (lookups + connects)', axis: { tickMinStep: 1, format: 'd' } },
        x2: { field: 'end' },
        y: {
          field: 'clients',
          type: 'quantitative',
          title: 'clients (log scale)',
          scale: { type: 'log', domain: clientsAxis.domain },
          axis: { values: clientsAxis.ticks, labelExpr: SI_LABELS, grid: true },
          stack: null,
        },
        color,
        tooltip: [
          { field: 'group', type: 'nominal', title: 'clients' },
          { field: 'attempts', type: 'quantitative', title: 'attempts' },
          { field: 'clients', type: 'quantitative', title: 'how many', format: ',' },
        ],
      },
    },
  };
}

function attemptsQuantiles(result: RunResult): ChartDef {
  const s = result.summary;
  const groups: { name: string; d: Distribution; color: string }[] = [{ name: 'every client, whole run', d: s.attemptsPerClient, color: PALETTE.attempts }];
  if (s.attemptsToReconnect.count > 0) groups.push({ name: 'disconnected clients, until back', d: s.attemptsToReconnect, color: PALETTE.idleBackoff });
  const labels = [...QUANTILES.map(([, label]) => label), 'mean'];
  const values = groups.flatMap((g) => [
    ...quantilePoints(g.d).map((q) => ({ group: g.name, q: q.label, attempts: q.x })),
    ...(g.d.mean === null ? [] : [{ group: g.name, q: 'mean', attempts: compact(g.d.mean) }]),
  ]);
  const color = { field: 'group', type: 'nominal' as const, scale: { domain: groups.map((g) => g.name), range: groups.map((g) => g.color) }, sort: groups.map((g) => g.name) };
  return {
    id: 'attempts',
    title: 'Attempts per client',
    caption:
      'Lookups and connects a client made. The result keeps quantiles of the distribution: half the clients made at most the p50 count, 1 in 1,000 more than the p99.9 count.',
    wide: false,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: {
        text: 'Attempts per client',
        subtitle: [`Quantiles over all ${formatInteger(s.attemptsPerClient.count)} clients`, `and over the ${formatInteger(s.attemptsToReconnect.count)} the incident disconnected`],
      },
      width: 'container',
      height: 260,
      autosize: { type: 'fit-x', contains: 'padding' },
      config: { ...CONFIG, legend: { ...CONFIG.legend, columns: 1, symbolType: 'square' } },
      data: { values },
      encoding: {
        x: { field: 'q', type: 'ordinal', sort: labels, title: 'quantile', axis: { labelAngle: 0 } },
        xOffset: { field: 'group', type: 'nominal', sort: groups.map((g) => g.name) },
        y: { field: 'attempts', type: 'quantitative', title: 'attempts (lookups + connects)' },
        color,
      },
      layer: [
        {
          mark: { type: 'bar', cornerRadiusTopLeft: 2, cornerRadiusTopRight: 2 },
          encoding: {
            tooltip: [
              { field: 'group', type: 'nominal', title: 'clients' },
              { field: 'q', type: 'nominal', title: 'quantile' },
              { field: 'attempts', type: 'quantitative', title: 'attempts', format: ',.4~f' },
            ],
          },
        },
        {
          mark: { type: 'text', baseline: 'bottom', dy: -2, fontSize: 10, color: '#333333' },
          encoding: { text: { field: 'attempts', type: 'quantitative', format: ',.3~r' }, color: { value: '#333333' } },
        },
      ],
    },
  };
}

/** Control-plane events (suspensions, failovers, algorithm fallbacks) on a timeline; null when there are none. */
export function eventsChart(ctx: ChartContext): ChartDef | null {
  if (ctx.events.length === 0) return null;
  const values = ctx.events.map((e) => ({ t: round3(e.time / ctx.time.seconds), kind: e.kind, subject: e.subject, detail: e.detail }));
  const kinds = [...new Set(values.map((v) => v.kind))].sort();
  return {
    id: 'control-plane-events',
    title: 'Control-plane events',
    caption: 'Each mark is one event of the managers or lookups: hover it for what happened to which server.',
    wide: true,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: { text: 'Control-plane events', subtitle: [`${formatInteger(values.length)} events of ${kinds.length} kind(s)`] },
      width: 'container',
      height: Math.max(60, kinds.length * 32),
      autosize: { type: 'fit-x', contains: 'padding' },
      config: CONFIG,
      layer: [
        ...faultRects(ctx),
        {
          data: { values },
          mark: { type: 'tick', thickness: 3, size: 22, opacity: 1 },
          encoding: {
            x: xTime(ctx),
            y: { field: 'kind', type: 'nominal', sort: kinds, title: null },
            color: { field: 'kind', type: 'nominal', sort: kinds, legend: null, scale: { scheme: 'tableau10' } },
            tooltip: [
              { field: 't', type: 'quantitative', title: timeTitle(ctx), format: ',.2f' },
              { field: 'kind', type: 'nominal' },
              { field: 'subject', type: 'nominal' },
              { field: 'detail', type: 'nominal' },
            ],
          },
        },
        ...topLabels(faultLabels(ctx), ctx),
      ],
    },
  };
}

/**
 * The baselines of docs/model.md §1 (only with `lookup.algorithm: dns` or
 * `l4`): DNS clients still holding a removed server; the L4 switch's table
 * with its ghosts against its limit, and the sessions of each VIP.
 */
export function baselineCharts(result: RunResult, ctx: ChartContext): ChartDef[] {
  const { dns, l4, time } = result.series;
  const charts: ChartDef[] = [];
  if (dns !== undefined && result.summary.dns !== undefined) {
    const d = result.summary.dns;
    charts.push(timeSeries(ctx, {
      id: 'dns-cached-on-removed',
      title: 'DNS: clients on a removed server',
      subtitle: [`Peak ${formatInteger(d.peakCachedOnRemoved)}, ${formatInteger(d.cachedOnRemovedAtEnd)} at the end; TTL ${d.ttl} s, ${formatInteger(d.ignoringClients)} clients ignore it`],
      caption:
        'Clients whose cached DNS answer is a server out of service: they keep connecting to it until their cache expires (one TTL), or for good if they ignore the TTL. Removal from DNS moves no client by itself.',
      yTitle: 'clients',
      log: false,
      time,
      lines: [{ name: 'cached on a removed server', values: dns.cachedOnRemoved, stat: 'max' }],
      colors: { 'cached on a removed server': PALETTE.noServer },
    }));
  }
  if (l4 !== undefined && result.summary.l4 !== undefined) {
    const s = result.summary.l4;
    const limits: Limit[] = s.maxSessions === null ? [] : [{ value: s.maxSessions, what: 'table limit', label: `table limit: ${formatInteger(s.maxSessions)}` }];
    charts.push(timeSeries(ctx, {
      id: 'l4-table',
      title: "L4 switch: session table",
      subtitle: [`Peak ${formatInteger(s.peakSessions)} entries, ${formatInteger(s.peakGhosts)} of them ghosts at most; ${s.secondsAtLimit} s at the limit`],
      caption:
        'Entries of the switch\'s session table: open sessions plus ghosts, the sessions that vanished without a FIN or RST (a carrier outage, a vanished host) and stay until the idle timeout. A device that reconnects meanwhile counts twice.',
      yTitle: 'entries',
      log: false,
      time,
      lines: [
        { name: 'entries (with ghosts)', values: l4.sessions, stat: 'max' },
        { name: 'ghosts', values: l4.ghosts, stat: 'max' },
      ],
      colors: { 'entries (with ghosts)': PALETTE.offered, ghosts: PALETTE.idleBackoff },
      limits,
    }));
    const vips = Object.keys(l4.sessionsByVip);
    charts.push(timeSeries(ctx, {
      id: 'l4-vips',
      title: 'L4 switch: sessions per VIP',
      subtitle: [`${vips.length} VIPs; a failed server's clients come back to its own VIP only`],
      caption: 'Open sessions on the servers of each VIP. The switch balances within a VIP: when servers of one fail, the others of that VIP take their load, and nothing moves between VIPs.',
      yTitle: 'sessions',
      log: false,
      time,
      lines: vips.map((name) => ({ name, values: l4.sessionsByVip[name], stat: 'mean' as const })),
      colors: Object.fromEntries(vips.map((name, i) => [name, REGION_COLORS[i % REGION_COLORS.length]])),
    }));
  }
  return charts;
}

/** Every chart of a run's report, in page order. */
export function reportCharts(result: RunResult, ctx: ChartContext): ChartDef[] {
  const charts: (ChartDef | null)[] = [
    connectedChart(result, ctx),
    ...heapCharts(result, ctx),
    lookupLoadChart(result, ctx),
    errorsChart(result, ctx),
    carrierAttemptsChart(result, ctx),
    ...baselineCharts(result, ctx),
    sessionsPerServerChart(result, ctx),
    acceptRateChart(result, ctx),
    reconnectCdfChart(result, ctx),
    attemptsChart(result),
    downtimeOverTimeChart(result, ctx),
    clientStatesChart(result, ctx),
    eventsChart(ctx),
  ];
  return charts.filter((c): c is ChartDef => c !== null);
}
