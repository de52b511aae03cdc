// Summaries of per-episode and per-client values (docs/model.md §8): quantiles
// by the nearest-rank method, CDF points and histograms. At tens of millions
// of clients these run over arrays of tens of millions, so durations are
// sorted by radix (a comparison sort of 10^7 doubles takes over a second)
// and counts are tallied, never sorted.
import { endianness } from 'node:os';
import type { Distribution } from '../result.ts';

export interface CdfPoint {
  p: number;
  seconds: number;
}

/** Shares at which a CDF is drawn: every percent, every 0.1 % and 0.01 % into the tail (to 99.95 %), and the maximum. */
const CDF_SHARES = [
  ...Array.from({ length: 99 }, (_, i) => (i + 1) / 100),
  ...Array.from({ length: 9 }, (_, i) => 0.991 + i / 1000),
  ...Array.from({ length: 5 }, (_, i) => 0.9991 + i / 10_000),
  1,
];

/** The summary of `count` values summing to `sum`, whose q-quantile is `at(q)` (the maximum is at(1)). */
function distributionOf(count: number, sum: number, at: (q: number) => number): Distribution {
  return { count, mean: sum / count, p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: at(1) };
}

/** Index of the q-quantile among `count` ascending values (nearest rank). */
function rankIndex(q: number, count: number): number {
  return Math.min(count - 1, Math.max(0, Math.ceil(q * count) - 1));
}

/** Distribution and CDF of durations (seconds, never negative). */
export function summarizeDurations(values: Float64Array): { distribution: Distribution; cdf: CdfPoint[] } {
  const sorted = ascending(values);
  const count = sorted.length;
  if (count === 0) return { distribution: emptyDistribution(), cdf: [] };
  // Summed in ascending order, so that the mean does not depend on the order episodes ended in.
  let sum = 0;
  for (let i = 0; i < count; i++) sum += sorted[i];
  const at = (q: number) => sorted[rankIndex(q, count)];
  return {
    distribution: distributionOf(count, sum, at),
    cdf: CDF_SHARES.map((p) => ({ p: Number(p.toFixed(4)), seconds: at(p) })),
  };
}

/**
 * Distribution and histogram ([value, clients] pairs by value) of counts
 * (non-negative integers), from a tally: O(n + largest).
 */
export function summarizeCounts(values: Float64Array | Uint32Array | Uint16Array): CountSummary {
  const count = values.length;
  if (count === 0) return { distribution: emptyDistribution(), histogram: [] };
  let largest = 0;
  for (let i = 0; i < count; i++) if (values[i] > largest) largest = values[i];
  if (largest > tallyLimit(count)) return summarizeSortedCounts(Float64Array.from(values).sort());
  const tally = new Float64Array(largest + 1);
  for (let i = 0; i < count; i++) tally[values[i]]++;
  return summarizeTally(tally);
}

export interface CountSummary {
  distribution: Distribution;
  histogram: [number, number][];
}

/** The largest count worth tallying among `count` values (beyond it, a sort costs less memory). */
export function tallyLimit(count: number): number {
  return 4 * count + 1024;
}

/** `summarizeCounts` from a tally: `tally[v]` values equal v (trailing zeros allowed). */
export function summarizeTally(tally: Float64Array): CountSummary {
  let count = 0;
  let largest = 0;
  for (let value = 0; value < tally.length; value++) {
    count += tally[value];
    if (tally[value] > 0) largest = value;
  }
  if (count === 0) return { distribution: emptyDistribution(), histogram: [] };
  const histogram: [number, number][] = [];
  // Integers well below 2^53: the sum is exact in any order.
  let sum = 0;
  for (let value = 0; value <= largest; value++) {
    if (tally[value] === 0) continue;
    histogram.push([value, tally[value]]);
    sum += value * tally[value];
  }
  const at = (q: number) => {
    const index = rankIndex(q, count);
    let seen = 0;
    for (const [value, clients] of histogram) {
      seen += clients;
      if (seen > index) return value;
    }
    return largest;
  };
  return { distribution: distributionOf(count, sum, at), histogram };
}

/** The same from an ascending array: for counts too large to tally. */
function summarizeSortedCounts(sorted: Float64Array): { distribution: Distribution; histogram: [number, number][] } {
  const count = sorted.length;
  const histogram: [number, number][] = [];
  let sum = 0;
  for (let i = 0; i < count; ) {
    let j = i + 1;
    while (j < count && sorted[j] === sorted[i]) j++;
    histogram.push([sorted[i], j - i]);
    i = j;
  }
  for (let i = 0; i < count; i++) sum += sorted[i];
  return { distribution: distributionOf(count, sum, (q) => sorted[rankIndex(q, count)]), histogram };
}

function emptyDistribution(): Distribution {
  return { count: 0, mean: null, p50: null, p90: null, p99: null, p999: null, max: null };
}

