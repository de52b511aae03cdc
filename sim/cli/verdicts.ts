// One run's verdicts on its scenario's `assert:` lines, for `stampede run` (and the gate's and
// batches' verdict lines); apart from the gate's module so that a run does not load the gate.
import type { RunResult } from '../result.ts';
import type { Scenario } from '../scenario/types.ts';
import { evaluateLimit, formatLimit, formatMeasured, judge, measure } from '../gate/assertions.ts';
import { oneLine } from '../batch/format.ts';
import { ExitCode } from './exit-codes.ts';

/**
 * For `stampede run`: the verdict of each of the scenario's assertions on
 * this one run, printed after its summary; the exit code 1 if one failed.
 * Assertions on a confidence bound cannot be judged on one run: skipped.
 */
/** One run's verdict on one assertion of its scenario. */
export interface SingleRunVerdict {
  source: string;
  /** Null: not judged (a confidence bound needs replications). */
  passed: boolean | null;
  measured: string;
  limit: string;
}

/** The scenario's `assert:` lines judged on one run (what `stampede run` prints and puts in the report). */
export function singleRunVerdicts(scenario: Scenario, result: RunResult): SingleRunVerdict[] {
  return scenario.assert.map((assertion) => {
    if (assertion.over === 'ci-upper' || assertion.over === 'ci-lower') {
      return { source: assertion.source, passed: null, measured: 'needs replications', limit: '' };
    }
    const limit = evaluateLimit(assertion.limit, scenario);
    const judgement = judge(assertion, limit, [measure(assertion, result)], () => null);
    const note = judgement.note === '' ? '' : `, ${judgement.note}`;
    return {
      source: assertion.source,
      passed: judgement.passed,
      measured: `${formatMeasured(assertion, judgement.compared)}${note}`,
      limit: `${assertion.comparator} ${formatLimit(assertion, limit)}`,
    };
  });
}

/** Prints the verdicts; exit code 1 if one failed. */
export function printVerdicts(verdicts: readonly SingleRunVerdict[], out: NodeJS.WritableStream): number {
  if (verdicts.length === 0) return ExitCode.ok;
  out.write(`${verdictLines(verdicts, () => 'a confidence bound needs replications: stampede gate --replications N').join('\n')}\n`);
  return verdicts.some((v) => v.passed === false) ? ExitCode.assertionFailed : ExitCode.ok;
}

/** The `gate:` block printed after a run's summary (`run`, `run --replications`); `skipped` says why one was not judged. */
export function verdictLines(verdicts: readonly SingleRunVerdict[], skipped: (v: SingleRunVerdict) => string): string[] {
  return [
    '  gate:',
    ...verdicts.map((v) =>
      v.passed === null
        ? `    SKIP  ${oneLine(v.source)}  (${skipped(v)})`
        : `    ${v.passed ? 'PASS' : 'FAIL'}  ${oneLine(v.source)}  (measured ${v.measured}; limit ${v.limit})`,
    ),
  ];
}
