import { describe, expect, it } from 'vitest';
import seedrandom from 'seedrandom';
import { formatInteger } from '../sim/format-integer.ts';

// formatInteger stands in for Intl's en-US integer format: the same text, value for value.
const intl = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

const EDGES = [
  0, -0, 0.4, 0.5, -0.5, -0.4, 0.49999999999999994, 1.5, 2.5, -2.5, 999.4999, 999.5, 1000, -1000, 9999.5, 123456.5,
  2 ** 31, 2 ** 53, 2 ** 53 + 2, 2 ** 60, 9007199254740993 * 3, 1e21, 1.5e22, 1.2345678901234569e23, Number.MAX_VALUE,
  Number.MIN_VALUE, -Number.MIN_VALUE, NaN, Infinity, -Infinity,
];

describe('formatInteger', () => {
  it.each(EDGES.map((x) => [x]))('prints %s as Intl does', (x) => {
    expect(formatInteger(x)).toBe(intl.format(x));
  });

  it('prints 20,000 values over every magnitude, halves included, as Intl does', () => {
    const random = seedrandom('format-integer');
    const mismatches: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const magnitude = 10 ** Math.floor(random() * 30 - 4);
      const value = (random() < 0.5 ? -1 : 1) * random() * magnitude;
      // Every fourth value sits on a half, where rounding can go either way.
      const x = i % 4 === 0 ? Math.floor(value) + 0.5 : value;
      if (formatInteger(x) !== intl.format(x)) mismatches.push(`${x}: ${formatInteger(x)} vs ${intl.format(x)}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('groups digits in threes', () => {
    expect(formatInteger(1234567.4)).toBe('1,234,567');
    expect(formatInteger(-12345)).toBe('-12,345');
    expect(formatInteger(999)).toBe('999');
  });
});
