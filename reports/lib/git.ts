// The commit of the stampede tree, for the report header. Null outside a git
// checkout (an npm install) or without git on the PATH.
import { execFile, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OPTIONS = { cwd: ROOT, encoding: 'utf8', timeout: 5000 } as const;

const REVISION = ['rev-parse', '--short=12', 'HEAD'];
const STATUS = ['status', '--porcelain', '--untracked-files=no'];

function git(args: string[]): string {
  return execFileSync('git', args, { ...OPTIONS, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
}

function gitAsync(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('git', args, OPTIONS, (error, stdout) => (error === null ? resolve(stdout.trim()) : reject(error)));
    child.stdin?.end();
  });
}

/** Short commit hash, with `+modified` when tracked files differ from it; null when unknown. */
export function currentGitCommit(): string | null {
  try {
    const commit = git(REVISION);
    const modified = git(STATUS) !== '';
    return modified ? `${commit}+modified` : commit;
  } catch {
    return null;
  }
}

/**
 * currentGitCommit() without waiting: its two git processes (~20 ms) run while the caller
 * simulates (stampede run starts it before the run and awaits it for the report).
 */
export async function currentGitCommitAsync(): Promise<string | null> {
  try {
    const [commit, status] = await Promise.all([gitAsync(REVISION), gitAsync(STATUS)]);
    return status !== '' ? `${commit}+modified` : commit;
  } catch {
    return null;
  }
}
