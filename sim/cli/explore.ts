// `stampede explore FILE`: searches the scenario's `explore:` space for runs
// that break its gate, shrinks each failure to a runnable scenario, and flags
// metastable runs (sim/explore/, docs/explore.md). Writes explore.json,
// explore.md, failures/*.yaml and index.html; interruptible, and resumable
// from explore.partial.json.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { integerFlag, UsageError } from './usage-error.ts';
import { claimOutputDir, OutputError, safeOutputDir } from './output.ts';
import { Interruption, shellCommand } from './interrupt.ts';
import { workerCount, writeBatchFiles } from './batch.ts';
import { checkMemory } from './run.ts';
import { ExitCode } from './exit-codes.ts';
import { loadScenarioFile } from '../scenario/load.ts';
import { Explorer, ExploreInputError, failing, type ExploreFindings } from '../explore/search.ts';
import { exploreFiles, failureFile } from '../explore/output.ts';
import type { JobOutcome } from '../batch/protocol.ts';
import { VERSION } from '../version.ts';

export interface ExploreArgs {
  file: string;
  set: string[];
  runs?: number;
  seed?: number;
  workers?: number;
  out?: string;
  json: boolean;
  quiet: boolean;
  force: boolean;
  resume: boolean;
  memoryLimit?: string;
}

const PARTIAL = 'explore.partial.json';

export function exploreBuilder(y: Argv) {
  return y
    .positional('file', { type: 'string', describe: 'Scenario file (YAML) with an explore: section', demandOption: true })
    .option('set', { type: 'string', array: true, default: [], describe: 'Override a field for every run, explore.* included (repeatable)' })
    .option('runs', { type: 'string', coerce: integerFlag('runs', 0), describe: 'Random draws to run (overrides explore.runs)' })
    .option('seed', { type: 'string', coerce: integerFlag('seed', 0), describe: 'Seed of the draws (overrides explore.seed)' })
    .option('workers', { type: 'string', coerce: integerFlag('workers'), describe: 'Worker threads (default: one per core); the findings do not depend on it' })
    .option('out', { type: 'string', describe: 'Output directory (default reports/<scenario>/explore-seed-<seed>)' })
    .option('json', { type: 'boolean', default: false, describe: 'Print the findings as JSON on stdout' })
    .option('quiet', { type: 'boolean', default: false, describe: 'No progress on stderr' })
    .option('force', { type: 'boolean', default: false, describe: 'Overwrite earlier results in the output directory' })
    .option('resume', { type: 'boolean', default: false, describe: 'Finish an interrupted search from its partial file' })
    .option('memory-limit', { type: 'string', describe: "Refuse a search whose parallel runs are estimated to need more than this (e.g. 8GB; `off`)" })
    .example('$0 explore scenarios/explore-lookup-outage.yaml', 'Where the 20-minute target breaks, and why')
    .example('$0 explore scenarios/explore-lookup-outage.yaml --runs 0', 'Only the boundaries (bisection) and no random draws')
    .strict();
}

export async function exploreCommand(args: ExploreArgs): Promise<number> {
  const overrides = [...args.set, ...(args.runs === undefined ? [] : [`explore.runs=${args.runs}`]), ...(args.seed === undefined ? [] : [`explore.seed=${args.seed}`])];
  const { scenario } = loadScenarioFile(args.file, overrides);
  if (scenario.explore === null) throw new UsageError(`${args.file}: no explore: section; add one (docs/explore.md) or --set explore.ranges.PATH=A..B`);
  const workers = workerCount(args.workers);
  checkMemory(scenario, args.memoryLimit, workers);
  const outDir = args.out ?? safeOutputDir('reports', scenario.name, `explore-seed-${scenario.explore.seed}`);
  const claim = claimOutputDir(outDir, { force: args.force, allow: (name) => name === PARTIAL });
  try {
    return await explore(args, overrides, outDir, workers);
  } catch (error) {
    if (error instanceof ExploreInputError) throw new UsageError(error.message);
    throw error;
  } finally {
    claim.release();
  }
}

