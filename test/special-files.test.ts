// Issue 18, item 7: special files. A FIFO, /dev/zero or /dev/urandom as a
// scenario, a huge file, a FIFO where a report goes: refused at once with one
// line, never a hang or gigabytes of memory.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, STACK, tempDir } from './support/cli.ts';

const posix = process.platform !== 'win32';
const SMALL = 'name: small\nduration: 3m\npopulation: {clients: 2000}\n';

function fifo(dir: string, name: string): string {
  const path = join(dir, name);
  execFileSync('mkfifo', [path]);
  return path;
}

describe('special files as input', () => {
  it.runIf(posix)('a FIFO without a writer: refused at once by run and validate', async () => {
    const path = fifo(tempDir(), 'pipe.yaml');
    const started = Date.now();
    const run = await cli('run', path, '--quiet');
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`stampede: invalid scenario\n${path}: is a FIFO (named pipe), not a regular file; a scenario must be a regular file\n`);
    const validate = await cli('validate', path);
    expect(validate.code).toBe(2);
    expect(validate.stdout).toContain(`${path}: is a FIFO (named pipe), not a regular file`);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it.runIf(existsSync('/dev/zero') && existsSync('/dev/urandom'))('/dev/zero and /dev/urandom: refused as devices', async () => {
    for (const device of ['/dev/zero', '/dev/urandom']) {
      const r = await cli('validate', device);
      expect(r.code).toBe(2);
      expect(r.stdout).toContain(`${device}: is a character device, not a regular file; a scenario must be a regular file`);
    }
    const gate = await cli('gate', '/dev/zero', '--quiet');
    expect(gate.code).toBe(2);
    expect(gate.stderr).toContain('/dev/zero: is a character device');
  });

  it('a scenario larger than 1 MiB is refused without being parsed', async () => {
    const path = join(tempDir(), 'huge.yaml');
    writeFileSync(path, `${SMALL}description: "${'x'.repeat(2 * 1024 * 1024)}"\n`);
    const r = await cli('validate', path);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe(`${path}: is 2.0 MiB, larger than the 1.0 MiB an input file may be; a scenario is a page of YAML\n`);
  });

  it('a mapping of 20,000 keys is refused at once, not checked key by key for seconds', async () => {
    const path = join(tempDir(), 'keys.yaml');
    writeFileSync(path, `${SMALL}${Array.from({ length: 20_000 }, (_, i) => `k${i}: ${i}\n`).join('')}`);
    const started = Date.now();
    const r = await cli('validate', path);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe(`${path}:1:1: YAML: a mapping of 20003 keys; no part of a scenario has more than 1000 (population.mcc, one per MCC)\n`);
    expect(Date.now() - started).toBeLessThan(3000);
    // Many problems of a normal-sized file: the first 100 listed, the rest counted.
    const many = join(tempDir(), 'many.yaml');
    writeFileSync(many, `${SMALL}${Array.from({ length: 300 }, (_, i) => `k${i}: ${i}\n`).join('')}`);
    const lines = (await cli('validate', many)).stdout.trim().split('\n');
    expect(lines).toHaveLength(101);
    expect(lines[100]).toBe(`${many}: ... and 200 more problem(s) not shown; fix these first`);
  });

  it.runIf(existsSync('/proc/self/status'))('a /proc file (size 0 to stat) is read up to the cap and rejected as YAML, not hung on', async () => {
    const r = await cli('validate', '/proc/self/status');
    expect(r.code).toBe(2);
    expect(r.stdout).not.toMatch(STACK);
    expect(r.stdout.split('\n')[0]).toMatch(/^\/proc\/self\/status:\d+:\d+: /);
  });

  it.runIf(posix)('a FIFO as a shard file: refused by merge', async () => {
    const dir = tempDir();
    fifo(dir, 'shard-1-of-1.json');
    const r = await cli('merge', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('shard-1-of-1.json: not a readable shard file: it is a FIFO (named pipe), not a regular file');
  });
});

describe('special files in an output directory', () => {
  it.runIf(posix)('a FIFO where result.json goes: refused before the run, even with --force', async () => {
    const dir = tempDir();
    const file = join(dir, 'small.yaml');
    writeFileSync(file, SMALL);
    const out = join(dir, 'out');
    mkdirSync(out);
    const pipe = fifo(out, 'result.json');
    const r = await cli('run', file, '--out', out, '--force', '--quiet');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`stampede: ${pipe} is a FIFO (named pipe), not a regular file: stampede writes only regular files; remove it or choose another directory with --out\n`);
  });
});
