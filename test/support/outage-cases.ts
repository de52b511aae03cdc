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
