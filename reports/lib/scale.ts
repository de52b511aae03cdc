// Scales that no data value can break: a log axis spans a bounded number of
// powers of ten whatever the values, and a limit that is `unlimited` (Infinity
// in the scenario), overflowed (capacity × instances) or far above the data is
// named in words instead of being fed to a scale.

/** A log axis never spans more powers of ten than this (a chart is ~250 px high). */
export const MAX_DECADES = 9;
/** A finite limit more than this many powers of ten above the data is "off the scale": named, not drawn. */
export const OFF_SCALE_DECADES = 6;

/** A log axis over whole powers of ten: from below the smallest positive value to above the largest (limits included). */
export function logDomain(values: Iterable<number | null>): { domain: [number, number]; ticks: number[] } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v === null || !(v > 0) || !Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!Number.isFinite(lo)) return { domain: [1, 10], ticks: [1, 10] };
  // 10^308 is the last power of ten a double holds.
  const b = Math.min(308, Math.max(0, Math.ceil(Math.log10(hi) - 1e-9)));
  // The top stays; the bottom gives way when the values span more than MAX_DECADES.
  const a = Math.max(-1, b - MAX_DECADES, Math.floor(Math.log10(lo) + 1e-9));
  const top = Math.max(a + 1, b);
  const ticks: number[] = [];
  for (let e = a; e <= top; e++) ticks.push(e < 0 ? Number((10 ** e).toFixed(-e)) : 10 ** e);
  return { domain: [ticks[0], ticks[ticks.length - 1]], ticks };
}

export interface Limit {
  value: number;
  /** What it is, e.g. `accept limit`. */
  what: string;
  /** The rule's label with the value, e.g. `accept limit: 2,000/s`. */
  label: string;
  /** Label under the rule rather than above it (a limit at the top of the plot, under the labels above it). */
  labelBelow?: boolean;
}

export interface SplitLimits {
  /** Drawn as rules, on the scale. */
  drawn: Limit[];
  /** Named in words: `accept limit: unlimited`, `capacity …: 1e+20/s, off the scale`. */
  words: string[];
}

/**
 * Which limits a chart can draw: finite, positive, and within
 * OFF_SCALE_DECADES of the data's largest value. The rest are said in words.
 */
export function splitLimits(limits: readonly Limit[], dataMax: number, unit = ''): SplitLimits {
  const ceiling = dataMax > 0 && Number.isFinite(dataMax) ? dataMax * 10 ** OFF_SCALE_DECADES : 10 ** OFF_SCALE_DECADES;
  const drawn: Limit[] = [];
  const words: string[] = [];
  for (const limit of limits) {
    if (limit.value === Infinity) words.push(`${limit.what}: unlimited`);
    else if (!(limit.value > 0)) continue;
    else if (limit.value > ceiling) words.push(`${limit.what}: ${limit.value.toPrecision(3)}${unit}, off the scale`);
    else drawn.push(limit);
  }
  return { drawn, words };
}

/** The largest finite value, or 0. */
export function finiteMax(values: Iterable<number | null | undefined>): number {
  let hi = 0;
  for (const v of values) if (v !== null && v !== undefined && Number.isFinite(v) && v > hi) hi = v;
  return hi;
}
