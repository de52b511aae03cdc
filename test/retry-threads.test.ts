// The retry loops of a carrier outage's start on helper threads
// (retry-threads.ts) are an optimisation only: a run must give the same
// bytes whatever thread ran which client.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OUTAGE_CASES, outageScenario } from './support/outage-cases.ts';
import type { Scenario } from '../sim/scenario/types.ts';
import { Simulation } from './support/model.ts';
// The sources' own: the test that spies on the model's prototypes needs the classes it spies on.
import { Simulation as SourceSimulation, type EngineOptions } from '../sim/simulation.ts';
import { Faults } from '../sim/model/faults.ts';
import { CHUNKS, CLAIM, CLAIM_BITS, claimChunk, closeBatch, CONTROL_WORDS, DONE, openBatch, ParallelRetries } from '../sim/model/retry-threads.ts';

/** The outage cases, larger: chunks of 8,192 clients, several per batch. */
const LARGER = ['seed=5', 'population.clients=20000', 'sessionServer.maxSessions=30000', 'sessionServer.maxAcceptsPerSec=900/s'];

const open: Simulation[] = [];
afterEach(() => {
  for (const sim of open.splice(0)) sim.close();
});

async function run(scenario: Scenario, engine: EngineOptions): Promise<{ bytes: string; sim: Simulation }> {
  const sim = new Simulation(scenario, engine);
  open.push(sim);
  await sim.clients.helpersReady;
  sim.runUntil(scenario.duration);
  return { bytes: JSON.stringify(sim.result()), sim };
}

const HELPERS: EngineOptions = { threads: 2, parallelFrom: 0, helpersOnly: true };

describe('retry loops on helper threads', () => {
  it.each(OUTAGE_CASES)('change no byte of the result: %s', async (_, faults, overrides) => {
    const scenario = outageScenario(faults, [...LARGER, ...overrides]);
    const alone = await run(scenario, {});
    const helped = await run(scenario, HELPERS);
    expect(helped.bytes).toBe(alone.bytes);
    expect(helped.sim.events).toBe(alone.sim.events);
    expect(alone.sim.clients.helperEvents).toBe(0);
    if (scenario.client.backoff.policy === 'decorrelated') {
      // Each client's last wait lives outside its record: those loops stay on this thread.
      expect(helped.sim.clients.helperEvents).toBe(0);
    } else {
      // The helper did run loops: most of those of the outages' starts.
      expect(helped.sim.clients.helperEvents).toBeGreaterThan(scenario.population.clients / 2);
    }
  });

  it('give the same bytes with two helpers sharing the chunks with this thread', async () => {
    const scenario = outageScenario('faults: [{ kind: carrier-outage, at: 1m, duration: 10m }]', [...LARGER, 'population.clients=60000']);
    const alone = await run(scenario, {});
    const shared = await run(scenario, { threads: 3, parallelFrom: 0 });
    expect(shared.bytes).toBe(alone.bytes);
  });

  it('are stopped when building the rest of the model fails after they started', () => {
    const scenario = outageScenario('faults: [{ kind: carrier-outage, at: 1m, duration: 10m }]', LARGER);
    const failure = vi.spyOn(Faults.prototype, 'scheduleAll').mockImplementation(() => {
      throw new Error('a bug after the population was built');
    });
    const closed = vi.spyOn(ParallelRetries.prototype, 'close');
    try {
      expect(() => new SourceSimulation(scenario, HELPERS)).toThrow('a bug after the population was built');
      expect(closed).toHaveBeenCalledTimes(1);
    } finally {
      failure.mockRestore();
      closed.mockRestore();
    }
  });
});

describe('chunk claims', () => {
  it('hand out each chunk of the open batch once, and none of another batch', () => {
    const control = new Int32Array(new SharedArrayBuffer(4 * CONTROL_WORDS));
    openBatch(control, 7, 3, 20_000);
    expect([claimChunk(control, 6), claimChunk(control, 7), claimChunk(control, 7), claimChunk(control, 7), claimChunk(control, 7)]).toEqual([-1, 0, 1, 2, -1]);
    // A helper that sees batch 7's message only once batch 8 is open claims nothing.
    closeBatch(control);
    openBatch(control, 8, 5, 40_000);
    expect(claimChunk(control, 7)).toBe(-1);
    expect(claimChunk(control, 8)).toBe(0);
  });

  it('let no helper late with the last batch claim a chunk while the next one opens', () => {
    const control = new Int32Array(new SharedArrayBuffer(4 * CONTROL_WORDS));
    openBatch(control, 7, 2, 16_000);
    expect([claimChunk(control, 7), claimChunk(control, 7)]).toEqual([0, 1]);
    // The late helper read batch 7's claim word (every chunk claimed) just before the next batch opened.
    const stale = Atomics.load(control, CLAIM);
    closeBatch(control);
    openBatch(control, 8, 5, 40_000, () => {
      // The next batch's chunk count is written, its claim word not yet: chunk 2 "of batch 7" must not be claimable.
      expect(stale & ((1 << CLAIM_BITS) - 1)).toBeLessThan(Atomics.load(control, CHUNKS));
      expect(Atomics.compareExchange(control, CLAIM, stale, stale + 1)).not.toBe(stale);
      expect(claimChunk(control, 7)).toBe(-1);
    });
    expect(Atomics.load(control, DONE)).toBe(0);
    expect(claimChunk(control, 8)).toBe(0);
  });
});
