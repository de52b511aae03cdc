// The commit of the stampede tree, for the report header. Null outside a git
// checkout (an npm install) or without git on the PATH.
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OPTIONS = { encoding: 'utf8', timeout: 5000 } as const;

// One git process says both the commit (`# branch.oid`) and whether tracked files differ from it
// (any other line): a process start is most of what this costs. --no-optional-locks: a plain
// `git status` refreshes the index and writes it back under .git/index.lock, so a `git commit` the
// user ran meanwhile could fail on the lock; the report only reads.
const STATUS = ['--no-optional-locks', 'status', '--porcelain=v2', '--branch', '--untracked-files=no'];
const SHORT = 12;

/** `abc123def456` or `abc123def456+modified` from `git status --porcelain=v2 --branch`; null before the first commit. */
export function commitOfStatus(status: string): string | null {
  let commit: string | null = null;
  let modified = false;
  for (const line of status.split('\n')) {
    if (line.startsWith('# branch.oid ')) {
      const oid = line.slice('# branch.oid '.length).trim();
      commit = /^[0-9a-f]{40,64}$/.test(oid) ? oid.slice(0, SHORT) : null;
    } else if (line !== '' && !line.startsWith('# ')) {
      modified = true;
    }
  }
  return commit === null ? null : modified ? `${commit}+modified` : commit;
}

/** Short commit hash of the checkout at `dir` (this tree's), with `+modified` when tracked files differ from it; null when unknown. */
export function currentGitCommit(dir = ROOT): string | null {
  try {
    return commitOfStatus(execFileSync('git', STATUS, { ...OPTIONS, cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] }));
  } catch {
    return null;
  }
}

/**
 * currentGitCommit() without waiting: its git process runs while the caller simulates
 * (stampede run starts it before the run and awaits it for the report).
 */
export function currentGitCommitAsync(dir = ROOT): Promise<string | null> {
  // A pipe for stdout only (execFile makes one for stdin and stderr too): each is a stream set up on
  // this thread while it should simulate, and ending stdin's took ~3 ms.
  return new Promise((resolve) => {
    const child = spawn('git', STATUS, { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'], timeout: OPTIONS.timeout });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', () => resolve(null));
    child.on('close', (code) => resolve(code === 0 ? commitOfStatus(Buffer.concat(chunks).toString('utf8')) : null));
  });
}
