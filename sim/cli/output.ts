// Output safety, shared by every command that writes files:
//
// - a report already on disk is never overwritten unless asked (--force);
// - every file is written atomically (a temporary file in the same directory,
//   then rename), so a reader, a crash or a Ctrl-C never leaves half a file;
// - a name that comes from a scenario (or a shard file) and becomes part of a
//   path can never lead outside the directory it is meant to be in.
//
// Problems are `OutputError`s: invalid input, exit code 2, found before any
// simulation starts.
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { processRuns, removeIfStale } from './takeover.ts';

/** An output path that cannot or may not be written, found before the work starts (exit code 2). */
export class OutputError extends Error {
  override name = 'OutputError';
}

/** Writing an output failed while the command ran (disk full, I/O error): exit code 74 (EX_IOERR). */
export class WriteError extends Error {
  override name = 'WriteError';
}

const ERRNO_TEXT: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ENOENT: 'a part of the path does not exist',
  EEXIST: 'it already exists',
  ENAMETOOLONG: 'the name is too long',
  EIO: 'input/output error',
  EFBIG: 'the file is too large',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files',
  ELOOP: 'too many symbolic links (a loop?)',
  EXDEV: 'it is on another file system',
  EBUSY: 'it is busy',
  ETXTBSY: 'it is busy',
};

/** `read-only file system (EROFS)`: the cause of a failed file operation, in one phrase. */
export function fsCause(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (typeof code === 'string') return `${ERRNO_TEXT[code] ?? code.toLowerCase()} (${code})`;
  return error instanceof Error ? error.message : String(error);
}

/** Whether a failed write is the path's fault (exit 2: fix the command line) rather than the disk's (74). */
function isPathProblem(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return ['EROFS', 'EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'ENOENT', 'ENAMETOOLONG', 'ELOOP', 'EEXIST'].includes(code ?? '');
}

/** The error to report for a failed write of `path`: OutputError (2) for a bad path, WriteError (74) otherwise. */
export function writeFailure(path: string, error: unknown): Error {
  if (error instanceof OutputError || error instanceof WriteError) return error;
  const message = `cannot write ${path}: ${fsCause(error)}`;
  return isPathProblem(error) ? new OutputError(message) : new WriteError(message);
}

export interface WriteOptions {
  /**
   * For a path named on the command line (`--junit /dev/stdout`): a device or
   * a pipe already there is written to, not replaced. Off for files inside an
   * output directory, where a FIFO would block the command forever.
   */
  intoSpecialFile?: boolean;
}

/**
 * Writes `content` to `path` through a temporary file in the same directory
 * and a rename (atomic on POSIX file systems and on NTFS), creating the
 * directory if needed. Returns `path`. A failure removes the temporary file
 * and throws an OutputError or a WriteError naming the path and the cause.
 */
export function writeAtomically(path: string, content: string | Uint8Array, options: WriteOptions = {}): string {
  // A device or a pipe (`--junit /dev/stdout`) cannot be replaced by a rename: write to it when the
  // user named it; anywhere else (a FIFO as DIR/result.json) refuse, rather than block or replace a device.
  const special = specialFileKind(path);
  if (special !== null) {
    if (options.intoSpecialFile !== true) throw new OutputError(`cannot write ${path}: it is ${special}, not a regular file; remove it or choose another directory`);
    try {
      writeFileSync(path, content);
    } catch (error) {
      throw writeFailure(path, error);
    }
    return path;
  }
  try {
    return writeThroughTemporary(path, content);
  } catch (error) {
    throw writeFailure(path, error);
  }
}

/**
 * Writes `content` to `path` through a temporary file beside it (`PATH.tmp-PID-N`) and a rename;
 * returns `path`. A failure removes the temporary file and throws the file system's error as it is
 * (writeAtomically names it for the user).
 */
export function writeThroughTemporary(path: string, content: string | Uint8Array): string {
  let temporary = '';
  try {
    temporary = createTemporary(path);
    writeFileSync(temporary, content);
    renameSync(temporary, path);
  } catch (error) {
    try {
      if (temporary !== '') rmSync(temporary, { force: true });
    } catch {
      // Nothing more can be done; the caller reports the first error.
    }
    throw error;
  }
  return path;
}

/** Temporary files this process has named (their names hold its pid: unique on this host). */
let temporaries = 0;

/**
 * Creates an empty file beside `path`, `PATH.tmp-PID-N`, and returns its name. A name that exists
 * (left by an earlier process with the same pid, killed before its rename) is passed over.
 */
function createTemporary(path: string): string {
  for (let tries = 0; ; tries++) {
    const temporary = `${path}.tmp-${process.pid}-${temporaries++}`;
    try {
      closeSync(openSync(temporary, 'wx'));
      return temporary;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || tries === 100) throw error;
    }
  }
}

