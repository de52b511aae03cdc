// `stampede run FILE`: one scenario, one seed, one result directory.
import { join } from 'node:path';
import { loadScenarioFile } from '../scenario/load.ts';
import type { Scenario } from '../scenario/types.ts';
import { Interruption, runInSlices, shellCommand } from './interrupt.ts';
import { claimOutputDir, safeOutputDir, unusedOutputDir, writeAtomically, writeFailure } from './output.ts';
import { readdirSync, rmSync } from 'node:fs';
import { formatSummary } from './summary-text.ts';
import { Progress } from './progress.ts';
import { BatchInputError } from '../batch/jobs.ts';
import { workerCount } from './workers.ts';
import { sha256Hex } from '../sha256.ts';
import { printVerdicts, singleRunVerdicts } from './verdicts.ts';
import type { RunResult } from '../result.ts';
import { estimateRunBytes, memoryLimit, memoryProblem, RUNTIME_BYTES } from '../memory-estimate.ts';
import { UsageError } from './usage-error.ts';

export interface RunArgs {
  file: string;
  seed?: number;
  set: string[];
  out?: string;
  json: boolean;
  quiet: boolean;
  /** Batch mode (see replications.ts): R runs with derived seeds, on worker threads, optionally one shard. */
  replications?: number;
  /** Threads of a batch, or of a single run (a carrier outage's retry loops). */
  workers?: number;
  shard?: string;
  /** Also write each report chart as charts/<id>.svg / .png. */
  svg?: boolean;
  png?: boolean;
  /** Overwrite an earlier report in the output directory. */
  force?: boolean;
  /** With --replications: finish an interrupted batch (a single run cannot be resumed). */
  resume?: boolean;
  /** `8GB`, `off`, or undefined for the machine's free memory. */
  memoryLimit?: string;
}

/**
 * A run estimated to need less than this beyond the runtime starts faster than it would with huge
 * pages (a second Node start, ~0.08 s): measured as 256 MiB in all when the estimate counted the
 * runtime as 150 MiB.
 */
const HUGE_PAGES_FROM = 106 * 2 ** 20;

/**
 * bin/stampede.cjs leaves `stampede run`'s relaunch with huge pages (bin/huge-pages.cjs) to this
 * point, where the run's size is known: a small run goes on in this process; a large one (or a
 * batch, `runBytes` undefined) relaunches, and this process only waits for it and ends as it ends
 * (then this returns true and the command must do nothing more). False when the relaunch does not
 * apply: turned off, already relaunched, not Linux, or main() called from elsewhere than bin/stampede.cjs.
 */
function relaunchedForHugePages(runBytes?: number): boolean {
  const relaunch = (globalThis as Record<symbol, unknown>)[Symbol.for('stampede.relaunchWithHugePages')] as (() => boolean) | undefined;
  return relaunch !== undefined && (runBytes === undefined || runBytes >= HUGE_PAGES_FROM) && relaunch();
}

export async function runCommand(args: RunArgs): Promise<number> {
  if (args.replications !== undefined || args.shard !== undefined) {
    if (relaunchedForHugePages()) return new Promise<number>(() => {});
    return (await import('./replications.ts')).replicationsCommand(args);
  }
  if (args.resume) throw new BatchInputError('--resume finishes an interrupted batch (--replications R); a single run cannot be resumed: run it again');
  const overrides = [...args.set];
  if (args.seed !== undefined) overrides.push(`seed=${args.seed}`);
  const { scenario, warnings } = loadScenarioFile(args.file, overrides);
  for (const warning of warnings) process.stderr.write(`stampede: warning: ${warning}\n`);
  checkMemory(scenario, args.memoryLimit);
  if (relaunchedForHugePages(estimateRunBytes(scenario) - RUNTIME_BYTES)) return new Promise<number>(() => {});
  const threads = workerCount(args.workers);

  // Checked before the run, not after it: minutes of work must not end in "cannot write".
  // An explicit --out is refused if it holds a report (unless --force); the default never clashes.
  // The directory stays locked until the command ends: a second writer is refused, not interleaved.
  const outDir = args.out ?? defaultRunDir(scenario, args);
  const claim = claimOutputDir(outDir, { force: args.force });
  try {
    return await runClaimed(scenario, args, outDir, threads);
  } finally {
    claim.release();
  }
}

