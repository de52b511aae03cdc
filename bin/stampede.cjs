#!/bin/sh
':' //; case "$STAMPEDE_HUGE_PAGES:$GLIBC_TUNABLES" in 0:* | *glibc.malloc.hugetlb*) ;; *) export GLIBC_TUNABLES="${GLIBC_TUNABLES:+$GLIBC_TUNABLES:}glibc.malloc.hugetlb=1" ;; esac
':' //; case "${NODE_EXTRA_CA_CERTS+set}" in set) export STAMPEDE_NODE_EXTRA_CA_CERTS="$NODE_EXTRA_CA_CERTS"; unset NODE_EXTRA_CA_CERTS ;; esac
':' //; exec node --v8-pool-size=0 "$0" "$@"
// The three lines above are for sh, which the first line names, and are nothing to Node (a string,
// then a comment). Run as a command (`stampede` after `npm link`, or bin/stampede.cjs), this file
// starts Node on itself as a run of millions of clients wants it, which a shebang cannot do
// everywhere (`env -S` is not in busybox):
// - glibc's huge pages already on (bin/huge-pages.cjs), unless STAMPEDE_HUGE_PAGES=0 or the
//   tunable is set: no relaunch is needed, whatever the run;
// - NODE_EXTRA_CA_CERTS set aside, which Node would read at its start for TLS that stampede never
//   opens (bin/extra-ca-certs.cjs: ~48 ms of every start where it is set);
// - V8's background threads one per spare core (--v8-pool-size=0) rather than Node's fixed four: on
//   two cores, four threads compiling hot functions at once slow each other and the main thread
//   (V2 at 100,000 clients: 0.41 s with four, 0.37 s with one; docs/ARCHITECTURE.md, "Start-up").
// `node bin/stampede.cjs` runs the same code with Node's defaults, and relaunches itself with both
// for a large run (bin/huge-pages.cjs).
//
// Entry point: runs the CLI from the compiled copy of the current sources (dist/<hash>/, written
// by `npm ci` / `npm run build`: bin/build.mjs), or, when there is none (a dev tree after an edit),
// registers the TypeScript loader (tsx) and runs the sources. bin/compiled.cjs decides, by the
// sources' hash, so an edited source never runs as its old compiled code.
// Worker threads start on the same code (sim/engine/typescript-worker.ts).
// Nothing else is loaded before the relaunch for huge pages, which then only waits; commands that
// build no model (help, validate, merge, live up/down) are not relaunched: a second Node start
// would be most of their time.
'use strict';

// Started as `node bin/stampede.cjs`, this process has read them already; the processes it starts need not.
require('./extra-ca-certs.cjs').setAsideExtraCaCerts();
const { relaunchWithHugePages } = require('./huge-pages.cjs');
const { compiledDir } = require('./compiled.cjs');
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

const argv = process.argv.slice(2);
const command = argv.find((arg) => !arg.startsWith('-'));
const LIVE_COMMANDS = ['up', 'down', 'load'];
const modelFree = command === undefined || ['validate', 'merge', 'help', 'up', 'down'].includes(command) || argv.some((arg) => ['--help', '-h', '--version'].includes(arg));

// `stampede run` decides once it knows the run's size (sim/cli/run.ts): a small run does not pay
// for a second start. This process is the relaunched one when STAMPEDE_RELAUNCHED is set.
const deferred = command === 'run' && process.env.STAMPEDE_RELAUNCHED !== '1';
if (deferred) globalThis[Symbol.for('stampede.relaunchWithHugePages')] = relaunchWithHugePages;

if (modelFree || deferred || !relaunchWithHugePages()) start();

async function start() {
  // A signal while the modules load (the second or so before a command starts): say so and exit
  // with the documented code, instead of dying silently. main() removes this handler when the
  // command starts (sim/cli/interrupt.ts, releaseEarlySignals).
  const early = (signal) => {
    process.stderr.write(`\nstampede: ${signal}: stopped; nothing was written\n`);
    process.exit(signal === 'SIGHUP' ? 129 : 130);
  };
  early.stampedeEarly = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, early);
  const compiled = compiledDir();
  if (compiled === null) {
    const { register } = await import('tsx/esm/api');
    register();
  }
  // `stampede run ... | head` closes the pipe early: that is the reader's choice, not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  // The build's bundle of the command line, through V8's code cache (bin/build.mjs, bundleCommands;
  // bin/script-cache.cjs) when it has one; else its modules, or the sources through tsx.
  const { main } =
    compiled !== null && existsSync(join(compiled, 'bundle', 'cli.cjs'))
      ? require('./command-line.cjs').loadCommandLine(compiled)
      : await import(compiled === null ? '../sim/cli/main.ts' : pathToFileURL(join(compiled, 'sim', 'cli', 'main.js')).href);
  const code = await main(argv);
  // Exit as soon as what was written is flushed, without Node's teardown of the environment and the
  // heap (~5 ms after a 100,000-client run, 3 ms after 1,000 clients): every file is written
  // synchronously, and a command that leaves nothing running has nothing left to wait for. Also
  // when interrupted (130, 129 for SIGHUP): while a process winds down its signal handlers are gone,
  // so a second Ctrl-C then would end it by the signal, not with 130. Live mode's commands start
  // processes and sockets, and end as Node ends them.
  if (!LIVE_COMMANDS.includes(command) || code === 130 || code === 129) {
    await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
    process.exit(code);
  }
  process.exitCode = code;
}
