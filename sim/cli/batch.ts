// What the batch commands (run --replications, compare, sweep, merge) share:
// the common flags, running a plan with progress, writing the outputs or the
// shard file, and printing. Thin: the work is in sim/batch/.
import { integerFlag } from './usage-error.ts';
import { basename, dirname, join } from 'node:path';
import type { Argv } from 'yargs';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import type { Aggregate } from '../batch/aggregate.ts';
import { executePlan } from '../batch/execute.ts';
import { num, oneLine } from '../batch/format.ts';
import { variantsPassing } from '../batch/gates.ts';
import { verdictLines } from './gate.ts';
import { planHash, type BatchPlan, type PreparedPlan } from '../batch/jobs.ts';
import { batchOutputs, type BatchDocument, type OutputFile } from '../batch/outputs.ts';
import type { JobOutcome } from '../batch/protocol.ts';
import { parseShard, shardFileContent, shardFileName, type Shard } from '../batch/shard.ts';
import { ExitCode } from './exit-codes.ts';
import { workerCount } from './workers.ts';
import { partialFileContent, partialFileName, readPartialFile } from '../batch/partial.ts';
import { Interruption, shellCommand } from './interrupt.ts';
import { claimOutputDir, OutputError, safeOutputDir, writeAtomically, type OutputClaim } from './output.ts';
import { Progress } from './progress.ts';
import { checkMemory } from './run.ts';

export interface BatchArgs {
  workers?: number;
  shard?: string;
  out?: string;
  json: boolean;
  quiet: boolean;
  force?: boolean;
  /** Finish an interrupted batch from its partial file (`<kind>.partial.json`). */
  resume?: boolean;
  /** `8GB`, `off`, or undefined for the machine's free memory. */
  memoryLimit?: string;
}

/** --workers, --shard and --force, shared by compare and sweep (run declares its own). */
export function batchOptions<T>(y: Argv<T>) {
  return y
    .option('workers', { type: 'string', coerce: integerFlag('workers'), describe: 'Worker threads (default: one per core)' })
    .option('shard', { type: 'string', describe: 'Run only shard k of n (k/n, 1-based) and write shard-k-of-n.json for `stampede merge`' })
    .option('force', { type: 'boolean', default: false, describe: 'Overwrite earlier results in the output directory' })
    .option('resume', { type: 'boolean', default: false, describe: 'Finish an interrupted batch: run only the jobs its partial file lacks' })
    .option('memory-limit', { type: 'string', describe: "Refuse a batch whose parallel runs are estimated to need more than this (e.g. 8GB; `off` to skip; default: the machine's free memory)" });
}

/** reports/<scenario>/<kind>-<hash>; the name may come from a shard file, so it must stay below reports/. */
export function defaultBatchOutDir(plan: BatchPlan): string {
  return safeOutputDir('reports', plan.scenario.name, `${plan.kind}-${planHash(plan)}`);
}

/** Files a batch's output directory may hold without being an earlier report: shard files and partial files. */
export function isShardOrPartialFile(name: string): boolean {
  return /^shard-\d+-of-\d+(\.partial)?\.json$/.test(name) || /^(replications|compare|sweep)\.partial\.json$/.test(name);
}

/**
 * Claims the output directory for the whole command (an exclusive lock: a
 * second writer is refused) and refuses (exit code 2) to overwrite an earlier
 * result unless --force. For a whole batch (and merge) any stampede output
 * counts, as for `run`: a run's report, another batch's; only shard and
 * partial files may be there. A shard writes only its own shard file, so
 * only that file counts and shards can share a directory (each with its own
 * lock).
 */
export function claimBatchOutDir(dir: string, shardFile: string | undefined, force: boolean | undefined): OutputClaim {
  if (shardFile !== undefined) {
    return claimOutputDir(dir, { force, files: [shardFile], lockName: `.stampede-${shardFile.replace(/\.json$/, '')}.lock` });
  }
  return claimOutputDir(dir, { force, allow: isShardOrPartialFile });
}

/** Each file atomically (temporary name, then rename): a reader never sees half a file. */
export function writeBatchFiles(outDir: string, files: readonly OutputFile[]): void {
  for (const file of files) {
    const path = join(outDir, file.path);
    mkdirSync(dirname(path), { recursive: true });
    writeAtomically(path, file.content);
  }
}

/** A comma-separated list flag, possibly given several times: `--algorithms rr,wlc --algorithms p2c`. */
export function parseList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).flatMap((v) => splitTopLevel(v)).filter((v) => v !== '');
}

/** Splits at commas outside brackets, braces and quotes, so a YAML flow value like [1,2] stays whole. */
export function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let current = '';
  for (const ch of text) {
    if (quote !== null) {
      if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === '[' || ch === '{') {
      depth++;
    } else if (ch === ']' || ch === '}') {
      depth--;
    } else if (ch === ',' && depth === 0) {
      parts.push(current.trim());
      current = '';
      continue;
    }
    current += ch;
  }
  parts.push(current.trim());
  return parts;
}


