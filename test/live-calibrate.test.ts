// `stampede calibrate` (docs/live.md): a live run's measured connect latency, lookup service rate
// and accept rate written into a new scenario file, with comments saying where each came from;
// what the run did not measure is kept and the comment says why; bad input is exit 2 with one line.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadScenarioFile } from '../sim/scenario/load.ts';
import { calibrations } from '../sim/cli/calibrate.ts';
import type { LiveResult } from '../live/load-run.ts';
import { testTmp } from './support/temp.ts';

const dir = mkdtempSync(join(testTmp(), 'stampede-calibrate-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/stampede.cjs', 'calibrate', ...args], { encoding: 'utf8', timeout: 60_000 });

const SCENARIO = `# A lookup outage, sized for a live run.
name: small-outage
duration: 10m
population:
  clients: 2000
lookup:
  instances: 2
  capacity: 2000/s # as configured
regions:
  - name: common
    servers: 4
faults:
  - kind: lookup-outage
    at: 1m
    duration: 3m
`;

function result(overrides: Partial<LiveResult['measured']> = {}, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const measured = {
    connectLatency: { mean: 0.016, p99: 0.12, assumed: 0.0025 },
    lookupLatency: { mean: 0.02, p99: 0.3, assumed: 0.003 },
    timerLateness: { mean: 0.01, p99: 0.05, assumed: 0 },
    serverRestart: { mean: null, assumed: 1.5 },
    keepaliveLosses: 0,
    warmupSeconds: 2,
    warmupConnectsPerSec: 1000,
    runConnectsPerSec: { mean: 40, peak: 900 },
    lookupServiceRate: { perInstance: 1850, instances: 2, assumed: 2000 },
    acceptRate: { perServer: 420.5, refusedInThatSecond: 37, assumed: 2000 },
    staleLookupsDropped: 0,
    peakConnectedSessions: 2000,
    ...overrides,
  };
  return { stampede: { version: 'test', format: 1 }, live: true, target: 'reference', timeScale: 0.05, clients: 2000, scenario: { name: 'small-outage' },
    scenarioFile: join(dir, 'small-outage.yaml'), measured, ...extra };
}

describe('stampede calibrate', () => {
  writeFileSync(join(dir, 'small-outage.yaml'), SCENARIO);

  it('writes the measured quantities into a new scenario, durations unscaled, with where each came from', () => {
    const run = join(dir, 'run1');
    spawnSync('mkdir', ['-p', run]);
    writeFileSync(join(run, 'result.json'), JSON.stringify(result()));
    const r = cli(join(run, 'result.json'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = join(run, 'small-outage.calibrated.yaml');
    expect(r.stdout).toContain(`wrote ${out}`);
    const text = readFileSync(out, 'utf8');
    const { scenario } = loadScenarioFile(out);
    expect(scenario.name).toBe('small-outage-calibrated');
    expect(scenario.rtt).toBeCloseTo(0.32, 6); // 16 ms at time scale 0.05
    expect(scenario.lookup.capacity).toBe(1850);
    expect(scenario.sessionServer.maxAcceptsPerSec).toBe(421);
    // Everything else as it was, comments included.
    expect(scenario.faults).toHaveLength(1);
    expect(scenario.regions[0].servers).toBe(4);
    expect(text).toContain('# A lookup outage, sized for a live run.');
    expect(text).toMatch(/network\.rtt: 320\.0ms: calibrated: connect latency \(TCP \+ hello\) mean 16\.0ms measured at time scale 0\.05, \/ 0\.05/);
    expect(text).toMatch(/lookup\.capacity: 1850\/s: calibrated: lookup service rate/);
    expect(text).toMatch(/sessionServer\.maxAcceptsPerSec: 421\/s: calibrated: sessions accepted per server in the busiest second, 37 connects refused/);
    expect(text).toMatch(/rtt: 320\.0ms # calibrated/);
    // Existing output: refused without --force, replaced with it.
    const again = cli(join(run, 'result.json'));
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/small-outage\.calibrated\.yaml exists; pass --force/);
    expect(cli(join(run, 'result.json'), '--force').status).toBe(0);
  });

  it('keeps what the run did not measure, and says why', () => {
    const kept = calibrations(result({ lookupServiceRate: { perInstance: null, instances: 0, assumed: 2000 }, acceptRate: { perServer: 300, refusedInThatSecond: 0, assumed: 2000 } }) as unknown as LiveResult);
    expect(kept.map((c) => [c.path.join('.'), c.value])).toEqual([['network.rtt', '320.0ms'], ['lookup.capacity', null], ['sessionServer.maxAcceptsPerSec', null]]);
    expect(kept[1].comment).toMatch(/kept: no lookup queue was saturated/);
    expect(kept[2].comment).toMatch(/kept: the servers were not at their limit \(busiest second 300\/s per server/);
    const out = join(dir, 'kept.yaml');
    writeFileSync(join(dir, 'kept.json'), JSON.stringify(result({ lookupServiceRate: { perInstance: null, instances: 0, assumed: 2000 } })));
    expect(cli(join(dir, 'kept.json'), '--out', out).status).toBe(0);
    expect(loadScenarioFile(out).scenario.lookup.capacity).toBe(2000);
  });

  it('bad input is exit 2 with one clear line', () => {
    const missing = cli(join(dir, 'nope.json'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/calibrate: no such file: .*nope\.json/);
    writeFileSync(join(dir, 'sim.json'), JSON.stringify({ summary: {} }));
    expect(cli(join(dir, 'sim.json')).stderr).toMatch(/is not the result of a live run/);
    writeFileSync(join(dir, 'partial.json'), JSON.stringify(result({}, { partial: { reason: 'zookeeper died' } })));
    const partial = cli(join(dir, 'partial.json'));
    expect(partial.status).toBe(2);
    expect(partial.stderr).toMatch(/is a partial result \(zookeeper died\)/);
    writeFileSync(join(dir, 'nofile.json'), JSON.stringify(result({}, { scenarioFile: undefined })));
    expect(cli(join(dir, 'nofile.json')).stderr).toMatch(/does not say which scenario file it ran; name it with --scenario/);
    writeFileSync(join(dir, 'garbage.json'), '{');
    expect(cli(join(dir, 'garbage.json')).stderr).toMatch(/is not JSON/);
    for (const r of [partial, missing]) expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(dir, 'small-outage.calibrated.yaml'))).toBe(false);
  });

  it('--help', () => {
    const r = cli('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/--scenario/);
    expect(r.stdout).toMatch(/--out/);
  });
});
