// Run reports: `writeReport(result, outDir)` writes index.html (self-contained,
// offline) and summary.md next to result.json, and with --svg / --png each
// chart as a file under charts/. See docs/reports.md.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as turnOfTheEventLoop } from 'node:timers/promises';
import type { RunResult } from '../../sim/result.ts';
import { writeThroughTemporary } from '../../sim/cli/output.ts';
import { reportCharts, type ChartDef } from './charts.ts';
import { chartContext, type ChartContext } from './context.ts';
import { keyFigures } from './figures.ts';
import { pageBytes, pageText, reportHtml, type PagePiece } from './html.ts';
import { summaryMarkdown } from './markdown.ts';
import type { ControlPlaneEvent, ReportOptions } from './types.ts';

export type { ControlPlaneEvent, GateVerdict, ReportOptions } from './types.ts';
export { currentGitCommit } from './git.ts';
export type { ChartDef } from './charts.ts';

export interface ReportContent {
  ctx: ChartContext;
  charts: ChartDef[];
  /** index.html as written: text and the chart libraries' bytes (html.ts, PagePiece). */
  page: PagePiece[];
  /** index.html as one string, made when asked for. */
  readonly html: string;
  markdown: string;
}

/** Everything a report holds: a pure function of the result and the options. */
export function buildReport(result: RunResult, options: ReportOptions = {}): ReportContent {
  const ctx = chartContext(result, options.events ?? eventsOf(result), options.verdicts, options.scenario);
  const charts = reportCharts(result, ctx);
  const figures = keyFigures(result, ctx, options.verdicts);
  const common = { result, ctx, figures, verdicts: options.verdicts, gitCommit: options.gitCommit ?? null };
  const page = reportHtml({ ...common, charts });
  return {
    ctx,
    charts,
    page,
    get html() {
      return pageText(page);
    },
    markdown: summaryMarkdown({ ...common, reportPath: 'index.html' }),
  };
}

/**
 * Writes index.html and summary.md into `outDir` (and charts/<id>.svg / .png
 * when asked), each atomically. Returns the paths written, index.html first.
 * Async because vega renders SVG asynchronously.
 */
export async function writeReport(result: RunResult, outDir: string, options: ReportOptions = {}): Promise<string[]> {
  const report = buildReport(result, options);
  mkdirSync(outDir, { recursive: true });
  const written = [writeThroughTemporary(join(outDir, 'index.html'), pageBytes(report.page)), writeThroughTemporary(join(outDir, 'summary.md'), report.markdown)];
  if (options.svg || options.png) {
    const dir = join(outDir, 'charts');
    mkdirSync(dir, { recursive: true });
    const caption = exportCaption(result, report.ctx, options.gitCommit ?? null);
    // vega, vega-lite and resvg (a third of a second to load) only when a chart is rendered here;
    // index.html renders its charts in the browser.
    const { renderSvg, svgToPng } = await import('./render.ts');
    for (const chart of report.charts) {
      const svg = await renderSvg(chart.spec, undefined, caption);
      if (options.svg) written.push(writeThroughTemporary(join(dir, `${chart.id}.svg`), svg));
      if (options.png) {
        written.push(writeThroughTemporary(join(dir, `${chart.id}.png`), svgToPng(svg)));
        // resvg's drawing (~6 MB at 2×, outside V8's heap) is freed by a finalizer that Node runs only
        // once the event loop turns: without a turn here, the report held every chart's drawing to its
        // end (50 charts in a row: peak RSS +586 MB against +69 MB, bench/chart-fonts.ts).
        await turnOfTheEventLoop();
      }
    }
  }
  return written;
}

/** What a chart file says about where it comes from: `lookup-outage · seed 1 · commit 1a2b3c · stampede 0.1.0`. */
export function exportCaption(result: RunResult, ctx: ChartContext, gitCommit: string | null): string {
  return [ctx.scenario.name, `seed ${result.seed}`, `commit ${gitCommit ?? 'unknown'}`, `stampede ${result.stampede.version}`].join(' · ');
}

/** The control-plane events a result carries (results written before they existed have none). */
function eventsOf(result: RunResult): readonly ControlPlaneEvent[] {
  const events = (result as unknown as { events?: unknown }).events;
  return Array.isArray(events) ? (events as ControlPlaneEvent[]) : [];
}

