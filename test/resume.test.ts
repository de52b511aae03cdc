// Ctrl-C during a batch keeps the jobs that finished; `--resume` runs the
// rest and writes exactly the bytes an uninterrupted batch writes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PartialFile } from '../sim/batch/partial.ts';
import { TEST_FAULT_ENV } from '../sim/batch/worker.ts';
import { deriveSeed } from '../sim/engine/random.ts';
import { testTmp } from './support/temp.ts';

const ROOT = join(import.meta.dirname, '..');

function stampede(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['bin/stampede.cjs', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every file below `dir`, by relative path, with its content. */
function tree(dir: string): Record<string, string> {
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8', withFileTypes: false }).sort();
  return Object.fromEntries(
    files.flatMap((name) => {
      try {
        return [[name, readFileSync(join(dir, name), 'utf8')]];
      } catch {
        return []; // a directory
      }
    }),
  );
}

describe('interrupting and resuming a batch', () => {
  const dir = mkdtempSync(join(testTmp(), 'stampede-resume-'));
  const file = join(dir, 'small.yaml');
  writeFileSync(file, 'name: small\nduration: 3m\npopulation: {clients: 2000}\nfaults: [{kind: lookup-outage, at: 30s, duration: 1m}]\n');
  const compare = (out: string, ...extra: string[]) => ['compare', file, '--policies', 'gcm,full', '--replications', '3', '--out', out, '--quiet', ...extra];

  it('keeps the finished jobs on Ctrl-C, refuses to lose them, and resumes to the same bytes as an uninterrupted run', () => {
    const whole = join(dir, 'whole');
    expect(stampede(compare(whole, '--workers', '2')).code).toBe(0);

    // One worker: job 0 finishes, job 1 (replication 1) gets the signal while it runs.
    const cut = join(dir, 'cut');
    const interrupted = stampede(compare(cut, '--workers', '1'), { [TEST_FAULT_ENV]: `sigint@${deriveSeed(1, 1)}` });
    expect(interrupted.code, interrupted.stderr).toBe(130);
    expect(interrupted.stderr).toContain('SIGINT: stopping the workers; the jobs that finished are kept');
    expect(interrupted.stderr).toContain(`interrupted after 1 of 6 job(s); the finished ones are kept in ${join(cut, 'compare.partial.json')}`);
    expect(interrupted.stderr).toMatch(/To run only the rest and write the outputs: stampede compare .* --resume\n/);
    expect(readdirSync(cut)).toEqual(['compare.partial.json']);
    const partial = JSON.parse(readFileSync(join(cut, 'compare.partial.json'), 'utf8')) as PartialFile;
    expect(partial.outcomes.map((o) => [o.jobId, o.ok])).toEqual([[0, true]]);

    // The partial results are not lost by accident, nor mixed into another batch.
    const fresh = stampede(compare(cut, '--workers', '1'));
    expect(fresh.code).toBe(2);
    expect(fresh.stderr).toContain('holds the results of an interrupted batch (compare.partial.json): add --resume to finish it, or --force to start over');
    const other = stampede(['compare', file, '--policies', 'gcm,full', '--replications', '4', '--out', cut, '--quiet', '--resume']);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/compare\.partial\.json belongs to another batch .*; run with --force instead of --resume to start over/);
    expect(stampede(compare(join(dir, 'nothing'), '--resume')).stderr).toMatch(/there is no .*compare\.partial\.json, so nothing to resume/);

    const resumed = stampede(compare(cut, '--workers', '2', '--resume'));
    expect(resumed.code, resumed.stderr).toBe(0);
    const expected = tree(whole);
    expect(Object.keys(expected)).toContain('compare.json');
    expect(tree(cut)).toEqual(expected);
  });

  it('a single run cannot be resumed, and says so', () => {
    const r = stampede(['run', file, '--resume']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('a single run cannot be resumed: run it again');
  });
});
