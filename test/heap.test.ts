// The heap of a session server (docs/model.md §6): noisy healthy readings,
// full GCs that come faster and last longer as the old generation fills,
// and leaks whose out-of-memory death lands where the growth law puts it.
// Each figure is worked out from the model's formulas, not from a run.
import { describe, expect, it } from 'vitest';
import { parseScenarioText } from '../sim/scenario/load.ts';
import { runScenario, Simulation } from './support/model.ts';
import { theilSen } from '../sim/model/gray-failure.ts';

const DAY = 86_400;
const SIZE = 1365;

function scenario(extra: string, overrides: string[] = []) {
  return parseScenarioText(`
name: heap
duration: 10d
sampleInterval: 1h
population: { clients: 2000 }
client: { churn: off }
managers: off
regions: [{ name: common, servers: 4 }]
${extra}`, 'heap.yaml', overrides).scenario;
}

describe('healthy heaps', () => {
  it('read a noisy share around healthyLivePercent: mean and standard deviation as configured', () => {
    const sim = new Simulation(scenario('leaks: [{ server: common-0, startAfter: 9d }]', ['duration=8d']));
    const heaps = sim.heaps!;
    sim.runUntil(8 * DAY - 1);
    // Servers 1-3 never leak: every full GC's reading since the start (no detector read them: checks every day clear them,
    // so collect over the last day) is N(8, 1.5²).
    const readings = [1, 2, 3].flatMap((s) => heaps.readings[s]);
    const n = readings.length;
    // About one full GC an hour at mean load: 3 servers over the day since the last reading.
    expect(n).toBeGreaterThan(3 * 20);
    expect(n).toBeLessThan(3 * 28);
    const mean = readings.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(readings.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
    expect(Math.abs(mean - 8)).toBeLessThan((4 * 1.5) / Math.sqrt(n));
    expect(sd).toBeGreaterThan(1.5 * 0.7);
    expect(sd).toBeLessThan(1.5 * 1.3);
  });

  it('space full GCs by (1 − u) / (1 − u₀) and lengthen them by u / u₀', () => {
    const sim = new Simulation(scenario('leaks: [{ server: common-0 }]'));
    const heaps = sim.heaps!;
    expect(heaps.fullGcInterval(0.08, 1)).toBeCloseTo(3600, 9);
    expect(heaps.fullGcInterval(0.9, 1)).toBeCloseTo((3600 * 0.1) / 0.92, 9);
    expect(heaps.fullGcInterval(0.08, 2)).toBeCloseTo(1800, 9);
    expect(heaps.fullGcPause(0.08)).toBeCloseTo(0.3, 12);
    expect(heaps.fullGcPause(0.8)).toBeCloseTo(3, 12);
    expect(heaps.gcTimeShare(1, 1)).toBe(1);
  });
});

describe('leaks', () => {
  // Free old generation when the leak starts: the heap less the healthy live share.
  const free = SIZE * (1 - 0.08);

  it('a constant leak kills the process when it has filled the free heap: start + free / rate', () => {
    const r = runScenario(scenario('leaks: [{ server: common-1, startAfter: 1d, growthMBPerDay: 200, doublingTime: never, loadProportional: false }]\nsessionServer: { restartAfterCrash: never }'));
    const [story] = r.summary.grayFailures;
    expect(story.leakStartedAt).toBe(DAY);
    expect(story.diedAt! / DAY).toBeCloseTo(1 + free / 200, 6);
  });

  it('an accelerating leak dies at start + D log2(1 + free ln2 / (g₀ D))', () => {
    const r = runScenario(scenario('leaks: [{ server: common-1, startAfter: 1d, growthMBPerDay: 25, doublingTime: 1d, loadProportional: false }]\nsessionServer: { restartAfterCrash: never }'));
    const expected = 1 + Math.log2(1 + (free * Math.LN2) / 25);
    // The rate is held for one 1-minute tick at a time: the integral lags by less than a tick.
    expect(Math.abs(r.summary.grayFailures[0].diedAt! / DAY - expected)).toBeLessThan(60 / DAY);
  });

  it('grows with the request load: a server carrying 3x the sessions of another leaks 3x as fast', () => {
    const r = runScenario(parseScenarioText(`
name: load
duration: 5d
sampleInterval: 1h
population: { clients: 400, mcc: { 450: 0.75, 460: 0.25 } }
client: { churn: off }
managers: off
regions: [{ name: busy, mcc: [450], servers: 1 }, { name: common, servers: 1 }]
sessionServer: { restartAfterCrash: never }
leaks:
  - { server: busy-0, growthMBPerDay: 400, doublingTime: never }
  - { server: common-0, growthMBPerDay: 400, doublingTime: never }
`, 'load.yaml').scenario);
    const [busy, quiet] = r.summary.grayFailures;
    // Loads 1.5 and 0.5 of the mean while both live. After busy-0 dies, common-0 is the whole fleet: its load is the
    // mean (1), so with free − 0.5·400·t₁ left at t₁ it is gone (free − 200 t₁) / 400 days later.
    expect(busy.diedAt! / DAY).toBeCloseTo(free / (400 * 1.5), 3);
    expect(quiet.diedAt!).toBeGreaterThan(busy.diedAt!);
    const t1 = busy.diedAt! / DAY;
    expect(quiet.diedAt! / DAY).toBeCloseTo(t1 + (free - 200 * t1) / 400, 2);
  });

  it('a larger heap only buys time, in proportion', () => {
    const at = (size: number) => runScenario(scenario(
      `leaks: [{ server: common-1, growthMBPerDay: 100, doublingTime: never, loadProportional: false }]\nsessionServer: { restartAfterCrash: never, heap: { sizeMB: ${size} } }`,
      ['duration=30d'],
    )).summary.grayFailures[0].diedAt!;
    expect(at(2730) / at(1365)).toBeCloseTo(2, 4);
  });
});

describe('detectors', () => {
  it('Theil-Sen ignores an outlier that least squares would follow', () => {
    const points: [number, number][] = [[0, 8], [1, 9], [2, 10], [3, 11], [4, 40], [5, 13]];
    expect(theilSen(points)).toBeCloseTo(1, 12);
  });

  it('a trend detector set too low cries wolf on noisy healthy servers, and never on noiseless ones', () => {
    const leak = 'leaks: [{ server: common-0, startAfter: 9d }]';
    const detect = 'grayDetection: { checkEvery: 6h, detectors: [{ kind: trend, window: 1d, percentPerDay: 0.5 }] }';
    const noisy = runScenario(scenario(`${leak}\n${detect}`, ['population.clients=200']));
    const quiet = runScenario(scenario(`${leak}\n${detect}\nsessionServer: { heap: { noisePercent: 0 } }`, ['population.clients=200']));
    expect(noisy.summary.grayDetectors[0].falseAlarms).toBeGreaterThan(0);
    expect(noisy.summary.grayDetectors[0].falseAlarmsPerServerDay).toBeCloseTo(noisy.summary.grayDetectors[0].falseAlarms / (3 * 10), 9);
    expect(quiet.summary.grayDetectors[0].falseAlarms).toBe(0);
  });
});
