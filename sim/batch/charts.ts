// Vega-lite specs for batch outputs: pure functions from typed results to a
// spec with its data inline, so a spec file renders on its own (vega-embed,
// the vega-lite CLI) and tests check the JSON, not pixels.
import type { Direction } from './aggregate.ts';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
/** Longer series are averaged in equal bins: a spec stays small enough to open in a browser. */
const MAX_POINTS = 2000;

export type VegaLiteSpec = Record<string, unknown>;

/** Lines of one per-second series per variant, overlaid (e.g. connected sessions over time). */
export function overlaySpec(
  title: string,
  yTitle: string,
  time: readonly number[],
  lines: readonly { label: string; values: readonly number[] }[],
): VegaLiteSpec {
  const bin = Math.max(1, Math.ceil(time.length / MAX_POINTS));
  const values: { t: number; variant: string; value: number }[] = [];
  for (const line of lines) {
    const length = Math.min(time.length, line.values.length);
    for (let start = 0; start < length; start += bin) {
      const stop = Math.min(length, start + bin);
      let sum = 0;
      for (let i = start; i < stop; i++) sum += line.values[i];
      values.push({ t: time[start], variant: line.label, value: sum / (stop - start) });
    }
  }
  return {
    $schema: SCHEMA,
    title,
    width: 720,
    height: 320,
    data: { values },
    mark: { type: 'line', interpolate: 'step-after' },
    encoding: {
      x: { field: 't', type: 'quantitative', title: 'time (s)' },
      // Not from zero: the dips and surges are the point, not the distance to the axis.
      y: { field: 'value', type: 'quantitative', title: yTitle, scale: { zero: false } },
      color: { field: 'variant', type: 'nominal', sort: lines.map((l) => l.label), title: 'variant', legend: { labelLimit: 400 } },
    },
  };
}

export interface IntervalPoint {
  label: string;
  mean: number | null;
  ci95: [number, number] | null;
}

/** Mean and 95 % interval of one metric per variant, one row per variant in the given order. */
export function metricByVariantSpec(metric: string, direction: Direction, points: readonly IntervalPoint[]): VegaLiteSpec {
  const values = points
    .filter((p) => p.mean !== null)
    .map((p) => ({ variant: p.label, mean: p.mean, low: p.ci95?.[0] ?? p.mean, high: p.ci95?.[1] ?? p.mean }));
  const y = { field: 'variant', type: 'nominal', sort: points.map((p) => p.label), title: null, axis: { labelLimit: 400 } };
  return {
    $schema: SCHEMA,
    title: { text: metric, subtitle: `mean and 95 % confidence interval${betterNote(direction)}` },
    width: 480,
    data: { values },
    layer: [
      { mark: 'rule', encoding: { y, x: { field: 'low', type: 'quantitative', title: metric, scale: { zero: false } }, x2: { field: 'high' } } },
      { mark: { type: 'point', filled: true }, encoding: { y, x: { field: 'mean', type: 'quantitative' } } },
    ],
  };
}

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
  const values = points
    .filter((p) => p.mean !== null)
    .map((p) => ({
      x: numeric ? Number(p.x) : p.x,
      group: p.group,
      mean: p.mean,
      low: p.ci95?.[0] ?? p.mean,
      high: p.ci95?.[1] ?? p.mean,
    }));
  const x = numeric
    ? { field: 'x', type: 'quantitative', title: parameter }
    : { field: 'x', type: 'ordinal', sort: [...order], title: parameter, axis: { labelAngle: 0 } };
  const grouped = points.some((p) => p.group !== '');
  const color = grouped ? { color: { field: 'group', type: 'nominal', title: 'other parameters', legend: { labelLimit: 400 } } } : {};
  return {
    $schema: SCHEMA,
    title: { text: `${metric} by ${parameter}`, subtitle: `mean and 95 % confidence interval${betterNote(direction)}` },
    width: 480,
    height: 300,
    data: { values },
    layer: [
      { mark: 'rule', encoding: { x, y: { field: 'low', type: 'quantitative', title: metric }, y2: { field: 'high' }, ...color } },
      { mark: { type: 'line', point: true }, encoding: { x, y: { field: 'mean', type: 'quantitative' }, ...color } },
    ],
  };
}

function betterNote(direction: Direction): string {
  return direction === null ? '' : `; ${direction} is better`;
}
