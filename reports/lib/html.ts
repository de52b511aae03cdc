// The report page: one self-contained HTML file (vega, vega-lite and
// vega-embed inlined from node_modules, no network), a header an operator
// reads in ten seconds, then the charts. Pure apart from reading the bundles.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { RunResult } from '../../sim/result.ts';
import type { ChartDef } from './charts.ts';
import { humanDuration, type ChartContext } from './context.ts';
import type { Figure } from './figures.ts';
import type { GateVerdict } from './types.ts';
import { DETECTOR_COLUMNS, detectorRows, grayStories, elapsed } from './gray.ts';
import { formatMeasure, headline, recoveryFact, type Badge, type Headline } from './verdict.ts';
import { formatInteger } from '../../sim/format-integer.ts';
import { scenarioYaml } from './scenario-yaml.ts';

export interface Bundle {
  name: string;
  version: string;
  /** The minified build as it is on disk: a page takes it as bytes, never decoded (see PagePiece). */
  bytes: Buffer;
}

const require = createRequire(import.meta.url);
let bundles: Bundle[] | undefined;

/** The minified browser builds, in load order (vega-embed needs the other two as globals). */
export function vegaBundles(): Bundle[] {
  bundles ??= (
    [
      ['vega', 'vega.min.js'],
      ['vega-lite', 'vega-lite.min.js'],
      ['vega-embed', 'vega-embed.min.js'],
    ] as const
  ).map(([name, file]) => {
    const dir = packageDir(name);
    const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
    return { name, version, bytes: scriptBytes(readFileSync(join(dir, 'build', file))) };
  });
  return bundles;
}

/**
 * A part of a page: its text, or a chart library's bytes. The libraries are ~830 KB of a page and
 * hold a few characters beyond ASCII, so as a string each made the whole page a two-byte string,
 * decoded from UTF-8 on reading and encoded back on writing: a third of writing a small run's report.
 */
export type PagePiece = string | Uint8Array;

/** A page's bytes, as written: its text as UTF-8, the libraries as they are. */
export function pageBytes(pieces: readonly PagePiece[]): Buffer {
  return Buffer.concat(pieces.map((piece) => (typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece)));
}

/** A page as one string (tests, and pages that are not written by the run command). */
export function pageText(pieces: readonly PagePiece[]): string {
  return pieces.map((piece) => (typeof piece === 'string' ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength).toString('utf8'))).join('');
}

/**
 * Where Node would find package `name` from here: the first node_modules on the way up that has
 * it. Not `require.resolve`, whose reading of each package's "exports" cost 5 ms a report.
 */
