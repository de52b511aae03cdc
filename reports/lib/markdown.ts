// summary.md: the run in a few lines and one table, small enough for a CI job
// summary ($GITHUB_STEP_SUMMARY) and readable as plain text.
import type { RunResult } from '../../sim/result.ts';
import type { ChartContext } from './context.ts';
import type { Figure } from './figures.ts';
import { DETECTOR_COLUMNS, detectorRows, grayStories, elapsed } from './gray.ts';
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
  const stories = grayStories(result);
  if (stories.length > 0) {
    lines.push('**Gray failure:**', '');
    for (const story of stories) {
      lines.push(`- ${story.level === 'fail' ? ICON.fail : story.level === 'warn' ? ICON.warn : ICON.none} **${cell(story.server)}**: ${cell(story.steps.map((step) => `${elapsed(step.at)} ${step.text}`).join(' → '))}; ${cell(story.l4)}`);
    }
    const rows = detectorRows(result.summary);
    if (rows.length > 0) {
      lines.push('', `| ${DETECTOR_COLUMNS.join(' | ')} |`, `|---|${DETECTOR_COLUMNS.slice(1).map(() => '--:').join('|')}|`);
      for (const d of rows) lines.push(`| ${cell(d.detector)} | ${cell(d.caught)} | ${cell(d.leadToFailure)} | ${cell(d.leadToDeath)} | ${d.falseAlarms} | ${cell(d.perServerDay)} |`);
    }
    lines.push('');
  }
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
