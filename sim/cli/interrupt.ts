// Ctrl-C for long commands. The first SIGINT, SIGTERM or SIGHUP asks the
// command to stop: it finishes what it is doing within a fraction of a second,
// writes what finished (marked partial, with how to resume or re-run) and
// exits with code 130 (129 for SIGHUP). A second signal exits at once,
// writing nothing more.
//
// A run is synchronous, so `runInSlices` steps the simulation in short slices
// of simulated time and yields to the event loop between them: that is when
// the signal handler gets to run. Slicing changes nothing in the result (the
// event queue processes every event up to the slice end, in the same order),
// which test/errors.test.ts checks byte for byte.
import type { RunResult } from '../result.ts';
import type { Scenario } from '../scenario/types.ts';
import { Simulation } from '../simulation.ts';
import { ExitCode } from './exit-codes.ts';
import { releaseEarlySignals } from './early-signals.ts';

export { releaseEarlySignals };

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** The exit code of a command stopped by `signal`: 129 for SIGHUP, 130 for SIGINT and SIGTERM. */
export function interruptedExitCode(signal: NodeJS.Signals | null): number {
  return signal === 'SIGHUP' ? ExitCode.hangup : ExitCode.interrupted;
}

export class Interruption {
  /** The first signal received, or null. */
  signal: NodeJS.Signals | null = null;
  private readonly handler = (signal: NodeJS.Signals) => this.receive(signal);
  /** Set once there is nothing left to stop, only to finish: a signal then exits at once (endAtOnce). */
  private atOnce: { message: string; cleanup: () => void } | null = null;
  private readonly waiters: (() => void)[] = [];

  constructor(
    private readonly stream: NodeJS.WritableStream = process.stderr,
    /** What the first signal makes the command do, for the message. */
    private readonly action = 'stopping and writing what finished',
  ) {}

  get requested(): boolean {
    return this.signal !== null;
  }

  /** 129 after SIGHUP, else 130. */
  get exitCode(): number {
    return interruptedExitCode(this.signal);
  }

  /**
   * Takes over from bin/stampede.cjs's early handler: this one first, then the early one goes, so that
   * there is no moment without a handler (a signal then would end the process by its default action,
   * leaving the output directory's lock, or, caught but not yet answered, be dropped with the handler).
   */
  install(): this {
    for (const signal of SIGNALS) process.on(signal, this.handler);
    releaseEarlySignals();
    return this;
  }

  dispose(): void {
    for (const signal of SIGNALS) process.off(signal, this.handler);
  }

  /** Resolves at the first signal (at once if one came already). */
  whenRequested(): Promise<void> {
    return new Promise((resolve) => {
      if (this.requested) resolve();
      else this.waiters.push(resolve);
    });
  }

  /**
   * From now on a signal ends the command at once: `cleanup()`, then `message`, then the exit code
   * (the output directory's lock goes with the exit, as it does after a stop).
   */
  endAtOnce(message: string, cleanup: () => void = () => {}): void {
    this.atOnce = { message, cleanup };
  }

  private receive(signal: NodeJS.Signals): void {
    if (this.atOnce !== null) {
      this.atOnce.cleanup();
      this.stream.write(`\nstampede: ${signal}: ${this.atOnce.message}\n`);
      process.exit(interruptedExitCode(signal));
    }
    if (this.signal !== null) {
      this.stream.write(`\nstampede: ${signal} again: exiting at once; nothing more is written\n`);
      process.exit(interruptedExitCode(this.signal));
    }
    this.signal = signal;
    this.stream.write(`\nstampede: ${signal}: ${this.action} (press Ctrl-C again to exit at once)\n`);
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}

/** Lets pending I/O and signal handlers run. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export interface SlicedRun {
  /** Null when stopped before the model was even built: nothing finished. */
  result: RunResult | null;
  /** Null when the run reached its end; else the simulated time it stopped at. */
  stoppedAt: number | null;
}

export interface SliceOptions {
  /** Checked between slices; true stops the run. */
  shouldStop: () => boolean;
  onProgress?: (simTime: number) => void;
  /** Called once the model is built, just before the first slice. */
  onStart?: () => void;
  /** Wall time one slice aims at (default 50 ms): the bound on how late a stop is noticed. */
  sliceMs?: number;
  /** Threads for the run (Simulation's engine options; default 1). */
  threads?: number;
}

/**
 * Runs the scenario to its end, or until `shouldStop()` says so between two
 * slices. Each slice is sized from the last one's speed to take about
 * `sliceMs` of wall time, so dense moments (a reconnect storm) get short
 * slices and quiet ones long slices.
 */
export async function runInSlices(scenario: Scenario, options: SliceOptions): Promise<SlicedRun> {
  await yieldToEventLoop();
  if (options.shouldStop()) return { result: null, stoppedAt: 0 };
  const simulation = new Simulation(scenario, { threads: options.threads });
  try {
    return await runSlices(simulation, scenario, options);
  } finally {
    simulation.close();
  }
}

async function runSlices(simulation: Simulation, scenario: Scenario, options: SliceOptions): Promise<SlicedRun> {
  const targetMs = options.sliceMs ?? 50;
  options.onStart?.();
  const end = scenario.duration;
  let now = 0;
  let step = Math.min(end, scenario.sampleInterval);
  while (now < end) {
    await yieldToEventLoop();
    if (options.shouldStop()) return { result: simulation.result(now), stoppedAt: now };
    const until = Math.min(end, now + step);
    // process.hrtime, not the `performance` global, whose first use loads perf_hooks (~1 ms).
    const started = process.hrtime.bigint();
    simulation.runUntil(until, options.onProgress, end);
    const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
    now = until;
    options.onProgress?.(now);
    // Grow or shrink by at most 2× per slice; never below a millisecond of simulated time.
    const factor = elapsed <= 0 ? 2 : Math.min(2, Math.max(0.5, targetMs / elapsed));
    step = Math.max(1e-3, step * factor);
  }
  return { result: simulation.result(), stoppedAt: null };
}

/** A command line as a POSIX shell reads it: plain words as they are, others single-quoted. */
export function shellCommand(words: readonly string[]): string {
  return words.map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`)).join(' ');
}
