// Taking over a file that marks something as held (an output directory's lock, a live port's
// reservation) once its holder is gone. Two processes that both found it stale must not both
// remove it: the second could remove the file the first created in its place, and both would
// hold what it marks. So the removal is made under a lock of its own, `FILE.takeover` (created
// exclusively, holding the remover's pid), with the file read again under it; and a file found
// missing is never removed (another taker may be about to create it: the exclusive create decides).
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';

export const TAKEOVER_SUFFIX = '.takeover';

/**
 * A takeover lock is held for the few system calls of one takeover: one this old was left by a
 * process killed while it held it (its pid alone could have been reused by then).
 */
const ABANDONED_MS = 10_000;

/**
 * Removes `file` if `isStale(its text)` says its holder is gone; `removed` or `missing` mean the
 * caller may try its exclusive create again, `held` that the file stays (its holder runs, or
 * another process is taking it over).
 */
export function removeIfStale(file: string, isStale: (text: string) => boolean): 'removed' | 'missing' | 'held' {
  const seen = state(file, isStale);
  if (seen !== 'stale') return seen;
  const lock = `${file}${TAKEOVER_SUFFIX}`;
  try {
    writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
  } catch (error) {
    // Another process is taking it over; or an abandoned lock, cleared here for the next try.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') removeIfAbandoned(lock);
    return 'held';
  }
  try {
    const now = state(file, isStale);
    if (now !== 'stale') return now;
    rmSync(file, { force: true });
    return 'removed';
  } finally {
    rmSync(lock, { force: true });
  }
}

function state(file: string, isStale: (text: string) => boolean): 'stale' | 'missing' | 'held' {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'held';
  }
  return isStale(text) ? 'stale' : 'held';
}

/** Removes the takeover lock `lock` if its holder was killed while it held it; whether it did. */
export function removeIfAbandoned(lock: string): boolean {
  try {
    if (Date.now() - statSync(lock).mtimeMs <= ABANDONED_MS) return false;
    const holder = Number.parseInt(readFileSync(lock, 'utf8'), 10);
    if (holder > 0 && processRuns(holder)) return false;
    rmSync(lock, { force: true });
    return true;
  } catch {
    return false; // released meanwhile
  }
}

/** Whether process `pid` runs on this host (EPERM: it runs, as another user). */
export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
