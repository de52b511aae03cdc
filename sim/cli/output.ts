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
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

/** An output path that cannot or may not be written (exit code 2). */
export class OutputError extends Error {
  override name = 'OutputError';
}

/**
 * Writes `content` to `path` through a temporary file in the same directory
 * and a rename (atomic on POSIX file systems and on NTFS), creating the
 * directory if needed. Returns `path`.
 */
export function writeAtomically(path: string, content: string | Uint8Array): string {
  // A device or a pipe (`--junit /dev/stdout`) cannot be replaced by a rename: write to it.
  if (isSpecialFile(path)) {
    writeFileSync(path, content);
    return path;
  }
  const temporary = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    writeFileSync(temporary, content);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  return path;
}

function isSpecialFile(path: string): boolean {
  try {
    const stats = statSync(path);
    return !stats.isFile() && !stats.isDirectory();
  } catch {
    return false;
  }
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
   * share); else any entry in the directory does.
   */
  files?: readonly string[];
  /** What to call the flag in the message (default --force). */
  forceFlag?: string;
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
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new OutputError(`cannot use ${dir} as the output directory: ${(error as Error).message}`);
  }
  if (isDirectory === false) throw new OutputError(`the output directory ${dir} is a file`);
  if (isDirectory === true && options.force !== true) {
    const present = existing(dir, options.files);
    if (present.length > 0) {
      const shown = present.slice(0, 4).join(', ') + (present.length > 4 ? `, ... (${present.length} entries)` : '');
      throw new OutputError(
        `${dir} already holds an earlier report (${shown}); ` +
          `pass ${options.forceFlag ?? '--force'} to overwrite it, or choose another directory with --out`,
      );
    }
  }
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new OutputError(`cannot create the output directory ${dir}: ${(error as Error).message}`);
  }
}

function existing(dir: string, files: readonly string[] | undefined): string[] {
  if (files === undefined) return readdirSync(dir).sort();
  return files.filter((file) => {
    try {
      statSync(join(dir, file));
      return true;
    } catch {
      return false;
    }
  });
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
