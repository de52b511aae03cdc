// index.html of a batch: the Markdown summary's tables as HTML (the subset
// stampede writes, escaped), and each metric's charts placed beside that
// metric's table. Rendering in a real browser: report-browser.test.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import { batchPage } from '../reports/lib/batch-page.ts';
import { markdownToHtml } from '../reports/lib/markdown-html.ts';
import { executePlan } from '../sim/batch/execute.ts';
import { preparePlan, type PlanInput } from '../sim/batch/jobs.ts';
import { batchOutputs, type OutputFile } from '../sim/batch/outputs.ts';

describe('the Markdown of batch summaries as HTML', () => {
  it('renders headings, paragraphs, tables, lists, code and bold', () => {
    const html = markdownToHtml(
      [
        '## recovery.full (lower is better)',
        '',
        'Scenario `a.yaml`, **3** jobs,',
        'two lines of one paragraph.',
        '',
        '| variant | mean ± 95 % | 95 % CI |',
        '| --- | --- | --- |',
        '| a=1, b=x | 812.4 ± 22.3 | [790.1, 834.7] |',
        '| a=2 \\| b | – | – |',
        '',
        '- job 3, replication 1: Error: boom',
        '  reproduce: `stampede run a.yaml --seed 7`',
        '- job 4',
      ].join('\n'),
    );
    expect(html).toBe(
      [
        '<h2>recovery.full (lower is better)</h2>',
        '<p>Scenario <code>a.yaml</code>, <b>3</b> jobs, two lines of one paragraph.</p>',
        '<table>',
        '<thead><tr><th>variant</th><th class="num">mean ± 95 %</th><th class="num">95 % CI</th></tr></thead>',
        '<tbody>',
        '<tr><td>a=1, b=x</td><td class="num">812.4 ± 22.3</td><td class="num">[790.1, 834.7]</td></tr>',
        '<tr><td>a=2 | b</td><td class="num">–</td><td class="num">–</td></tr>',
        '</tbody>',
        '</table>',
        '<ul>',
        '<li>job 3, replication 1: Error: boom<br>reproduce: <code>stampede run a.yaml --seed 7</code></li>',
        '<li>job 4</li>',
        '</ul>',
      ].join('\n'),
    );
  });

  it('escapes everything that is not its own markup', () => {
    const html = markdownToHtml('# <script>alert(1)</script>\n\n| <b>x</b> |\n| --- |\n| `<img src=x onerror=alert(1)>` & "q" |\n\na <i>b</i>');
    expect(html).not.toMatch(/<script|<img|<i>|<b>x/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('<code>&lt;img src=x onerror=alert(1)&gt;</code> &amp; &quot;q&quot;');
  });

  it('leaves a table without its separator line as text', () => {
    expect(markdownToHtml('| a | b |\n| c | d |')).toBe('<p>| a | b |</p>\n<p>| c | d |</p>');
  });
});

describe('index.html of a batch', () => {
  const input: PlanInput = {
    kind: 'compare',
    file: 'scenarios/lookup-outage.yaml',
    baseOverrides: ['population.clients=2000', 'sampleInterval=10s'],
    replications: 2,
    parameters: [{ name: 'policy', path: 'client.backoff.policy', values: ['gcm', 'full'] }],
  };
  let files: OutputFile[];
  let page: string;

  beforeAll(async () => {
    const prepared = preparePlan(input);
    const { outcomes } = await executePlan(prepared, { workers: 1 });
    files = batchOutputs(prepared.plan, outcomes).files;
    page = files.find((f) => f.path === 'index.html')!.content;
  });

  it('holds every chart the batch wrote, with the very spec of its file (plus the limit layer of an asserted metric)', () => {
    const chartFiles = files.filter((f) => f.path.startsWith('charts/'));
    expect(chartFiles.length).toBeGreaterThan(2);
    const embedded = JSON.parse(/<script type="application\/json" id="stampede-charts">(.*?)<\/script>/s.exec(page)![1]) as { id: string; spec: unknown }[];
    expect(embedded.map((c) => c.id).sort()).toEqual(chartFiles.map((f) => f.path.slice(7, -8)).sort());
    for (const chart of embedded) {
      const file = JSON.parse(chartFiles.find((f) => f.path === `charts/${chart.id}.vl.json`)!.content) as { layer?: unknown[] };
      const spec = chart.spec as { layer?: unknown[] };
      // The page adds layers after the file's own (the assertion's limit), never changes them.
      expect({ ...spec, layer: spec.layer?.slice(0, file.layer?.length) }).toEqual({ ...file, layer: file.layer });
      expect(page).toContain(`id="chart-${chart.id}"`);
    }
    // Rendered in the order they appear, so that the top of the page is drawn first.
    expect(embedded.map((c) => c.id)).toEqual([...page.matchAll(/<div class="vega" id="chart-([^"]+)"/g)].map((m) => m[1]));
  });

  it('puts the overlaid series first and each metric chart in the section of its metric', () => {
    const sections = page.split('<section class="metric"').slice(1);
    const headingOf = (section: string) => /<h2>(.*?)<\/h2>/.exec(section)![1];
    // Then the metric the scenario's first assertion names (recovery.full <= 20m).
    expect(sections.slice(0, 3).map(headingOf)).toEqual(['Assertions', 'Winners', 'recovery.full (lower is better)']);
    const beforeSections = page.slice(0, page.indexOf('<section class="metric"'));
    expect(beforeSections).toContain('id="chart-connected"');
    expect(beforeSections).toContain('id="chart-carrier-attempts"');
    let placed = 0;
    for (const section of sections) {
      const ids = [...section.matchAll(/id="chart-metric--([^"]+)"/g)].map((m) => m[1]);
      const metric = headingOf(section).replace(/ \((lower|higher) is better\)$/, '');
      for (const id of ids) expect(id).toBe(metric.replace(/[^A-Za-z0-9._-]+/g, '_'));
      placed += ids.length;
    }
    expect(placed).toBe(files.filter((f) => f.path.startsWith('charts/metric--')).length);
  });

  it('gives each difference to the best with its unit and percent, and no interval below 0', () => {
    const markdown = files.find((f) => f.path === 'compare.md')!.content;
    const section = markdown.slice(markdown.indexOf('## recovery.full ('));
    expect(section).toContain('| vs best: Δ (%) [95 % CI] |');
    expect(section).toMatch(/\| policy=\w+ \| [^|]+ \| [^|]+ \| [^|]+ \| 2 \| 0 \| [-+][\d.]+ s \([-+][\d.]+ %\) \[[-\d.]+, [-\d.]+\]( \*)? \|/);
    const stats = files.find((f) => f.path === 'stats.csv')!.content.trim().split('\n').slice(1);
    const lows = stats.map((line) => line.split(',').at(-2)!).filter((v) => v !== '').map(Number);
    expect(lows.length).toBeGreaterThan(10);
    for (const low of lows) expect(low).toBeGreaterThanOrEqual(0);
  });

  it('overlays each server\'s accepts in a panel per variant, with the faults', () => {
    const spec = JSON.parse(files.find((f) => f.path === 'charts/accepts.vl.json')!.content) as { data: { values: { layer: string; variant: string; server?: string }[] }; facet: unknown };
    const lines = spec.data.values.filter((r) => r.layer === 'line');
    expect(new Set(lines.map((r) => r.variant))).toEqual(new Set(['policy=gcm', 'policy=full']));
    expect(new Set(lines.map((r) => r.server)).size).toBe(10);
    expect(spec.data.values.filter((r) => r.layer === 'fault').length).toBe(2);
    expect(spec.facet).toMatchObject({ row: { field: 'variant' } });
  });

  it('shows every table row of compare.md', () => {
    const markdown = files.find((f) => f.path === 'compare.md')!.content;
    const markdownRows = markdown.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| ---')).length;
    const main = page.slice(page.indexOf('<main>'), page.indexOf('</main>'));
    expect(main.match(/<tr>/g)!.length).toBe(markdownRows);
    expect(page).toContain('<span class="badge ok">4 jobs, all completed</span>');
  });

  it('keeps the introduction in the header and a table before any section in the body (replications)', () => {
    const html = batchPage({
      markdown: '# Replications: x\n\nScenario `x.yaml`, 3 jobs.\n\n| metric | mean |\n| --- | --- |\n| recovery.full | 900 |\n',
      charts: [],
      stampedeVersion: '0.0.0',
      jobs: { total: 3, failed: 1 },
      gate: null,
    });
    const header = html.slice(html.indexOf('<header'), html.indexOf('</header>'));
    const main = html.slice(html.indexOf('<main>'), html.indexOf('</main>'));
    expect(header).toContain('<h1>Replications: x</h1>');
    expect(header).toContain('<span class="badge fail">3 jobs, 1 failed</span>');
    expect(header).toContain('<p>Scenario <code>x.yaml</code>, 3 jobs.</p>');
    expect(header).not.toContain('<table>');
    expect(main).toContain('<td>recovery.full</td><td class="num">900</td>');
    // No charts: no chart libraries either.
    expect(html).not.toContain('stampede-charts');
  });

  it('says in the header how the assertions came out, and a failure makes the page red', () => {
    const page = (gate: { text: string; level: 'ok' | 'warn' | 'fail' } | null) =>
      batchPage({ markdown: '# Replications: x\n', charts: [], stampedeVersion: '0.0.0', jobs: { total: 2, failed: 0 }, gate });
    expect(page(null)).toContain('<header class="ok">');
    expect(page({ text: 'every assertion passed', level: 'ok' })).toContain('<header class="ok">');
    const failed = page({ text: '1 of 5 assertions failed', level: 'fail' });
    expect(failed).toContain('<header class="fail">');
    expect(failed).toContain('<span class="badge ok">2 jobs, all completed</span><span class="badge fail">1 of 5 assertions failed</span>');
    expect(page({ text: '1 of 2 variants pass every assertion', level: 'warn' })).toContain('<header class="warn">');
  });
});

describe('the overlays of a sweep', () => {
  it('draw carrier attempts and each server\'s accepts too, a panel per grid point, the 12 busiest of a larger grid', async () => {
    const durations = Array.from({ length: 14 }, (_, i) => `${i + 1}m`);
    const prepared = preparePlan({
      kind: 'sweep',
      file: 'scenarios/lookup-outage.yaml',
      baseOverrides: ['population.clients=1000', 'sampleInterval=10s', 'assert=[]'],
      replications: 1,
      parameters: [{ name: 'faults.0.duration', path: 'faults.0.duration', values: durations }],
    });
    const { outcomes } = await executePlan(prepared, { workers: 1 });
    const files = batchOutputs(prepared.plan, outcomes).files;
    expect(files.map((f) => f.path)).toContain('charts/carrier-attempts.vl.json');
    const spec = JSON.parse(files.find((f) => f.path === 'charts/accepts.vl.json')!.content) as { title: { text: string; subtitle: string[] }; data: { values: { layer: string; variant: string; value?: number }[] } };
    expect(spec.title.text).toBe('Accepts per second of each server, by grid point');
    expect(spec.title.subtitle[0]).toContain('the 12 grid points of highest peak of 14');
    const shown = new Set(spec.data.values.filter((r) => r.layer === 'line').map((r) => r.variant));
    expect(shown.size).toBe(12);
    // The two left out peak no higher than any shown one.
    const peakOf = (i: number) => {
      const outcome = outcomes[i];
      if (!outcome.ok) throw new Error('job failed');
      return Math.max(...Object.values(outcome.result.series!.accepts!.byServer).flat());
    };
    const labels = prepared.plan.variants.map((v) => v.label);
    const left = labels.map((label, i) => ({ label, peak: peakOf(i) })).filter((v) => !shown.has(v.label));
    const lowestShown = Math.min(...labels.map((label, i) => ({ label, peak: peakOf(i) })).filter((v) => shown.has(v.label)).map((v) => v.peak));
    expect(left).toHaveLength(2);
    for (const v of left) expect(v.peak).toBeLessThanOrEqual(lowestShown);
  });
});
