import { describe, expect, it } from 'vitest';
import seedrandom from 'seedrandom';
import { ascending, summarizeCounts, summarizeDurations, summarizeTally } from '../sim/model/distribution.ts';

/** The textbook definitions, on a comparison-sorted copy: what the fast paths must reproduce bit for bit. */
function reference(values: ArrayLike<number>) {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const rank = (q: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))];
  let sum = 0;
  for (const v of sorted) sum += v;
  const histogram = new Map<number, number>();
  for (const v of sorted) histogram.set(v, (histogram.get(v) ?? 0) + 1);
  return {
    sorted,
    distribution: { count: n, mean: sum / n, p50: rank(0.5), p90: rank(0.9), p99: rank(0.99), p999: rank(0.999), max: sorted[n - 1] },
    histogram: [...histogram],
  };
}

describe('ascending (radix sort of durations)', () => {
  // The radix paths start at 2^19 values; these smaller cases take them from 4,096 on.
  const RADIX_FROM = 4096;
  const random = seedrandom.alea('distribution');
  const cases: [string, () => number][] = [
    ['uniform seconds', () => random() * 1800],
    ['many ties and zeros', () => (random() < 0.3 ? 0 : Math.floor(random() * 50) / 4)],
    ['twelve orders of magnitude', () => random() * 10 ** Math.floor(random() * 12 - 6)],
    ['subnormals and huge values', () => (random() < 0.5 ? random() * 5e-324 * 1e6 : random() * 1e300)],
  ];
  for (const [name, draw] of cases) {
    it(`orders ${name} exactly as the built-in sort`, () => {
      const values = Float64Array.from({ length: 50_000 }, draw);
      const copy = Float64Array.from(values);
      expect(Array.from(ascending(values, RADIX_FROM))).toEqual(Array.from(reference(values).sorted));
      expect(values).toEqual(copy); // the input is left alone
    });
  }

  it('orders durations that come mostly ascending, with short ones among them, exactly as the built-in sort', () => {
    // An outage's episodes end in time order; churn episodes of a few round trips fall in between.
    for (const [count, shortShare] of [[60_000, 0.25], [60_000, 0.02], [20_000, 0.6]] as const) {
      let clock = 600;
      const values = Float64Array.from({ length: count }, () => (random() < shortShare ? random() * 0.3 : (clock += random() * 0.01)));
      expect(Array.from(ascending(values, RADIX_FROM))).toEqual(Array.from(reference(values).sorted));
      // An early long one leaves no long ascending run: everything is sorted then.
      values[17] = 5000;
      expect(Array.from(ascending(values, RADIX_FROM))).toEqual(Array.from(reference(values).sorted));
    }
  });

  it('falls back to the built-in sort for -0 and NaN, which do not order by their bits', () => {
    const values = Float64Array.from({ length: 10_000 }, (_, i) => (i % 7 === 0 ? -0 : i % 11 === 0 ? Number.NaN : (i * 7919) % 1000));
    const sorted = ascending(values, RADIX_FROM);
    expect(Object.is(sorted[0], -0)).toBe(true);
    expect(Number.isNaN(sorted[sorted.length - 1])).toBe(true);
    expect(Array.from(sorted)).toEqual(Array.from(Float64Array.from(values).sort()));
  });
});

describe('summaries', () => {
  it('summarizes durations like the nearest-rank definitions on a sorted copy', () => {
    const random = seedrandom.alea('durations');
    const values = Float64Array.from({ length: 30_001 }, () => -Math.log(1 - random()) * 120);
    const { distribution, cdf } = summarizeDurations(values);
    const expected = reference(values);
    expect(distribution).toEqual(expected.distribution);
    expect(cdf.at(-1)).toEqual({ p: 1, seconds: expected.distribution.max });
    expect(cdf.find((point) => point.p === 0.5)?.seconds).toBe(expected.distribution.p50);
  });

  it('summarizes counts from a tally, and from a sort when the largest count is too large to tally', () => {
    const random = seedrandom.alea('counts');
    const small = Uint32Array.from({ length: 20_000 }, () => Math.floor(-Math.log(1 - random()) * 6));
    const huge = Float64Array.from({ length: 2_000 }, () => Math.floor(random() * 1e7));
    for (const values of [small, huge]) {
      const { distribution, histogram } = summarizeCounts(values);
      const expected = reference(values);
      expect(distribution).toEqual(expected.distribution);
      expect(histogram).toEqual(expected.histogram);
    }
  });

  it('summarizes counts from a ready tally (with room to spare) as from the values', () => {
    const random = seedrandom.alea('tally');
    const values = Uint32Array.from({ length: 10_000 }, () => Math.floor(-Math.log(1 - random()) * 9));
    const tally = new Float64Array(4096);
    for (const v of values) tally[v]++;
    expect(summarizeTally(tally)).toEqual(summarizeCounts(values));
    expect(summarizeTally(new Float64Array(8))).toEqual(summarizeCounts(new Uint32Array(0)));
  });

  it('has no quantiles for no values', () => {
    expect(summarizeDurations(new Float64Array(0))).toEqual({ distribution: { count: 0, mean: null, p50: null, p90: null, p99: null, p999: null, max: null }, cdf: [] });
    expect(summarizeCounts(new Uint16Array(0)).histogram).toEqual([]);
  });
});
