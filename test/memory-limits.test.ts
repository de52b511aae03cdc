// Issue 18, item 5: memory and size limits known before anything runs: V8's
// heap ceiling for the series, --memory-limit on every command that runs
// scenarios, and absurd job counts refused at once.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { estimateRun } from '../sim/memory-estimate.ts';
import { parseScenarioText } from '../sim/scenario/load.ts';
import { cli, STACK, tempDir } from './support/cli.ts';

const SMALL = 'name: small\nduration: 3m\npopulation: {clients: 2000}\nfaults: [{kind: lookup-outage, at: 1m, duration: 30s}]\nassert: [recovery.full <= 3m]\n';
// The issue's case: a fleet whose per-server series outgrow V8's heap long before free memory.
const WIDE = 'name: wide\nduration: 6h\npopulation: {clients: 20000}\nregions: [{name: common, servers: 10000}]\n';

function file(text: string): string {
  const path = join(tempDir(), 'scenario.yaml');
  writeFileSync(path, text);
  return path;
}

describe('the heap ceiling', () => {
  it('counts the per-server series on the V8 heap', () => {
    const estimate = estimateRun(parseScenarioText(WIDE, 'wide.yaml').scenario);
    expect(estimate.heapBytes).toBeGreaterThan(3 * 10_000 * 21_601 * 16);
    expect(estimate.seriesText).toBe('10,000 server(s) and 4 lookup instance(s) × 21,601 samples');
  });

  it('run refuses a run whose series exceed the heap limit, at once, even with --memory-limit off', async () => {
    const started = Date.now();
    const r = await cli('run', file(WIDE), '--memory-limit', 'off', '--quiet');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^stampede: wide with 20,000 clients needs about [\d.]+ GiB of JavaScript heap for its series \(10,000 server\(s\) and 4 lookup instance\(s\) × 21,601 samples\); V8's heap limit here is [\d.]+ GiB/);
    expect(r.stderr).toContain('NODE_OPTIONS=--max-old-space-size');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('--memory-limit on batches and gate', () => {
  it.each([
    [['run', '--replications', '4']],
    [['compare', '--policies', 'gcm,full', '--replications', '2']],
    [['sweep', '--set', 'population.clients=1000,2000']],
    [['gate', '--replications', '2']],
  ])('%j refuses what will not fit in 10MB, counting the parallel runs', async ([command, ...flags]) => {
    const path = file(SMALL);
    const r = await cli(command, path, ...flags, '--workers', '2', '--memory-limit', '10MB', '--quiet', ...(command === 'gate' ? [] : ['--out', join(tempDir(), 'out')]));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/small with \d[\d,]* clients needs about \d+ MiB for 2 runs at once \(\d+ MiB each\); 10 MiB is allowed by --memory-limit\. Lower population.clients or --workers/);
    expect(r.stderr).not.toMatch(STACK);
  });
});

describe('absurd job counts', () => {
  it('--replications 1e9 and a 1000 × 1000 sweep are refused at once with the count', async () => {
    const path = file(SMALL);
    const started = Date.now();
    const replications = await cli('run', path, '--replications', '1e9', '--quiet');
    expect(replications.code).toBe(2);
    expect(replications.stderr).toContain('1 variant × 1,000,000,000 replication(s) = 1,000,000,000 jobs; a batch may have at most 100,000 jobs');
    const values = (n: number) => Array.from({ length: n }, (_, i) => String(1000 + i)).join(',');
    const sweep = await cli('sweep', path, '--set', `population.clients=${values(1000)}`, '--set', `lookup.instances=${Array.from({ length: 1000 }, (_, i) => i + 1).join(',')}`, '--quiet');
    expect(sweep.code).toBe(2);
    expect(sweep.stderr).toContain('1000 × 1000 = 1,000,000 variant(s) × 1 replication(s) = 1,000,000 jobs; a batch may have at most 10,000 variants');
    const gate = await cli('gate', path, '--replications', '1000000', '--quiet');
    expect(gate.code).toBe(2);
    expect(gate.stderr).toContain('1,000,000 runs (1,000,000 replications of each scenario with assertions); a gate may have at most 100,000');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
