// `stampede explore` (docs/explore.md): ranges, the boundary against a plain
// sweep, determinism whatever the number of workers, shrunk failures that
// fail on their own, metastable runs flagged, resume without re-running.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRange, positionOf, valueAt, type ExploreRange } from '../sim/explore/range.ts';
import { Explorer, type ExploreFindings } from '../sim/explore/search.ts';
import { exploreFiles } from '../sim/explore/output.ts';
import { loadScenarioFile, parseScenarioText, ScenarioError } from '../sim/scenario/load.ts';
import { runScenario } from './support/model.ts';
import type { JobOutcome } from '../sim/batch/protocol.ts';
import { main } from '../sim/cli/main.ts';
import { testTmp } from './support/temp.ts';

const dir = mkdtempSync(join(testTmp(), 'stampede-explore-'));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('ranges', () => {
  it('reads durations, rates, numbers and choices, and searches wide ranges in their logarithm', () => {
    expect(parseRange('a', '1m..30m')).toEqual({ path: 'a', kind: 'numeric', scale: 'duration', min: 60, max: 1800, log: true });
    expect(parseRange('a', '1000/s..5000/s')).toMatchObject({ scale: 'rate', min: 1000, max: 5000, log: false });
    expect(parseRange('a', '100000..5000000')).toMatchObject({ scale: 'integer', log: true });
    expect(parseRange('a', '0.1..0.9')).toMatchObject({ scale: 'number', log: false });
    expect(parseRange('a', 'rr | wlc')).toEqual({ path: 'a', kind: 'choice', choices: ['rr', 'wlc'] });
    const range = parseRange('a', '1m..30m') as ExploreRange & { kind: 'numeric' };
    // Log-uniform: the middle is the geometric mean, and position is the inverse of value.
    expect(valueAt(range, 0.5)).toBeCloseTo(Math.sqrt(60 * 1800), 2);
    for (const u of [0, 0.25, 0.9, 1]) expect(positionOf(range, valueAt(range, u))).toBeCloseTo(u, 5);
    expect(valueAt(parseRange('n', '3..7') as ExploreRange & { kind: 'numeric' }, 0.4)).toBe(5);
  });

  it.each([
    ['30m..1m', /from a smaller to a larger value/],
    ['1m..', /expected/],
    ['1m..30', /durations/],
    ['a||b', /no empty choice/],
    ['a|a', /listed twice/],
    ['ten..20', /expected two numbers/],
  ])('rejects %s', (text, message) => {
    expect(parseRange('x', text)).toMatch(message);
  });

  it('reports a bad range and a map outside the ranges at their place in the scenario file', () => {
    const text = (explore: string) => `name: e\nduration: 10m\nfaults: [{ kind: lookup-outage, at: 1m, duration: 1m }]\nassert: [recovery.full <= 5m]\nexplore:\n${explore}`;
    const issues = (explore: string) => {
      try {
        parseScenarioText(text(explore), 'e.yaml');
      } catch (error) {
        return (error as ScenarioError).issues.map((i) => `${i.path}: ${i.message}`);
      }
      return [];
    };
    expect(issues('  ranges: { faults.0.duration: 5m..1m }')).toEqual([expect.stringMatching(/^explore\.ranges\.faults\.0\.duration: the range must go/)]);
    expect(issues('  ranges: { client.backoff.max: 1m..5m }\n  map: [client.backoff.max, lookup.capacity]')[0]).toMatch(/^explore\.map\[1\]: "lookup.capacity" is not one of the numeric ranges/);
    expect(issues('  ranges: { "faults..at": 1m..2m }')[0]).toMatch(/expected a field path/);
  });

  it('refuses before any run a range whose end the scenario cannot take', () => {
    const path = file('bad-end.yaml', `name: e\nduration: 10m\npopulation: { clients: 1000 }\nfaults: [{ kind: lookup-outage, at: 1m, duration: 1m }]\nassert: [recovery.full <= 5m]\nexplore:\n  ranges: { lookup.instances: 0..4 }\n`);
    expect(() => new Explorer({ file: path, baseOverrides: [], workers: 1 })).toThrow(/explore\.ranges\.lookup\.instances: the value 0 makes an invalid scenario: lookup\.instances/);
  });
});

