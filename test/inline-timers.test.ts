// Timers run ahead of the clock (client.ts) are an optimisation only: a run
// must give the same bytes with them on or off, in one go or in pieces.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OUTAGE_CASES, outageScenario, SILENCE_CASES, silenceScenario, silenceWorlds, silenceWorldText } from './support/outage-cases.ts';
import { silentWindows } from '../sim/model/lookup-silence.ts';
import { parseScenarioText } from '../sim/scenario/load.ts';
import { Simulation } from './support/model.ts';
import type { Scenario } from '../sim/scenario/types.ts';
import { createCounterStream, uniformAt } from '../sim/engine/random.ts';

function run(
  scenario: Scenario,
  inlineTimers: boolean,
  stops: number[] = [],
  aheadToEnd = false,
): { bytes: string; sim: Simulation } {
  const sim = new Simulation(scenario, { inlineTimers });
  for (const stop of stops) sim.runUntil(stop, undefined, aheadToEnd ? scenario.duration : stop);
  sim.runUntil(scenario.duration);
  return { bytes: JSON.stringify(sim.result()), sim };
}

function statesOf(sim: Simulation): number[] {
  return Array.from({ length: sim.clients.count }, (_, c) => sim.clients.stateOf(c));
}

/** Runs `scenario` with timers run ahead and with every timer queued: the same bytes, the same events. Returns the run ahead. */
function expectSameBothWays(scenario: Scenario, what?: string): Simulation {
  const inline = run(scenario, true);
  const queued = run(scenario, false);
  expect(inline.bytes, what).toBe(queued.bytes);
  // None is left off the queue when every timer goes through it, and every event is counted once either way.
  expect(queued.sim.clients.inlineEvents).toBe(0);
  expect(inline.sim.queuedEvents + inline.sim.clients.inlineEvents).toBe(queued.sim.queuedEvents);
  return inline.sim;
}

/** A run in pieces ending at `stops` gives the bytes of one in a go, the timers run ahead to the stops or to the end; and at each stop the clients are where the queued run has them. */
function expectPiecesAsWhole(scenario: Scenario, stops: number[]): void {
  const whole = run(scenario, true);
  expect(run(scenario, true, stops).bytes).toBe(whole.bytes);
  // As the CLI runs: in slices, timers free to run ahead to the end.
  const slices = run(scenario, true, stops, true);
  expect(slices.bytes).toBe(whole.bytes);
  expect(slices.sim.clients.inlineEvents).toBe(whole.sim.clients.inlineEvents);
  // Nothing after a stop is counted yet.
  const inline = new Simulation(scenario, { inlineTimers: true });
  const queued = new Simulation(scenario, { inlineTimers: false });
  for (const stop of stops) {
    inline.runUntil(stop);
    queued.runUntil(stop);
    expect(inline.clients.attemptsPerClient()).toEqual(queued.clients.attemptsPerClient());
    expect(statesOf(inline)).toEqual(statesOf(queued));
    expect(inline.events).toBe(queued.events);
  }
}

describe('timers run ahead of the clock', () => {
  it.each(OUTAGE_CASES)('change no byte of the result: %s', (_, faults, overrides) => {
    const scenario = outageScenario(faults, overrides);
    // And they do take work off the queue.
    expect(expectSameBothWays(scenario).clients.inlineEvents).toBeGreaterThan(scenario.population.clients);
  });

  it('stop where the run stops: a run in pieces gives the same bytes as one in a go, nothing after the stop counted yet', () => {
    expectPiecesAsWhole(outageScenario('faults: [{ kind: carrier-outage, at: 1m, duration: 10m }]'), [61, 65.5, 90, 200.25, 300.5, 400, 620, 659.999, 661, 900]);
  });
});

