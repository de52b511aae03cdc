// The GCM timer against its definition (MODEL.md §3): wait uniform in
// [b/2, 3b/2) with b = min(initial · 2^n, max).
import { describe, expect, it } from 'vitest';
import { RetryPolicy } from '../sim/model/backoff.ts';
import { createStream } from '../sim/engine/random.ts';

/** Kolmogorov–Smirnov distance between a sample and the uniform [lo, hi) CDF. */
function ksUniform(sample: number[], lo: number, hi: number): number {
  const sorted = [...sample].sort((a, b) => a - b);
  let d = 0;
  sorted.forEach((x, i) => {
    const cdf = (x - lo) / (hi - lo);
    d = Math.max(d, Math.abs(cdf - i / sorted.length), Math.abs(cdf - (i + 1) / sorted.length));
  });
  return d;
}

describe('GCM retry policy', () => {
  const policy = new RetryPolicy({ policy: 'gcm', initial: 3, max: 300 });

  it('doubles the base from initial and caps it at max', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 20, 60].map((n) => policy.base(n))).toEqual([
      3, 6, 12, 24, 48, 96, 192, 300, 300, 300, 300,
    ]);
  });

  it.each([0, 3, 7])('draws step %i waits uniformly in [b/2, 3b/2) (KS test)', (step) => {
    const b = policy.base(step);
    const stream = createStream(42, `ks-${step}`);
    const n = 50_000;
    const sample = Array.from({ length: n }, () => policy.wait(step, stream));
    expect(Math.min(...sample)).toBeGreaterThanOrEqual(b / 2);
    expect(Math.max(...sample)).toBeLessThan((3 * b) / 2);
    // Critical value at alpha = 0.001 is 1.95 / sqrt(n).
    expect(ksUniform(sample, b / 2, (3 * b) / 2)).toBeLessThan(1.95 / Math.sqrt(n));
    const mean = sample.reduce((a, x) => a + x, 0) / n;
    // Mean b, standard error b / sqrt(12 n).
    expect(Math.abs(mean - b)).toBeLessThan((4 * b) / Math.sqrt(12 * n));
  });

  it('pins the first values of a seeded stream, so any change to determinism shows', () => {
    const stream = createStream(1, 'client.backoff');
    const first = Array.from({ length: 3 }, () => stream());
    const again = createStream(1, 'client.backoff');
    expect(Array.from({ length: 3 }, () => again())).toEqual(first);
    expect(first.map((x) => x.toFixed(12))).toMatchInlineSnapshot(`
      [
        "0.970368577866",
        "0.366320628906",
        "0.361717849271",
      ]
    `);
    expect(createStream(2, 'client.backoff')()).not.toBe(first[0]);
    expect(createStream(1, 'client.churn')()).not.toBe(first[0]);
  });
});
