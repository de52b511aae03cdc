// Keeps reports light: long series are cut into equal buckets of a "nice"
// number of samples, each bucket keeping its mean, min and max (so a spike
// against a capacity line survives), and per-server series become a grid of
// at most a fixed number of cells. Everything here is pure and deterministic.

/** At most this many points per line, whatever the run length (about one per pixel of a wide chart). */
export const MAX_POINTS = 1000;
/** At most this many cells in a per-server heatmap (servers × time bins): 100 servers get 120 bins. */
export const MAX_CELLS = 12_000;
/** At most this many time bins in a heatmap (more is not visible on a screen). */
export const MAX_BINS = 300;

/** Bucket sizes (in samples) we pick from: they divide minutes and hours evenly at a 1 s sample interval. */
const NICE = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, 120, 180, 240, 300, 600, 900, 1200, 1800, 3600];

/** The smallest nice bucket size that brings `samples` down to at most `maxPoints` buckets. */
export function bucketFactor(samples: number, maxPoints: number = MAX_POINTS): number {
  if (maxPoints < 1) throw new RangeError(`maxPoints must be at least 1, got ${maxPoints}`);
  for (const factor of NICE) if (Math.ceil(samples / factor) <= maxPoints) return factor;
  return Math.ceil(samples / maxPoints);
}

export interface Bucketed {
  /** Bucket centre (mean of its sample times). */
  t: number[];
  mean: number[];
  min: number[];
  max: number[];
}

/** Cuts `values` (sampled at `time`) into buckets of `factor` consecutive samples. */
export function bucket(time: readonly number[], values: readonly number[], factor: number): Bucketed {
  if (time.length !== values.length) throw new RangeError(`time has ${time.length} samples, values ${values.length}`);
  const out: Bucketed = { t: [], mean: [], min: [], max: [] };
  for (let start = 0; start < values.length; start += factor) {
    const end = Math.min(start + factor, values.length);
    let sum = 0;
    let sumT = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = start; i < end; i++) {
      const v = values[i];
      sum += v;
      sumT += time[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const n = end - start;
    out.t.push(sumT / n);
    out.mean.push(sum / n);
    out.min.push(lo);
    out.max.push(hi);
  }
  return out;
}

/** Element-wise sum of equally long series (e.g. offered load over every lookup instance). */
export function sumSeries(series: readonly (readonly number[])[], length: number): number[] {
  const out = new Array<number>(length).fill(0);
  for (const s of series) for (let i = 0; i < length; i++) out[i] += s[i];
  return out;
}

/** Element-wise maximum (e.g. the busiest lookup instance at each sample). */
export function maxSeries(series: readonly (readonly number[])[], length: number): number[] {
  if (series.length === 0) return new Array<number>(length).fill(0);
  const out = new Array<number>(length).fill(-Infinity);
  for (const s of series) for (let i = 0; i < length; i++) if (s[i] > out[i]) out[i] = s[i];
  return out;
}

export interface Grid {
  /** Bin edges in seconds: bin j covers [start[j], end[j]). */
  start: number[];
  end: number[];
  /** One row per server, in the order given, each with one value per bin (the bin's mean). */
  rows: { name: string; values: number[] }[];
}

/**
 * Per-server series as a servers × bins grid of bin means, with at most
 * `maxCells` cells and `maxBins` bins. Bins span whole samples; the last may be shorter.
 */
export function serverGrid(
  time: readonly number[],
  byServer: Readonly<Record<string, readonly number[]>>,
  options: { maxCells?: number; maxBins?: number; interval?: number } = {},
): Grid {
  const names = Object.keys(byServer);
  const samples = time.length;
  const maxBins = Math.max(1, Math.min(options.maxBins ?? MAX_BINS, Math.floor((options.maxCells ?? MAX_CELLS) / Math.max(1, names.length))));
  const factor = bucketFactor(samples, maxBins);
  const interval = options.interval ?? (samples > 1 ? time[1] - time[0] : 1);
  const start: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < samples; i += factor) {
    start.push(time[i]);
    end.push(time[Math.min(i + factor, samples) - 1] + interval);
  }
  const rows = names.map((name) => ({ name, values: bucket(time, byServer[name], factor).mean }));
  return { start, end, rows };
}

/**
 * Rounds for display: counts and rates of 100 or more to integers, smaller
 * values to 3 significant digits. The report is for eyes; result.json keeps the exact numbers.
 */
export function compact(x: number): number {
  if (!Number.isFinite(x)) return x;
  if (Math.abs(x) >= 100) return Math.round(x);
  if (x === 0) return 0;
  return Number(x.toPrecision(3));
}