const LITTLE_ENDIAN = endianness() === 'LE';
const DIGIT_BITS = 11;
const DIGITS = 6; // 6 × 11 bits cover the 64 bits of a double
const RADIX = 1 << DIGIT_BITS;
/**
 * The radix sort pays from here on. It is JavaScript, and a run sorts once or
 * twice, in code V8 has not optimized yet: measured in a fresh process, it
 * took 15 ms for 15,000 durations and 38 ms for 200,000, where the built-in
 * sort (C++) took 1.1 and 22 ms; at 10^6 the radix sort was ahead (85 against 103 ms).
 */
const RADIX_FROM = 2 ** 19;

/**
 * The values in ascending order, exactly as `Float64Array.prototype.sort`
 * orders them. Already ascending (episodes mostly end in time order): the
 * values themselves. Otherwise, for doubles that are all +0 or positive:
 * the values that extend an ascending run as they come are kept in place,
 * and only the others are sorted, then merged in (after an outage, the
 * downtimes of its episodes come ascending, with short churn episodes
 * among them); the sort is an LSD radix sort of the bit patterns (which
 * then order as the numbers do), skipping the digits all values share.
 * Fewer than `radixFrom` values, or anything else, go to the built-in sort.
 */
export function ascending(values: Float64Array, radixFrom = RADIX_FROM): Float64Array {
  const n = values.length;
  // -0 and NaN would not sort by their bits; negatives never occur here.
  const radixable = (value: number) => value >= 0 && !(value === 0 && 1 / value < 0);
  let first = 0;
  while (first < n && radixable(values[first]) && (first === 0 || values[first] >= values[first - 1])) first++;
  if (first === n && LITTLE_ENDIAN) return values;
  if (!LITTLE_ENDIAN || n < radixFrom) return Float64Array.from(values).sort();
  // The first descent is at `first` (or a value that is not radixable): kept values go to the
  // front of `split`, the others to its back.
  const split = new Float64Array(n);
  split.set(values.subarray(0, first));
  let kept = first;
  let others = n;
  let last = first > 0 ? values[first - 1] : -Infinity;
  for (let i = first; i < n; i++) {
    const value = values[i];
    if (!radixable(value)) return Float64Array.from(values).sort();
    if (value >= last) {
      split[kept++] = value;
      last = value;
    } else {
      split[--others] = value;
    }
  }
  // Mostly out of order: one sort of everything beats a sort of most of it and a merge.
  if (n - others > n / 2) return radixSort(values);
  // Sorted out of `split`, whose tail the merge then overwrites.
  const rest = others > n - 4096 ? split.slice(others).sort() : radixSort(split.subarray(others));
  mergeFromBack(split, kept, rest);
  return split;
}

/**
 * Merges ascending `b` into `into`, whose first `kept` values are ascending
 * and which has room for both: from the back, so that no value is
 * overwritten before it is read (equal values are the same double: their
 * order does not matter).
 */
function mergeFromBack(into: Float64Array, kept: number, b: Float64Array): void {
  let i = kept - 1;
  let j = b.length - 1;
  let k = kept + b.length - 1;
  while (j >= 0 && i >= 0) into[k--] = into[i] > b[j] ? into[i--] : b[j--];
  while (j >= 0) into[k--] = b[j--];
}

function radixSort(values: Float64Array): Float64Array {
  const n = values.length;
  let from = Float64Array.from(values);
  let to = new Float64Array(n);
  const counts = new Int32Array(DIGITS * RADIX);
  let words = new Uint32Array(from.buffer);
  for (let i = 0; i < n; i++) {
    const low = words[2 * i];
    const high = words[2 * i + 1];
    for (let d = 0; d < DIGITS; d++) counts[d * RADIX + digit(low, high, d)]++;
  }
  for (let d = 0; d < DIGITS; d++) {
    const base = d * RADIX;
    // A digit every value shares moves nothing.
    if (counts[base + digit(words[0], words[1], d)] === n) continue;
    let position = 0;
    for (let k = 0; k < RADIX; k++) {
      const c = counts[base + k];
      counts[base + k] = position;
      position += c;
    }
    for (let i = 0; i < n; i++) {
      const slot = base + digit(words[2 * i], words[2 * i + 1], d);
      to[counts[slot]++] = from[i];
    }
    const swap = from;
    from = to;
    to = swap;
    words = new Uint32Array(from.buffer);
  }
  return from;
}

/** Digit `d` (0 = least significant) of the 64-bit pattern high·2^32 + low. */
function digit(low: number, high: number, d: number): number {
  switch (d) {
    case 0: return low & (RADIX - 1);
    case 1: return (low >>> DIGIT_BITS) & (RADIX - 1);
    case 2: return (low >>> (2 * DIGIT_BITS)) | ((high & 1) << (32 - 2 * DIGIT_BITS));
    case 3: return (high >>> 1) & (RADIX - 1);
    case 4: return (high >>> (1 + DIGIT_BITS)) & (RADIX - 1);
    default: return high >>> (1 + 2 * DIGIT_BITS);
  }
}
