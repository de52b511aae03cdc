// Runs the build's CommonJS scripts (bin/build.mjs) through V8's code cache: the command line
// (dist/<hash>/bundle/cli.cjs and simulation.cjs: bin/command-line.cjs) and the vendored packages
// (vendor/yargs.cjs, vendor/yaml.cjs; the build copies this file beside them as
// vendor/script-cache.cjs). Node 20 caches no compiled code between starts, and an ES module cannot
// be given a cache: compiling the same functions at every start was a fifth of a small run. A start
// reads SCRIPT.TAG.cache, TAG being V8's tag for its version and flags (v8.cachedDataVersionTag():
// a start with other flags, `--max-old-space-size` say, has a cache of its own instead of replacing
// the others'), and V8 takes the functions compiled in an earlier start from it instead of compiling
// them again; V8 itself refuses a cache of another source length or a damaged one, and the script
// then compiles as usual. A start that found no cache (the first after a build, or with new flags)
// writes one when the process exits, with every function of the script compiled by then, unless
// another process wrote one meanwhile (a relaunched process, which ran the command, writes the
// fuller one before its launcher exits); one that had it refused replaces it. A temporary file is
// renamed into place, so that concurrent starts never read half of one; worker threads write none.
// The build's directory is never changed otherwise (its name is the hash of its sources): a cache
// always belongs to the script beside it.
'use strict';

const { existsSync, readFileSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname } = require('node:path');
const { cachedDataVersionTag } = require('node:v8');
const { Script } = require('node:vm');

/** Whether this is the process's main thread; node:worker_threads is loaded only when a cache is to be written (~2 ms). */
function isMainThread() {
  return require('node:worker_threads').isMainThread;
}

/** Where the code cache of `file` for this V8 version and these V8 flags is. */
function codeCacheFile(file) {
  return `${file}.${cachedDataVersionTag()}.cache`;
}

/** Scripts loaded without a usable cache, whose cache is written at exit (`replace`: over one V8 refused). */
const uncached = [];

/**
 * `module.exports` of the CommonJS script `file`, run with its code cache when there is one, with
 * Node's module bindings (`require` resolving from the script's location unless `bindings` gives
 * one), the same require and directory as `__stampedeRequire` and `__stampedeDir` (names no bundled
 * module declares: bin/build.mjs, bundleYargs) and `bindings`' other names.
 */
function loadCachedScript(file, givenBindings = {}) {
  const require = givenBindings.require ?? createRequire(file);
  const bindings = { ...givenBindings, require, __stampedeRequire: require, __stampedeDir: dirname(file) };
  const source = readFileSync(file, 'utf8');
  const cacheFile = codeCacheFile(file);
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const extra = Object.keys(bindings).filter((name) => name !== 'require');
  // The wrapper Node gives a CommonJS module, on the script's first line so that its line numbers stay its own.
  const script = new Script(`(function (exports, require, module, __filename, __dirname${extra.map((name) => `, ${name}`).join('')}) {${source}\n})`, { filename: file, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, require, module, file, dirname(file), ...extra.map((name) => bindings[name]));
  if ((cachedData === undefined || script.cachedDataRejected === true) && isMainThread()) {
    if (uncached.length === 0) process.once('exit', writeCaches);
    uncached.push({ cacheFile, script, replace: cachedData !== undefined });
  }
  return module.exports;
}

function writeCaches() {
  for (const { cacheFile, script, replace } of uncached) {
    if (!replace && existsSync(cacheFile)) continue;
    const temporary = `${cacheFile}.tmp-${process.pid}`;
    try {
      writeFileSync(temporary, script.createCachedData());
      renameSync(temporary, cacheFile);
    } catch {
      // A read-only install: every start compiles, as without a cache.
      rmSync(temporary, { force: true });
    }
  }
}

module.exports = { codeCacheFile, loadCachedScript };
