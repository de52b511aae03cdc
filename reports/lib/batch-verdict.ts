// What a batch page says before any table, read from the tables of the
// batch's own summary (so the page cannot disagree with compare.md or
// sweep.md): the compare verdict on the metrics the scenario's assertions
// name, and per metric chart of a sweep, the variants that never reached a
// value ("not reached") and the assertion's limit.
import { unitOf } from '../../sim/batch/format.ts';
import { escapeHtml } from './html.ts';
import { firstTable } from './markdown-html.ts';
import { metricOf } from './targets.ts';

export interface Section {
  heading: string | null;
  body: string;
}

/** `recovery.full (lower is better)` → `recovery.full`: the metric a section is about. */
export function metricOfHeading(heading: string): string {
  return heading.replace(/ \((lower|higher) is better\)$/, '');
}

/** The assertions of the `## Assertions` section: the batch metric, the limit's number (SI units), the variant and its verdict. */
export interface AssertionRow {
  assertion: string;
  metric: string | null;
  limit: number | null;
  variant: string | null;
  verdict: string;
}

/** Assertion metrics whose batch metric (a field of the run's summary) has another name. */
const SUMMARY_NAME: Record<string, string> = {
  'lookup.peakLoad': 'lookup.peakOfferedPerSec',
  'lookup.peakQueue': 'lookup.peakQueueLength',
  'server.peakAcceptRate': 'server.peakAcceptsPerSec',
  'sessions.imbalance': 'imbalance.maxOverMean',
  'sessions.cv': 'imbalance.cv',
  'sessions.atEnd': 'sessionsAtEnd',
  'sessions.disconnected': 'disconnectedClients',
  'sessions.notReconnected': 'notReconnected',
  'carrier.peakAttemptRate': 'peakCarrierAttemptsPerSec',
  'carrier.amplification': 'carrierAmplification',
  'carrier.peakAmplification': 'carrierPeakAmplification',
};

/** The batch metric (a dotted field of the run summary) an assertion is about, or null. */
export function assertionMetric(assertion: string): string | null {
  const metric = metricOf(assertion);
  return metric === null ? null : (SUMMARY_NAME[metric] ?? metric);
}

export function assertionRows(sections: readonly Section[]): AssertionRow[] {
  const table = firstTable(sections.find((s) => s.heading === 'Assertions')?.body ?? '');
  if (table === null) return [];
  const column = (name: string) => table.header.indexOf(name);
  return table.rows.map((row) => {
    const assertion = row[column('assertion')].replace(/^`+|`+$/g, '');
    const limit = /^[<>]=?\s*(-?[\d.]+(?:e[-+]?\d+)?)/.exec(row[column('limit')] ?? '');
    return {
      assertion,
      metric: assertionMetric(assertion),
      limit: limit === null ? null : Number(limit[1]),
      variant: column('variant') < 0 ? null : row[column('variant')],
      verdict: row[column('verdict')],
    };
  });
}

/** The metrics the scenario's assertions name that have a section of their own, in assertion order; else recovery.full. */
export function keyMetrics(sections: readonly Section[]): string[] {
  const present = new Set(sections.flatMap((s) => (s.heading === null ? [] : [metricOfHeading(s.heading)])));
  const named = [...new Set(assertionRows(sections).flatMap((a) => (a.metric !== null && present.has(a.metric) ? [a.metric] : [])))];
  return named.length > 0 ? named : present.has('recovery.full') ? ['recovery.full'] : [];
}

export { unitOf };

/**
 * One sentence per key metric of a comparison: the best variant and its
 * mean, then each other variant's difference to it (paired over the same
 * seeds) with its unit, in percent of the best, and whether it is significant.
 */
export function compareVerdictLines(sections: readonly Section[]): string[] {
  return keyMetrics(sections).flatMap((metric) => {
    const section = sections.find((s) => s.heading !== null && metricOfHeading(s.heading) === metric)!;
    const table = firstTable(section.body);
    if (table === null) return [];
    const vsColumn = table.header.findIndex((h) => h.startsWith('vs best'));
    const best = table.rows.find((row) => row[vsColumn] === 'best');
    if (vsColumn < 0 || best === undefined) return [`${metric}: no variant has a value in every run.`];
    const unit = unitOf(metric);
    // The table's own words: its mean as printed, its delta with unit and percent (compare.ts).
    const bestMean = best[1].split(' ')[0];
    const better = /\((lower|higher) is better\)/.exec(section.heading ?? '')?.[1] ?? '';
    const others = table.rows
      .filter((row) => row !== best)
      .map((row) => {
        if (row[vsColumn] === 'not ranked') return `${row[0]}: not ranked (a run without a value)`;
        const cell = row[vsColumn].trim();
        const text = cell.replace(/\s*\*$/, '').replace(/\s*\[[^\]]*\]$/, '');
        const significant = cell.endsWith('*') ? 'significant' : 'not significant';
        return `${row[0]} ${text}, ${significant}`;
      });
    return [`${metric} (${better} is better): ${best[0]} is best at ${bestMean}${unit}${others.length === 0 ? '' : `; ${others.join('; ')}`}.`];
  });
}

/** The verdict block of a compare page. */
export function compareVerdictHtml(sections: readonly Section[], gate: { text: string } | null): string {
  const lines = compareVerdictLines(sections);
  if (lines.length === 0 && gate === null) return '';
  const failing = [...new Set(assertionRows(sections).filter((a) => a.verdict === 'FAIL' && a.variant !== null).map((a) => a.variant!))];
  const gateLine = gate === null ? '' : `<p><b>Assertions:</b> ${escapeHtml(gate.text)}${failing.length === 0 ? '' : `; failing: ${escapeHtml(failing.join('; '))}`}.</p>`;
  return (
    `<section class="verdict" aria-label="verdict">\n<h2>Verdict</h2>\n${gateLine}\n` +
    `<ul>${lines.map((line) => `<li>${escapeHtml(line)}</li>`).join('')}</ul>\n` +
    '<p class="muted">Differences are paired over the same seeds (variant − best, mean over replications); percent of the best mean; significance by a paired t-test at 95 %.</p>\n</section>'
  );
}
