// One fuzz case, run in a worker thread so that the test can tell a hang (no
// answer within its time limit) from a slow case, and terminate it.
//
// A case passes when the text is either rejected with a clean ScenarioError
// (every issue names the file, a position or an override, and a path when it
// is about a field) or loads, reloads identically from its canonical form and
// then runs: shrunk to at most 50 clients and 2 simulated minutes, so a run
// takes milliseconds.
import { parentPort } from 'node:worker_threads';
import { ScenarioError, canonicalScenario, formatIssue, parseScenarioText } from '../../sim/scenario/load.ts';
import type { Scenario } from '../../sim/scenario/types.ts';
import { runScenario } from '../../sim/simulation.ts';

export const FUZZ_FILE = 'fuzz.yaml';

export type CaseOutcome =
  | { outcome: 'rejected'; issues: number }
  | { outcome: 'ran'; events: number }
  | { outcome: 'failed'; stage: string; detail: string };

export function runCase(text: string): CaseOutcome {
  let scenario: Scenario;
  try {
    scenario = parseScenarioText(text, FUZZ_FILE).scenario;
  } catch (error) {
    if (!(error instanceof ScenarioError)) return failed('load threw something other than a ScenarioError', error);
    const bad = error.issues.find((issue) => badIssue(issue, text) !== undefined);
    if (bad !== undefined) return { outcome: 'failed', stage: 'error message', detail: `${badIssue(bad, text)}: ${formatIssue(bad)}` };
    if (!error.message.startsWith(`${FUZZ_FILE}:`)) return { outcome: 'failed', stage: 'error message', detail: error.message };
    return { outcome: 'rejected', issues: error.issues.length };
  }
  try {
    const again = parseScenarioText(JSON.stringify(canonicalScenario(scenario)), FUZZ_FILE).scenario;
    const [a, b] = [JSON.stringify(again), JSON.stringify(scenario)];
    if (a !== b) return { outcome: 'failed', stage: 'canonical reload', detail: `reloaded ${a}\nexpected ${b}` };
  } catch (error) {
    return failed('canonical form does not reload', error);
  }
  try {
    return { outcome: 'ran', events: runScenario(tiny(scenario)).summary.events };
  } catch (error) {
    return failed('run threw', error);
  }
}

/** Why an issue is not a clean error, or undefined. */
function badIssue(issue: ScenarioError['issues'][number], text: string): string | undefined {
  if (issue.file !== FUZZ_FILE) return 'names another file';
  if (issue.message.trim() === '') return 'has no message';
  if (/\n\s+at /.test(issue.message)) return 'holds a stack trace';
  if (issue.line !== undefined) {
    const lines = text.split(/\r\n|\r|\n/).length;
    if (!(issue.line >= 1 && issue.line <= lines + 1)) return `points at line ${issue.line} of ${lines}`;
    if (!(issue.column !== undefined && issue.column >= 1)) return 'has a line but no column';
  } else if (issue.path === '' && !/empty|binary|mapping/.test(issue.message)) {
    return 'has neither a position nor a path';
  }
  return undefined;
}

/** At most 50 clients and 2 simulated minutes, faults moved proportionally so that they still happen. */
function tiny(s: Scenario): Scenario {
  const duration = Math.min(s.duration, 120);
  const k = duration / s.duration;
  return {
    ...s,
    duration,
    population: { ...s.population, clients: Math.min(s.population.clients, 50) },
    faults: s.faults.map((fault) => ({ ...fault, at: fault.at * k })),
  };
}

function failed(stage: string, error: unknown): CaseOutcome {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return { outcome: 'failed', stage, detail };
}

if (parentPort) {
  const port = parentPort;
  port.on('message', ({ id, text }: { id: number; text: string }) => {
    let result: CaseOutcome;
    try {
      result = runCase(text);
    } catch (error) {
      result = failed('case', error);
    }
    port.postMessage({ id, ...result });
  });
}
