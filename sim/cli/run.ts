// `stampede run FILE`: one scenario, one seed, one result directory.
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadScenarioFile } from '../scenario/load.ts';
import { runScenario } from '../simulation.ts';
import { ExitCode } from './exit-codes.ts';
import { formatSummary } from './summary-text.ts';
import { Progress } from './progress.ts';

export interface RunArgs {
  file: string;
  seed?: number;
  set: string[];
  out?: string;
  json: boolean;
  quiet: boolean;
}

export async function runCommand(args: RunArgs): Promise<number> {
  const overrides = [...args.set];
  if (args.seed !== undefined) overrides.push(`seed=${args.seed}`);
  const { scenario, warnings } = loadScenarioFile(args.file, overrides);
  for (const warning of warnings) process.stderr.write(`stampede: warning: ${warning}\n`);

  const progress = new Progress(args.quiet ? null : process.stderr, scenario.duration);
  const started = process.hrtime.bigint();
  const result = runScenario(scenario, { onProgress: (t) => progress.update(t) });
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  progress.done();

  const outDir = args.out ?? defaultOutDir(scenario.name, scenario.seed, args.set);
  mkdirSync(outDir, { recursive: true });
  writeAtomically(join(outDir, 'result.json'), `${JSON.stringify(result)}\n`);

  if (args.json) {
    process.stdout.write(`${JSON.stringify({ scenario: scenario.name, seed: scenario.seed, out: outDir, summary: result.summary }, null, 2)}\n`);
  } else {
    process.stdout.write(formatSummary(scenario, result.summary, { wallSeconds, outDir }));
  }
  return ExitCode.ok;
}

/** reports/<scenario>/seed-<seed>, plus a short hash of the overrides so variants do not collide. */
export function defaultOutDir(name: string, seed: number, overrides: string[]): string {
  const base = `seed-${seed}`;
  if (overrides.length === 0) return join('reports', name, base);
  const hash = createHash('sha256').update(overrides.join('\n')).digest('hex').slice(0, 8);
  return join('reports', name, `${base}-${hash}`);
}

function writeAtomically(path: string, content: string): void {
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, content);
  renameSync(temporary, path);
}
