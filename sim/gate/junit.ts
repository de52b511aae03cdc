// JUnit XML of a gate report: one <testsuite> per gated scenario file, one
// <testcase> per assertion, <failure> when it failed and <error> when a run
// crashed before it could be judged. No timestamps or durations: the same
// report gives the same bytes (CI systems accept the attributes as absent).
import { VERSION } from '../version.ts';
import { formatMeasured } from './assertions.ts';
import type { AssertionVerdict, GateReport, ScenarioVerdicts } from './gate.ts';

/** Characters XML 1.0 cannot carry at all (control characters other than tab, newline, CR; lone surrogates). */
const INVALID_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function escapeXmlText(text: string): string {
  return text.replace(INVALID_XML, '\uFFFD').replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

export function escapeXmlAttribute(text: string): string {
  return escapeXmlText(text)
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;')
    .replaceAll('\t', '&#9;')
    .replaceAll('\n', '&#10;')
    .replaceAll('\r', '&#13;');
}

function attributes(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([key, value]) => ` ${key}="${escapeXmlAttribute(String(value))}"`)
    .join('');
}

/** The per-run lines and the commands that reproduce the failing runs. */
export function verdictDetails(scenario: ScenarioVerdicts, verdict: AssertionVerdict): string {
  const { assertion, judgement } = verdict;
  const lines = [
    `${assertion.source}`,
    `measured: ${verdict.measuredText}; limit: ${assertion.comparator} ${verdict.limitText}${assertion.limit.kind === 'quantity' ? '' : ` (${assertion.limitText})`}`,
  ];
  if (judgement.note !== '') lines.push(judgement.note);
  if (scenario.seeds.length > 1) {
    lines.push('runs:');
    scenario.seeds.forEach((seed, i) => {
      const failing = judgement.failingRuns.includes(i) ? ' (fails)' : '';
      lines.push(`  seed ${seed}: ${formatMeasured(assertion, verdict.values[i])}${failing}`);
    });
  }
  const reproduce = judgement.failingRuns.length > 0 ? judgement.failingRuns.map((i) => scenario.reproduce[i]) : scenario.reproduce.slice(0, 1);
  lines.push(`reproduce: ${reproduce.join('\n           ')}`);
  return lines.join('\n');
}

function testcase(scenario: ScenarioVerdicts, verdict: AssertionVerdict): string {
  const head = `    <testcase${attributes({ name: verdict.assertion.source, classname: `stampede.gate.${scenario.name}`, file: scenario.file })}`;
  const details = verdictDetails(scenario, verdict);
  if (verdict.judgement.passed) return `${head}>\n      <system-out>${escapeXmlText(details)}</system-out>\n    </testcase>`;
  const note = verdict.judgement.note === '' ? '' : ` (${verdict.judgement.note})`;
  const message = `${verdict.assertion.metric} measured ${verdict.measuredText}${note}, limit ${verdict.assertion.comparator} ${verdict.limitText}`;
  return `${head}>\n      <failure${attributes({ message, type: 'AssertionFailed' })}>${escapeXmlText(details)}</failure>\n    </testcase>`;
}

function erroredTestcases(scenario: ScenarioVerdicts): string[] {
  const message = `run failed: ${scenario.errors[0].error}`;
  const details = scenario.errors.map((e) => `seed ${e.seed}: ${e.error}\nreproduce: ${e.reproduce}`).join('\n');
  return scenario.assertions.map(
    (assertion) =>
      `    <testcase${attributes({ name: assertion.source, classname: `stampede.gate.${scenario.name}`, file: scenario.file })}>\n` +
      `      <error${attributes({ message, type: 'RunFailed' })}>${escapeXmlText(details)}</error>\n    </testcase>`,
  );
}

function testsuite(scenario: ScenarioVerdicts): string {
  const errored = scenario.errors.length > 0;
  const tests = scenario.assertions.length;
  const failures = scenario.verdicts.filter((v) => !v.judgement.passed).length;
  const properties = {
    file: scenario.file,
    overrides: scenario.overrides.join(' '),
    seeds: scenario.seeds.join(' '),
    stampede: VERSION,
  };
  const cases = errored ? erroredTestcases(scenario) : scenario.verdicts.map((v) => testcase(scenario, v));
  return [
    `  <testsuite${attributes({ name: scenario.name, tests, failures, errors: errored ? tests : 0, skipped: 0, file: scenario.file })}>`,
    '    <properties>',
    ...Object.entries(properties).map(([name, value]) => `      <property${attributes({ name, value })}/>`),
    '    </properties>',
    ...cases,
    '  </testsuite>',
  ].join('\n');
}

export function junitXml(report: GateReport): string {
  const tests = report.passed + report.failed + report.errored;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attributes({ name: 'stampede gate', tests, failures: report.failed, errors: report.errored })}>`,
    ...report.scenarios.map(testsuite),
    '</testsuites>',
    '',
  ].join('\n');
}
