// `stampede validate FILES...`: checks scenario files without running them.
// Prints `ok FILE` or each issue as FILE:LINE:COL: PATH: MESSAGE; exit code 0
// when every file is valid (warnings allowed), 2 when one is not.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { GateInputError } from '../gate/errors.ts';
import { ScenarioError, loadScenarioFile, type ScenarioIssue } from '../scenario/load.ts';
import { ExitCode } from './exit-codes.ts';
import { expandGlobs } from './globs.ts';

export interface ValidateArgs {
  files: string[];
  set: string[];
  json: boolean;
}

export interface FileVerdict {
  file: string;
  ok: boolean;
  /** Errors, in reading order; empty when ok. */
  issues: ScenarioIssue[];
  /** Formatted like issues: the scenario is valid but probably not what was meant. */
  warnings: string[];
}

export function validateBuilder(y: Argv) {
  return y
    .positional('files', {
      type: 'string',
      array: true,
      describe: "Scenario files, directories (every .yaml/.yml below) or globs (quote them: 'scenarios/**/*.yaml')",
      demandOption: true,
    })
    .option('set', { type: 'string', array: true, default: [], describe: 'Validate with an override applied: --set population.clients=50000 (repeatable)' })
    .option('json', { type: 'boolean', default: false, describe: 'Print the verdicts as JSON on stdout' })
    .example('$0 validate scenarios/', 'Every scenario of the catalogue')
    .example("$0 validate 'scenarios/*.yaml' --json", 'Machine-readable, for editors and CI')
    .epilogue('Exit codes: 0 every file is valid (warnings allowed), 2 a file is invalid or no file matches. Error format: docs/errors.md.')
    .strict();
}

export async function validateCommand(args: ValidateArgs): Promise<number> {
  let files: string[];
  try {
    files = scenarioFiles(args.files);
  } catch (error) {
    if (!(error instanceof GateInputError)) throw error;
    process.stderr.write(`stampede validate: ${error.message}\n`);
    return ExitCode.invalidInput;
  }
  const verdicts = files.map((file) => validateFile(file, args.set));
  const invalid = verdicts.filter((v) => !v.ok).length;
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ ok: verdicts.length - invalid, invalid, files: verdicts }, null, 2)}\n`);
  } else {
    process.stdout.write(validateText(verdicts));
  }
  return invalid > 0 ? ExitCode.invalidInput : ExitCode.ok;
}

/** Loads one file the way `run` would; never throws for a bad scenario. */
export function validateFile(file: string, overrides: readonly string[] = []): FileVerdict {
  try {
    const { warnings } = loadScenarioFile(file, [...overrides]);
    return { file, ok: true, issues: [], warnings };
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    return { file, ok: false, issues: error.issues, warnings: [] };
  }
}

export function validateText(verdicts: readonly FileVerdict[]): string {
  const lines: string[] = [];
  for (const verdict of verdicts) {
    if (verdict.ok) {
      for (const warning of verdict.warnings) lines.push(`warning: ${warning}`);
      const note = verdict.warnings.length === 0 ? '' : ` (${verdict.warnings.length} warning${verdict.warnings.length === 1 ? '' : 's'})`;
      lines.push(`ok ${verdict.file}${note}`);
    } else {
      lines.push(new ScenarioError(verdict.issues).message);
    }
  }
  const invalid = verdicts.filter((v) => !v.ok).length;
  if (verdicts.length > 1) lines.push(`${verdicts.length} files: ${verdicts.length - invalid} ok, ${invalid} invalid`);
  return `${lines.join('\n')}\n`;
}

/** Globs expanded, directories replaced by the .yaml/.yml files below them (sorted); duplicates dropped. */
function scenarioFiles(patterns: readonly string[]): string[] {
  const seen = new Set<string>();
  const files: string[] = [];
  for (const path of expandGlobs(patterns)) {
    for (const file of isDirectory(path) ? yamlFilesUnder(path) : [path]) {
      if (!seen.has(file)) files.push(file);
      seen.add(file);
    }
  }
  return files;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function yamlFilesUnder(dir: string): string[] {
  // readdir's recursion does not follow symbolic links to directories, so a link loop cannot trap it.
  const found = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => join(dir, name))
    .filter((path) => !isDirectory(path))
    .sort();
  if (found.length === 0) throw new GateInputError(`${dir}: no .yaml or .yml files in this directory`);
  return found;
}
