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
//
// Hashing the sources (and loading node:crypto to do it) was ~18 ms of every start, so a start
// first compares the sources' stat records (size, mtime, ctime, inode of every file) with those a
// previous start or build recorded beside the hash they had (dist/.last-start): the same records,
// the same bytes. Only when they differ does it hash, then records the new ones. An edit changes
// a file's ctime, which no tool can set back; a file changed so recently that a later edit could
// share its timestamps (the clock's grain is milliseconds) is never recorded, as git treats a
// "racily clean" index entry: the next start hashes again.
'use strict';

const { existsSync, readFileSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
/** The directories compiled (tsconfig.build.json's `include`), copied whole into a build. */
const SOURCE_DIRS = ['sim', 'reports/lib', 'live'];
/**
 * Files whose bytes also decide what a build holds: package-lock.json for the packages the build
 * copies into vendor/ (yargs, yaml), so that another installed version gets its own build.
 */
const SETTINGS = ['tsconfig.json', 'tsconfig.build.json', 'bin/build.mjs', 'bin/compiled.cjs', 'bin/script-cache.cjs', 'bin/command-line.cjs', 'package-lock.json'];
const DIST = join(ROOT, 'dist');
/** Written last into a build: it is complete. */
const COMPLETE = '.complete';

/** Every file under the compiled directories, relative to the root, sorted. */
function sourceFiles(root = ROOT) {
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
function sourceHash(root = ROOT) {
  // Loaded here, not at the top: most starts never hash.
  const hash = require('node:crypto').createHash('sha256');
  for (const path of [...SETTINGS, ...sourceFiles(root)]) {
    hash.update(path).update('\0');
    hash.update(existsSync(join(root, path)) ? readFileSync(join(root, path)) : '').update('\0');
  }
  return hash.digest('hex').slice(0, 20);
}

/** Where a start records the sources' stat records and the hash they had. */
const LAST_START = '.last-start';
/** A file changed less than this long before its record was taken is not recorded (see above). */
const RACY_MS = 2000;

/**
 * The sources' stat records, one line per file (the settings files and sourceFiles()), and the
 * newest change time among them and when they were taken; a missing file is a line too.
 */
function sourceStats(root = ROOT) {
  const taken = Date.now();
  let newest = 0;
  let lines = '';
  for (const path of [...SETTINGS, ...sourceFiles(root)]) {
    const stat = statSync(join(root, path), { throwIfNoEntry: false });
    if (stat === undefined) {
      lines += `${path}\0-\n`;
      continue;
    }
    newest = Math.max(newest, stat.mtimeMs, stat.ctimeMs);
    lines += `${path}\0${stat.size}\0${stat.mtimeMs}\0${stat.ctimeMs}\0${stat.ino}\n`;
  }
  return { lines, newest, taken };
}

/** The hash recorded for exactly these stat records, or null. */
function recordedHash(root, stats) {
  try {
    const text = readFileSync(join(root, 'dist', LAST_START), 'utf8');
    const newline = text.indexOf('\n');
    return text.slice(newline + 1) === stats.lines ? text.slice(0, newline) : null;
  } catch {
    return null;
  }
}

/**
 * Records `hash` as the hash of the sources whose stat records, taken before the hash was
 * computed, are `stats` (taken after, an edit in between would be recorded with the old hash).
 */
function recordSourceStats(root, stats, hash) {
  if (stats.taken - stats.newest < RACY_MS) return;
  const file = join(root, 'dist', LAST_START);
  const temporary = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(temporary, `${hash}\n${stats.lines}`);
    renameSync(temporary, file);
  } catch {
    // a read-only install: every start hashes
    rmSync(temporary, { force: true });
  }
}

/**
 * The directory of the build of the current sources, or null when there is
 * none (a dev tree after an edit, or no build at all: run the sources with
 * tsx) or when STAMPEDE_TSX=1 asks for the sources.
 */
function compiledDir(root = ROOT) {
  if (process.env.STAMPEDE_TSX === '1') return null;
  try {
    if (!existsSync(join(root, 'dist'))) return null;
    const stats = sourceStats(root);
    let hash = recordedHash(root, stats);
    const recorded = hash !== null;
    if (!recorded) hash = sourceHash(root);
    const dir = join(root, 'dist', hash);
    if (!existsSync(join(dir, COMPLETE))) return null;
    if (!recorded) recordSourceStats(root, stats, hash);
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

module.exports = { ROOT, SOURCE_DIRS, DIST, COMPLETE, sourceFiles, sourceHash, LAST_START, sourceStats, recordSourceStats, compiledDir };
