// `--time-scale k` (live mode): every duration of the scenario multiplied by k, rates left as
// they are, identically for the live run and its simulation. A few control-plane timeouts are
// floored so that a loaded two-core machine does not fail them spuriously; the floors apply to
// the simulated scenario too (the result lists them under `adjusted`).
import type { Scenario } from '../sim/scenario/types.ts';

/** Floors (seconds) applied after scaling, to live and simulated scenario alike. */
export const FLOORS = { zkSessionTimeout: 2, healthTimeout: 0.2, sampleInterval: 0.05 } as const;

export interface ScaledScenario {
  scenario: Scenario;
  /** Fields a floor changed: path → [scaled, used]. */
  adjusted: Record<string, [number, number]>;
}

const scale = (value: number | null, k: number): number | null => (value === null ? null : value * k);

export function scaleScenario(source: Scenario, k: number, clients: number): ScaledScenario {
  const s = structuredClone(source);
  const adjusted: Record<string, [number, number]> = {};
  const floor = (path: string, value: number, min: number): number => {
    if (value >= min) return value;
    adjusted[path] = [value, min];
    return min;
  };
  s.duration *= k;
  s.sampleInterval = floor('sampleInterval', s.sampleInterval * k, FLOORS.sampleInterval);
  s.rtt *= k;
  s.population.clients = clients;
  const c = s.client;
  c.requestTimeout *= k;
  c.connectTimeout *= k;
  c.keepalive *= k;
  c.backoff.initial *= k;
  c.backoff.max *= k;
  c.sessionLifetimeMean = scale(c.sessionLifetimeMean, k);
  if (c.throttle !== null) c.throttle.window *= k;
  const l = s.lookup;
  l.infoRefresh *= k;
  l.retryAfter = scale(l.retryAfter, k);
  l.slowStart.window *= k;
  if (l.admission !== null) l.admission.retryAfter *= k;
  const v = s.sessionServer;
  v.overloadFor *= k;
  v.startupTime *= k;
  v.restartAfterCrash = scale(v.restartAfterCrash, k);
  if (s.managers !== null) {
    const m = s.managers;
    m.healthInterval *= k;
    m.healthTimeout = floor('managers.healthTimeout', m.healthTimeout * k, FLOORS.healthTimeout);
    if (m.healthInterval < m.healthTimeout) {
      adjusted['managers.healthInterval'] = [m.healthInterval, m.healthTimeout];
      m.healthInterval = m.healthTimeout;
    }
    m.syncInterval *= k;
    m.zkSessionTimeout = floor('managers.zkSessionTimeout', m.zkSessionTimeout * k, FLOORS.zkSessionTimeout);
  }
  s.faults = s.faults.map((f) => {
    const g = { ...f, at: f.at * k } as typeof f & Record<string, unknown>;
    for (const field of ['duration', 'restartAfter', 'stagger', 'drain'] as const) {
      const value = g[field];
      if (typeof value === 'number') g[field] = value * k;
    }
    return g;
  });
  return { scenario: s, adjusted };
}
