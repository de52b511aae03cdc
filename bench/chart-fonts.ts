// `node --import tsx bench/chart-fonts.ts`: every chart of every shipped scenario (2,000 clients,
// seed 1) rendered to PNG twice, with the chart fonts stampede ships (reports/lib/fonts/, what
// `--png` uses) and with Debian's four full DejaVu Sans faces (what it used before); prints whether
// each pair is the same bytes and what each costs; then resvg's own PNG writer against
// reports/lib/png.ts on the same renderings. The figures of docs/reports.md, "Static charts".
// Needs Debian's fonts-dejavu-core. Took about a minute on a 2-core machine (2026-12-06), six on
// 2026-12-07, most of it system time, while the VM was paging out its file cache.
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildReport } from '../reports/lib/index.ts';
import { pngOf, rasterize, renderSvg, svgToPng } from '../reports/lib/render.ts';
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

const svgs: string[] = [];
for (const file of files) {
  const { scenario } = loadScenarioFile(join(ROOT, file), [`population.clients=${Math.min(2000, loadScenarioFile(join(ROOT, file)).scenario.population.clients)}`]);
  for (const chart of buildReport(runScenario(scenario)).charts) svgs.push(await renderSvg(chart.spec));
}
const fullFaces = (svg: string) => pngOf(rasterize(svg, { loadSystemFonts: false, fontFiles: DEBIAN }));
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

let same = 0;
const full: number[] = [];
const shipped: number[] = [];
for (let round = 0; round < 3; round++) {
  let started = cpu();
  const reference = svgs.map(fullFaces);
  full.push((cpu() - started) / svgs.length);
  started = cpu();
  const pngs = svgs.map((svg) => svgToPng(svg));
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
}
const perChart = (total: number) => (total / covered.length).toFixed(1);
const kb = (bytes: number) => (bytes / covered.length / 1024).toFixed(1);
console.log(`PNG writing a chart (${covered.length} charts): resvg's asPng ${perChart(theirs)} ms, ${kb(theirBytes)} KB; reports/lib/png.ts ${perChart(ours)} ms, ${kb(ourBytes)} KB`);
