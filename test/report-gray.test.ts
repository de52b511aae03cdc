// The leak's story in the report (gray.ts), connect failures by reason and
// downtime over time (metrics.ts), and the charts drawn from them.
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../sim/scenario/load.ts';
import { runScenario } from './support/model.ts';
import { buildReport } from '../reports/lib/index.ts';
import { elapsed, grayStory } from '../reports/lib/gray.ts';
import { recoveryBadge } from '../reports/lib/verdict.ts';
import { downtimeBucketSeconds } from '../sim/model/metrics.ts';
import type { GrayFailureReport } from '../sim/result.ts';

const DAY = 86_400;

describe('the leak as the report tells it', () => {
  const died: GrayFailureReport = {
    server: 'common-2',
    leakStartedAt: DAY,
    alertAt: 3 * DAY,
    alerts: [{ detector: 'trend > 2 points/day over 3 d', at: 3 * DAY }],
    firstClientFailureAt: 6 * DAY + 2520,
    firstSuspendedAt: 6 * DAY + 13_740,
    suspensions: 2,
    resumes: 1,
    diedAt: 6 * DAY + 14_100,
    removedAt: null,
    l4FirstFailureAt: 6 * DAY + 14_105,
    l4BlindUntilDeath: true,
  };

  it('says times since the start in days, hours and minutes', () => {
    expect(elapsed(DAY)).toBe('1 d');
    expect(elapsed(6 * DAY + 2520)).toBe('6 d 0 h 42 min');
    expect(elapsed(3 * 3600 + 300)).toBe('3 h 5 min');
    expect(elapsed(45)).toBe('45 s');
  });

  it('tells each step in order, the flapping, the death and that L4 never noticed', () => {
    const story = grayStory(died);
    expect(story.steps.map((s) => s.kind)).toEqual(['leak', 'alert', 'failure', 'suspended', 'died']);
    expect(story.level).toBe('fail');
    expect(story.sentence).toContain('flapped: 2 suspensions, 1 resume');
    expect(story.sentence).toMatch(/died out of memory 6 d 3 h 55 min; L4 never noticed$/);
  });

  it('a run with a leak and no fault is never "no fault injected"', () => {
    const base = { incidentStart: null, grayFailures: [died], grayDetectors: [] } as unknown as Parameters<typeof recoveryBadge>[0];
    expect(recoveryBadge(base)).toMatchObject({ level: 'fail' });
    expect(recoveryBadge(base).text).toContain('common-2 died out of memory');
    const removed = { ...died, diedAt: null, removedAt: 3 * DAY, firstClientFailureAt: null, firstSuspendedAt: null, l4FirstFailureAt: null };
    expect(recoveryBadge({ ...base, grayFailures: [removed] }).text).toContain('removed at an alert at 3 d');
    expect(recoveryBadge({ ...base, grayFailures: [] }).text).toBe('no fault injected');
  });
});

describe('connect failures by reason and downtime over time', () => {
  const { scenario } = loadScenarioFile('scenarios/managers-all-lost.yaml', ['population.clients=4000']);
  const result = runScenario(scenario);

  it('counts every refusal under one reason: the refusals add up to attempts that reached a server minus accepts', () => {
    const f = result.series.connectFailuresPerSec!;
    const refusals = ['deadProcess', 'notInService', 'serverFull', 'acceptLimit', 'gcPause'] as const;
    let refused = 0;
    let expected = 0;
    result.series.time.forEach((_, k) => {
      for (const reason of refusals) refused += f[reason][k];
      for (const name of Object.keys(result.series.acceptsPerSec)) expected += result.series.connectAttemptsPerSec[name][k] - result.series.acceptsPerSec[name][k];
    });
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeCloseTo(expected, 6);
  });

  it('buckets every reconnect once, with the same maximum as the summary', () => {
    const d = result.distributions.downtimeOverTime!;
    expect(d.buckets.reduce((n, b) => n + b.count, 0)).toBe(result.summary.downtime.count);
    expect(Math.max(...d.buckets.map((b) => b.max))).toBe(result.summary.downtime.max);
    for (const b of d.buckets) expect(b.p50 <= b.p90 && b.p90 <= b.p99 && b.p99 <= b.max).toBe(true);
    expect(d.bucketSeconds % scenario.sampleInterval).toBe(0);
  });

  it('picks buckets that are whole sample intervals, at most about 150 over a run', () => {
    expect(downtimeBucketSeconds(1, 1800)).toBe(12);
    expect(downtimeBucketSeconds(600, 8 * DAY)).toBe(10 * 600);
    expect(downtimeBucketSeconds(1, 100)).toBe(1);
  });

  it('draws the errors and the downtime percentiles, with connect failures dashed', () => {
    const charts = buildReport(result).charts;
    const errors = charts.find((c) => c.id === 'errors');
    expect(errors).toBeDefined();
    expect(JSON.stringify(errors!.spec)).toContain('connect refused: process dead');
    expect(JSON.stringify(errors!.spec)).toContain('"strokeDash":[6,3]');
    expect(charts.map((c) => c.id)).toContain('downtime-over-time');
    // Lookup failures live in the errors chart, not in the lookup load.
    expect(JSON.stringify(charts.find((c) => c.id === 'lookup-load')!.spec)).not.toContain('timed out');
  });
});