describe('the boundary', () => {
  const outage = file('outage.yaml', `
name: outage
duration: 30m
population: { clients: 20000 }
faults: [{ kind: lookup-outage, at: 1m, duration: 10m }]
assert: [recovery.full <= 20m]
explore:
  runs: 0
  ranges: { faults.0.duration: 1m..30m }
  shrink: 0
`);

  it('finds the outage length where the 20-minute target flips within 5 % of a plain sweep\'s', async () => {
    const findings = await new Explorer({ file: outage, baseOverrides: [], workers: 2 }).search();
    const [boundary] = findings.boundaries;
    expect(boundary.failsBelow).toBe(false);
    expect(boundary.above! - boundary.below!).toBeLessThan(0.02 * boundary.value!);
    // The plain sweep: every 10 s around it, the same seed; the first failing duration.
    const fails = (seconds: number) => {
      const { scenario } = loadScenarioFile(outage, [`faults.0.duration=${seconds}s`]);
      const full = runScenario(scenario).summary.recovery.full;
      return full === null || full > 1200;
    };
    let first = 560;
    while (!fails(first)) first += 10;
    expect(Math.abs(boundary.value! / first - 1), `explore ${boundary.value} s, sweep ${first} s`).toBeLessThan(0.05);
  });
});

describe('swarm, shrinking and determinism', () => {
  // The herd of 10^5 clients against the default session server (2,000 accepts/s, a crash above
  // 5,000 attempts/s), scaled down by five, rates and all: the same runs fail and shrink alike
  // (weighted least connection crashes the restarted server 5 times in 6 seeds of 6; round robin
  // and power of d once, the scripted crash), at a fifth of the cost.
  const herd = file('herd.yaml', `
name: herd
duration: 4m
population: { clients: 20000 }
client: { churn: { sessionLifetimeMean: 20s } }
lookup: { algorithm: round-robin, infoRefresh: 10s }
regions: [{ name: common, servers: 4 }]
sessionServer: { restartAfterCrash: 2m, maxAcceptsPerSec: 400/s, overloadAcceptsPerSec: 1500/s }
faults: [{ kind: server-crash, at: 1m, servers: [common-3], mode: refuse, restartAfter: 30s }]
assert: [server.crashes <= 1]
explore:
  seed: 3
  runs: 4
  ranges:
    lookup.algorithm: round-robin|weighted-least-connection|power-of-d
  extraFaults: { max: 1, kinds: [lookup-outage, manager-crash], longest: 20s }
  shrink: 2
`);

  let one: ExploreFindings;
  let two: ExploreFindings;
  const cache = new Map<string, JobOutcome>();

  it('finds the weighted-least-connection herd in a scenario that names no algorithm problem, and shrinks it', async () => {
    one = await new Explorer({ file: herd, baseOverrides: [], workers: 1 }).search();
    const failing = one.runs.filter((r) => r.phase === 'swarm' && r.failed.length > 0);
    expect(failing.length).toBeGreaterThan(0);
    expect(failing.every((r) => r.values['lookup.algorithm'] === 'weighted-least-connection')).toBe(true);
    const [failure] = one.failures;
    expect(failure.run.values['lookup.algorithm']).toBe('weighted-least-connection');
    // Shrunk: no extra fault left, and it still fails.
    expect(failure.run.extraFaults).toEqual([]);
    expect(failure.run.failed).toEqual(['server.crashes <= 1']);
  });

  it('gives the same findings with 2 workers as with 1', async () => {
    two = await new Explorer({ file: herd, baseOverrides: [], workers: 2, onRun: (_, key, outcome) => cache.set(key, outcome) }).search();
    expect(JSON.stringify(two)).toBe(JSON.stringify(one));
  });

  it('writes a shrunk failure that fails the gate on its own, with the commands that reproduce it', async () => {
    const scenario = loadScenarioFile(herd).scenario;
    const files = exploreFiles(one, { file: herd, baseOverrides: [], scenario, config: scenario.explore!, outDir: dir });
    const failure = files.find((f) => f.path === 'failures/failure-1.yaml')!;
    expect(failure.content).toMatch(/# Reproduce:\n# {3}stampede run /);
    const path = file('failure-1.yaml', failure.content);
    expect(await main(['gate', path, '--quiet'])).toBe(1);
    const report = JSON.parse(files.find((f) => f.path === 'explore.json')!.content);
    expect(report.failures[0].commands.gate).toContain('stampede gate');
  });

  it('resumes from the outcomes it kept: the same findings, no run made again', async () => {
    const stopped = new AbortController();
    stopped.abort();
    // Every run is known: nothing goes to the (already stopped) workers, and nothing is missing.
    const again = await new Explorer({ file: herd, baseOverrides: [], workers: 1, cache, signal: stopped.signal }).search();
    expect(again.interrupted).toBe(false);
    expect(JSON.stringify(again)).toBe(JSON.stringify(two));
    expect(cache.size).toBe(two.runs.length);
  });
});

describe('metastability', () => {
  it('flags a fixed-interval retry storm that outlives a short carrier outage, with its evidence; jittered backoff is not', async () => {
    // 5,000 clients, the lookups' and servers' rates scaled with them: the same storm (retry
    // amplification ~19, the queue full for the whole window) as at 20,000, for a quarter of the work.
    const storm = file('storm.yaml', `
name: storm
duration: 15m
population: { clients: 5000 }
client: { backoff: { policy: none, initial: 3s } }
lookup: { instances: 4, capacity: 200/s }
regions: [{ name: common, servers: 10 }]
sessionServer: { maxAcceptsPerSec: 20/s, overloadAcceptsPerSec: 50/s }
faults: [{ kind: carrier-outage, at: 1m, duration: 1m }]
assert: [recovery.full <= 10m]
explore:
  runs: 4
  ranges: { client.backoff.policy: none|gcm }
  shrink: 0
  metastableWindow: 3m
`);
    const findings = await new Explorer({ file: storm, baseOverrides: [], workers: 2 }).search();
    const swarm = findings.runs.filter((r) => r.phase === 'swarm');
    const fixed = swarm.filter((r) => r.values['client.backoff.policy'] === 'none');
    const jittered = swarm.filter((r) => r.values['client.backoff.policy'] === 'gcm');
    expect(fixed.length).toBeGreaterThan(0);
    expect(jittered.length).toBeGreaterThan(0);
    for (const r of fixed) {
      expect(r.metastable, `run ${r.id}`).not.toBeNull();
      expect(r.metastable!.triggerEnd).toBe(120);
      expect(r.metastable!.reasons).toContain('overload');
      expect(r.metastable!.retryAmplification!).toBeGreaterThan(2);
      expect(r.metastable!.to - r.metastable!.from).toBeGreaterThanOrEqual(180);
    }
    for (const r of jittered) expect(r.metastable, `run ${r.id}`).toBeNull();
    expect(findings.metastable).toEqual(fixed.map((r) => r.id));
  });
});

describe('the command', () => {
  it('writes its files, exits 1 when a run breaks the gate, and refuses a scenario without explore:', async () => {
    const out = join(dir, 'out');
    const path = file('cmd.yaml', `
name: cmd
duration: 20m
population: { clients: 2000 }
faults: [{ kind: lookup-outage, at: 1m, duration: 10m }]
assert: [recovery.full <= 20m]
explore:
  runs: 2
  ranges: { faults.0.duration: 5m..15m, client.backoff.max: 60s..600s }
  shrink: 0
`);
    expect(await main(['explore', path, '--out', out, '--quiet', '--json', '--workers', '1'])).toBe(1);
    const report = JSON.parse(readFileSync(join(out, 'explore.json'), 'utf8'));
    expect(report.boundaries.map((b: { path: string }) => b.path)).toEqual(['faults.0.duration', 'client.backoff.max']);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('Pass/fail map');
    expect(readFileSync(join(out, 'explore.md'), 'utf8')).toMatch(/## Boundaries/);
    const plain = file('plain.yaml', 'name: plain\nduration: 1m\nassert: [recovery.full <= 1m]\n');
    expect(await main(['explore', plain, '--out', join(dir, 'plain'), '--quiet'])).toBe(2);
  });
});