/** Runs the plan (or one shard) and writes its outputs (or the shard file); returns the exit code. */
export async function runBatchCommand(prepared: PreparedPlan, args: BatchArgs): Promise<number> {
  const shard = args.shard === undefined ? undefined : parseShard(args.shard);
  const workers = workerCount(args.workers);
  for (const warning of prepared.warnings) process.stderr.write(`stampede: warning: ${warning}\n`);
  const { plan } = prepared;
  // Each worker runs one job at a time: the largest variant, as many times at once as there are workers.
  const jobCount = plan.variants.length * plan.replications;
  const parallel = Math.min(workers, shard === undefined ? jobCount : Math.ceil(jobCount / shard.count));
  checkMemory(prepared.largest, args.memoryLimit, Math.max(1, parallel));
  const outDir = args.out ?? defaultBatchOutDir(plan);
  // Checked before the jobs run: an hour of work must not end in "cannot write". Locked until the end.
  const claim = claimBatchOutDir(outDir, shard === undefined ? undefined : shardFileName(shard), args.force);
  try {
    return await runClaimedBatch(prepared, args, outDir, shard, workers);
  } finally {
    claim.release();
  }
}

async function runClaimedBatch(prepared: PreparedPlan, args: BatchArgs, outDir: string, shard: Shard | undefined, workers: number): Promise<number> {
  const { plan } = prepared;
  // An interrupted batch leaves the jobs that finished in a partial file, for --resume (sim/batch/partial.ts).
  const partialPath = join(outDir, partialFileName(plan.kind, shard));
  const completed = args.resume ? readPartialFile(partialPath, plan, shard) : [];
  if (!args.resume && !args.force && existsSync(partialPath)) {
    throw new OutputError(`${outDir} holds the results of an interrupted batch (${basename(partialPath)}): add --resume to finish it, or --force to start over`);
  }

  // Progress (TTY only) counts simulated seconds over every job, which is what the ETA scales with.
  const bar: { progress: Progress | null } = { progress: null };
  const started = process.hrtime.bigint();
  const interruption = new Interruption(process.stderr, 'stopping the workers; the jobs that finished are kept').install();
  const abort = new AbortController();
  void interruption.whenRequested().then(() => abort.abort());
  const { jobs, outcomes, interrupted, jobsDone } = await executePlan(prepared, {
    workers,
    shard,
    signal: abort.signal,
    completed,
    onProgress: (done, total) => {
      bar.progress ??= new Progress(args.quiet ? null : process.stderr, total, 's simulated, all jobs');
      bar.progress.update(done);
    },
  }).catch((error: unknown) => {
    interruption.dispose();
    throw error;
  });
  bar.progress?.done();
  // As for `run`: after a stop the handlers stay until the process exits with 130.
  if (!interrupted) interruption.dispose();
  if (interrupted) {
    writeBatchFiles(outDir, [{ path: basename(partialPath), content: partialFileContent(plan, shard, outcomes) }]);
    const again = process.argv.slice(2);
    if (!again.includes('--resume')) again.push('--resume');
    process.stderr.write(
      `stampede: interrupted after ${jobsDone} of ${jobs.length} job(s); the finished ones are kept in ${partialPath}.\n` +
        `To run only the rest and write the outputs: ${shellCommand(['stampede', ...again])}\n`,
    );
    return interruption.exitCode;
  }
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const failed = outcomes.filter((o) => !o.ok).length;
  if (!args.quiet && process.stderr.isTTY === true) {
    process.stderr.write(`stampede: ${jobs.length} job(s) on ${Math.min(workers, Math.max(1, jobs.length))} worker thread(s) in ${wallSeconds.toFixed(1)} s wall\n`);
  }

  if (shard !== undefined) {
    const file = join(outDir, shardFileName(shard));
    writeBatchFiles(outDir, [{ path: shardFileName(shard), content: shardFileContent(plan, shard, outcomes) }]);
    rmSync(partialPath, { force: true });
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ shard, file, jobs: jobs.length, failed }, null, 2)}\n`);
    } else {
      process.stdout.write(
        `shard ${shard.index}/${shard.count}: ${jobs.length} of ${plan.variants.length * plan.replications} jobs, ${failed} failed → ${file}\n` +
          `merge all ${shard.count} shard files with: stampede merge DIR_OR_FILES... --out DIR\n`,
      );
    }
    if (failed > 0) process.stderr.write(`stampede: ${failed} job(s) of this shard failed; their errors are in ${file} and merge will report them\n`);
    return failed > 0 ? ExitCode.someJobsFailed : ExitCode.ok;
  }
  let code: number;
  try {
    code = finishBatch(plan, outcomes, outDir, args.json);
  } catch (error) {
    // The jobs ran, the outputs could not be written: keep the outcomes for --resume rather than lose them.
    try {
      writeBatchFiles(outDir, [{ path: basename(partialPath), content: partialFileContent(plan, shard, outcomes) }]);
      process.stderr.write(`stampede: the outputs could not be written; the ${outcomes.length} job outcome(s) are kept in ${partialPath}: fix the cause and add --resume\n`);
    } catch {
      // the same cause (a full disk) may stop this too; the error below says what it is
    }
    throw error;
  }
  rmSync(partialPath, { force: true }); // superseded by the outputs
  return code;
}

/** Writes every output of a complete batch and prints its summary; shared by the batch commands and merge. */
export function finishBatch(plan: BatchPlan, outcomes: readonly JobOutcome[], outDir: string, json: boolean): number {
  const { document, aggregate, files } = batchOutputs(plan, outcomes);
  writeBatchFiles(outDir, files);
  if (json) process.stdout.write(`${JSON.stringify({ out: outDir, ...document }, null, 2)}\n`);
  else process.stdout.write(formatBatchText(document, aggregate, outDir));
  if (aggregate.failures.length > 0) {
    const lines = [
      `stampede: ${aggregate.failures.length} of ${aggregate.jobs.total} job(s) failed; the others completed and their results are in ${outDir}`,
      ...aggregate.failures.map(
        (f) => `  job ${f.jobId} (${f.label}, replication ${f.replication}, seed ${f.seed}): ${f.error.name}: ${f.error.message}\n    reproduce: ${f.reproduce}`,
      ),
    ];
    process.stderr.write(`${lines.join('\n')}\n`);
    return ExitCode.someJobsFailed;
  }
  // Like `run` on one run and `gate`: replications exit 1 when an assertion fails. Compare and sweep
  // explore, so a variant that fails is a finding, not an error.
  if (plan.kind === 'replications' && document.assertions.some((v) => v.passed === false)) return ExitCode.assertionFailed;
  return ExitCode.ok;
}

/** The figures a reader looks at first; the full set is in the output files. */
const HEADLINE = [
  'recovery.p99', 'recovery.p999', 'recovery.full', 'reconnectTime.p50', 'reconnectTime.p99', 'attemptsToReconnect.mean',
  'lookup.peakLoadFactor', 'lookup.timedOut', 'server.peakAcceptFactor', 'server.crashes', 'carrierAmplification', 'imbalance.cv',
];

function formatBatchText(document: BatchDocument, agg: Aggregate, outDir: string): string {
  const { plan } = document;
  const lines = [
    `${plan.kind} ${plan.scenario.name}: ${plan.variants.length} variant(s) × ${plan.replications} replication(s) = ${agg.jobs.total} job(s), ${agg.jobs.failed} failed`,
  ];
  const headline = document.metrics.filter((m) => HEADLINE.includes(m.metric));
  const width = Math.max(0, ...headline.map((m) => m.metric.length));
  for (const m of headline) {
    const s = (v: number) => m.variants[v];
    const cell = (v: number) => {
      const stats = s(v);
      const ci = stats.ci95 === null ? '' : ` ± ${num((stats.ci95[1] - stats.ci95[0]) / 2)}`;
      const missing = stats.missing > 0 ? ` (${stats.missing} without value)` : '';
      return `${num(stats.mean)}${ci}${missing}`;
    };
    if (plan.kind === 'compare' && m.comparison) {
      const c = m.comparison;
      const best = c.best === null ? '–' : `${plan.variants[c.best].label} ${cell(c.best)}`;
      const sig = c.significant === null ? '' : c.significant ? ' (significant)' : ' (not significant)';
      lines.push(`  ${m.metric.padEnd(width)}  best: ${best}${sig}`);
    } else if (plan.kind === 'replications') {
      lines.push(`  ${m.metric.padEnd(width)}  ${cell(0)}`);
    }
  }
  if (plan.kind === 'sweep') lines.push(`  grid: ${plan.parameters.map((p) => `${p.name} (${p.values.length})`).join(' × ')}; table: ${join(outDir, 'sweep.csv')}`);
  lines.push(...verdictsText(document));
  lines.push(`  report: ${join(outDir, 'index.html')} (and ${plan.kind}.md, ${plan.kind}.json, runs.csv, stats.csv${plan.kind === 'replications' ? '' : ', charts/'})`);
  return `${lines.join('\n')}\n`;
}

/** The assertions' verdicts: each one for replications (as `run` prints them), a count per variant otherwise. */
function verdictsText(document: BatchDocument): string[] {
  const { plan, assertions } = document;
  if (assertions.length === 0) return [];
  if (plan.kind === 'replications') {
    return verdictLines(assertions.map((v) => ({ ...v, source: v.assertion })), (v) => `not judged: ${v.measured}`);
  }
  const passing = variantsPassing(plan, assertions);
  const failing = plan.variants.filter((variant) => !passing.includes(variant)).map((variant) => {
    const failed = assertions.filter((v) => v.variant === variant.id && v.passed !== true);
    return `${oneLine(variant.label)} (${failed.map((v) => `${oneLine(v.assertion)}${v.passed === null ? ': not judged' : ''}`).join('; ')})`;
  });
  return [`  assertions: ${passing.length} of ${plan.variants.length} variant(s) pass every one${failing.length === 0 ? '' : `; not: ${failing.join(', ')}`}`];
}

export { workerCount };
