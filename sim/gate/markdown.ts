// The gate report as Markdown, for $GITHUB_STEP_SUMMARY or a merge-request
// note: a verdict line, one table row per assertion, and the commands that
// reproduce the failing runs.
import type { GateReport } from './gate.ts';

function cell(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function code(text: string): string {
  const ticks = text.includes('`') ? '``' : '`';
  const pad = ticks.length > 1 ? ' ' : '';
  return `${ticks}${pad}${cell(text)}${pad}${ticks}`;
}

export function gateMarkdown(report: GateReport): string {
  const total = report.passed + report.failed + report.errored;
  const verdict = report.errored > 0 ? 'error' : report.failed > 0 ? 'failed' : 'passed';
  const icon = { passed: '✅', failed: '❌', error: '⚠️' }[verdict];
  const runs = report.replications === 1 ? '1 run each' : `${report.replications} runs each`;
  const counts = [`${report.passed} passed`, `${report.failed} failed`, ...(report.errored > 0 ? [`${report.errored} not decided (a run failed)`] : [])];
  const lines = [
    `## ${icon} stampede gate: ${verdict}`,
    '',
    `${total} assertion(s) in ${report.scenarios.length} scenario(s), ${runs}: ${counts.join(', ')}.`,
    '',
    '| | scenario | assertion | measured | limit |',
    '| --- | --- | --- | --- | --- |',
  ];
  const reproduce: string[] = [];
  for (const scenario of report.scenarios) {
    if (scenario.errors.length > 0) {
      for (const assertion of scenario.assertions) {
        lines.push(`| ⚠️ | ${code(scenario.name)} | ${code(assertion.source)} | run failed | |`);
      }
      for (const e of scenario.errors) reproduce.push(`${e.reproduce}  # ${e.error.split('\n')[0]}`);
      continue;
    }
    for (const v of scenario.verdicts) {
      const mark = v.judgement.passed ? '✅' : '❌';
      const note = v.judgement.note === '' ? '' : ` (${v.judgement.note})`;
      lines.push(`| ${mark} | ${code(scenario.name)} | ${code(v.assertion.source)} | ${cell(v.measuredText + note)} | ${cell(`${v.assertion.comparator} ${v.limitText}`)} |`);
      if (!v.judgement.passed) {
        const runs = v.judgement.failingRuns.length > 0 ? v.judgement.failingRuns : [0];
        for (const i of runs) reproduce.push(scenario.reproduce[i]);
      }
    }
  }
  if (report.skipped.length > 0) {
    lines.push('', `Without an \`assert:\` section (not run): ${report.skipped.map((s) => code(s.file)).join(', ')}.`);
  }
  const unique = [...new Set(reproduce)];
  if (unique.length > 0) {
    lines.push('', '<details><summary>Reproduce the failing runs</summary>', '', '```sh', ...unique, '```', '', '</details>');
  }
  return `${lines.join('\n')}\n`;
}
