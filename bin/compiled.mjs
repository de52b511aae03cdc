// The compiled copy of the sources (bin/build.mjs) and whether it may run.
//
// A build lives in dist/<hash>/, where <hash> is a SHA-256 of every file under
// the compiled directories (path and bytes) and of the compiler settings: a
// start hashes the sources as they are now (about 120 files, 1 MB: a few
// milliseconds) and runs dist/<hash>/ only if that exact build exists. So an
// edited source can never run as its old compiled code: it has another hash,
// no build, and the start falls back to compiling with tsx. A build is
// written under a temporary name and renamed into place when complete, never
// changed afterwards, so concurrent builds and runs do not see a half-written one.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The directories compiled (tsconfig.build.json's `include`), copied whole into a build. */
export const SOURCE_DIRS = ['sim', 'reports/lib', 'live'];
/** Files whose bytes also decide what a build holds. */
const SETTINGS = ['tsconfig.json', 'tsconfig.build.json', 'bin/build.mjs', 'bin/compiled.mjs'];
export const DIST = join(ROOT, 'dist');
/** Written last into a build: it is complete. */
export const COMPLETE = '.complete';

/** Every file under the compiled directories, relative to the root, sorted. */
export function sourceFiles(root = ROOT) {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) files.push(path);
    }
  };
  for (const dir of SOURCE_DIRS) if (existsSync(join(root, dir))) walk(dir);
  return files.sort();
}

/** The hash naming the build of the sources as they are now. */
export function sourceHash(root = ROOT) {
  const hash = createHash('sha256');
  for (const path of [...SETTINGS, ...sourceFiles(root)]) {
    hash.update(path).update('\0');
    hash.update(existsSync(join(root, path)) ? readFileSync(join(root, path)) : '').update('\0');
  }
  return hash.digest('hex').slice(0, 20);
}

/**
 * The directory of the build of the current sources, or null when there is
 * none (a dev tree after an edit, or no build at all: run the sources with
 * tsx) or when STAMPEDE_TSX=1 asks for the sources.
 */
export function compiledDir(root = ROOT) {
  if (process.env.STAMPEDE_TSX === '1') return null;
  try {
    if (!existsSync(join(root, 'dist'))) return null;
    const dir = join(root, 'dist', sourceHash(root));
    if (!existsSync(join(dir, COMPLETE))) return null;
    // Marks the build as in use (bin/build.mjs removes builds unused for a day); not needed to run it.
    try {
      const now = new Date();
      utimesSync(dir, now, now);
    } catch {
      // a read-only install
    }
    return dir;
  } catch {
    return null;
  }
}
