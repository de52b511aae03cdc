// summary.md: the run in a few lines and one table, small enough for a CI job
// summary ($GITHUB_STEP_SUMMARY) and readable as plain text.
import type { RunResult } from '../../sim/result.ts';
import type { ChartContext } from './context.ts';
import type { Figure } from './figures.ts';
import type { GateVerdict } from './types.ts';
import { formatMeasure, gatesBadge, headline, recoveryFact, type Level } from './verdict.ts';

const ICON: Record<Level, string> = { ok: '✅', warn: '⚠️', fail: '❌', none: '➖' };

/** Escapes text for a Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function code(text: string): string {
  const fence = text.includes('`') ? '``' : '`';
  return `${fence}${cell(text)}${fence}`;
}

export interface SummaryInput {
  result: RunResult;
  ctx: ChartContext;
  figures: readonly Figure[];
  verdicts?: readonly GateVerdict[];
  gitCommit?: string | null;
  /** Report file to point at, as the reader should open it. */
  reportPath?: string;
}

export function summaryMarkdown(input: SummaryInput): string {
  const { result, ctx, figures, verdicts, gitCommit, reportPath } = input;
  const verdict = headline(result.summary, verdicts);
  const gates = gatesBadge(verdicts);
  const lines = [`### ${ICON[verdict.level]} ${verdict.word}: ${ctx.scenario.name} (seed ${result.seed}): ${verdict.text}`, ''];
  for (const failure of verdict.failures) lines.push(`- ${ICON.fail} ${code(failure)}`);
  if (verdict.failures.length > 0) lines.push('');
  if (gates.level !== 'none') {
    const recovery = recoveryFact(result.summary, verdicts);
    lines.push(`${ICON[recovery.level]} ${recovery.text}`, '');
  }
  if (ctx.scenario.description) lines.push(ctx.scenario.description, '');
  lines.push('| | |', '|---|---|');
  for (const f of figures) {
    const gate = f.gate ? ` ${f.passed ? ICON.ok : ICON.fail}` : '';
    lines.push(`| ${cell(f.label)} | ${cell(f.value)}${f.note ? ` (${cell(f.note)})` : ''}${gate} |`);
  }
  lines.push('');
  if (verdicts === undefined || verdicts.length === 0) {
    lines.push(`**Gates:** ${ICON.none} no assertions.`);
  } else {
    lines.push(`**Gates:** ${ICON[gates.level]} ${gates.text}`, '', '| | assertion | measured | limit |', '|---|---|--:|--:|');
    for (const v of verdicts) {
      lines.push(`| ${v.passed ? ICON.ok : ICON.fail} | ${code(v.assertion)} | ${cell(formatMeasure(v.measured))} | ${cell(formatMeasure(v.limit))} |`);
    }
  }
  lines.push('', [`stampede ${result.stampede.version}`, gitCommit ? `commit \`${gitCommit}\`` : null, reportPath ? `report: \`${reportPath}\`` : null].filter(Boolean).join(' · '), '');
  return lines.join('\n');
}
