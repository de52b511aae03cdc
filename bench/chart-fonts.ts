// `node --import tsx bench/chart-fonts.ts`: every chart of every shipped scenario (2,000 clients,
// seed 1) rendered to PNG twice, with the chart fonts stampede ships (reports/lib/fonts/, what
// `--png` uses) and with Debian's four full DejaVu Sans faces (what it used before); prints whether
// each pair is the same bytes and what each costs; then resvg's own PNG writer against
// reports/lib/png.ts on the same renderings; then the SVG with every mark's items described
// (vega-lite's default) against the export's (reports/lib/render.ts, forExport), and whether both
// draw the same pixels; last, the peak RSS of a fresh process drawing 50 charts as PNG in a row,
// with and without a turn of the event loop after each (reports/lib/index.ts). The figures of
// docs/reports.md, "Static charts".
// Needs Debian's fonts-dejavu-core. Takes about four minutes on a 2-core machine (2026-12-07), with
// ~400 MB of RSS.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setImmediate } from 'node:timers/promises';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildReport } from '../reports/lib/index.ts';
import type { TopLevelSpec } from 'vega-lite';
import { forExport, pngOf, rasterize, renderSvg, svgOf, svgToPng } from '../reports/lib/render.ts';
import { chartFontsCover } from '../reports/lib/chart-fonts.ts';
import { encodePng } from '../reports/lib/png.ts';
import { loadScenarioFile } from '../sim/scenario/load.ts';
import { runScenario } from '../sim/simulation.ts';