async function explore(args: ExploreArgs, overrides: string[], outDir: string, workers: number): Promise<number> {
  const partialPath = join(outDir, PARTIAL);
  if (!args.resume && !args.force && existsSync(partialPath)) {
    throw new OutputError(`${outDir} holds an interrupted search (${PARTIAL}): add --resume to finish it, or --force to start over`);
  }
  const cache = args.resume ? readPartial(partialPath, args.file, overrides) : new Map<string, JobOutcome>();
  const known = cache.size;
  const interruption = new Interruption(process.stderr, 'stopping the workers; the runs that finished are kept').install();
  const abort = new AbortController();
  void interruption.whenRequested().then(() => abort.abort());
  const started = process.hrtime.bigint();
  const tty = !args.quiet && process.stderr.isTTY === true;
  let broken = 0;
  const explorer = new Explorer({
    file: args.file,
    baseOverrides: overrides,
    workers,
    cache,
    signal: abort.signal,
    elapsed: () => Number(process.hrtime.bigint() - started) / 1e9,
    onRun: (record) => {
      if (failing(record)) broken++;
      if (tty) process.stderr.write(`\rstampede explore: ${record.id + 1} runs (${record.phase}), ${broken} break the gate\x1b[K`);
    },
  });
  let findings: ExploreFindings;
  try {
    findings = await explorer.search();
  } finally {
    if (tty) process.stderr.write('\n');
  }
  const { scenario } = loadScenarioFile(args.file, overrides);
  if (findings.interrupted) {
    writeBatchFiles(outDir, [{ path: PARTIAL, content: partialContent(args.file, overrides, cache) }]);
    const again = process.argv.slice(2);
    if (!again.includes('--resume')) again.push('--resume');
    process.stderr.write(
      `stampede: interrupted after ${cache.size} run(s) (${known} known before); they are kept in ${partialPath}.\n` +
        `To finish the search: ${shellCommand(['stampede', ...again])}\n`,
    );
    return interruption.exitCode;
  }
  interruption.dispose();
  writeBatchFiles(outDir, exploreFiles(findings, { file: args.file, baseOverrides: overrides, scenario, config: scenario.explore!, outDir }));
  rmSync(partialPath, { force: true });
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ out: outDir, boundaries: findings.boundaries, failures: findings.failures.map((f, k) => ({ signature: f.signature, file: join(outDir, failureFile(k + 1)), overrides: f.run.overrides })), metastable: findings.metastable, runs: findings.runs.length }, null, 2)}\n`);
  } else {
    process.stdout.write(summaryText(findings, outDir));
  }
  return findings.runs.some(failing) ? ExitCode.assertionFailed : ExitCode.ok;
}

function summaryText(findings: ExploreFindings, outDir: string): string {
  const lines = [`explore: ${findings.runs.length} runs, ${findings.runs.filter(failing).length} break the gate, ${findings.metastable.length} metastable`];
  for (const b of findings.boundaries) {
    lines.push(b.value === null ? `  ${b.path}: ${b.note}` : `  ${b.path}: the gate flips at ${b.value} (between ${b.below} and ${b.above}; ${b.failsBelow ? 'fails below' : 'passes below'})`);
  }
  findings.failures.forEach((f, k) => lines.push(`  failure ${k + 1}: ${f.signature} → ${join(outDir, failureFile(k + 1))}`));
  lines.push(`  report: ${join(outDir, 'index.html')}`);
  return `${lines.join('\n')}\n`;
}

interface PartialFile {
  stampede: string;
  file: string;
  overrides: string[];
  outcomes: [string, JobOutcome][];
}

function partialContent(file: string, overrides: string[], cache: Map<string, JobOutcome>): string {
  const content: PartialFile = { stampede: VERSION, file, overrides, outcomes: [...cache.entries()] };
  return `${JSON.stringify(content)}\n`;
}

/** The runs an interrupted search finished, if its partial file is of this search (same file, overrides and version). */
function readPartial(path: string, file: string, overrides: string[]): Map<string, JobOutcome> {
  if (!existsSync(path)) throw new UsageError(`--resume: there is no ${path} to resume from`);
  let parsed: PartialFile;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as PartialFile;
  } catch (error) {
    throw new UsageError(`--resume: ${path} is not a partial file of stampede explore: ${(error as Error).message}`);
  }
  const valid = parsed !== null && typeof parsed === 'object' && Array.isArray(parsed.outcomes) && Array.isArray(parsed.overrides) &&
    parsed.outcomes.every((entry) => Array.isArray(entry) && typeof entry[0] === 'string' && entry[1] !== null && typeof entry[1] === 'object');
  if (!valid) throw new UsageError(`--resume: ${path} is not a partial file of stampede explore`);
  if (parsed.stampede !== VERSION || parsed.file !== file || JSON.stringify(parsed.overrides) !== JSON.stringify(overrides)) {
    throw new UsageError(`--resume: ${path} is from another search (file, --set flags or stampede version differ); use --force to start over`);
  }
  return new Map(parsed.outcomes);
}
