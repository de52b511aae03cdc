// The herd effect of docs/model.md §4 (scenarios/restart-herd.yaml): a server that
// comes back empty under weighted least connection on stale counts takes
// every new session, is overrun and crashes again; two random choices or a
// slow-start ramp do not overrun it.
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../sim/scenario/load.ts';
import { runScenario } from './support/model.ts';

/**
 * The catalogue's 500,000 clients scaled down by ten, with every rate and limit that meets them
 * (lookup capacity, the servers' accepts, overload and sessions): the same herd, or none, at each
 * algorithm, for a tenth of the work.
 */
const SCALED = ['population.clients=50000', 'lookup.capacity=2000/s', 'sessionServer.maxAcceptsPerSec=200/s', 'sessionServer.overloadAcceptsPerSec=500/s', 'sessionServer.maxSessions=15000'];

function afterRestart(algorithm: string, extra: string[] = []) {
  const { scenario } = loadScenarioFile('scenarios/restart-herd.yaml', [`lookup.algorithm=${algorithm}`, ...SCALED, ...extra]);
  const result = runScenario(scenario);
  const back = 120; // crash at 60 s, restart after 30 s, 30 s to start up
  const attempts = result.series.connectAttemptsPerSec['common-3'].slice(back);
  return {
    crashes: result.summary.server.crashes,
    peakAttempts: Math.max(...attempts),
    overload: scenario.sessionServer.overloadAcceptsPerSec,
    limit: scenario.sessionServer.maxAcceptsPerSec,
  };
}

describe('restart herd', () => {
  it('weighted least connection on 10 s-old counts overruns the restarted server', () => {
    // The overload crash comes ~25 s after the server is back; stop soon after (the cascade that follows is costly to simulate).
    const r = afterRestart('weighted-least-connection', ['duration=150s']);
    expect(r.peakAttempts).toBeGreaterThan(2 * r.overload);
    expect(r.crashes).toBeGreaterThanOrEqual(2); // the fault itself, then the overload crash
  });

  it('power of two choices sends it about its fair share', () => {
    const r = afterRestart('power-of-d');
    expect(r.crashes).toBe(1);
    expect(r.peakAttempts).toBeLessThan(r.limit);
  });

  it('least connection with slow start ramps it up without overload', () => {
    const r = afterRestart('least-connection-slow-start');
    expect(r.crashes).toBe(1);
    expect(r.peakAttempts).toBeLessThan(r.overload);
  });
});
