// Issue 18, items 1 and 2: no command overwrites another's report without
// --force, and two commands never write into one output directory at once.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { claimOutputDir, OutputError } from '../sim/cli/output.ts';
import { main } from '../sim/cli/main.ts';
import { captured, cli, STACK, tempDir } from './support/cli.ts';

const SMALL = 'name: small\nduration: 3m\npopulation: {clients: 2000}\nfaults: [{kind: lookup-outage, at: 1m, duration: 30s}]\n';

function scenario(): { dir: string; file: string } {
  const dir = tempDir();
  const file = join(dir, 'small.yaml');
  writeFileSync(file, SMALL);
  return { dir, file };
}

describe('batches never overwrite a report without --force (item 1)', () => {
  it('compare, sweep and run --replications refuse a directory holding a run report; --force overwrites', async () => {
    const { dir, file } = scenario();
    const out = join(dir, 'report');
    const run = await cli('run', file, '--out', out, '--quiet');
    expect(run.code, run.stderr).toBe(0);
    const page = readFileSync(join(out, 'index.html'), 'utf8');
    for (const args of [
      ['compare', file, '--policies', 'gcm,full', '--replications', '1'],
      ['sweep', file, '--set', 'population.clients=1000,2000'],
      ['run', file, '--replications', '2'],
    ]) {
      const r = await cli(...args, '--out', out, '--quiet');
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(`${out} already holds an earlier report (index.html, result.json, summary.md); pass --force to overwrite it`);
      expect(r.stderr).not.toMatch(STACK);
    }
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toBe(page);
    const forced = await cli('run', file, '--replications', '2', '--out', out, '--quiet', '--force', '--workers', '1');
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).not.toBe(page);
  });

  it('a sweep refuses a compare\'s directory, and merge refuses a report next to the shards; shard files alone are fine', async () => {
    const { dir, file } = scenario();
    const out = join(dir, 'batch');
    const shard = await cli('run', file, '--replications', '2', '--shard', '1/1', '--out', out, '--quiet', '--workers', '1');
    expect(shard.code, shard.stderr).toBe(0);
    const merged = await cli('merge', out, '--out', out);
    expect(merged.code, merged.stderr).toBe(0); // only the shard file was there
    const again = await cli('merge', out, '--out', out);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds an earlier report \(index\.html, replications\.json, replications\.md, runs\.csv, \.\.\. \(\d+ entries\)\)/);
    const sweep = await cli('sweep', file, '--set', 'population.clients=1000,2000', '--out', out, '--quiet');
    expect(sweep.code).toBe(2);
    expect(sweep.stderr).toContain('already holds an earlier report');
  });
});

describe('one writer per output directory (item 2)', () => {
  it('two runs started together into one --out: the second is refused (exit 2), the first writes its report', async () => {
    const { dir, file } = scenario();
    const out = join(dir, 'shared');
    const { value, stderr } = await captured(() =>
      Promise.all([main(['run', file, '--out', out, '--quiet']), main(['run', file, '--seed', '2', '--out', out, '--quiet'])]),
    );
    expect(value, stderr).toEqual([0, 2]);
    expect(stderr).toContain(`${out} is being written by another stampede command (pid ${process.pid}, since `);
    expect(stderr).toContain('wait for it to finish or choose another directory with --out');
    expect(JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')).scenario.seed).toBe(1);
    expect(readdirSync(out).filter((name) => name.startsWith('.'))).toEqual([]); // the lock is gone
  });

  it('two batches into one --out: the second is refused while the first holds the lock', async () => {
    const { dir, file } = scenario();
    const out = join(dir, 'shared');
    const { value, stderr } = await captured(() =>
      Promise.all([
        main(['run', file, '--replications', '2', '--workers', '1', '--out', out, '--quiet']),
        main(['compare', file, '--policies', 'gcm,full', '--replications', '1', '--workers', '1', '--out', out, '--quiet']),
      ]),
    );
    // Which of the two reaches the lock first depends on when each loads its command's module
    // (main() loads it when the command runs): one writes, the other is refused and writes nothing.
    expect([...value].sort(), stderr).toEqual([0, 2]);
    expect(stderr).toContain('is being written by another stampede command');
    const [written, refused] = value[0] === 0 ? ['replications.json', 'compare.json'] : ['compare.json', 'replications.json'];
    expect(existsSync(join(out, written))).toBe(true);
    expect(existsSync(join(out, refused))).toBe(false);
  });

  it('a lock left by a process that died is taken over; a live one is not; shards each take their own', () => {
    const out = tempDir();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(join(out, '.stampede.lock'), JSON.stringify({ pid: dead, host: hostname(), started: 'then', command: 'x' }));
    const claim = claimOutputDir(out);
    expect(() => claimOutputDir(out)).toThrow(OutputError);
    expect(JSON.parse(readFileSync(join(out, '.stampede.lock'), 'utf8')).pid).toBe(process.pid);
    claim.release();
    expect(readdirSync(out)).toEqual([]);
    const one = claimOutputDir(out, { files: ['shard-1-of-2.json'], lockName: '.stampede-shard-1-of-2.lock' });
    const two = claimOutputDir(out, { files: ['shard-2-of-2.json'], lockName: '.stampede-shard-2-of-2.lock' });
    one.release();
    two.release();
    expect(readdirSync(out)).toEqual([]);
  });
});
