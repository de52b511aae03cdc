// index.html of a batch (compare, sweep, run --replications): the tables of
// its Markdown summary with the charts it wrote as vega-lite specs rendered
// beside them (a metric's chart next to that metric's table; the series of
// all variants overlaid at the top). Self-contained and offline like a run's
// report, and a pure function of what the batch wrote, so it is
// byte-identical whatever the number of workers and whether the batch ran in
// shards.
import { chartLibraries, chartScripts, chartSection, escapeHtml, PAGE_CSS, pageHead, pageText } from './html.ts';
import { markdownToHtml } from './markdown-html.ts';
import { assertionRows, compareVerdictHtml, keyMetrics, metricOfHeading, type Section } from './batch-verdict.ts';

export interface BatchChart {
  /** The file name without `.vl.json`. */
  id: string;
  /** The metric it shows, whose section it goes into; null for the overlaid series, shown first. */
  metric: string | null;
  spec: Record<string, unknown>;
}

export interface BatchPageInput {
  /** The batch's summary (`compare.md`, `sweep.md`, `replications.md`): a `# ` title, an introduction, `## ` sections. */
  markdown: string;
  charts: readonly BatchChart[];
  stampedeVersion: string;
  jobs: { total: number; failed: number };
  /** The assertions' outcome for the header (`every assertion passed`, `3 of 4 variants pass`), null without assertions. */
  gate: { text: string; level: 'ok' | 'warn' | 'fail' } | null;
}

const BATCH_CSS = `
header .intro p { margin: 8px 0 0; max-width: 140ch; color: #3d444d; }
header .intro code, .tables code { font-size: 12px; background: #f6f8fa; border-radius: 4px; padding: 1px 4px; }
.overlays { display: grid; gap: 16px; margin-bottom: 16px; }
/* A metric's table and its charts side by side when both fit, the charts under the table when not. */
.metric { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; margin-bottom: 16px; }
.metric > .tables { flex: 1 1 auto; }
.metric > .tables p { max-width: 90ch; }
.metric .side { flex: 0 0 auto; display: grid; gap: 16px; }
.tables { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 2px 20px 12px; overflow-x: auto; }
.tables h2 { font-size: 17px; margin: 14px 0 8px; }
.tables table { border-collapse: collapse; margin: 6px 0 10px; font-variant-numeric: tabular-nums; }
.tables th, .tables td { border-bottom: 1px solid var(--line); padding: 4px 14px 4px 0; text-align: left; vertical-align: top; white-space: nowrap; }
.tables th.num, .tables td.num { text-align: right; }
.tables td.fail { color: var(--fail); font-weight: 700; } .tables td.ok { color: var(--ok); } .tables td.warn { color: var(--warn); }
.verdict { background: #fff; border: 1px solid var(--line); border-left: 4px solid var(--none); border-radius: 8px; padding: 2px 20px 8px; margin-bottom: 16px; }
.verdict h2 { font-size: 17px; margin: 12px 0 6px; } .verdict ul { margin: 4px 0; padding-left: 20px; } .verdict li { margin: 3px 0; }
nav.toc { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px 20px; margin-bottom: 16px; columns: 3 18em; font-size: 13px; }
nav.toc a { display: block; color: #0b57d0; text-decoration: none; } nav.toc a:hover { text-decoration: underline; }
`;

/** Metrics that count the simulator's own work, not the system's behaviour: in the tables, not on charts. */
const INTERNAL_METRICS = new Set(['events']);
/** A page with more metric sections than this gets a table of contents. */
const TOC_FROM = 6;

function anchor(heading: string): string {
  return `m-${metricOfHeading(heading).replace(/[^A-Za-z0-9._-]+/g, '_')}`;
}

type Layered = { layer?: Record<string, unknown>[] } & Record<string, unknown>;

/**
 * A metric chart with what its spec does not know: the assertion's limit on
 * that metric as a purple rule. (Runs without a value are the spec's own
 * marks, sim/batch/charts.ts, so the chart file says it on its own too.)
 */
function annotate(chart: BatchChart, sections: readonly Section[]): BatchChart {
  const spec = chart.spec as Layered;
  if (chart.metric === null || !Array.isArray(spec.layer) || spec.layer.length === 0) return chart;
  const sweep = chart.id.includes('--by--');
  const layers: Record<string, unknown>[] = [];
  const limits = [...new Set(assertionRows(sections).filter((a) => a.metric === chart.metric && a.limit !== null).map((a) => a.limit!))];
  if (limits.length > 0) {
    const axis = sweep ? 'y' : 'x';
    const values = limits.map((limit) => ({ limit, label: `limit ${limit}` }));
    layers.push({
      data: { values },
      mark: { type: 'rule', color: '#6a1b9a', strokeDash: [8, 3, 2, 3], strokeWidth: 1.6 },
      encoding: { [axis]: { field: 'limit', type: 'quantitative' }, tooltip: [{ field: 'label', type: 'nominal', title: 'assertion' }] },
    });
    // The rule says what it is in words: a purple line alone reads as one more series.
    layers.push({
      data: { values },
      mark: sweep
        ? { type: 'text', color: '#6a1b9a', fontSize: 12, align: 'left', baseline: 'bottom', dx: 4, dy: -3 }
        : { type: 'text', color: '#6a1b9a', fontSize: 12, align: 'left', baseline: 'top', dx: 4, dy: 2 },
      encoding: { [axis]: { field: 'limit', type: 'quantitative' }, [sweep ? 'x' : 'y']: { value: 0 }, text: { field: 'label', type: 'nominal' } },
    });
  }
  return layers.length === 0 ? chart : { ...chart, spec: { ...spec, layer: [...spec.layer, ...layers] } };
}

