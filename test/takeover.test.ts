// Taking over a holder's file once its holder is gone (sim/cli/takeover.ts): an output directory's
// lock, a live port's reservation. Only a stale file is removed, under a lock of its own; a missing
// one is left to the exclusive create; a takeover lock in use blocks, an abandoned one is cleared.
import { spawnSync } from 'node:child_process';
import { existsSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { processRuns, removeIfAbandoned, removeIfStale, TAKEOVER_SUFFIX } from '../sim/cli/takeover.ts';
import { tempDir } from './support/temp.ts';

const gonePid = () => Number(spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim());
const staleIfGone = (text: string) => !processRuns(Number.parseInt(text, 10));
const age = (file: string, ms: number) => {
  const then = new Date(Date.now() - ms);
  utimesSync(file, then, then);
};

describe('removeIfStale', () => {
  it('removes a file whose holder is gone, keeps one whose holder runs, and leaves a missing one to the create', () => {
    const dir = tempDir('stampede-takeover-');
    const file = join(dir, 'held');
    writeFileSync(file, `${gonePid()}\n`);
    expect(removeIfStale(file, staleIfGone)).toBe('removed');
    expect(existsSync(file)).toBe(false);
    expect(existsSync(`${file}${TAKEOVER_SUFFIX}`)).toBe(false);
    expect(removeIfStale(file, staleIfGone)).toBe('missing');
    writeFileSync(file, `${process.pid}\n`);
    expect(removeIfStale(file, staleIfGone)).toBe('held');
    expect(existsSync(file)).toBe(true);
  });

  it('removes nothing while another process holds the takeover lock; an abandoned lock is cleared for the next try', () => {
    const dir = tempDir('stampede-takeover-');
    const file = join(dir, 'held');
    const lock = `${file}${TAKEOVER_SUFFIX}`;
    writeFileSync(file, `${gonePid()}\n`);
    // Held by a running process (this one): whatever its age, it stays, and so does the stale file.
    writeFileSync(lock, `${process.pid}\n`);
    age(lock, 60_000);
    expect(removeIfStale(file, staleIfGone)).toBe('held');
    expect(existsSync(lock)).toBe(true);
    expect(existsSync(file)).toBe(true);
    // Its holder gone but the lock fresh: it may be in use by a process whose pid was reused; it stays.
    writeFileSync(lock, `${gonePid()}\n`);
    expect(removeIfAbandoned(lock)).toBe(false);
    expect(removeIfStale(file, staleIfGone)).toBe('held');
    expect(existsSync(lock)).toBe(true);
    // Old and its holder gone: abandoned. The try that finds it clears it; the next takes over.
    age(lock, 60_000);
    expect(removeIfStale(file, staleIfGone)).toBe('held');
    expect(existsSync(lock)).toBe(false);
    expect(removeIfStale(file, staleIfGone)).toBe('removed');
    expect(existsSync(file)).toBe(false);
  });
});
