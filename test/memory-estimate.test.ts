// A run's memory is known before it starts: the estimate covers the measured
// peak, grows linearly with the population, and `run` refuses what will not fit.
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../sim/scenario/load.ts';
import { estimateRunBytes, parseBytes } from '../sim/memory-estimate.ts';

const scenario = (clients: number) => loadScenarioFile('scenarios/carrier-outage.yaml', [`population.clients=${clients}`]).scenario;

describe('memory estimate', () => {
  it('covers the measured peak RSS of a run, without overshooting it by more than 2x', () => {
    const measure = () => {
      const out = execFileSync(process.execPath, ['--import', 'tsx', 'bench/case.ts', 'scenarios/carrier-outage.yaml', 'population.clients=400000'], { encoding: 'utf8' });
      return JSON.parse(out.trim().split('\n').at(-1)!) as { peakRssBytes: number; residentAtEnd: Record<string, number> };
    };
    const estimate = estimateRunBytes(scenario(400_000));
    // The run's own peak is 154–165 MiB here, alone or beside the whole suite; but it peaked at
    // 217–224 MiB in six runs under the suite's load and in CI, a mode not reproduced on demand
    // (docs/ARCHITECTURE.md, "Memory, known before the run"), which the estimate covers. Further
    // measurements, taken only while the last is above the estimate, tell a one-off spike of the
    // machine from an estimate that no longer covers; the failure shows what the memory was made of.
    const runs = [measure()];
    while (runs.length < 3 && runs.at(-1)!.peakRssBytes > estimate) runs.push(measure());
    const measured = Math.min(...runs.map((run) => run.peakRssBytes));
    expect(estimate, `estimate ${estimate} B; runs: ${JSON.stringify(runs)}`).toBeGreaterThanOrEqual(measured);
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
    const r = spawnSync(process.execPath, ['bin/stampede.cjs', 'run', 'scenarios/lookup-outage.yaml', '--memory-limit', '100MB', '--quiet'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/needs about \d+ MiB; 100 MiB is allowed by --memory-limit/);
    expect(r.stderr).toContain('--memory-limit SIZE (or off)');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
