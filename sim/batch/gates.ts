// The scenario's `assert:` section, judged over each variant's runs exactly
// as `stampede gate --replications R` judges it (every run, the mean, or a
// bound of the 95 % interval: sim/gate/assertions.ts). What decides a verdict
// is in the plan (each variant's assertions and their limits, worked out for
// that variant's scenario) and in the outcomes (each run's measured values,
// taken in the worker from the full result, so `after T` works too): the
// verdicts are a pure function of both, like every other output.
import { formatLimit, formatMeasured, judge, parseAssertion } from '../gate/assertions.ts';
import { fromJsonNumber, markdownTable, type JsonNumber } from './format.ts';
import type { BatchPlan, Job } from './jobs.ts';
import type { JobOutcome } from './protocol.ts';
import { describe } from './stats.ts';

/** One assertion of a variant's scenario: its text and its limit for that variant (`0.8 * capacity` depends on it). */
export interface VariantAssertion {
  source: string;
  limit: JsonNumber;
}

export interface BatchVerdict {
  variant: number;
  assertion: string;
  /** null: not decided (a run of the variant failed, or a confidence bound with one run). */
  passed: boolean | null;
  /** The compared value and what it is (`1046 s (17.4 min) (worst of 5 runs)`), or why there is no verdict (passed null). */
  measured: string;
  /** `<= 1200 s (20.0 min)` */
  limit: string;
}

export function batchVerdicts(plan: BatchPlan, jobs: readonly Job[], outcomes: readonly JobOutcome[]): BatchVerdict[] {
  const interval = (sample: readonly number[]) => describe(sample).ci95;
  return plan.variants.flatMap((variant) => {
    const mine = outcomes.filter((_, i) => jobs[i].variant === variant.id);
    const failed = mine.filter((o) => !o.ok).length;
    return variant.assertions.map((given, k): BatchVerdict => {
      const assertion = parseAssertion(given.source);
      const limit = fromJsonNumber(given.limit) ?? Number.NaN;
      const limitText = `${assertion.comparator} ${formatLimit(assertion, limit)}`;
      const undecided = (why: string): BatchVerdict => ({ variant: variant.id, assertion: given.source, passed: null, measured: why, limit: limitText });
      if (failed > 0) return undecided(`${failed} of ${mine.length} runs failed`);
      if ((assertion.over === 'ci-upper' || assertion.over === 'ci-lower') && mine.length < 2) {
        return undecided('a confidence bound needs at least 2 replications');
      }
      const values = mine.map((o) => (o.ok ? fromJsonNumber(o.result.assertions[k]) : null));
      const judgement = judge(assertion, limit, values, interval);
      const detail = [judgement.basis, judgement.note].filter((text) => text !== '').join(', ');
      const measured = formatMeasured(assertion, judgement.compared);
      return {
        variant: variant.id,
        assertion: given.source,
        passed: judgement.passed,
        measured: detail === '' ? measured : `${measured} (${detail})`,
        limit: limitText,
      };
    });
  });
}

/** The variants that pass every one of their assertions. */
export function variantsPassing(plan: BatchPlan, verdicts: readonly BatchVerdict[]): BatchPlan['variants'] {
  return plan.variants.filter((variant) => verdicts.every((v) => v.variant !== variant.id || v.passed === true));
}

/** "## Assertions" for a batch's summary: a verdict per variant and assertion; '' when the scenario has none. */
export function verdictsMarkdown(plan: BatchPlan, verdicts: readonly BatchVerdict[]): string {
  if (verdicts.length === 0) return '';
  const several = plan.variants.length > 1;
  const word = (v: BatchVerdict) => (v.passed === null ? 'not judged' : v.passed ? 'pass' : 'FAIL');
  const rows = verdicts.map((v) => [...(several ? [plan.variants[v.variant].label] : []), `\`${v.assertion}\``, word(v), v.measured, v.limit]);
  const passing = variantsPassing(plan, verdicts);
  const lead =
    `The scenario's \`assert:\` section, judged over ${several ? "each variant's" : 'the'} ${plan.replications} run(s) as ` +
    `\`stampede gate --replications ${plan.replications}\` judges it (\`for every\` by default: the worst run).` +
    (several ? ` ${passing.length} of ${plan.variants.length} variants pass every assertion${passing.length === 0 ? '' : `: ${passing.map((v) => v.label).join('; ')}`}.` : '');
  return [
    '## Assertions\n',
    `${lead}\n`,
    markdownTable([...(several ? ['variant'] : []), 'assertion', 'verdict', 'measured', 'limit'], rows),
  ].join('\n');
}
