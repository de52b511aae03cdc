// `stampede gate FILES...`: run each scenario, judge its assertions, print a
// table, optionally write JUnit XML and a Markdown summary. Exit code 0 when
// every assertion passed, 1 when one failed, 2 for invalid input (before any
// run), 70 when a run crashed. Thin: the work is in sim/gate/.
import { integerFlag } from './usage-error.ts';
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { Argv } from 'yargs';
import { GateInputError, loadTargets, runGate, type GateReport } from '../gate/gate.ts';
import { junitXml } from '../gate/junit.ts';
import { gateMarkdown } from '../gate/markdown.ts';
import { ExitCode } from './exit-codes.ts';
import { printVerdicts, singleRunVerdicts, verdictLines, type SingleRunVerdict } from './verdicts.ts';
import { Progress } from './progress.ts';
import { checkMemory } from './run.ts';
import { MAX_JOBS } from '../batch/jobs.ts';
import { expandGlobs } from './globs.ts';

export { expandGlobs, printVerdicts, singleRunVerdicts, verdictLines, type SingleRunVerdict };
import { fsCause, makeDirectory, OutputError, specialFileKind, writeAtomically } from './output.ts';
import { formatInteger } from '../format-integer.ts';

export interface GateArgs {
  files: string[];
  set: string[];
  maxClients?: number;
  seed?: number;
  replications: number;
  workers?: number;
  junit?: string;
  summary?: string;
  quiet: boolean;
  /** `8GB`, `off`, or undefined for the machine's free memory. */
  memoryLimit?: string;
}

export function gateBuilder(y: Argv) {
  return y
    .positional('files', { type: 'string', array: true, describe: 'Scenario files or globs (quote globs: \'scenarios/*.yaml\')', demandOption: true })
    .option('set', { type: 'string', array: true, default: [], describe: 'Override a field in every scenario: --set population.clients=50000 (repeatable)' })
    .option('max-clients', { type: 'string', coerce: integerFlag('max-clients', 1), describe: 'Run a scenario of more clients at this many, one of fewer at its own (after --set)' })
    .option('seed', { type: 'string', coerce: integerFlag('seed', 0), describe: "Root seed (overrides each scenario's seed)" })
    .option('replications', { type: 'string', coerce: integerFlag('replications'), default: 1, describe: 'Runs per scenario (seeds derived from its seed); assertions say `for every|mean|ci-upper|ci-lower`' })
    .option('workers', { type: 'string', coerce: integerFlag('workers'), describe: 'Worker threads for several runs (default: one per core)' })
    .option('junit', { type: 'string', describe: 'Write JUnit XML here: one test case per assertion' })
    .option('summary', { type: 'string', describe: 'Write a Markdown summary here (e.g. "$GITHUB_STEP_SUMMARY")' })
    .option('quiet', { type: 'boolean', default: false, describe: 'No progress on stderr' })
    .option('memory-limit', { type: 'string', describe: "Refuse scenarios whose parallel runs are estimated to need more than this (e.g. 8GB; `off` to skip; default: the machine's free memory)" })
    .example("$0 gate 'scenarios/*.yaml' --max-clients 50000 --junit reports/gate-junit.xml", 'The CI gate on the catalogue')
    .example('$0 gate scenarios/lookup-outage.yaml --replications 10', 'Ten seeds; `for mean` / `for ci-upper` assertions need them')
    .epilogue('Exit codes: 0 every assertion passed, 1 an assertion failed, 2 invalid input (no run started), 70 internal error (a run crashed). Grammar and metrics: docs/gate.md.')
    .strict();
}

export async function gateCommand(args: GateArgs): Promise<number> {
  try {
    return await gate(args);
  } catch (error) {
    if (error instanceof GateInputError) {
      process.stderr.write(`stampede gate: ${error.message}\n`);
      return ExitCode.invalidInput;
    }
    throw error;
  }
}

async function gate(args: GateArgs): Promise<number> {
  const files = expandGlobs(args.files);
  const workers = args.workers ?? availableParallelism();
  if (!Number.isInteger(workers) || workers < 1) throw new GateInputError(`--workers must be a positive integer, got ${args.workers}`);
  const overrides = [...args.set, ...(args.seed === undefined ? [] : [`seed=${args.seed}`])];
  const targets = loadTargets(files, overrides, args.maxClients);
  // Before any run: a report path that cannot be written, or that names an input, fails now, not after the gate.
  const reports = [['--junit', args.junit], ['--summary', args.summary]].filter((r): r is [string, string] => r[1] !== undefined);
  for (const [flag, path] of reports) checkReportPath(flag, path, files);
  if (reports.length === 2 && samePath(reports[0][1], reports[1][1])) {
    throw new OutputError(`--junit and --summary name the same file (${args.summary}): give each its own`);
  }
  for (const target of targets) for (const warning of target.warnings) process.stderr.write(`stampede: warning: ${warning}\n`);
  // Before any run: the runs of a scenario go to the workers together.
  const runs = targets.filter((t) => t.scenario.assert.length > 0).length * args.replications;
  if (runs > MAX_JOBS) {
    throw new GateInputError(`${formatInteger(runs)} runs (${formatInteger(args.replications)} replications of each scenario with assertions); a gate may have at most ${formatInteger(MAX_JOBS)}`);
  }
  for (const target of targets) {
    if (target.scenario.assert.length > 0) checkMemory(target.scenario, args.memoryLimit, Math.max(1, Math.min(workers, runs)));
  }

  let progress: Progress | null = null;
  const report = await runGate(targets, args.replications, {
    workers,
    onRunDone: (done, total) => {
      progress ??= new Progress(args.quiet ? null : process.stderr, total, 'runs');
      progress.update(done);
    },
  });
  (progress as Progress | null)?.done();

  process.stdout.write(gateText(report));
  if (args.junit !== undefined) writeReport(args.junit, junitXml(report));
  if (args.summary !== undefined) writeReport(args.summary, gateMarkdown(report));
  if (report.errored > 0) return ExitCode.internalError;
  return report.failed > 0 ? ExitCode.assertionFailed : ExitCode.ok;
}

