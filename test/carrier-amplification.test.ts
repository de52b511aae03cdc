// The carrier's "100× normal" (docs/model.md §7.5) is a rate sustained over the
// fault; the busiest second, when every session drops at once, is its own
// metric. Both are checked against figures worked out from the client rules
// alone, not from the simulator's output.
import { describe, expect, it } from 'vitest';
import seedrandom from 'seedrandom';
import { parseScenarioText } from '../sim/scenario/load.ts';
import { runScenario } from './support/model.ts';

const CLIENTS = 100_000;
const LIFETIME = 3600;
const OUTAGE = 300;

/**
 * Expected attempts per client while its network is down for `outage` s,
 * from the rules of docs/model.md §3 (an independent Monte Carlo): three
 * connects to the held alternative 5 s apart, a lookup (5 s timeout), then
 * GCM backoff waits b/2 + U[0, b) between lookups, b doubling from 3 s while
 * below 300 s.
 */
function attemptsWhileDown(outage: number, samples = 200_000): number {
  const random = seedrandom('amplification');
  let total = 0;
  for (let i = 0; i < samples; i++) {
    let attempts = 3;
    let t = 15;
    let b = 3;
    while (t < outage) {
      attempts++;
      t += 5 + b / 2 + random() * b;
      if (b < 300) b *= 2;
    }
    total += attempts;
  }
  return total / samples;
}

describe('carrier amplification', () => {
  const yaml = `
name: amplification
duration: 600s
network: { rtt: 0s }
population: { clients: ${CLIENTS} }
client:
  lookupFailover: 0
  churn: { sessionLifetimeMean: ${LIFETIME}s }
lookup: { capacity: unlimited }
managers: off
sessionServer: { maxSessions: unlimited, maxAcceptsPerSec: unlimited, overloadAcceptsPerSec: unlimited }
faults: [{ kind: carrier-outage, at: 100s, duration: ${OUTAGE}s }]
`;
  const result = runScenario(parseScenarioText(yaml, 'amplification.yaml').scenario);
  // Before the fault each churned session costs a lookup and a connect: 2 N / lifetime attempts per second.
  const preFaultRate = (2 * CLIENTS) / LIFETIME;

  it('is the mean attempt rate over the fault against the pre-fault mean', () => {
    const connectedAtFault = CLIENTS * 1; // steady state: every client connected when the carrier fails
    const sustained = (connectedAtFault * attemptsWhileDown(OUTAGE)) / OUTAGE;
    const expected = sustained / preFaultRate;
    const measured = result.summary.carrierAmplification!;
    // The pre-fault mean is estimated over 99 s of Poisson churn (~5,500 attempts): ±1.4 % standard error.
    expect(Math.abs(measured / expected - 1), `${measured} vs ${expected}`).toBeLessThan(0.06);
  });

  it('keeps the busiest second apart: every session drops in the same instant', () => {
    // The first connect of every client falls in the sample of the fault's instant.
    const expectedPeak = CLIENTS / preFaultRate;
    const peak = result.summary.carrierPeakAmplification!;
    expect(Math.abs(peak / expectedPeak - 1), `${peak} vs ${expectedPeak}`).toBeLessThan(0.06);
    expect(peak).toBeGreaterThan(20 * result.summary.carrierAmplification!);
  });
});