const ROOT = join(import.meta.dirname, '..');
const DEBIAN = ['', '-Bold', '-Oblique', '-BoldOblique'].map((face) => `/usr/share/fonts/truetype/dejavu/DejaVuSans${face}.ttf`);
if (!DEBIAN.every((f) => existsSync(f))) {
  process.stderr.write('bench/chart-fonts.ts compares with Debian\'s DejaVu Sans faces: apt-get install fonts-dejavu-core\n');
  process.exit(2);
}
const files = readdirSync(join(ROOT, 'scenarios'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.yaml')).map((f) => relative(ROOT, join(ROOT, 'scenarios', f))).sort();

const specs: TopLevelSpec[] = [];
for (const file of files) {
  const { scenario } = loadScenarioFile(join(ROOT, file), [`population.clients=${Math.min(2000, loadScenarioFile(join(ROOT, file)).scenario.population.clients)}`]);
  for (const chart of buildReport(runScenario(scenario)).charts) specs.push(chart.spec);
}
const svgs: string[] = [];
for (const spec of specs) svgs.push(await renderSvg(spec));
const fullFaces = (svg: string) => pngOf(rasterize(svg, { loadSystemFonts: false, fontFiles: DEBIAN }));
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

let same = 0;
const full: number[] = [];
const shipped: number[] = [];
// resvg's drawings are freed once the event loop turns (reports/lib/index.ts): a turn after each, or
// the bench holds them all (24 GB, and the VM swapping, on 2026-12-07).
const eachWithTurns = async <T>(items: string[], draw: (svg: string) => T): Promise<T[]> => {
  const out: T[] = [];
  for (const svg of items) {
    out.push(draw(svg));
    await setImmediate();
  }
  return out;
};
for (let round = 0; round < 3; round++) {
  let started = cpu();
  const reference = await eachWithTurns(svgs, fullFaces);
  full.push((cpu() - started) / svgs.length);
  started = cpu();
  const pngs = await eachWithTurns(svgs, (svg) => svgToPng(svg));
  shipped.push((cpu() - started) / svgs.length);
  if (round === 0) same = pngs.filter((png, k) => Buffer.from(png).equals(Buffer.from(reference[k]))).length;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`${svgs.length} charts of ${files.length} scenarios; drawn by the chart fonts: ${svgs.filter(chartFontsCover).length}`);
console.log(`the same PNG bytes as with Debian's full faces: ${same} of ${svgs.length}`);
console.log(`CPU a chart (median of 3 rounds): full faces ${median(full).toFixed(1)} ms, chart fonts ${median(shipped).toFixed(1)} ms`);

// The PNG writers side by side, on the same renderings (chart fonts): resvg's own (`asPng`) and png.ts.
const covered = svgs.filter(chartFontsCover);
let theirs = 0;
let ours = 0;
let theirBytes = 0;
let ourBytes = 0;
for (const svg of covered) {
  const image = rasterize(svg);
  let started = cpu();
  theirBytes += image.asPng().length;
  theirs += cpu() - started;
  started = cpu();
  ourBytes += encodePng(image.pixels, image.width, image.height).length;
  ours += cpu() - started;
  await setImmediate();
}
const perChart = (total: number) => (total / covered.length).toFixed(1);
const kb = (bytes: number) => (bytes / covered.length / 1024).toFixed(1);
console.log(`PNG writing a chart (${covered.length} charts): resvg's asPng ${perChart(theirs)} ms, ${kb(theirBytes)} KB; reports/lib/png.ts ${perChart(ours)} ms, ${kb(ourBytes)} KB`);

// SVG rendering with every mark's items described, as vega-lite does by default, against the export's,
// alternating by round; then whether each pair draws the same pixels.
const described = (spec: TopLevelSpec) => {
  const exported = forExport(spec);
  return svgOf({ ...exported, config: { ...exported.config, mark: { ...exported.config?.mark, aria: true } } } as TopLevelSpec);
};
const everyItem: number[] = [];
const exportOnly: number[] = [];
let describedSvgs: string[] = [];
for (let round = 0; round < 3; round++) {
  let started = cpu();
  describedSvgs = [];
  for (const spec of specs) describedSvgs.push(await described(spec));
  everyItem.push((cpu() - started) / specs.length);
  started = cpu();
  for (const spec of specs) await renderSvg(spec);
  exportOnly.push((cpu() - started) / specs.length);
}
let samePixels = 0;
for (let k = 0; k < specs.length; k++) {
  if (Buffer.from(rasterize(describedSvgs[k]).pixels).equals(Buffer.from(rasterize(svgs[k]).pixels))) samePixels++;
  await setImmediate();
}
const size = (list: string[]) => (list.reduce((sum, svg) => sum + svg.length, 0) / list.length / 1024).toFixed(1);
console.log(`SVG a chart (median of 3 rounds): every item described ${median(everyItem).toFixed(1)} ms, ${size(describedSvgs)} KB; as exported ${median(exportOnly).toFixed(1)} ms, ${size(svgs)} KB; the same pixels: ${samePixels} of ${specs.length}`);

// Peak RSS of a fresh process drawing charts as PNG one after the other, with and without a turn of the
// event loop after each: resvg's drawings are freed by finalizers Node runs when the loop turns.
const SAMPLE = 50;
const sampleFile = join(mkdtempSync(join(tmpdir(), 'stampede-bench-')), 'svgs.json');
writeFileSync(sampleFile, JSON.stringify(svgs.slice(0, SAMPLE)));
const drawInARow = (turns: boolean) => `import { readFileSync } from 'node:fs';
import { setImmediate } from 'node:timers/promises';
const { svgToPng } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'reports/lib/render.ts')).href)});
const svgs = JSON.parse(readFileSync(${JSON.stringify(sampleFile)}, 'utf8'));
svgToPng(svgs[0]);
await setImmediate();
const before = process.resourceUsage().maxRSS;
for (const svg of svgs) {
  svgToPng(svg);
  ${turns ? 'await setImmediate();' : ''}
}
console.log((process.resourceUsage().maxRSS - before) / 1024);`;
const growth = (turns: boolean) => Number(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', drawInARow(turns)], { cwd: ROOT, encoding: 'utf8' }).trim());
console.log(`peak RSS over ${SAMPLE} charts drawn as PNG in a row: +${growth(false).toFixed(0)} MB without a turn of the event loop after each, +${growth(true).toFixed(0)} MB with`);
rmSync(dirname(sampleFile), { recursive: true, force: true });
