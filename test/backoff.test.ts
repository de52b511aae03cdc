// The GCM timer against its definition (docs/model.md §3): wait uniform in
// [b/2, 3b/2), with b doubling while below max (`gcm`, the source's rule) or
// b = min(initial · 2^n, max) (`gcm-clamped`).
import { describe, expect, it } from 'vitest';
import { AdaptiveThrottle, RetryPolicy } from '../sim/model/backoff.ts';
import type { RetryPolicyName } from '../sim/scenario/types.ts';
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
  const policy = new RetryPolicy({ policy: 'gcm', initial: 3, max: 300 }, 1);

  it('doubles the base while it is below max, as the source\'s client does: 3, 6, …, 192, 384 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 20, 60].map((n) => policy.base(n))).toEqual([
      3, 6, 12, 24, 48, 96, 192, 384, 384, 384, 384,
    ]);
    // The source's loop, written out: if (b < max) b = 2b after every attempt.
    for (const [initial, max] of [[3, 300], [3, 3600], [2, 64], [5, 5], [0.1, 0.3]]) {
      const rule = new RetryPolicy({ policy: 'gcm', initial, max }, 1);
      let b = initial;
      for (let n = 0; n < 40; n++) {
        expect(rule.base(n), `initial ${initial}, max ${max}, step ${n}`).toBe(b);
        if (b < max) b *= 2;
      }
    }
  });

  it('gcm-clamped caps the base at max: 3, 6, …, 192, 300 s', () => {
    const clamped = new RetryPolicy({ policy: 'gcm-clamped', initial: 3, max: 300 }, 1);
    expect([0, 1, 6, 7, 8, 60].map((n) => clamped.base(n))).toEqual([3, 6, 192, 300, 300, 300]);
  });

  it('waits reach 576 s under the source\'s rule with max 300 s, never 450 s under the clamped one', () => {
    const stream = createStream(9, 'reach');
    const clamped = new RetryPolicy({ policy: 'gcm-clamped', initial: 3, max: 300 }, 1);
    const source = Array.from({ length: 20_000 }, () => policy.wait(0, 30, stream()));
    const capped = Array.from({ length: 20_000 }, () => clamped.wait(0, 30, stream()));
    expect(Math.max(...source)).toBeGreaterThan(570);
    expect(Math.max(...source)).toBeLessThan(576);
    expect(Math.max(...capped)).toBeLessThan(450);
  });

  it.each([0, 3, 7])('draws step %i waits uniformly in [b/2, 3b/2) (KS test)', (step) => {
    const b = policy.base(step);
    const stream = createStream(42, `ks-${step}`);
    const n = 50_000;
    const sample = Array.from({ length: n }, () => policy.wait(0, step, stream()));
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

const make = (policy: RetryPolicyName) => new RetryPolicy({ policy, initial: 2, max: 100 }, 4);

describe('AWS backoff policies (v = min(cap, base·2^n), base 2 s, cap 100 s)', () => {
  const n = 40_000;
  const critical = 1.95 / Math.sqrt(n);

  it('none waits the fixed interval; exponential waits v exactly', () => {
    const none = make('none');
    const exponential = make('exponential');
    const stream = createStream(1, 'x');
    expect([0, 1, 5, 10].map((step) => none.wait(0, step, stream()))).toEqual([2, 2, 2, 2]);
    expect([0, 1, 5, 10].map((step) => exponential.wait(0, step, stream()))).toEqual([2, 4, 64, 100]);
  });

  it.each([
    ['full', 4, 0, 32],
    ['equal', 4, 16, 32],
    ['full', 9, 0, 100],
    ['equal', 9, 50, 100],
  ] as const)('%s at step %i is uniform on [%i, %i)', (name, step, lo, hi) => {
    const policy = make(name);
    const stream = createStream(3, `${name}-${step}`);
    const sample = Array.from({ length: n }, () => policy.wait(0, step, stream()));
    expect(Math.min(...sample)).toBeGreaterThanOrEqual(lo);
    expect(Math.max(...sample)).toBeLessThan(hi);
    expect(ksUniform(sample, lo, hi)).toBeLessThan(critical);
  });

  it('decorrelated draws uniform on [base, 3·previous), capped, per client, reset by a session', () => {
    const policy = make('decorrelated');
    const stream = createStream(5, 'decorrelated');
    // From the first wait (previous = base): uniform on [2, 6).
    const first = Array.from({ length: n }, () => {
      policy.reset(1);
      return policy.wait(1, 0, stream());
    });
    expect(ksUniform(first, 2, 6)).toBeLessThan(critical);
    // A chain grows by 2x in expectation per step until the cap, and never passes it.
    const chain: number[] = [];
    policy.reset(2);
    for (let i = 0; i < 200; i++) chain.push(policy.wait(2, i, stream()));
    expect(Math.max(...chain)).toBeLessThanOrEqual(100);
    expect(chain.slice(100).reduce((a, b) => a + b, 0) / 100).toBeGreaterThan(50);
    // Client 3 is untouched by client 2's chain.
    const fresh = policy.wait(3, 0, stream());
    expect(fresh).toBeGreaterThanOrEqual(2);
    expect(fresh).toBeLessThan(6);
  });
});

describe('adaptive throttle (Google SRE)', () => {
  it('never rejects while accepts keep up (requests <= K · accepts)', () => {
    const throttle = new AdaptiveThrottle({ k: 2, window: 120 }, 1);
    const stream = createStream(1, 'throttle');
    let rejected = 0;
    for (let i = 0; i < 1000; i++) {
      if (throttle.rejects(0, i * 0.01, stream)) rejected++;
      else throttle.accepted(0, i * 0.01);
    }
    expect(rejected).toBe(0);
  });

  it('rejects with probability (requests − K·accepts)/(requests + 1) when nothing is accepted', () => {
    const stream = createStream(2, 'throttle');
    // Ten requests in the same instant with no accepts: request r is rejected with p = r / (r + 1).
    let expected = 0;
    let observed = 0;
    const trials = 20_000;
    for (let t = 0; t < trials; t++) {
      const throttle = new AdaptiveThrottle({ k: 2, window: 120 }, 1);
      for (let r = 0; r < 10; r++) {
        expected += r / (r + 1);
        if (throttle.rejects(0, 0, stream)) observed++;
      }
    }
    const variance = Array.from({ length: 10 }, (_, r) => (r / (r + 1)) * (1 / (r + 1))).reduce((a, b) => a + b) * trials;
    expect(Math.abs(observed - expected)).toBeLessThan(4 * Math.sqrt(variance));
  });

  it('forgets old failures over its window', () => {
    const throttle = new AdaptiveThrottle({ k: 2, window: 10 }, 1);
    const stream = createStream(3, 'throttle');
    for (let i = 0; i < 100; i++) throttle.rejects(0, 0, stream);
    // After 20 time constants the remembered requests are ~0: no rejection.
    let rejected = 0;
    for (let i = 0; i < 100; i++) if (throttle.rejects(0, 200 + i * 1000, stream)) rejected++;
    expect(rejected).toBe(0);
  });
});
