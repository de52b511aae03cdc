// `run --replications R`: one variant (the scenario as configured) run with R
// seeds; per metric the mean, standard deviation and 95 % interval.
import type { Aggregate } from './aggregate.ts';
import { failuresMarkdown, interval, markdownTable, meanPlusMinus, num } from './format.ts';
import type { BatchPlan } from './jobs.ts';
import type { OutputFile } from './outputs.ts';

/** `verdicts`: the Assertions section (gates.ts), '' when the scenario has none. */
export function replicationsOutputs(plan: BatchPlan, agg: Aggregate, verdicts: string): OutputFile[] {
  const rows = agg.metrics.map((m) => {
    const s = m.stats[0];
    return [m.metric, meanPlusMinus(s), interval(s.ci95), num(s.sd), String(s.n), String(s.missing)];
  });
  const content = [
    `# Replications: ${plan.scenario.name}\n`,
    `Scenario \`${plan.scenario.file}\`, root seed ${plan.rootSeed}, ${plan.replications} replication(s) with seeds ` +
      `${plan.seeds.join(', ')}. ${agg.jobs.total} jobs, ${agg.jobs.failed} failed. ` +
      `Intervals: two-sided 95 %, Student t with n − 1 degrees of freedom; "no value" counts runs where the metric ` +
      `has none (e.g. recovery not reached) and are left out of its statistics.\n`,
    // The verdicts first: they say whether the scenario holds, the table says by how much.
    verdicts,
    '## Metrics\n',
    markdownTable(['metric', 'mean ± 95 %', '95 % CI', 'sd', 'n', 'no value'], rows),
    failuresMarkdown(agg.failures),
  ];
  return [{ path: 'replications.md', content: content.filter((p) => p !== '').join('\n') }];
}