async function runClaimed(scenario: Scenario, args: RunArgs, outDir: string, threads: number): Promise<number> {
  const progress = new Progress(args.quiet ? null : process.stderr, scenario.duration);
  const started = process.hrtime.bigint();
  // The report header's commit: git runs in its own processes while this one simulates.
  const gitCommit = import('../../reports/lib/git.ts').then((git) => git.currentGitCommitAsync(), () => null);
  const interruption = new Interruption().install();
  const run = await runInSlices(scenario, {
    threads,
    shouldStop: () => interruption.requested,
    onProgress: (t) => progress.update(t),
    onStart: () => {
      if (!args.quiet) process.stderr.write(`stampede: running ${scenario.name} (${scenario.duration} s simulated) → ${outDir}; Ctrl-C stops and keeps what finished\n`);
    },
  }).catch((error: unknown) => {
    interruption.dispose();
    throw error;
  });
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  progress.done();
  // After a stop the handlers stay until the process exits (bin/stampede.cjs exits at once on 130):
  // a second signal while the partial result is written then exits with 130, not by the signal.
  if (run.stoppedAt !== null) return writePartial(run.result, run.stoppedAt, interruption, scenario, outDir, args);
  // Nothing left to stop, only the report to finish: a signal now exits at once, its temporary files
  // removed and the output directory's lock released (not by the default action, which left both).
  interruption.endAtOnce('exiting at once; the report is not finished (result.json is complete)', () => removeTemporaries(outDir));
  try {
    const result = run.result!;
    writeAtomically(join(outDir, 'result.json'), `${JSON.stringify(result)}\n`);
    // Loaded here, not at the top: vega is heavy and only the report needs it.
    const { writeReport } = await import('../../reports/lib/index.ts');
    const verdicts = singleRunVerdicts(scenario, result);
    try {
      await writeReport(result, outDir, {
        svg: args.svg,
        png: args.png,
        gitCommit: await gitCommit,
        scenario,
        verdicts: verdicts
          .filter((v) => v.passed !== null)
          .map((v) => ({ assertion: v.source, measured: v.measured, limit: v.limit, passed: v.passed === true })),
      });
    } catch (error) {
      // A failed write has removed its temporary file (writeThroughTemporary, output.ts).
      if (typeof (error as NodeJS.ErrnoException).code !== 'string') throw error;
      throw writeFailure(`the report in ${outDir} (result.json is complete)`, error);
    }

    if (args.json) {
      process.stdout.write(`${JSON.stringify({ scenario: scenario.name, seed: scenario.seed, out: outDir, summary: result.summary }, null, 2)}\n`);
    } else {
      process.stdout.write(formatSummary(scenario, result.summary, { wallSeconds, outDir }));
    }
    // The scenario's assert: section, judged on this run: exit code 1 if one fails.
    return printVerdicts(verdicts, args.json ? process.stderr : process.stdout);
  } finally {
    interruption.dispose();
  }
}

/** Removes this process's temporary files (`NAME.tmp-PID-N`, output.ts) from `dir` and its charts/ directory: a write cut short by a second Ctrl-C. */
function removeTemporaries(dir: string): void {
  const ownTemporary = new RegExp(`\\.tmp-${process.pid}-\\d+$`);
  for (const sub of [dir, join(dir, 'charts')]) {
    let names: string[] = [];
    try {
      names = readdirSync(sub);
    } catch {
      continue;
    }
    for (const name of names) {
      // The pid whole: pid 12 must not take pid 123's files.
      if (ownTemporary.test(name)) {
        try {
          rmSync(join(sub, name), { force: true });
        } catch {
          // best effort
        }
      }
    }
  }
}

/** Refuses, before anything runs, a run estimated not to fit in memory (exit code 2). */
export function checkMemory(scenario: Scenario, limitText: string | undefined, parallel = 1): void {
  const limit = memoryLimit(limitText);
  if ('problem' in limit) throw new UsageError(limit.problem);
  const problem = memoryProblem(scenario, limit.limit, limit.source, parallel);
  if (problem !== null) throw new UsageError(problem);
}

function defaultRunDir(scenario: Scenario, args: RunArgs): string {
  const defaultDir = defaultOutDir(scenario.name, scenario.seed, args.set);
  return args.force ? defaultDir : unusedOutputDir(defaultDir);
}

/** reports/<scenario>/seed-<seed>, plus a short hash of the overrides so variants do not collide. */
export function defaultOutDir(name: string, seed: number, overrides: string[]): string {
  const base = `seed-${seed}`;
  if (overrides.length === 0) return safeOutputDir('reports', name, base);
  const hash = sha256Hex(overrides.join('\n')).slice(0, 8);
  return safeOutputDir('reports', name, `${base}-${hash}`);
}

/**
 * An interrupted run: result.json holds what was simulated, marked `partial`.
 * A run cannot be resumed (its state is not saved), so it says how to re-run.
 */
function writePartial(result: RunResult | null, stoppedAt: number, interruption: Interruption, scenario: Scenario, outDir: string, args: RunArgs): number {
  const signal = interruption.signal ?? 'SIGINT';
  if (result === null) {
    process.stderr.write(`stampede: ${signal} before the simulation started; nothing was written\n`);
    return interruption.exitCode;
  }
  const words = ['stampede', 'run', args.file, ...args.set.flatMap((s) => ['--set', s])];
  if (args.seed !== undefined) words.push('--seed', String(args.seed));
  words.push('--out', outDir, '--force');
  const rerun = shellCommand(words);
  const done = `${stoppedAt.toFixed(1)} s of ${scenario.duration} s simulated`;
  const partial = { stoppedAt, reason: `interrupted by ${signal} after ${done}`, rerun };
  const file = join(outDir, 'result.json');
  writeAtomically(file, `${JSON.stringify({ ...result, partial })}\n`);
  process.stderr.write(`stampede: partial result (${done}) written to ${file}, marked "partial".\n` +
    `A run cannot be resumed; to run it again from the start:\n  ${rerun}\n`);
  return interruption.exitCode;
}
