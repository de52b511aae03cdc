// What a batch page says before its tables (reports/lib/batch-verdict.ts):
// the compare verdict on the metrics the assertions name, with deltas in
// units and percent; a sweep's grid points without a value drawn as "not
// reached" with the assertion's limit; FAIL in red; no internal counters on charts.
import { describe, expect, it } from 'vitest';
import { batchPage, type BatchChart } from '../reports/lib/batch-page.ts';
import { compareVerdictLines, keyMetrics, unitOf } from '../reports/lib/batch-verdict.ts';

const ASSERTIONS = {
  heading: 'Assertions',
  body: [
    '',
    '| variant | assertion | verdict | measured | limit |',
    '| --- | --- | --- | --- | --- |',
    '| a=1 | `recovery.full <= 20m` | pass | 900 s | <= 1200 s (20.0 min) |',
    '| a=2 | `recovery.full <= 20m` | FAIL | not reached | <= 1200 s (20.0 min) |',
    '| a=1 | `server.peakAcceptRate < maxAcceptsPerSec` | pass | 9/s | < 2000/s |',
    '',
  ].join('\n'),
};

const COMPARE = [
  ASSERTIONS,
  {
    heading: 'recovery.full (lower is better)',
    body: [
      '',
      '| variant | mean ± 95 % | 95 % CI | sd | n | no value | vs best: Δ (%) [95 % CI] |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      '| a=1 | 800 ± 4 | [796, 804] | 1 | 2 | 0 | best |',
      '| a=3 | 1000 ± 40 | [960, 1040] | 9 | 2 | 0 | +200 s (+25.0 %) [150, 250] * |',
      '| a=4 | 810 ± 40 | [770, 850] | 9 | 2 | 0 | +10 s (+1.3 %) [-30, 50] |',
      '| a=2 | – | – | – | 0 | 2 | not ranked |',
      '',
    ].join('\n'),
  },
  { heading: 'server.peakAcceptsPerSec (lower is better)', body: '' },
  { heading: 'events', body: '' },
];

describe('the compare verdict', () => {
  it('starts with the metrics the assertions name, mapped to the batch metric', () => {
    expect(keyMetrics(COMPARE)).toEqual(['recovery.full', 'server.peakAcceptsPerSec']);
    expect(unitOf('recovery.full')).toBe(' s');
    expect(unitOf('server.peakAcceptsPerSec')).toBe('/s');
    expect(unitOf('server.crashes')).toBe('');
  });

  it('gives the best variant and every other one as a delta with unit, percent and significance', () => {
    expect(compareVerdictLines(COMPARE.slice(0, 2))).toEqual([
      'recovery.full (lower is better): a=1 is best at 800 s; a=3 +200 s (+25.0 %), significant; a=4 +10 s (+1.3 %), not significant; a=2: not ranked (a run without a value).',
    ]);
  });

  it('comes before any table of the page, with the failing variants', () => {
    const markdown = ['# Comparison: x', '', 'Intro.', '', ...COMPARE.slice(0, 2).flatMap((s) => [`## ${s.heading}`, s.body]), '## Winners', '', '| metric | better | best mean | significant |', '| --- | --- | --- | --- |', '| recovery.full | lower | a=1 | no |', ''].join('\n');
    const html = batchPage({ markdown, charts: [], stampedeVersion: '0', jobs: { total: 8, failed: 0 }, gate: { text: '1 of 2 variants pass every assertion', level: 'warn' } });
    const main = html.slice(html.indexOf('<main>'));
    expect(main.indexOf('<section class="verdict"')).toBeGreaterThan(-1);
    expect(main.indexOf('<section class="verdict"')).toBeLessThan(main.indexOf('<table>'));
    expect(main).toContain('<b>Assertions:</b> 1 of 2 variants pass every assertion; failing: a=2.');
    expect(main).toContain('a=3 +200 s (+25.0 %), significant');
    expect(main).toContain('<td class="fail">FAIL</td>');
  });
});

describe('a sweep page', () => {
  const section = {
    heading: 'recovery.full (lower is better)',
    body: '\n| a | mean ± 95 % | 95 % CI | n | no value |\n| --- | --- | --- | --- | --- |\n| 1 | 744 | – | 1 | 0 |\n| 2 | – | – | 0 | 1 |\n',
  };

  it('draws the limit, and keeps internal counters off the charts', () => {
    const spec = (metric: string) => ({ title: metric, layer: [{ mark: 'line', encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'mean', type: 'quantitative' } } }] });
    const charts: BatchChart[] = [
      { id: 'recovery.full--by--a', metric: 'recovery.full', spec: spec('recovery.full') },
      { id: 'events--by--a', metric: 'events', spec: spec('events') },
    ];
    const markdown = ['# Sweep: x', '', `## ${ASSERTIONS.heading}`, ASSERTIONS.body, `## ${section.heading}`, section.body, '## events', section.body].join('\n');
    const html = batchPage({ markdown, charts, stampedeVersion: '0', jobs: { total: 2, failed: 0 }, gate: null });
    const embedded = JSON.parse(/id="stampede-charts">(.*?)<\/script>/s.exec(html)![1]) as { id: string; spec: { layer: Record<string, unknown>[] } }[];
    expect(embedded.map((c) => c.id)).toEqual(['recovery.full--by--a']);
    const layers = embedded[0].spec.layer;
    expect(layers).toContainEqual(expect.objectContaining({ data: { values: [{ limit: 1200, label: 'limit 1200' }] } }));
    expect(html).not.toContain('<section class="verdict"');
  });

  it('gets a table of contents when it is long', () => {
    const many = Array.from({ length: 8 }, (_, i) => `## m${i}\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n`).join('\n');
    const html = batchPage({ markdown: `# Sweep: x\n\n${many}`, charts: [], stampedeVersion: '0', jobs: { total: 1, failed: 0 }, gate: null });
    expect(html).toContain('<nav class="toc" aria-label="contents">');
    expect(html).toContain('<a href="#m-m7">m7</a>');
    expect(html).toContain('<section class="metric" id="m-m7">');
  });
});