function writeReport(path: string, content: string): void {
  writeAtomically(path, content, { intoSpecialFile: true });
}

/** Refuses (exit code 2, before any run) a report path that is a directory, unwritable, or one of the input scenarios. */
export function checkReportPath(flag: string, path: string, inputs: readonly string[]): void {
  if (path === '') throw new OutputError(`${flag}: expected a file name, found ""`);
  if (specialFileKind(path) !== null) return; // /dev/stdout, a pipe: written as they are
  const input = inputs.find((file) => samePath(file, path));
  if (input !== undefined) throw new OutputError(`${flag} ${path} would overwrite the scenario file ${input}, an input of this gate: name another file`);
  let stats;
  try {
    stats = statSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new OutputError(`${flag} ${path}: cannot write it: ${fsCause(error)}`);
  }
  if (stats?.isDirectory()) throw new OutputError(`${flag} ${path}: is a directory; name a file to write`);
  const dir = dirname(path);
  try {
    makeDirectory(dir);
  } catch (error) {
    throw new OutputError(`${flag} ${path}: ${(error as Error).message}`);
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch (error) {
    throw new OutputError(`${flag} ${path}: cannot write into ${dir}: ${fsCause(error)}`);
  }
}

/** Whether two paths name the same file (through symbolic links too), or would. */
function samePath(a: string, b: string): boolean {
  try {
    const [x, y] = [statSync(a), statSync(b)];
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    const real = (path: string) => {
      try {
        return realpathSync(path);
      } catch {
        return resolve(path);
      }
    };
    return real(a) === real(b);
  }
}

// ---------------------------------------------------------------------------
// Text

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => [...r[c]].length)));
  return rows.map((r) => r.map((text, c) => (c === r.length - 1 ? text : text.padEnd(widths[c] + [...text].length - text.length))).join('  ').trimEnd());
}

export function gateText(report: GateReport): string {
  const rows = [['verdict', 'scenario', 'assertion', 'measured', 'limit']];
  const notes: string[] = [];
  for (const scenario of report.scenarios) {
    if (scenario.errors.length > 0) {
      for (const a of scenario.assertions) rows.push(['ERROR', scenario.name, a.source, 'run failed', '']);
      for (const e of scenario.errors) notes.push(`${scenario.name}: seed ${e.seed} failed: ${e.error}\n  reproduce: ${e.reproduce}`);
      continue;
    }
    for (const v of scenario.verdicts) {
      const note = v.judgement.note === '' ? '' : ` (${v.judgement.note})`;
      rows.push([v.judgement.passed ? 'PASS' : 'FAIL', scenario.name, v.assertion.source, v.measuredText + note, `${v.assertion.comparator} ${v.limitText}`]);
      if (!v.judgement.passed) {
        const runs = v.judgement.failingRuns.length > 0 ? v.judgement.failingRuns : [0];
        notes.push(`${scenario.name}: ${v.assertion.source} failed; reproduce: ${runs.map((i) => scenario.reproduce[i]).join(' ; ')}`);
      }
    }
  }
  const runs = report.replications === 1 ? '1 run each' : `${report.replications} runs each`;
  const counts = [`${report.passed} passed`, `${report.failed} failed`, ...(report.errored > 0 ? [`${report.errored} not decided (a run failed)`] : [])];
  const lines = [...table(rows), ''];
  if (notes.length > 0) lines.push(...notes, '');
  if (report.skipped.length > 0) lines.push(`no assert: section, not run: ${report.skipped.map((s) => s.file).join(', ')}`);
  const verdict = report.errored > 0 ? 'ERROR' : report.failed > 0 ? 'FAILED' : 'PASSED';
  lines.push(`gate ${verdict}: ${counts.join(', ')} (${report.passed + report.failed + report.errored} assertions in ${report.scenarios.length} scenario(s), ${runs})`);
  return `${lines.join('\n')}\n`;
}


