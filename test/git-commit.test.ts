import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { commitOfStatus, currentGitCommit, currentGitCommitAsync } from '../reports/lib/git.ts';

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
});