function packageDir(name: string): string {
  for (const modules of require.resolve.paths(name) ?? []) {
    const dir = join(modules, name);
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  throw new Error(`cannot find the ${name} package (npm ci installs it)`);
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** JSON that is safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/**
 * Code that is safe inside a <script> element (the bundles contain no `</script`, but be sure): read
 * through latin1, which maps each byte to one character, so that the check decodes nothing.
 */
function scriptBytes(code: Buffer): Buffer {
  const text = code.toString('latin1');
  return /<\/script/i.test(text) ? Buffer.from(code.toString('utf8').replace(/<\/(script)/gi, '<\\/$1'), 'utf8') : code;
}

export interface PageInput {
  result: RunResult;
  ctx: ChartContext;
  charts: readonly ChartDef[];
  figures: readonly Figure[];
  verdicts?: readonly GateVerdict[];
  gitCommit?: string | null;
}

function badge(b: Badge): string {
  return `<span class="badge ${b.level}">${escapeHtml(b.text)}</span>`;
}

function gatesSection(verdicts: readonly GateVerdict[] | undefined): string {
  if (verdicts === undefined || verdicts.length === 0) {
    return '<p class="muted">No assertions: this scenario has no <code>assert:</code> gates, so the run neither passes nor fails.</p>';
  }
  const rows = verdicts
    .map(
      (v) =>
        `<tr class="${v.passed ? 'ok' : 'fail'}"><td>${v.passed ? '✔ passed' : '✘ failed'}</td><td><code>${escapeHtml(v.assertion)}</code></td>` +
        `<td class="num">${escapeHtml(formatMeasure(v.measured))}</td><td class="num">${escapeHtml(formatMeasure(v.limit))}</td></tr>`,
    )
    .join('\n');
  return `<table class="gates"><thead><tr><th>verdict</th><th>assertion</th><th class="num">measured</th><th class="num">limit</th></tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

/** Each leaking server's story, step by step, and the detectors' table; empty without leaks. */
function graySection(result: RunResult): string {
  const stories = grayStories(result);
  if (stories.length === 0) return '';
  const story = stories
    .map(
      (s) =>
        `<div class="story ${s.level}" data-server="${escapeHtml(s.server)}"><div class="story-title"><b>${escapeHtml(s.server)}</b>: ${escapeHtml(s.outcome)}</div><ol>` +
        s.steps.map((step) => `<li class="${step.kind}"><span class="when">${escapeHtml(elapsed(step.at))}</span> ${escapeHtml(step.text)}</li>`).join('') +
        `</ol><div class="l4">${escapeHtml(s.l4)}</div></div>`,
    )
    .join('\n');
  const rows = detectorRows(result.summary)
    .map(
      (d) =>
        `<tr class="${d.level}"><td>${escapeHtml(d.detector)}</td><td class="num">${escapeHtml(d.caught)}</td><td class="num">${escapeHtml(d.leadToFailure)}</td>` +
        `<td class="num">${escapeHtml(d.leadToDeath)}</td><td class="num">${escapeHtml(d.falseAlarms)}</td><td class="num">${escapeHtml(d.perServerDay)}</td></tr>`,
    )
    .join('\n');
  const table =
    rows === ''
      ? ''
      : `<table class="gates detectors"><thead><tr>${DETECTOR_COLUMNS.map((c, i) => `<th${i === 0 ? '' : ' class="num"'}>${escapeHtml(c)}</th>`).join('')}</tr></thead><tbody>\n${rows}\n</tbody></table>` +
        '<p class="muted">Lead: from the detector\'s alert to the first failure clients saw (a 503 in a GC pause, or the death) and to the out-of-memory death; the shortest over the leaking servers, 0 for a leak it missed. Times since the run\'s start.</p>';
  return `<h2>Gray failure: the leaking servers</h2>\n<div class="stories">\n${story}\n</div>\n<h2>Leak detectors</h2>\n${table}`;
}

function figureCards(figures: readonly Figure[]): string {
  return figures
    .map((f) => {
      const verdict = f.passed === undefined ? '' : ` data-verdict="${f.passed ? 'pass' : 'fail'}"`;
      return (
        `<div class="figure${f.level ? ` ${f.level}` : ''}"${verdict}><div class="label">${escapeHtml(f.label)}</div><div class="value">${escapeHtml(f.value)}</div>` +
        (f.note ? `<div class="note">${escapeHtml(f.note)}</div>` : '') +
        (f.gate ? `<div class="gate">${escapeHtml(f.gate)}</div>` : '') +
        '</div>'
      );
    })
    .join('\n');
}

/** The verdict, first and largest: PASS / FAIL and which assertions failed, or the recovery when there are none. */
function headlineBlock(h: Headline): string {
  const failures = h.failures.length === 0 ? '' : `<ul class="failures">${h.failures.map((f) => `<li><code>${escapeHtml(f)}</code></li>`).join('')}</ul>`;
  return `<div class="headline ${h.level}" data-level="${h.level}"><span class="word">${escapeHtml(h.word)}</span> <span class="text">${escapeHtml(h.text)}</span>${failures}</div>`;
}

/** A chart's container (filled by `chartScripts`), with its caption if it has one. */
export function chartSection(chart: Pick<ChartDef, 'id' | 'title' | 'caption' | 'wide'>): string {
  return (
    `<section class="chart${chart.wide ? ' wide' : ''}" aria-label="${escapeHtml(chart.title)}">\n` +
    `<div class="vega" id="chart-${chart.id}" data-chart="${chart.id}"></div>\n` +
    (chart.caption === '' ? '' : `<p class="caption">${escapeHtml(chart.caption)}</p>\n`) +
    '</section>'
  );
}

export const PAGE_CSS = `
:root { color-scheme: light; --ok: #1b7f3b; --ok-bg: #e3f4e8; --warn: #8a5a00; --warn-bg: #fff1d6; --fail: #b3261e; --fail-bg: #fde7e4; --none: #4a4f57; --none-bg: #eceef1; --line: #dde1e6; }
* { box-sizing: border-box; }
body { margin: 0; background: #f5f6f8; color: #1f2328; font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', 'Liberation Sans', Arial, sans-serif; }
main, header .inner, footer { max-width: 1500px; margin: 0 auto; padding: 0 24px; }
header { background: #fff; border-bottom: 1px solid var(--line); border-top: 6px solid var(--none); margin-bottom: 20px; }
header.ok { border-top-color: var(--ok); } header.warn { border-top-color: #d99a00; } header.fail { border-top-color: var(--fail); }
header .inner { padding-top: 16px; padding-bottom: 16px; }
h1 { font-size: 24px; margin: 0 12px 0 0; display: inline; vertical-align: middle; }
h2 { font-size: 15px; margin: 18px 0 8px; }
.title-row { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; }
.badge { display: inline-block; border-radius: 999px; padding: 3px 12px; font-weight: 600; font-size: 13px; background: var(--none-bg); color: var(--none); }
.badge.ok { background: var(--ok-bg); color: var(--ok); } .badge.warn { background: var(--warn-bg); color: var(--warn); } .badge.fail { background: var(--fail-bg); color: var(--fail); }
.description { margin: 8px 0 4px; font-size: 15px; }
.meta { color: #57606a; margin: 0; }
.meta code { font-size: 12px; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 10px; margin-top: 14px; }
.figure { border: 1px solid var(--line); border-left: 4px solid #c4cad1; border-radius: 6px; padding: 8px 10px; background: #fbfbfc; }
.figure.ok { border-left-color: var(--ok); } .figure.warn { border-left-color: #d99a00; } .figure.fail { border-left-color: var(--fail); }
.figure .label { color: #57606a; font-size: 12px; }
.figure .value { font-size: 18px; font-weight: 600; font-variant-numeric: tabular-nums; }
.figure .note { color: #57606a; font-size: 12px; }
.figure .gate { font-size: 12px; margin-top: 2px; font-family: ui-monospace, 'DejaVu Sans Mono', monospace; overflow-wrap: anywhere; }
.figure.ok .gate { color: var(--ok); } .figure.fail .gate { color: var(--fail); }
.headline { margin: 10px 0 6px; padding: 8px 14px; border-radius: 6px; background: var(--none-bg); color: var(--none); font-size: 17px; }
.headline .word { font-weight: 800; letter-spacing: 0.04em; margin-right: 6px; }
.headline.ok { background: var(--ok-bg); color: var(--ok); } .headline.warn { background: var(--warn-bg); color: var(--warn); } .headline.fail { background: var(--fail-bg); color: var(--fail); }
.headline ul.failures { margin: 4px 0 0; padding-left: 20px; font-size: 13px; }
.headline ul.failures code { font-size: 13px; }
.muted { color: #57606a; }
.stories { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 10px; }
.story { border: 1px solid var(--line); border-left: 4px solid #c4cad1; border-radius: 6px; padding: 8px 12px; background: #fbfbfc; }
.story.fail { border-left-color: var(--fail); } .story.warn { border-left-color: #d99a00; }
.story ol { margin: 4px 0; padding-left: 0; list-style: none; }
.story li .when { display: inline-block; min-width: 9em; color: #57606a; font-variant-numeric: tabular-nums; }
.story li.died { color: var(--fail); font-weight: 600; } .story li.alert { color: var(--warn); }
.story .l4 { color: #57606a; font-size: 13px; }
table.detectors tr.fail td:first-child { color: var(--fail); } table.detectors tr.warn td:first-child { color: var(--warn); }
table.gates { border-collapse: collapse; margin: 4px 0; }
table.gates th, table.gates td { border-bottom: 1px solid var(--line); padding: 4px 12px 4px 0; text-align: left; }
table.gates td.num, table.gates th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.gates tr.ok td:first-child { color: var(--ok); font-weight: 600; } table.gates tr.fail td:first-child { color: var(--fail); font-weight: 600; }
details { margin-top: 12px; }
summary { cursor: pointer; font-weight: 600; }
details pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; overflow: auto; max-height: 420px; font-size: 12px; }
.charts { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px; }
.chart { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px 8px; min-width: 0; }
.chart.wide { grid-column: 1 / -1; }
.vega { width: 100%; min-height: 120px; }
.vega.error { color: var(--fail); }
.caption { color: #57606a; font-size: 13px; margin: 6px 0 4px; max-width: 110ch; }
footer { color: #6e7781; font-size: 12px; padding-top: 12px; padding-bottom: 24px; }
@media (max-width: 900px) { .charts { grid-template-columns: minmax(0, 1fr); } }
`;

/**
 * Renders the charts with vega-embed one after the other, yielding to the
 * browser in between so the header and the first charts show at once.
 * Vega's randomness is seeded. Each container gets data-rendered="true" (or
 * "error"), and the body data-charts="done" at the end, for tests to wait on.
 */
const BOOT = `
(function () {
  var charts = JSON.parse(document.getElementById('stampede-charts').textContent);
  vega.setRandom(vega.randomLCG(1));
  var options = { renderer: 'svg', actions: { export: true, source: false, compiled: false, editor: false } };
  window.stampedeViews = {};
  window.stampedeTimings = {};
  function next(i) {
    if (i === charts.length) { document.body.setAttribute('data-charts', 'done'); return; }
    var chart = charts[i];
    var el = document.getElementById('chart-' + chart.id);
    vegaEmbed(el, chart.spec, options).then(function (result) {
      window.stampedeViews[chart.id] = result.view;
      window.stampedeTimings[chart.id] = Math.round(performance.now());
      el.setAttribute('data-rendered', 'true');
    }, function (error) {
      el.setAttribute('data-rendered', 'error');
      el.classList.add('error');
      el.textContent = 'This chart failed to render: ' + error.message;
      console.error(error);
    }).then(function () { setTimeout(function () { next(i + 1); }, 0); });
  }
  setTimeout(function () { next(0); }, 0);
})();
`;

/**
 * The end of a page with charts: the libraries (last, so that what is above
 * shows before they are parsed), the specs, and the script that renders each
 * into its `chart-<id>` container.
 */
export function chartScripts(charts: readonly { id: string; spec: unknown }[]): PagePiece[] {
  const specs = charts.map((c) => ({ id: c.id, spec: c.spec }));
  return [
    "<!-- The charts' libraries come last so the header shows before they are parsed. -->\n",
    ...vegaBundles().flatMap((b, k) => [`${k === 0 ? '' : '\n'}<script>/* ${b.name} ${b.version} */\n`, b.bytes, '\n</script>']),
    `\n<script type="application/json" id="stampede-charts">${scriptJson(specs)}</script>
<script>${BOOT}</script>`,
  ];
}

/** A page's start, up to </head>: offline, styles inline. */
export function pageHead(version: string, title: string, css: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="stampede ${escapeHtml(version)}">
<title>${escapeHtml(title)}</title>
<style>${css}</style>
</head>`;
}

/** "vega 6.x, vega-lite 6.x, ...": what a page's footer credits. */
export function chartLibraries(): string {
  return vegaBundles().map((b) => `${b.name} ${b.version}`).join(', ');
}

/** The run report's page, in pieces (PagePiece). */
export function reportHtml(input: PageInput): PagePiece[] {
  const { result, ctx, charts, figures, verdicts, gitCommit } = input;
  const s = result.summary;
  const scenario = ctx.scenario;
  const verdict = headline(s, verdicts);
  const recovery = recoveryFact(s, verdicts);
  const level = verdict.level;
  const title = `${scenario.name} · seed ${result.seed}`;
  const meta = [
    `seed <b>${result.seed}</b>`,
    `stampede <b>${escapeHtml(result.stampede.version)}</b>`,
    gitCommit ? `commit <code>${escapeHtml(gitCommit)}</code>` : 'commit unknown',
    `${formatInteger(s.clients)} clients`,
    `${humanDuration(scenario.duration)} simulated, sampled every ${humanDuration(scenario.sampleInterval)}`,
    `${formatInteger(s.events)} events`,
  ].join(' · ');
  const text = `${pageHead(result.stampede.version, `${title} · stampede report`, PAGE_CSS)}
<body>
<header class="${level}">
<div class="inner">
<div class="title-row"><h1>${escapeHtml(scenario.name)}</h1>${verdicts === undefined || verdicts.length === 0 ? '' : badge(recovery)}</div>
${headlineBlock(verdict)}
${scenario.description ? `<p class="description">${escapeHtml(scenario.description)}</p>` : ''}
<p class="meta">${meta}</p>
<div class="figures">
${figureCards(figures)}
</div>
${graySection(result)}
<h2>Gates</h2>
${gatesSection(verdicts)}
<details>
<summary>Resolved parameters (re-runnable scenario)</summary>
<pre>${escapeHtml(scenarioYaml(result.scenario))}</pre>
</details>
</div>
</header>
<main>
<div class="charts">
${charts.map(chartSection).join('\n')}
</div>
</main>
<footer>
Generated by stampede ${escapeHtml(result.stampede.version)} from <code>result.json</code> (the exact numbers); long series are shown aggregated.
Charts: ${chartLibraries()}, inlined, so this file works offline.
</footer>
`;
  return [text, ...chartScripts(charts), '\n</body>\n</html>\n'];
}
