// Kept apart from interrupt.ts, which loads the simulation: main() calls this before it knows the command.
/**
 * Removes bin/stampede.cjs's handler for signals that come while the modules
 * load (it prints a line and exits 130). Called when a command starts, for
 * commands without an Interruption (gate, capacity, validate): from then on a
 * signal ends the process at once as it would any process (a JavaScript
 * handler could not run during their synchronous work); for the others by
 * their Interruption once it is installed, which then answers the signals.
 */
export function releaseEarlySignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    for (const listener of process.listeners(signal)) {
      if ((listener as { stampedeEarly?: boolean }).stampedeEarly === true) process.off(signal, listener);
    }
  }
}
