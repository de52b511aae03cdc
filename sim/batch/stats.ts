// Statistics over replications: mean, standard deviation, Student-t 95 %
// confidence intervals, and the paired comparison used under common random
// numbers. Pure functions, no dependencies.
//
// Why a paired t-test (on per-replication differences) and not Welch: every
// variant of a comparison runs replication i with the same seed, so the
// clients' backoff draws, churn and the rest of the streams that the variant
// does not touch are the same in both runs (common random numbers). The two
// samples are therefore positively correlated, and the variance of their
// difference is smaller than the sum of their variances. The paired test uses
// that; Welch would treat the samples as independent, throw the correlation
// away and call real differences "not significant".

/** Summary of one sample. Null where the sample is too small to say. */
export interface SampleStats {
  /** Values present (null values, e.g. "not recovered", are left out and counted in `missing`). */
  n: number;
  missing: number;
  mean: number | null;
  /** Sample standard deviation (n - 1 in the denominator); null for n < 2. */
  sd: number | null;
  /** Two-sided 95 % Student-t confidence interval of the mean; null for n < 2. */
  ci95: [number, number] | null;
}

/** A paired comparison: the mean of a − b over the pairs where both have a value. */
export interface PairedDifference {
  n: number;
  meanDiff: number | null;
  ci95: [number, number] | null;
  /** The 95 % interval excludes 0 (only defined for n >= 2). */
  significant: boolean | null;
}

export function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Sample standard deviation; two-pass, which is accurate enough for a few hundred replications. */
export function standardDeviation(values: readonly number[]): number {
  const m = mean(values);
  let squares = 0;
  for (const v of values) squares += (v - m) * (v - m);
  return Math.sqrt(squares / (values.length - 1));
}

/**
 * `floor`: the smallest value the quantity can take (0 for a time, a count, a
 * rate), or -Infinity. The interval is the t-interval intersected with
 * [floor, ∞): the true mean is never below the floor, so cutting off the part
 * of the interval below it never excludes the true mean, and the coverage is
 * exactly the t-interval's, while no bound reads as an impossible value (a
 * mean of −0.1 crashes). The interval is then asymmetric about the mean.
 */
export function describe(sample: readonly (number | null)[], floor = -Infinity): SampleStats {
  const values = sample.filter((v): v is number => v !== null);
  const missing = sample.length - values.length;
  if (values.length === 0) return { n: 0, missing, mean: null, sd: null, ci95: null };
  const m = mean(values);
  if (values.length < 2) return { n: values.length, missing, mean: m, sd: null, ci95: null };
  const sd = standardDeviation(values);
  const half = quantile975(values.length - 1) * (sd / Math.sqrt(values.length));
  return { n: values.length, missing, mean: m, sd, ci95: [Math.max(floor, m - half), Math.max(floor, m + half)] };
}

/** studentTQuantile(0.975, df), kept by df: describe() needs one per sample, and its bisection runs ~50 beta functions. */
const QUANTILES_975 = new Map<number, number>();
function quantile975(df: number): number {
  let quantile = QUANTILES_975.get(df);
  if (quantile === undefined) {
    quantile = studentTQuantile(0.975, df);
    QUANTILES_975.set(df, quantile);
  }
  return quantile;
}

/** Paired t on a[i] − b[i]: pairs with a null on either side are dropped. */
export function pairedDifference(a: readonly (number | null)[], b: readonly (number | null)[]): PairedDifference {
  const diffs: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x !== null && y !== null) diffs.push(x - y);
  }
  const d = describe(diffs);
  if (d.mean === null) return { n: 0, meanDiff: null, ci95: null, significant: null };
  if (d.ci95 === null) return { n: d.n, meanDiff: d.mean, ci95: null, significant: null };
  const [low, high] = d.ci95;
  return { n: d.n, meanDiff: d.mean, ci95: d.ci95, significant: low > 0 || high < 0 };
}

// ---------------------------------------------------------------------------
// Student's t distribution, through the regularized incomplete beta function:
// for t >= 0, P(T <= t) = 1 − I_x(ν/2, 1/2) / 2 with x = ν / (ν + t²).
// (Abramowitz & Stegun 26.7.1; the continued fraction is Numerical Recipes'
// betacf.) A table would do for 95 % only; this works for any p and ν, and
// the tests pin it against the published table values.

/** The p-quantile of Student's t with `df` degrees of freedom (df > 0, 0 < p < 1). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`quantile probability must be in (0, 1), got ${p}`);
  if (!(df > 0)) throw new RangeError(`degrees of freedom must be positive, got ${df}`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  // Bracket, then bisect: the CDF is monotone, and 200 halvings reach double precision.
  let low = 0;
  let high = 1;
  while (studentTCdf(high, df) < p) {
    low = high;
    high *= 2;
  }
  for (let i = 0; i < 200 && high - low > 1e-12 * high; i++) {
    const mid = (low + high) / 2;
    if (studentTCdf(mid, df) < p) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** I_x(a, b), the regularized incomplete beta function. */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-15) break;
  }
  return h;
}

// Lanczos approximation (g = 7, 9 coefficients), accurate to ~1e-15 for x > 0.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}
