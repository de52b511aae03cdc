// Carrier outages in a small two-country world, for runs that must give the
// same bytes two ways (timers run ahead or queued, one thread or several).
import fc from 'fast-check';
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
    'a carrier outage under way when the silence starts, ending inside it',
    `faults:
  - { kind: carrier-outage, at: 30s, duration: 3m, fraction: 0.5 }
  - { kind: lookup-outage, at: 1m, duration: 10m, instances: all }`,
    [],
  ],
  [
    'a carrier outage starting in the silence and ending after it (nothing runs ahead through lookups)',
    `faults:
  - { kind: lookup-outage, at: 1m, duration: 8m, instances: all }
  - { kind: carrier-outage, at: 8m, duration: 90s, fraction: 0.5 }`,
    [],
  ],
  [
    'two services with their own instances and failover counts',
    `services:
  - { name: east, regions: [korea, common], lookupInstances: 2 }
  - { name: west, regions: [japan], lookupInstances: 3, commonRegion: japan }
faults: [{ kind: lookup-outage, at: 1m, duration: 8m, instances: all }]`,
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

/**
 * Random worlds for the property that timers run ahead change no byte:
 * one or two lookup services, lookup outages of all instances or all but
 * one, a lost site holding every lookup, carrier outages (of everyone, a
 * share, a region, an MCC) before, during and after, a server crash, a
 * deploy, round trips or none, every failover count, servers that turn
 * clients away, with and without managers, clients connected or not at
 * the start. The backoff always
 * has jitter: with none (`none`, `exponential`), timers of different
 * clients can fall on the same instant after a loss that synchronized
 * them, and such ties are ordered by when each was scheduled, which a run
 * ahead changes (docs/ARCHITECTURE.md, "Timers run ahead of the clock").
 */
export const silenceWorlds = fc.record({
  clients: fc.integer({ min: 800, max: 2000 }),
  twoServices: fc.boolean(),
  instances: fc.integer({ min: 2, max: 4 }),
  failover: fc.constantFrom('0', '1', '2', 'all'),
  timeoutTenths: fc.integer({ min: 20, max: 70 }),
  policy: fc.constantFrom('gcm', 'gcm-clamped', 'full', 'equal', 'decorrelated'),
  churnMinutes: fc.integer({ min: 1, max: 10 }),
  rtt: fc.constantFrom(0, 0.05, 0.2),
  outages: fc.array(fc.record({ at: fc.integer({ min: 0, max: 500 }), duration: fc.integer({ min: 1, max: 400 }), all: fc.boolean() }), { minLength: 1, maxLength: 3 }),
  site: fc.option(fc.record({ at: fc.integer({ min: 0, max: 500 }), duration: fc.integer({ min: 1, max: 300 }) }), { nil: undefined }),
  carriers: fc.array(
    fc.record({ at: fc.integer({ min: 0, max: 600 }), duration: fc.integer({ min: 1, max: 200 }), fraction: fc.constantFrom(0.3, 1), scope: fc.constantFrom('', ', region: korea', ', mcc: [440]') }),
    { maxLength: 3 },
  ),
  crash: fc.option(fc.record({ at: fc.integer({ min: 0, max: 600 }), mode: fc.constantFrom('blackhole', 'refuse') }), { nil: undefined }),
  deployAt: fc.option(fc.integer({ min: 0, max: 600 }), { nil: undefined }),
  connectRetries: fc.integer({ min: 0, max: 3 }),
  keepalive: fc.constantFrom(5, 30, 90),
  maxSessions: fc.constantFrom(300, 10_000),
  acceptsPerSec: fc.constantFrom(20, 300),
  managers: fc.boolean(),
  start: fc.constantFrom('connected', 'disconnected'),
  seed: fc.integer({ min: 1, max: 1000 }),
});

/** The scenario text of a random silence world (12 simulated minutes). */
export function silenceWorldText(w: typeof silenceWorlds extends fc.Arbitrary<infer T> ? T : never): string {
  const lookups = w.twoServices ? w.instances + 2 : w.instances;
  const indices = (n: number) => `[${Array.from({ length: n }, (_, i) => i).join(', ')}]`;
  const faults = [
    ...w.outages.map((o) => `  - { kind: lookup-outage, at: ${o.at}s, duration: ${o.duration}s, instances: ${o.all ? 'all' : indices(lookups - 1)} }`),
    ...(w.site === undefined ? [] : [`  - { kind: site-outage, site: north, at: ${w.site.at}s, duration: ${w.site.duration}s }`]),
    ...w.carriers.map((c) => `  - { kind: carrier-outage, at: ${c.at}s, duration: ${c.duration}s, fraction: ${c.fraction}${c.scope} }`),
    ...(w.crash === undefined ? [] : [`  - { kind: server-crash, at: ${w.crash.at}s, servers: [korea-1, japan-0], mode: ${w.crash.mode}, restartAfter: 60s }`]),
    ...(w.deployAt === undefined ? [] : [`  - { kind: deploy, at: ${w.deployAt}s, servers: [common-0, common-1], stagger: 20s, drain: 10s, restartAfter: 15s }`]),
  ];
  const lookup = w.twoServices
    ? `services:
  - { name: east, regions: [korea, common], lookupInstances: ${w.instances} }
  - { name: west, regions: [japan], lookupInstances: 2, commonRegion: japan }`
    : `lookup: { instances: ${w.instances} }`;
  return `name: silence-world
seed: ${w.seed}
duration: 12m
population: { clients: ${w.clients}, start: ${w.start}, mcc: {450: 0.5, 440: 0.5} }
regions:
  - { name: korea, mcc: [450], servers: 3, failover: common }
  - { name: japan, mcc: [440], servers: 3, failover: common }
  - { name: common, servers: 2 }
${lookup}
sites: [{ name: north, lookups: ${indices(lookups)}, servers: [korea-0] }]
network: { rtt: ${w.rtt}s }
client:
  connectRetries: ${w.connectRetries}
  keepalive: ${w.keepalive}s
  lookupFailover: ${w.failover}
  requestTimeout: ${w.timeoutTenths / 10}s
  backoff: { policy: ${w.policy} }
  churn: { sessionLifetimeMean: ${w.churnMinutes}m }
sessionServer: { maxSessions: ${w.maxSessions}, maxAcceptsPerSec: ${w.acceptsPerSec}/s }
managers: ${w.managers ? '{ count: 2 }' : 'off'}
faults:
${faults.join('\n')}
`;
}