describe('timers run ahead while every lookup is silent', () => {
  it.each(SILENCE_CASES)('change no byte of the result: %s', (_, body, overrides) => {
    expect(expectSameBothWays(silenceScenario(body, overrides)).clients.inlineEvents).toBeGreaterThan(1000);
  });

  it('stop where the run stops, in pieces as in one go, nothing after the stop counted yet', () => {
    expectPiecesAsWhole(silenceScenario(SILENCE_CASES[0][1]), [61, 65.5, 90, 200.25, 300.5, 400, 538, 539.999, 541, 900]);
  });

  it('change no byte of the result in random worlds (lookup outages, lost sites, carrier outages, one or two services)', () => {
    let silent = 0;
    fc.assert(
      fc.property(silenceWorlds, (world) => {
        const text = silenceWorldText(world);
        const scenario = parseScenarioText(text, 'silence-world.yaml').scenario;
        const lookups = scenario.services.reduce((sum, service) => sum + service.instances, 0);
        if (silentWindows(scenario.faults, lookups).length > 0) silent++;
        expectSameBothWays(scenario, text);
      }),
      { numRuns: 45, seed: 20261207 },
    );
    // The property is about the silence: many worlds have one (19 of these 45).
    expect(silent).toBeGreaterThan(12);
  });

  it.each([
    ['an instance that answers', 'faults: [{ kind: lookup-outage, at: 1m, duration: 8m, instances: [0, 1] }]'],
    ['refusing instances (a refusal comes after a round trip)', 'faults: [{ kind: lookup-outage, at: 1m, duration: 8m, instances: all, mode: refuse }]'],
  ])('run nothing ahead with %s', (_, body) => {
    expect(expectSameBothWays(silenceScenario(body)).clients.inlineEvents).toBe(0);
  });

  it('know when every instance is silent: overlaps joined, touching outages apart, refusals never, nothing before a carrier outage', () => {
    const windows = (faults: string, instances = 3) =>
      silentWindows(parseScenarioText(`name: w\nduration: 20m\nlookup: { instances: ${instances} }\n${faults}`, 'w.yaml').scenario.faults, instances);
    expect(windows('faults: [{ kind: lookup-outage, at: 60s, duration: 420s, instances: [0] }, { kind: lookup-outage, at: 180s, duration: 420s, instances: [1, 2] }]'))
      .toEqual([{ from: 180, to: 480 }]);
    expect(windows('faults: [{ kind: lookup-outage, at: 60s, duration: 240s, instances: all }, { kind: lookup-outage, at: 120s, duration: 300s, instances: [1] }]'))
      .toEqual([{ from: 60, to: 300 }]);
    expect(windows('faults: [{ kind: lookup-outage, at: 60s, duration: 240s, instances: all }, { kind: lookup-outage, at: 200s, duration: 300s, instances: all }]'))
      .toEqual([{ from: 60, to: 500 }]);
    expect(windows('faults: [{ kind: lookup-outage, at: 60s, duration: 240s, instances: all }, { kind: lookup-outage, at: 300s, duration: 240s, instances: all }]'))
      .toEqual([{ from: 60, to: 300 }, { from: 300, to: 540 }]);
    expect(windows('faults: [{ kind: lookup-outage, at: 60s, duration: 240s, instances: [0, 1] }]')).toEqual([]);
    expect(windows('faults: [{ kind: lookup-outage, at: 60s, duration: 240s, instances: all }, { kind: lookup-outage, at: 900s, duration: 60s, instances: [0], mode: refuse }]')).toEqual([]);
    expect(windows(`sites: [{ name: a, lookups: [0, 1] }]
faults: [{ kind: site-outage, site: a, at: 60s, duration: 600s }, { kind: lookup-outage, at: 120s, duration: 60s, instances: [2] }]`)).toEqual([{ from: 120, to: 180 }]);
    // A carrier outage that begins after a silence's start takes that silence out; one under way at its start does not.
    const carrierAt = (at: string) => windows(`faults: [{ kind: lookup-outage, at: 60s, duration: 240s, instances: all }, { kind: lookup-outage, at: 600s, duration: 60s, instances: all }, { kind: carrier-outage, at: ${at}, duration: 30s }]`);
    expect(carrierAt('30s')).toEqual([{ from: 60, to: 300 }, { from: 600, to: 660 }]);
    expect(carrierAt('60s')).toEqual([{ from: 600, to: 660 }]);
    expect(carrierAt('400s')).toEqual([{ from: 600, to: 660 }]);
    expect(carrierAt('700s')).toEqual([]);
  });
});

describe('counter-based stream', () => {
  const stream = createCounterStream(1, 'client.backoff');

  it('is uniform: chi-square over 100 bins of 10^6 draws from 10^4 entities', () => {
    const bins = new Float64Array(100);
    for (let entity = 0; entity < 10_000; entity++) {
      for (let draw = 0; draw < 100; draw++) bins[Math.floor(uniformAt(stream, entity, draw) * 100)]++;
    }
    const expected = 1e6 / 100;
    let chi2 = 0;
    for (const observed of bins) chi2 += (observed - expected) ** 2 / expected;
    // 99 degrees of freedom: the 99.9 % quantile is 148.2.
    expect(chi2).toBeLessThan(148.2);
  });

  it('has no correlation between neighbouring draws or neighbouring entities', () => {
    const n = 200_000;
    const correlation = (pair: (i: number) => [number, number]) => {
      let sx = 0, sy = 0, sxy = 0, sxx = 0, syy = 0;
      for (let i = 0; i < n; i++) {
        const [x, y] = pair(i);
        sx += x; sy += y; sxy += x * y; sxx += x * x; syy += y * y;
      }
      return (n * sxy - sx * sy) / Math.sqrt((n * sxx - sx * sx) * (n * syy - sy * sy));
    };
    // |r| of independent samples is below 4 / sqrt(n) with probability ~ 1 - 6e-5.
    const bound = 4 / Math.sqrt(n);
    expect(Math.abs(correlation((i) => [uniformAt(stream, i, 0), uniformAt(stream, i, 1)]))).toBeLessThan(bound);
    expect(Math.abs(correlation((i) => [uniformAt(stream, i, 5), uniformAt(stream, i + 1, 5)]))).toBeLessThan(bound);
    expect(Math.abs(correlation((i) => [uniformAt(stream, 7, i), uniformAt(stream, 7, i + 1)]))).toBeLessThan(bound);
  });

  it('depends on the seed and the name, and on nothing else', () => {
    expect(uniformAt(createCounterStream(1, 'client.backoff'), 42, 3)).toBe(uniformAt(stream, 42, 3));
    expect(uniformAt(createCounterStream(2, 'client.backoff'), 42, 3)).not.toBe(uniformAt(stream, 42, 3));
    expect(uniformAt(createCounterStream(1, 'other'), 42, 3)).not.toBe(uniformAt(stream, 42, 3));
  });
});