export function batchPage(input: BatchPageInput): string {
  const summary = splitSummary(input.markdown);
  const { title, intro } = summary;
  // The metrics the scenario's assertions name come first, after the assertions and winners.
  const key = keyMetrics(summary.sections);
  const rank = (s: Section) => (s.heading === null ? -1 : key.includes(metricOfHeading(s.heading)) ? 1 + key.indexOf(metricOfHeading(s.heading)) : ['Assertions', 'Winners'].includes(s.heading) ? 0 : key.length + 1);
  const sections = [...summary.sections].sort((a, b) => rank(a) - rank(b));
  const compare = sections.some((s) => s.heading === 'Winners');
  const { total, failed } = input.jobs;
  const jobsLevel = failed > 0 ? 'fail' : 'ok';
  const jobs = `${total} job${total === 1 ? '' : 's'}${failed > 0 ? `, ${failed} failed` : ', all completed'}`;
  const gate = input.gate;
  const level = jobsLevel === 'fail' || gate?.level === 'fail' ? 'fail' : gate?.level === 'warn' ? 'warn' : 'ok';
  const charts = input.charts
    .filter((chart) => chart.metric === null || !INTERNAL_METRICS.has(chart.metric))
    .map((chart) => annotate(chart, sections))
    .map((chart) => ({ ...chart, title: titleOf(chart.spec) ?? chart.id, caption: '', wide: false }));
  const byMetric = new Map<string, typeof charts>();
  for (const chart of charts) {
    if (chart.metric === null) continue;
    byMetric.set(chart.metric, [...(byMetric.get(chart.metric) ?? []), chart]);
  }
  const overlays = charts.filter((chart) => chart.metric === null);
  // Charts render one after the other in this order, which is the page's: the top of the page first.
  const ordered = [...overlays];
  const body = sections.map((section) => {
    const beside = section.heading === null ? [] : (byMetric.get(metricOfHeading(section.heading)) ?? []);
    ordered.push(...beside);
    const markdown = section.heading === null ? section.body : `## ${section.heading}\n${section.body}`;
    const table = `<div class="tables">\n${markdownToHtml(markdown)}\n</div>`;
    const id = section.heading === null ? '' : ` id="${anchor(section.heading)}"`;
    if (beside.length === 0) return `<section class="metric"${id}>\n${table}\n</section>`;
    return `<section class="metric"${id}>\n${table}\n<div class="side">\n${beside.map(chartSection).join('\n')}\n</div>\n</section>`;
  });
  // A metric chart without a section of its own (none today) still shows, at the end.
  const unplaced = charts.filter((chart) => !ordered.includes(chart));
  ordered.push(...unplaced);
  if (unplaced.length > 0) body.push(`<div class="overlays">\n${unplaced.map(chartSection).join('\n')}\n</div>`);
  return `${pageHead(input.stampedeVersion, `${title} · stampede`, PAGE_CSS + BATCH_CSS)}
<body>
<header class="${level}">
<div class="inner">
<div class="title-row"><h1>${escapeHtml(title)}</h1><span class="badge ${jobsLevel}">${escapeHtml(jobs)}</span>${gate === null ? '' : `<span class="badge ${gate.level}">${escapeHtml(gate.text)}</span>`}</div>
<div class="intro">
${markdownToHtml(intro)}
</div>
</div>
</header>
<main>
${compare ? compareVerdictHtml(sections, gate) : ''}${toc(sections)}${overlays.length === 0 ? '' : `<div class="overlays">\n${overlays.map((c) => chartSection({ ...c, wide: true })).join('\n')}\n</div>\n`}${body.join('\n')}
</main>
<footer>
Generated by stampede ${escapeHtml(input.stampedeVersion)}; the exact figures are in the JSON and CSV files next to this page.
${charts.length === 0 ? '' : `Charts: ${chartLibraries()}, inlined, so this file works offline.\n`}</footer>
${charts.length === 0 ? '' : pageText(chartScripts(ordered))}
</body>
</html>
`;
}

interface Summary {
  title: string;
  intro: string;
  sections: Section[];
}

/** Links to every section, on a page with many. */
function toc(sections: readonly Section[]): string {
  const titled = sections.filter((s) => s.heading !== null);
  if (titled.length <= TOC_FROM) return '';
  return `<nav class="toc" aria-label="contents">\n${titled.map((s) => `<a href="#${anchor(s.heading!)}">${escapeHtml(s.heading!)}</a>`).join('\n')}\n</nav>\n`;
}

/**
 * The `# ` title, the introduction (its paragraphs up to the first table,
 * list or `## `), and the sections: each `## `, and an untitled one for a
 * table or list that comes before any (a summary of replications is one table).
 */
function splitSummary(markdown: string): Summary {
  const lines = markdown.split('\n');
  const title = (lines[0] ?? '').replace(/^#\s+/, '');
  const intro: string[] = [];
  const sections: Summary['sections'] = [];
  for (const line of lines.slice(1)) {
    if (line.startsWith('## ')) sections.push({ heading: line.slice(3), body: '' });
    else if (sections.length === 0 && !line.startsWith('|') && !line.startsWith('- ')) intro.push(line);
    else {
      if (sections.length === 0) sections.push({ heading: null, body: '' });
      sections[sections.length - 1].body += `${line}\n`;
    }
  }
  return { title, intro: intro.join('\n'), sections };
}

/** A vega-lite title, plain (`"..."`) or with a subtitle (`{text: "..."}`). */
function titleOf(spec: Record<string, unknown>): string | null {
  const title = spec.title;
  if (typeof title === 'string') return title;
  if (typeof title === 'object' && title !== null && typeof (title as { text?: unknown }).text === 'string') return (title as { text: string }).text;
  return null;
}
