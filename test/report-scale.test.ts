// reports/lib/scale.ts: no value can make a scale unbounded, and limits that
// are unlimited, overflowed or far above the data are named, not drawn.
import { describe, expect, it } from 'vitest';
import { logDomain, MAX_DECADES, splitLimits } from '../reports/lib/scale.ts';

describe('log axes', () => {
  it('span whole powers of ten around the values', () => {
    expect(logDomain([3, 450, null, 0])).toEqual({ domain: [1, 1000], ticks: [1, 10, 100, 1000] });
    expect(logDomain([0.05])).toEqual({ domain: [0.1, 1], ticks: [0.1, 1] });
    expect(logDomain([])).toEqual({ domain: [1, 10], ticks: [1, 10] });
  });

  it('ignore Infinity and NaN, and never span more than MAX_DECADES', () => {
    expect(logDomain([5, Infinity, NaN, 50])).toEqual({ domain: [1, 100], ticks: [1, 10, 100] });
    const huge = logDomain([0.5, Number.MAX_VALUE]);
    expect(huge.ticks.length).toBe(MAX_DECADES + 1);
    expect(huge.ticks.every(Number.isFinite)).toBe(true);
    expect(huge.domain[1]).toBe(1e308);
  });
});

describe('limits on a chart', () => {
  const limit = (value: number, what = 'capacity') => ({ value, what, label: `${what}: ${value}` });

  it('draws finite limits near the data', () => {
    expect(splitLimits([limit(20000)], 300)).toEqual({ drawn: [limit(20000)], words: [] });
  });

  it('names unlimited, overflowed and off-scale limits instead of drawing them', () => {
    const split = splitLimits([limit(Infinity, 'accept limit'), limit(2e300 * 1e10, 'all instances'), limit(1e20, 'one instance'), limit(0, 'none')], 300, '/s');
    expect(split.drawn).toEqual([]);
    expect(split.words).toEqual(['accept limit: unlimited', 'all instances: unlimited', 'one instance: 1.00e+20/s, off the scale']);
  });
});
