// The retry loops of a carrier outage's start on helper threads
// (retry-threads.ts) are an optimisation only: a run must give the same
// bytes whatever thread ran which client.
import { afterEach, describe, expect, it } from 'vitest';
import { parseScenarioText } from '../sim/scenario/load.ts';
import { Simulation, type EngineOptions } from '../sim/simulation.ts';
import { CLAIM_BITS, claimChunk, Control } from '../sim/model/retry-threads.ts';

function scenarioOf(body: string, overrides: string[] = []) {
  const yaml = `
name: retry-threads
seed: 5
duration: 20m
population:
  clients: 20000
  mcc: {450: 0.5, 440: 0.5}
regions:
  - { name: korea, mcc: [450], servers: 3, failover: common }
  - { name: japan, mcc: [440], servers: 3, failover: common }
  - { name: common, servers: 2 }
sessionServer: { maxSessions: 30000, maxAcceptsPerSec: 900/s }
${body}`;
  return parseScenarioText(yaml, 'retry-threads.yaml', overrides).scenario;
}

const open: Simulation[] = [];
afterEach(() => {
  for (const sim of open.splice(0)) sim.close();
});

async function run(scenario: ReturnType<typeof scenarioOf>, engine: EngineOptions): Promise<{ bytes: string; sim: Simulation }> {
  const sim = new Simulation(scenario, engine);
  open.push(sim);
  await sim.clients.helpersReady;
  sim.runUntil(scenario.duration);
  return { bytes: JSON.stringify(sim.result()), sim };
}

const HELPERS: EngineOptions = { threads: 2, parallelFrom: 0, helpersOnly: true };

const CASES: [string, string, string[]][] = [
  ['a whole-population outage (several chunks)', 'faults: [{ kind: carrier-outage, at: 1m, duration: 10m }]', []],
  [
    'overlapping partial outages: chosen clients, and clients under two outages',
    `faults:
  - { kind: carrier-outage, at: 1m, duration: 6m, region: korea }
  - { kind: carrier-outage, at: 4m, duration: 5m, fraction: 0.3 }
  - { kind: carrier-outage, at: 8m30s, duration: 2m, fraction: 0.5 }`,
    [],
  ],
  ['an outage that outlasts the run', 'faults: [{ kind: carrier-outage, at: 5m, duration: 1h }]', []],
  ['outages on sample instants, shorter than a connect timeout', 'faults: [{ kind: carrier-outage, at: 60s, duration: 3s }, { kind: carrier-outage, at: 120s, duration: 15s }]', []],
  [
    'outages while fast churn keeps clients connecting',
    'faults: [{ kind: carrier-outage, at: 2m, duration: 20s }, { kind: carrier-outage, at: 5m, duration: 12s, fraction: 0.5 }]',
    ['client.churn.sessionLifetimeMean=20s', 'network.rtt=400ms', 'client.backoff.policy=full'],
  ],
];

describe('retry loops on helper threads', () => {
  it.each(CASES)('change no byte of the result: %s', async (_, faults, overrides) => {
    const scenario = scenarioOf(faults, overrides);
    const alone = await run(scenario, {});
    const helped = await run(scenario, HELPERS);
    expect(helped.bytes).toBe(alone.bytes);
    expect(helped.sim.events).toBe(alone.sim.events);
    // The helper did run loops: most of those of the outages' starts.
    expect(helped.sim.clients.helperEvents).toBeGreaterThan(scenario.population.clients / 2);
    expect(alone.sim.clients.helperEvents).toBe(0);
  });

  it('give the same bytes with two helpers sharing the chunks with this thread', async () => {
    const scenario = scenarioOf('faults: [{ kind: carrier-outage, at: 1m, duration: 10m }]', ['population.clients=60000']);
    const alone = await run(scenario, {});
    const shared = await run(scenario, { threads: 3, parallelFrom: 0 });
    expect(shared.bytes).toBe(alone.bytes);
  });

  it('stay on this thread for decorrelated jitter (per-client state outside the record)', async () => {
    const scenario = scenarioOf('faults: [{ kind: carrier-outage, at: 1m, duration: 10m }]', ['client.backoff.policy=decorrelated']);
    const helped = await run(scenario, HELPERS);
    expect(helped.sim.clients.helperEvents).toBe(0);
    expect(helped.bytes).toBe((await run(scenario, {})).bytes);
  });
});

describe('chunk claims', () => {
  it('hand out each chunk of the open batch once, and none of another batch', () => {
    const control = new Int32Array(new SharedArrayBuffer(4 * Control.size));
    Atomics.store(control, Control.chunks, 3);
    Atomics.store(control, Control.claim, 7 << CLAIM_BITS);
    expect([claimChunk(control, 6), claimChunk(control, 7), claimChunk(control, 7), claimChunk(control, 7), claimChunk(control, 7)]).toEqual([-1, 0, 1, 2, -1]);
    // A helper that sees batch 7's message only once batch 8 is open claims nothing.
    Atomics.store(control, Control.claim, 8 << CLAIM_BITS);
    expect(claimChunk(control, 7)).toBe(-1);
    expect(claimChunk(control, 8)).toBe(0);
  });
});
