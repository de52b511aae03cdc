// Distribution algorithms against balls-into-bins theory (validation V3,
// docs/validation.md) and their documented tie-breaking.
import { describe, expect, it } from 'vitest';
import { Algorithm, choose } from '../sim/model/balancer.ts';
import { createStream } from '../sim/engine/random.ts';
import { ballsIntoBins, uniformView } from '../sim/model/balls-into-bins.ts';
import { parseScenarioText } from '../sim/scenario/load.ts';
import { runScenario } from './support/model.ts';

const view = uniformView;

/** E[max of m iid standard normals], by numerical integration of m φ(x) Φ(x)^(m-1) x. */
function expectedMaxOfNormals(m: number): number {
  const phi = (x: number) => Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
  let cdf = 0;
  let integral = 0;
  const dx = 0.001;
  for (let x = -10; x < 10; x += dx) {
    cdf += phi(x) * dx;
    integral += x * m * phi(x) * cdf ** (m - 1) * dx;
  }
  return integral;
}

describe('V3 balls into bins (1,000,000 clients onto 100 servers, fresh counts)', () => {
  it('round robin and least connection: max is at most 1 above the mean', () => {
    expect(ballsIntoBins(Algorithm.roundRobin, 1_000_000, 100, 1)).toBeLessThanOrEqual(1);
    expect(ballsIntoBins(Algorithm.weightedLeastConnection, 1_000_000, 100, 1)).toBeLessThanOrEqual(1);
    expect(ballsIntoBins(Algorithm.roundRobin, 999_999, 100, 1)).toBeLessThanOrEqual(1);
  });

  it('random: the gap is the expected maximum of m binomials (~2.5 σ for m = 100)', () => {
    // Averaged over 10 trials at n/m = 1000: σ = sqrt(1000 · 0.99), E[gap] ≈ 2.51 σ.
    const sigma = Math.sqrt(1000 * 0.99);
    const expected = expectedMaxOfNormals(100) * sigma;
    const gaps = Array.from({ length: 10 }, (_, seed) => ballsIntoBins(Algorithm.random, 100_000, 100, seed));
    const mean = gaps.reduce((a, b) => a + b) / gaps.length;
    // The max of 100 normals has sd ≈ 0.43 σ; the mean of 10 trials, 0.14 σ. Allow 3.5 of those.
    expect(Math.abs(mean - expected)).toBeLessThan(3.5 * 0.14 * sigma);
    // At 1,000,000 onto 100 the gap is a few hundred, below sqrt(2 (n/m) ln m) ≈ 303 + noise.
    const big = ballsIntoBins(Algorithm.random, 1_000_000, 100, 1);
    expect(big).toBeGreaterThan(100);
    expect(big).toBeLessThan(430);
  });

  it('power of two choices: single digits, independent of n', () => {
    const small = ballsIntoBins(Algorithm.powerOfD, 100_000, 100, 1);
    const large = ballsIntoBins(Algorithm.powerOfD, 1_000_000, 100, 1);
    expect(large).toBeLessThan(10);
    expect(small).toBeLessThan(10);
    expect(Math.abs(large - small)).toBeLessThanOrEqual(4);
    // More choices balance at least as well.
    expect(ballsIntoBins(Algorithm.powerOfD, 1_000_000, 100, 1, 4)).toBeLessThanOrEqual(large);
  });

  it('holds through the whole simulation: one lookup, local counts, clients arriving at once', () => {
    const gapOf = (algorithm: string) => {
      const yaml = `
name: v3
duration: 10s
network: { rtt: 0s }
population: { clients: 200000, start: disconnected }
client: { churn: off }
lookup: { instances: 1, capacity: unlimited, infoRefresh: 100000s, algorithm: ${algorithm} }
sessionServer: { maxSessions: unlimited, maxAcceptsPerSec: unlimited, overloadAcceptsPerSec: unlimited }
regions: [{ name: common, servers: 100 }]
`;
      const result = runScenario(parseScenarioText(yaml, 'v3.yaml').scenario);
      const finalCounts = Object.values(result.series.sessionsByServer).map((s) => s.at(-1)!);
      expect(finalCounts.reduce((a, b) => a + b)).toBe(200_000);
      return Math.max(...finalCounts) - 2000;
    };
    expect(gapOf('rr')).toBeLessThanOrEqual(1);
    expect(gapOf('wlc')).toBeLessThanOrEqual(1);
    expect(gapOf('p2c')).toBeLessThan(10);
    const random = gapOf('random');
    expect(random).toBeGreaterThan(40);
    expect(random).toBeLessThan(250);
  });
});

describe('tie-breaking and alternatives', () => {
  it('round robin hands out servers in order, the next one as alternative, skipping stopped ones', () => {
    const v = view(4);
    v.running[2] = 0;
    const out = new Int32Array(2);
    const stream = createStream(1, 'rr');
    let cursor = 0;
    const picks: number[][] = [];
    for (let i = 0; i < 4; i++) {
      cursor = choose(Algorithm.roundRobin, v, cursor, stream, out);
      picks.push([out[0], out[1]]);
    }
    expect(picks).toEqual([[0, 1], [1, 3], [3, 0], [0, 1]]);
  });

  it('least connection picks the fewest per weight, ties in round-robin order, next best as alternative', () => {
    const v = view(4);
    v.counts.set([10, 5, 5, 20]);
    v.weights.set([1, 1, 1, 4]);
    const out = new Int32Array(2);
    const stream = createStream(1, 'wlc');
    let cursor = choose(Algorithm.weightedLeastConnection, v, 0, stream, out);
    // Scores 10, 5, 5, 5: the first 5 after the cursor wins; the alternative is the next 5.
    expect([out[0], out[1]]).toEqual([1, 2]);
    cursor = choose(Algorithm.weightedLeastConnection, v, cursor, stream, out);
    expect([out[0], out[1]]).toEqual([2, 3]);
  });

  it('slow start gives a server that just came back a small share, growing with its ramp', () => {
    const v = view(4);
    v.counts.set([1000, 1000, 1000, 0]);
    const out = new Int32Array(2);
    const stream = createStream(1, 'slow');
    const share = (ramp: number) => {
      v.ramp[3] = ramp;
      let picked = 0;
      for (let i = 0; i < 10_000; i++) {
        choose(Algorithm.slowStart, v, 0, stream, out);
        if (out[0] === 3) picked++;
      }
      return picked / 10_000;
    };
    expect(Math.abs(share(0.1) - 0.1)).toBeLessThan(0.02);
    expect(Math.abs(share(0.5) - 0.5)).toBeLessThan(0.03);
    expect(share(1)).toBe(1);
  });
});
