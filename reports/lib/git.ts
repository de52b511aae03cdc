// The commit of the stampede tree, for the report header. Null outside a git
// checkout (an npm install) or without git on the PATH.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function git(args: string[]): string {
  return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
}

/** Short commit hash, with `+modified` when tracked files differ from it; null when unknown. */
export function currentGitCommit(): string | null {
  try {
    const commit = git(['rev-parse', '--short=12', 'HEAD']);
    const modified = git(['status', '--porcelain', '--untracked-files=no']) !== '';
    return modified ? `${commit}+modified` : commit;
  } catch {
    return null;
  }
}
