// A run's memory is known before it starts: the estimate covers the measured
// peak, grows linearly with the population, and `run` refuses what will not fit.
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../sim/scenario/load.ts';
import { estimateRunBytes, parseBytes } from '../sim/memory-estimate.ts';

const scenario = (clients: number) => loadScenarioFile('scenarios/carrier-outage.yaml', [`population.clients=${clients}`]).scenario;

describe('memory estimate', () => {
  it('covers the measured peak RSS of a run, without overshooting it by more than 2x', () => {
    const peakRss = () => {
      const out = execFileSync(process.execPath, ['--import', 'tsx', 'bench/case.ts', 'scenarios/carrier-outage.yaml', 'population.clients=400000'], { encoding: 'utf8' });
      return (JSON.parse(out.trim().split('\n').at(-1)!) as { peakRssBytes: number }).peakRssBytes;
    };
    const estimate = estimateRunBytes(scenario(400_000));
    // The run's own peak is 154–164 MiB here, alone or beside the whole suite (30 runs each); one
    // run in one suite of ten peaked at 217 MiB, and in a later suite, on a slow afternoon of the
    // VM, two in a row peaked at 224 MiB (156–163 MiB alone, minutes later). Further measurements,
    // taken only while the last is above the estimate, tell such spikes of the machine's load from
    // an estimate that no longer covers.
    let measured = peakRss();
    for (let retry = 0; retry < 2 && measured > estimate; retry++) measured = Math.min(measured, peakRss());
    expect(estimate).toBeGreaterThanOrEqual(measured);
    expect(estimate).toBeLessThan(2 * measured);
  });

  it('grows linearly with the population', () => {
    const step = estimateRunBytes(scenario(2_000_000)) - estimateRunBytes(scenario(1_000_000));
    expect(estimateRunBytes(scenario(11_000_000)) - estimateRunBytes(scenario(1_000_000))).toBe(10 * step);
  });

  it('parses sizes', () => {
    expect(parseBytes('8GB')).toBe(8 * 2 ** 30);
    expect(parseBytes('512 MiB')).toBe(512 * 2 ** 20);
    expect(parseBytes('lots')).toBeNull();
  });

  it('makes `run` refuse a run that will not fit, before running, with exit code 2 and the flag to override', () => {
    const r = spawnSync(process.execPath, ['bin/stampede.mjs', 'run', 'scenarios/lookup-outage.yaml', '--memory-limit', '100MB', '--quiet'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/needs about \d+ MiB; 100 MiB is allowed by --memory-limit/);
    expect(r.stderr).toContain('--memory-limit SIZE (or off)');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