/**
 * `mkdir -p` that never loops: Node's recursive mkdir spins forever on some
 * pseudo file systems (`/proc/x`). Throws OutputError naming the path.
 */
export function makeDirectory(dir: string): void {
  const missing: string[] = [];
  let current = resolve(dir);
  for (;;) {
    let stats;
    try {
      stats = statSync(current);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new OutputError(`cannot create the output directory ${dir}: ${current}: ${fsCause(error)}`);
      missing.push(current);
      const parent = dirname(current);
      if (parent === current) break;
      current = parent;
      continue;
    }
    if (!stats.isDirectory()) {
      throw new OutputError(current === resolve(dir) ? `the output directory ${dir} is a file` : `cannot create the output directory ${dir}: ${current} is not a directory`);
    }
    break;
  }
  for (const path of missing.reverse()) {
    try {
      mkdirSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && isDirectory(path)) continue;
      throw new OutputError(`cannot create the output directory ${dir}: ${fsCause(error)}`);
    }
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** `a FIFO`, `a character device`, ...: what a path that exists but is neither a file nor a directory is; null otherwise. */
export function specialFileKind(path: string): string | null {
  let stats;
  try {
    stats = statSync(path);
  } catch {
    return null;
  }
  if (stats.isFile() || stats.isDirectory()) return null;
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'a special file';
}

/** Why `name` cannot be one path segment, or undefined if it can. */
export function unsafeSegment(name: string): string | undefined {
  if (name === '') return 'it is empty';
  if (name === '.' || name === '..') return `"${name}" names a directory, not a new one`;
  if (/[/\\]/.test(name)) return 'it contains a path separator';
  if (name.includes('\0')) return 'it contains a NUL character';
  if (isAbsolute(name) || /^[a-zA-Z]:/.test(name)) return 'it is an absolute path';
  return undefined;
}

/**
 * `base/name1/name2/...` for names that come from a scenario or another input
 * file (the scenario's name, a region): refuses anything that would not stay
 * below `base`, such as `..`, a separator or an absolute path.
 */
export function safeOutputDir(base: string, ...names: string[]): string {
  for (const name of names) {
    const why = unsafeSegment(name);
    if (why !== undefined) {
      throw new OutputError(`refusing to use ${JSON.stringify(name)} as an output directory name under ${base}: ${why}`);
    }
  }
  const dir = join(base, ...names);
  const inside = relative(resolve(base), resolve(dir));
  if (names.length > 0 && (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside))) {
    throw new OutputError(`refusing output directory ${dir}: it is not inside ${base}`);
  }
  return dir;
}

export interface PrepareOptions {
  /** Overwrite what is there (--force). */
  force?: boolean;
  /**
   * The files (relative to the directory) that would be overwritten. Given,
   * only they count as an earlier report (for a directory that several shards
   * share); else any entry in the directory does, except those `allow` accepts.
   */
  files?: readonly string[];
  /** Entries that are not an earlier report (shard files next to a merge, the batch's own partial file). */
  allow?: (name: string) => boolean;
  /** What to call the flag in the message (default --force). */
  forceFlag?: string;
}

/** The lock files stampede keeps in an output directory while it writes there. */
export function isLockFile(name: string): boolean {
  return /^\.stampede(-[\w-]+)?\.lock$/.test(name);
}

/**
 * Creates the output directory, or checks that writing into it overwrites no
 * earlier report; refuses (OutputError, exit code 2) unless `force`. Call it
 * before a long run, not after.
 */
export function prepareOutputDir(dir: string, options: PrepareOptions = {}): void {
  let isDirectory: boolean | undefined;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new OutputError(`cannot use ${dir} as the output directory: ${fsCause(error)}`);
  }
  if (isDirectory === false) throw new OutputError(`the output directory ${dir} is a file`);
  if (isDirectory === true) {
    // A FIFO where result.json goes would block the command; a device would be replaced by a rename.
    for (const name of listDirectory(dir)) {
      const kind = specialFileKind(join(dir, name));
      if (kind !== null) throw new OutputError(`${join(dir, name)} is ${kind}, not a regular file: stampede writes only regular files; remove it or choose another directory with --out`);
    }
  }
  if (isDirectory === true && options.force !== true) {
    const present = existing(dir, options);
    if (present.length > 0) {
      const shown = present.slice(0, 4).join(', ') + (present.length > 4 ? `, ... (${present.length} entries)` : '');
      throw new OutputError(
        `${dir} already holds an earlier report (${shown}); ` +
          `pass ${options.forceFlag ?? '--force'} to overwrite it, or choose another directory with --out`,
      );
    }
  }
  makeDirectory(dir);
}

