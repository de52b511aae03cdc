// The reference figures of docs/validation.md (computed independently of this
// code: closed forms, or a separate Monte Carlo written from the model's
// specification alone). Tolerances are the reference's own: quantiles within
// 2 % (relative), maxima within 5 %.
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../sim/scenario/load.ts';
import { runScenario } from './support/model.ts';
import type { Distribution, RunResult } from '../sim/result.ts';

function run(file: string, overrides: string[] = []): RunResult {
  const { scenario } = loadScenarioFile(`scenarios/validation/${file}`, overrides);
  return runScenario(scenario);
}

function expectWithin(actual: number | null, expected: number, tolerance: number, what: string): void {
  expect(actual, what).not.toBeNull();
  const error = Math.abs((actual as number) / expected - 1);
  expect(error, `${what}: ${actual} vs reference ${expected} (tolerance ${tolerance * 100} %)`).toBeLessThanOrEqual(tolerance);
}

function expectQuantiles(d: Distribution, reference: { p50?: number; p90?: number; p99?: number; max: number; mean?: number }): void {
  if (reference.p50 !== undefined) expectWithin(d.p50, reference.p50, 0.02, 'p50');
  if (reference.p90 !== undefined) expectWithin(d.p90, reference.p90, 0.02, 'p90');
  if (reference.p99 !== undefined) expectWithin(d.p99, reference.p99, 0.02, 'p99');
  if (reference.mean !== undefined) expectWithin(d.mean, reference.mean, 0.02, 'mean');
  expectWithin(d.max, reference.max, 0.05, 'max');
}

describe('V1 carrier outage, backoff only (100,000 clients)', () => {
  // Both doubling rules of the GCM timer: the source's (`gcm`, the base ends at 384 s) and the clamped one (300 s).
  const references = {
    gcm: { p50: 831.1, p90: 1000.9, p99: 1100.6, max: 1179, mean: 834.7 },
    'gcm-clamped': { p50: 764.5, p90: 906.0, p99: 999.1, max: 1055, mean: 770.7 },
  };
  it.each([
    ['gcm', 1], ['gcm', 2], ['gcm-clamped', 1], ['gcm-clamped', 2],
  ] as const)('reproduces the reconnect-time distribution under policy %s (seed %i)', (policy, seed) => {
    const r = run('v1-carrier-outage-backoff.yaml', [`seed=${seed}`, `client.backoff.policy=${policy}`]);
    expect(r.summary.disconnectedClients).toBe(100_000);
    expect(r.summary.notReconnected).toBe(0);
    expectQuantiles(r.summary.reconnectTime, references[policy]);
    // Nobody can be back before the network is: the first lookup at or after 600 s succeeds.
    expect(r.summary.reconnectTime.count).toBe(100_000);
    const firstBack = r.series.connected.findIndex((c, i) => i > 0 && c > 0);
    expect(r.series.time[firstBack]).toBeGreaterThan(600);
  });
});

describe('V2 lookup-wide outage with churn (200,000 clients; its quantiles do not depend on n)', () => {
  it('drains at the churn rate and recovers within 20 minutes with max backoff 300 s', () => {
    const r = run('v2-lookup-outage-churn.yaml', ['population.clients=200000']);
    const at600 = r.series.connected[r.series.time.indexOf(600)];
    expectWithin(at600 / 200_000, Math.exp(-600 / 3600), 0.02, 'connected fraction at 600 s');
    // About 15.3 % of the clients are disconnected by the outage.
    expectWithin(r.summary.disconnectedClients / 200_000, 1 - Math.exp(-600 / 3600), 0.03, 'share disconnected');
    expectQuantiles(r.summary.reconnectTime, { p50: 687, p90: 872, p99: 999, max: 1054, mean: 716 });
    expect(r.summary.recovery.full).not.toBeNull();
    expect(r.summary.recovery.full!).toBeLessThanOrEqual(1200);
  });

  it('under the source\'s doubling rule the last client is back after ~1180 s: within 20 minutes by ~20 s', () => {
    const r = run('v2-lookup-outage-churn.yaml', ['population.clients=200000', 'client.backoff.policy=gcm']);
    expectWithin(r.summary.recovery.full, 1180, 0.05, 'full recovery');
    expect(r.summary.recovery.full!).toBeLessThanOrEqual(1200);
  });

  it('with GCM\'s own cap of 3600 s it is not recovered within 20 minutes', () => {
    const r = run('v2-lookup-outage-churn.yaml', ['population.clients=200000', 'client.backoff.max=3600s', 'duration=2000s']);
    expectQuantiles(r.summary.reconnectTime, { p99: 1125, max: 1750 });
    expect(r.summary.recovery.full!).toBeGreaterThan(1200);
  });
});

describe('V4 lookup queue (M/D/1)', () => {
  const mu = 20_000;
  const theoryWq = (rho: number) => rho / (2 * mu * (1 - rho));
  const offeredRate = (r: RunResult) => {
    const offered = r.series.lookups.offeredPerSec[0].slice(1);
    return offered.reduce((a, b) => a + b, 0) / offered.length;
  };

  it.each([
    ['v4-lookup-queue-rho-050.yaml', 0.5, 25e-6],
    ['v4-lookup-queue-rho-090.yaml', 0.9, 225e-6],
  ])('%s: mean wait matches ρ / (2μ(1 − ρ))', (file, rho, reference) => {
    const r = run(file);
    const measuredRho = offeredRate(r) / mu;
    // Churn with exponential lifetimes is close to Poisson at the nominal rate…
    expectWithin(measuredRho, rho, 0.01, 'offered load');
    // …and the wait matches the formula at the load actually offered.
    expectWithin(r.summary.lookup.meanWait, theoryWq(measuredRho), 0.02, 'mean wait at measured load');
    expectWithin(r.summary.lookup.meanWait, reference, 0.03, 'mean wait at nominal load');
    expect(r.summary.lookup.timedOut).toBe(0);
  });

  it('above capacity: served throughput stays at μ, the queue grows and old requests fail', () => {
    const r = run('v4-lookup-queue-overload.yaml');
    const served = r.series.lookups.servedPerSec[0];
    const queue = r.series.lookups.queueLength[0];
    // After the first seconds the instance is never idle.
    for (let k = 2; k < served.length; k++) expect(served[k]).toBe(mu);
    expect(queue[10]).toBeGreaterThan(queue[2]);
    expect(queue.at(-1)!).toBeGreaterThan(mu * 5);
    expect(r.summary.lookup.timedOut).toBeGreaterThan(0);
    // A request waits at most until its client's timeout is long gone: the
    // queue holds more than 5 s of work, so answers come after the timeout.
    expect(r.summary.lookup.peakMeanWait).toBeGreaterThan(5);
  });
});
