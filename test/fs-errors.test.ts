// Issue 18, item 6: file-system errors are input errors (exit 2) or I/O errors
// (exit 74), with one line naming the path and the cause, no temporary file
// left behind, and found before the run where they can be.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, STACK, tempDir } from './support/cli.ts';

const SMALL = 'name: small\nduration: 3m\npopulation: {clients: 2000}\nfaults: [{kind: lookup-outage, at: 1m, duration: 30s}]\n';

function gateScenario(): { dir: string; file: string } {
  const dir = tempDir();
  const file = join(dir, 'gated.yaml');
  copyFileSync('scenarios/lookup-outage.yaml', file);
  return { dir, file };
}

describe('gate report paths', () => {
  it('refuses --junit or --summary naming an input scenario, before any run, and leaves it as it was', async () => {
    const { file } = gateScenario();
    const before = readFileSync(file, 'utf8');
    for (const flag of ['--junit', '--summary']) {
      const r = await cli('gate', file, '--set', 'population.clients=2000', flag, file, '--quiet');
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toBe(`stampede: ${flag} ${file} would overwrite the scenario file ${file}, an input of this gate: name another file\n`);
      expect(r.stdout).toBe(''); // nothing ran
    }
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('refuses a directory, the same file twice, and a path below a file, before any run', async () => {
    const { dir, file } = gateScenario();
    const asDir = await cli('gate', file, '--junit', dir, '--quiet');
    expect(asDir.code).toBe(2);
    expect(asDir.stderr).toBe(`stampede: --junit ${dir}: is a directory; name a file to write\n`);
    const twice = await cli('gate', file, '--junit', join(dir, 'r.txt'), '--summary', join(dir, 'r.txt'), '--quiet');
    expect(twice.code).toBe(2);
    const underFile = await cli('gate', file, '--summary', join(file, 'summary.md'), '--quiet');
    expect(underFile.code).toBe(2);
    expect(underFile.stderr).toMatch(/^stampede: --summary .*gated\.yaml\/summary\.md: cannot write it: a part of the path is not a directory \(ENOTDIR\)\n$/);
    expect(underFile.stdout).toBe('');
  });

  it('run --out below a file or in /proc: exit 2 at once, one line', async () => {
    const { file } = gateScenario();
    const empty = await cli('run', file, '--set', 'population.clients=2000', '--out', '', '--quiet');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toBe('stampede: --out: expected a directory, found an empty string\n');
    const r = await cli('run', file, '--set', 'population.clients=2000', '--out', join(file, 'out'), '--quiet');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^stampede: cannot create the output directory .*: .*gated\.yaml is not a directory\n$/);
    if (process.platform === 'linux') {
      const proc = await cli('run', file, '--set', 'population.clients=2000', '--out', '/proc/stampede-x/y', '--quiet');
      expect(proc.code).toBe(2);
      expect(proc.stderr).toMatch(/^stampede: cannot create the output directory \/proc\/stampede-x\/y: .*\n$/);
      expect(proc.stderr).not.toMatch(STACK);
    }
  });
});

// A read-only and a full file system, mounted in a user namespace (Linux; skipped where unshare is not allowed).
const canMount = process.platform === 'linux' && spawnSync('unshare', ['-rm', 'true']).status === 0;

describe('read-only and full file systems', () => {
  it.runIf(canMount)('EROFS: exit 2 before the run; ENOSPC: exit 74 naming the file, no temporary file left', () => {
    const dir = tempDir();
    const file = join(dir, 'small.yaml');
    writeFileSync(file, SMALL);
    const mnt = join(dir, 'mnt');
    mkdirSync(mnt);
    const bin = resolve('bin/stampede.cjs');
    const script = [
      `mount -t tmpfs -o size=12k tmpfs ${mnt} && mkdir ${mnt}/ro ${mnt}/full && mount -t tmpfs -o ro,size=1m tmpfs ${mnt}/ro || exit 99`,
      `node ${bin} run ${file} --out ${mnt}/ro/out --quiet; echo "ro=$?"`,
      `node ${bin} run ${file} --out ${mnt}/full/out --quiet; echo "full=$?"`,
      `ls -A ${mnt}/full/out | sed 's/^/left: /'`,
    ].join('\n');
    const r = spawnSync('unshare', ['-rm', 'sh', '-c', script], { encoding: 'utf8', env: { ...process.env, STAMPEDE_HUGE_PAGES: '0' } });
    expect(r.stdout, r.stderr).toContain('ro=2');
    expect(r.stderr).toContain(`stampede: cannot create the output directory ${mnt}/ro/out: read-only file system (EROFS)\n`);
    expect(r.stdout).toContain('full=74');
    expect(r.stderr).toContain(`stampede: cannot write ${mnt}/full/out/result.json: no space left on the device (ENOSPC)\n`);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stdout.split('\n').filter((line) => line.startsWith('left: '))).toEqual([]);
    expect(readdirSync(mnt)).toEqual([]); // nothing leaked outside the namespace
  });
});
