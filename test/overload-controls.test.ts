// Lookup admission control and client-side adaptive throttling, against the
// same overload without them.
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../sim/scenario/load.ts';
import { runScenario } from './support/model.ts';

const run = (file: string, overrides: string[]) => runScenario(loadScenarioFile(file, overrides).scenario);

describe('lookup admission control', () => {
  it('answers "retry after" past its bound: the queue stays bounded and nothing times out', () => {
    const file = 'scenarios/validation/v4-lookup-queue-overload.yaml';
    // V4's overload scaled down by ten, clients and capacity alike: the same load (ρ = 2.25) and the
    // same waits (a queue of 20,000 is 10 s at 2,000/s as 200,000 is at 20,000/s).
    const scaled = ['population.clients=45000', 'lookup.capacity=2000/s'];
    const without = run(file, scaled);
    const withAdmission = run(file, [...scaled, 'lookup.admission.maxQueue=2000']);
    expect(without.summary.lookup.timedOut).toBeGreaterThan(0);
    expect(withAdmission.summary.lookup.timedOut).toBe(0);
    expect(withAdmission.summary.lookup.rejected).toBeGreaterThan(0);
    // Rejections cost a little service time each, so the queue can pass the bound by a few.
    expect(withAdmission.summary.lookup.peakQueueLength).toBeLessThan(2_000 * 1.05);
    expect(without.summary.lookup.peakQueueLength).toBeGreaterThan(10_000);
    // Less work is wasted on answers nobody waits for: more lookups reach their client.
    const answered = (r: typeof without) => r.series.lookups.answeredPerSec.reduce((a, b) => a + b, 0);
    expect(answered(withAdmission)).toBeGreaterThan(answered(without));
  });
});

describe('adaptive throttling on the device', () => {
  it('cuts the lookups a dead network sees, at the cost of some recovery time', () => {
    const base = ['population.clients=20000'];
    const without = run('scenarios/carrier-outage.yaml', base);
    const withThrottle = run('scenarios/carrier-outage.yaml', [...base, 'client.throttle.k=2']);
    const sent = (r: typeof without) => r.series.lookups.sentPerSec.reduce((a, b) => a + b, 0);
    expect(withThrottle.summary.lookup.throttled).toBeGreaterThan(0);
    expect(sent(withThrottle)).toBeLessThan(sent(without));
    expect(withThrottle.summary.recovery.p99).not.toBeNull();
    expect(withThrottle.summary.recovery.p99!).toBeGreaterThan(without.summary.recovery.p99!);
  });
});
