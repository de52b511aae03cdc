#!/usr/bin/env node
// Entry point: registers the TypeScript loader (tsx), then runs the CLI.
// Worker threads do not inherit the loader: they start from sim/engine/typescript-worker.mjs.
// Nothing else is loaded before the relaunch for huge pages, which then only waits.
import { relaunchWithHugePages } from './huge-pages.mjs';

if (!relaunchWithHugePages()) {
  // A signal while the modules load (the second or so before a command starts): say so and exit
  // with the documented code, instead of dying silently. main() removes this handler when the
  // command starts (sim/cli/interrupt.ts, releaseEarlySignals).
  const early = (signal) => {
    process.stderr.write(`\nstampede: ${signal}: stopped; nothing was written\n`);
    process.exit(signal === 'SIGHUP' ? 129 : 130);
  };
  early.stampedeEarly = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, early);
  const { register } = await import('tsx/esm/api');
  register();
  // `stampede run ... | head` closes the pipe early: that is the reader's choice, not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  const { main } = await import('../sim/cli/main.ts');
  const code = await main(process.argv.slice(2));
  // Interrupted (130, 129 for SIGHUP): exit as soon as what was written is flushed. While a process
  // winds down its signal handlers are gone, so a second Ctrl-C then would end it by the signal, not with 130.
  if (code === 130 || code === 129) {
    await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
    process.exit(code);
  }
  process.exitCode = code;
}
