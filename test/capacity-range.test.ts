// Issue 18, item 4: capacity never claims a verdict it did not measure. A
// search range that leaves out today's value is a usage error (exit 2), found
// before any run.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from './support/cli.ts';

const GATED = 'name: gated\nduration: 3m\npopulation: {clients: 2000}\nregions: [{name: common, servers: 4}]\nlookup: {instances: 2}\n' +
  'faults: [{kind: lookup-outage, at: 1m, duration: 30s}]\nassert: [recovery.full <= 3m]\n';

describe('capacity: the range must hold today\'s value', () => {
  it.each([
    [['--vary', 'population', '--max', '1000'], "--max 1000 leaves out today's value (population.clients = 2000)", 'raise --max'],
    [['--vary', 'servers', '--min', '5'], "--min 5 leaves out today's value (regions.0.servers = 4)", 'lower --min'],
    [['--vary', 'lookups', '--min', '3'], "--min 3 leaves out today's value (lookup.instances = 2)", 'lower --min'],
  ])('%j: exit 2 before any run', async (flags, message, advice) => {
    const file = join(tempDir(), 'gated.yaml');
    writeFileSync(file, GATED);
    const r = await cli('capacity', file, ...flags);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`stampede capacity: ${message}, which the search starts from`);
    expect(r.stderr).toContain(advice);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(/ pass| fail/); // no probe line: nothing ran
  });

  it('today\'s value is probed first and the margin is measured against it', async () => {
    const file = join(tempDir(), 'gated.yaml');
    writeFileSync(file, GATED);
    const r = await cli('capacity', file, '--vary', 'lookups', '--max', '2', '--json', '--quiet', '--workers', '1');
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.probes[0].value).toBe(2);
    expect(result.current).toBe(2);
  });
});