function listDirectory(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (error) {
    throw new OutputError(`cannot read the output directory ${dir}: ${fsCause(error)}`);
  }
}

function existing(dir: string, options: PrepareOptions): string[] {
  if (options.files === undefined) {
    return listDirectory(dir).filter((name) => !isLockFile(name) && !(options.allow?.(name) ?? false)).sort();
  }
  return options.files.filter((file) => {
    try {
      statSync(join(dir, file));
      return true;
    } catch {
      return false;
    }
  });
}

/** A claimed output directory: no other stampede process writes there until `release()`. */
export interface OutputClaim {
  dir: string;
  /** Removes the lock (also done when the process exits). Idempotent. */
  release(): void;
}

export interface ClaimOptions extends PrepareOptions {
  /** Lock file name (default `.stampede.lock`): shards sharing a directory each take their own. */
  lockName?: string;
}

interface LockRecord {
  pid: number;
  host: string;
  started: string;
  command: string;
}

/**
 * Creates the output directory, takes an exclusive lock on it for the whole
 * command (a `.stampede.lock` file created with O_EXCL, removed at the end or
 * when the process exits), then checks it holds no earlier report. A second
 * command writing to the same directory is refused (exit code 2) while the
 * first one lives; a lock left by a process that died (kill -9) is taken
 * over. Creating the lock also proves the directory writable before any run.
 */
export function claimOutputDir(dir: string, options: ClaimOptions = {}): OutputClaim {
  // `--out ''` would be the current directory by accident.
  if (dir.trim() === '') throw new OutputError('--out: expected a directory, found an empty string');
  makeDirectory(dir);
  const lockPath = join(dir, options.lockName ?? '.stampede.lock');
  const record: LockRecord = { pid: process.pid, host: hostname(), started: new Date().toISOString(), command: process.argv.slice(1).join(' ') };
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(lockPath, `${JSON.stringify(record)}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') {
        rmSyncQuietly(lockPath, true); // a failed O_EXCL create may leave an empty file (ENOSPC)
        throw new OutputError(`cannot write to the output directory ${dir}: ${fsCause(error)}`);
      }
      // Left by a process that died: taken over (takeover.ts), once.
      if (attempt === 0 && removeIfStale(lockPath, (text) => lockIsStale(parseLock(text))) !== 'held') continue;
      const holder = readLock(lockPath);
      const who = holder === null || holder === 'unreadable'
        ? `its lock file ${lockPath} says so`
        : `pid ${holder.pid}${holder.host === hostname() ? '' : ` on ${holder.host}`}, since ${holder.started}: ${holder.command}`;
      throw new OutputError(
        `${dir} is being written by another stampede command (${who}); wait for it to finish or choose another directory with --out ` +
          `(if no such command runs, remove ${lockPath})`,
      );
    }
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    rmSyncQuietly(lockPath, true);
  };
  process.on('exit', release);
  try {
    prepareOutputDir(dir, options);
  } catch (error) {
    release();
    throw error;
  }
  return { dir, release };
}

function readLock(path: string): LockRecord | 'unreadable' | null {
  try {
    return parseLock(readFileSync(path, 'utf8'));
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? null : 'unreadable';
  }
}

function parseLock(text: string): LockRecord | 'unreadable' {
  try {
    const parsed = JSON.parse(text) as Partial<LockRecord>;
    if (typeof parsed.pid !== 'number' || typeof parsed.host !== 'string') return 'unreadable';
    return { pid: parsed.pid, host: parsed.host, started: String(parsed.started), command: String(parsed.command) };
  } catch {
    return 'unreadable';
  }
}

/** Whether the lock's process is known to be gone: on this host, not this process, and not running (elsewhere it cannot be checked). */
function lockIsStale(lock: LockRecord | 'unreadable'): boolean {
  return lock !== 'unreadable' && lock.host === hostname() && lock.pid !== process.pid && !processRuns(lock.pid);
}

function rmSyncQuietly(path: string, really: boolean): void {
  if (!really) return;
  try {
    rmSync(path, { force: true });
  } catch {
    // best effort: the directory may be read-only
  }
}

/**
 * `dir` if it does not exist or is empty, else the first of `dir-2`, `dir-3`,
 * ... that is: a default output directory never overwrites an earlier report,
 * and running the same command twice still works.
 */
export function unusedOutputDir(dir: string): string {
  const isFree = (candidate: string) => {
    try {
      return readdirSync(candidate).length === 0;
    } catch {
      return true;
    }
  };
  if (isFree(dir)) return dir;
  for (let n = 2; ; n++) if (isFree(`${dir}-${n}`)) return `${dir}-${n}`;
}
