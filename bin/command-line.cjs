// The build's command line (bin/build.mjs, bundleCommands): dist/<hash>/bundle/cli.cjs and
// bundle/simulation.cjs, run through V8's code cache (bin/script-cache.cjs).
'use strict';

const { createRequire } = require('node:module');
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');
const { loadCachedScript } = require('./script-cache.cjs');

/** How bundle/cli.cjs asks for a module of bundle/simulation.cjs (bin/build.mjs, SIMULATION_PREFIX). */
const SIMULATION_PREFIX = 'stampede:simulation:';

/**
 * `main()` and the rest of sim/cli/main.js from the build `dir`'s bundle/cli.cjs. Its require() of
 * `stampede:simulation:PATH` is the module PATH of bundle/simulation.cjs, loaded at the first one
 * (--help makes none); `__stampedeImport(PATH)` imports PATH, relative to the bundle, as an ES
 * module.
 */
function loadCommandLine(dir) {
  const cli = join(dir, 'bundle', 'cli.cjs');
  const bundleUrl = pathToFileURL(cli).href;
  const nodeRequire = createRequire(cli);
  let simulation;
  const require = (id) => {
    if (!id.startsWith(SIMULATION_PREFIX)) return nodeRequire(id);
    simulation ??= simulationModules(dir);
    return simulation[id.slice(SIMULATION_PREFIX.length)];
  };
  require.resolve = nodeRequire.resolve;
  require.cache = nodeRequire.cache;
  return loadCachedScript(cli, { require, __stampedeImport: (path) => import(new URL(path, bundleUrl).href) });
}

/**
 * The modules of the build `dir`'s bundle/simulation.cjs, by their path in the build
 * (`sim/simulation.js`), or null when the build has no bundle (bin/build.mjs refused one).
 */
function simulationModules(dir) {
  const file = join(dir, 'bundle', 'simulation.cjs');
  return existsSync(file) ? loadCachedScript(file).default : null;
}

module.exports = { loadCommandLine, simulationModules };
