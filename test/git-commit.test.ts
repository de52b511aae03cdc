import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commitOfStatus, currentGitCommit, currentGitCommitAsync } from '../reports/lib/git.ts';
import { testTmp } from './support/temp.ts';

const OID = '0123456789abcdef0123456789abcdef01234567';

describe('the report header commit, from one `git status --porcelain=v2 --branch`', () => {
  it('is the short commit, marked +modified when a tracked file differs, and null before the first commit', () => {
    expect(commitOfStatus(`# branch.oid ${OID}\n# branch.head main\n`)).toBe('0123456789ab');
    expect(commitOfStatus(`# branch.oid ${OID}\n# branch.head main\n1 .M N... 100644 100644 100644 a a sim/x.ts\n`)).toBe('0123456789ab+modified');
    expect(commitOfStatus('# branch.oid (initial)\n# branch.head main\n')).toBeNull();
    expect(commitOfStatus('')).toBeNull();
  });

  it('agrees with git rev-parse in this checkout, sync and async', async () => {
    let head: string;
    try {
      head = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return; // not a git checkout (an npm install): nothing to compare with
    }
    const sync = currentGitCommit();
    expect(sync?.slice(0, 12)).toBe(head.slice(0, 12));
    expect(await currentGitCommitAsync()).toBe(sync);
  });

  it("never writes the checkout's index, which a plain git status refreshes under .git/index.lock", async () => {
    const dir = mkdtempSync(join(testTmp(), 'stampede-git-'));
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      git('init', '-q');
    } catch {
      return; // no git on the PATH: the header says "commit unknown", nothing to write
    }
    writeFileSync(join(dir, 'file'), 'a\n');
    git('add', 'file');
    git('commit', '-qm', 'first');
    // The same bytes with another mtime: git's stat record of the file is stale, and refreshing it would rewrite the index.
    utimesSync(join(dir, 'file'), 1_700_000_000, 1_700_000_000);
    const index = readFileSync(join(dir, '.git', 'index'));
    const head = git('rev-parse', 'HEAD').trim().slice(0, 12);
    expect(currentGitCommit(dir)).toBe(head);
    expect(await currentGitCommitAsync(dir)).toBe(head);
    expect(readFileSync(join(dir, '.git', 'index')).equals(index)).toBe(true);
  });
});
