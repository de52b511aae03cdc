// Transparent huge pages for the model's large typed arrays (Linux, glibc).
//
// A run at millions of clients touches gigabytes of fresh memory. With 4 KiB
// pages every first touch is a page fault; on the VMs we measured a fault
// costs ~11 µs, so 1 GiB costs ~3 s before any work is done (0.08 s with
// 2 MiB pages), and random access to the client records misses the TLB far
// less. glibc's malloc asks for huge pages on its large blocks, which back
// every ArrayBuffer, when the tunable glibc.malloc.hugetlb=1 is set, and it
// reads tunables only at process start: so the process relaunches itself
// once with it set. STAMPEDE_HUGE_PAGES=0 turns this off.
'use strict';

const TUNABLE = 'glibc.malloc.hugetlb=1';
/** Set by the parent in the relaunched process's environment: it has an IPC channel to watch. */
const RELAUNCHED = 'STAMPEDE_RELAUNCHED';
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Environment for a child process that should use huge pages (unchanged where they do not apply). */
function hugePagesEnv(env = process.env) {
  if (process.platform !== 'linux' || env.STAMPEDE_HUGE_PAGES === '0' || (env.GLIBC_TUNABLES ?? '').includes('glibc.malloc.hugetlb')) return env;
  return { ...env, GLIBC_TUNABLES: env.GLIBC_TUNABLES ? `${env.GLIBC_TUNABLES}:${TUNABLE}` : TUNABLE };
}

/**
 * Node's flags for the relaunched process: this one's, with V8's background threads one per spare
 * core (--v8-pool-size=0, as bin/stampede.cjs starts itself when run as a command) unless this
 * process or NODE_OPTIONS chose a number: `node bin/stampede.cjs` then pays the second start once
 * and gains the flag.
 */
function withPoolSize(execArgv, nodeOptions = process.env.NODE_OPTIONS ?? '') {
  const chosen = [...execArgv, ...nodeOptions.split(/\s+/)].some((flag) => flag.startsWith('--v8-pool-size'));
  return chosen ? execArgv : ['--v8-pool-size=0', ...execArgv];
}

/**
 * Relaunches this process with huge pages on, unless they are already on or
 * do not apply; returns whether it did (then this process only waits for the
 * relaunched one, passes each signal it receives on, once, and ends as it
 * ends). The relaunched process is in its own process group, so that a
 * Ctrl-C reaches it once, through here, not twice.
 */
function relaunchWithHugePages() {
  if (process.env[RELAUNCHED] === '1') {
    delete process.env[RELAUNCHED];
    watchParent();
  }
  const env = hugePagesEnv();
  if (env === process.env) return false;
  // An IPC channel the relaunched process watches: it closes when this process dies, even by SIGKILL.
  // node:child_process (~4 ms to load) only here: --help and validate never relaunch.
  const child = require('node:child_process').spawn(process.execPath, [...withPoolSize(process.execArgv), ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...env, [RELAUNCHED]: '1' },
    detached: true,
  });
  const forward = (signal) => child.kill(signal);
  for (const signal of FORWARDED) process.on(signal, forward);
  // From now on the relaunched process answers signals: bin/stampede.cjs's early answer (which
  // `stampede run` keeps until its own takes over) goes, after the forwarding came, so that none is missed.
  for (const signal of FORWARDED) {
    for (const listener of process.listeners(signal)) if (listener.stampedeEarly === true) process.off(signal, listener);
  }
  child.on('error', (error) => {
    process.stderr.write(`stampede: could not start: ${error.message}\n`);
    process.exit(70);
  });
  child.on('exit', (code, signal) => {
    if (signal === null) {
      // The handlers stay: a signal while this process exits (its 'exit' listeners run) would
      // otherwise end it by the signal, not with the relaunched process's code.
      process.exit(code ?? 70);
    }
    for (const s of FORWARDED) process.off(s, forward);
    process.kill(process.pid, signal);
  });
  return true;
}

/**
 * In the relaunched process: when the parent dies (kill -9, `timeout -s KILL`,
 * a cancelled CI job), its end of the IPC channel closes; the process then
 * stops as on SIGHUP (the signal handlers write what finished and exit 129),
 * so no orphan goes on running and writing. The channel does not keep the
 * process alive.
 */
function watchParent() {
  if (!process.channel) return;
  process.once('disconnect', () => {
    process.stderr.write('\nstampede: the process that launched this one has ended\n');
    process.kill(process.pid, 'SIGHUP');
  });
  // Adding a 'disconnect' listener refs the channel on the next tick; unref it after that.
  process.nextTick(() => process.channel?.unref());
}

module.exports = { withPoolSize, hugePagesEnv, relaunchWithHugePages };
