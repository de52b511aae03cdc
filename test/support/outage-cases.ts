// Carrier outages in a small two-country world, for runs that must give the
// same bytes two ways (timers run ahead or queued, one thread or several).
import { parseScenarioText } from '../../sim/scenario/load.ts';
import type { Scenario } from '../../sim/scenario/types.ts';

export function outageScenario(body: string, overrides: string[] = []): Scenario {
  const yaml = `
name: outage-cases
seed: 3
duration: 20m
population:
  clients: 6000
  mcc: {450: 0.5, 440: 0.5}
regions:
  - { name: korea, mcc: [450], servers: 3, failover: common }
  - { name: japan, mcc: [440], servers: 3, failover: common }
  - { name: common, servers: 2 }
sessionServer: { maxSessions: 10000, maxAcceptsPerSec: 300/s }
${body}`;
  return parseScenarioText(yaml, 'outage-cases.yaml', overrides).scenario;
}

/** [what, faults, overrides] */
export const OUTAGE_CASES: [string, string, string[]][] = [
  ['a whole-population outage', 'faults: [{ kind: carrier-outage, at: 1m, duration: 10m }]', []],
  [
    'overlapping partial outages of one region and of everyone',
    `faults:
  - { kind: carrier-outage, at: 1m, duration: 6m, region: korea }
  - { kind: carrier-outage, at: 4m, duration: 5m, fraction: 0.3 }
  - { kind: carrier-outage, at: 8m30s, duration: 2m, fraction: 0.5 }`,
    [],
  ],
  [
    'an outage while servers crash and every lookup is down',
    `faults:
  - { kind: carrier-outage, at: 1m, duration: 8m, fraction: 0.6 }
  - { kind: server-crash, at: 3m, servers: [korea-0, japan-1], mode: blackhole, restartAfter: 2m }
  - { kind: lookup-outage, at: 5m, duration: 7m, instances: all }`,
    [],
  ],
  ['outages shorter than one connect timeout, on sample instants', 'faults: [{ kind: carrier-outage, at: 60s, duration: 3s }, { kind: carrier-outage, at: 120s, duration: 15s }]', []],
  ['an outage that outlasts the run', 'faults: [{ kind: carrier-outage, at: 5m, duration: 1h }]', []],
  ['decorrelated jitter and an odd sample interval', 'faults: [{ kind: carrier-outage, at: 1m, duration: 10m }]', ['client.backoff.policy=decorrelated', 'sampleInterval=700ms']],
  ['full jitter without churn', 'faults: [{ kind: carrier-outage, at: 1m, duration: 10m }]', ['client.backoff.policy=full', 'client.churn=off']],
  [
    'outages about one connect sequence long, while fast churn keeps clients connecting',
    'faults: [{ kind: carrier-outage, at: 2m, duration: 20s }, { kind: carrier-outage, at: 5m, duration: 12s, fraction: 0.5 }, { kind: carrier-outage, at: 9m, duration: 27s }]',
    ['client.churn.sessionLifetimeMean=20s', 'network.rtt=400ms'],
  ],
];

/**
 * Every lookup instance silent (client.ts: timers run ahead while the
 * lookups are silent), in the same world with three lookup instances and
 * churn fast enough that many clients retry through the silence.
 * [what, body, overrides]
 */
export const SILENCE_CASES: [string, string, string[]][] = [
  ['every lookup silent, failover to every address', 'faults: [{ kind: lookup-outage, at: 1m, duration: 8m, instances: all }]', []],
  ['no failover, clamped doubling', 'faults: [{ kind: lookup-outage, at: 1m, duration: 8m, instances: all }]', ['client.lookupFailover=0', 'client.backoff.policy=gcm-clamped']],
  [
    'instances silenced by two overlapping outages',
    'faults: [{ kind: lookup-outage, at: 1m, duration: 7m, instances: [0] }, { kind: lookup-outage, at: 3m, duration: 7m, instances: [1, 2] }]',
    [],
  ],
  [
    'back-to-back outages of every instance',
    'faults: [{ kind: lookup-outage, at: 1m, duration: 4m, instances: all }, { kind: lookup-outage, at: 5m, duration: 4m, instances: all }]',
    ['client.lookupFailover=1'],
  ],
  [
    'carrier outages starting and ending inside the silence',
    `faults:
  - { kind: lookup-outage, at: 1m, duration: 10m, instances: all }
  - { kind: carrier-outage, at: 3m, duration: 2m, fraction: 0.5 }
  - { kind: carrier-outage, at: 7m, duration: 30s, region: korea }`,
    [],
  ],
  [
    'a lost site holding every lookup and a server',
    `sites: [{ name: north, lookups: [0, 1, 2], servers: [korea-0] }]
faults: [{ kind: site-outage, site: north, at: 2m, duration: 6m }]`,
    [],
  ],
  [
    'round trips, a request timeout off the sample grid, other jitter',
    'faults: [{ kind: lookup-outage, at: 1m, duration: 8m, instances: all }]',
    ['network.rtt=150ms', 'client.requestTimeout=4.3s', 'client.backoff.policy=full', 'sampleInterval=700ms'],
  ],
  [
    'outages shorter than one request timeout, on sample instants',
    'faults: [{ kind: lookup-outage, at: 60s, duration: 3s, instances: all }, { kind: lookup-outage, at: 120s, duration: 15s, instances: all }]',
    ['client.churn.sessionLifetimeMean=20s'],
  ],
  ['an outage that outlasts the run', 'faults: [{ kind: lookup-outage, at: 5m, duration: 1h, instances: all }]', []],
  ['clients that start disconnected into the silence', 'faults: [{ kind: lookup-outage, at: 0s, duration: 5m, instances: all }]', ['population.start=disconnected']],
];

/** The silence world: 3,000 clients, three lookup instances, sessions of five minutes on average. */
export function silenceScenario(body: string, overrides: string[] = []): Scenario {
  return outageScenario(`lookup: { instances: 3 }\n${body}`, ['population.clients=3000', 'client.churn.sessionLifetimeMean=5m', ...overrides]);
}
