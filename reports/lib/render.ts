// Headless rendering of chart specs: vega-lite → vega → a View with no
// renderer → SVG; PNG from that SVG with resvg. Vega's own randomness is
// seeded so the same spec gives the same bytes.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { Resvg } from '@resvg/resvg-js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HOVER_LAYER } from './charts.ts';

/** Width of exported charts in CSS pixels (specs say `container`, which a file does not have). */
export const EXPORT_WIDTH = 1000;
/** PNG pixels per SVG pixel. */
export const PNG_SCALE = 2;
/** The font the PNG renderer falls back to; DejaVu Sans ships with Debian (`fonts-dejavu-core`). */
export const PNG_FONT = 'DejaVu Sans';

// vega-typings does not declare these two, but vega re-exports them from vega-statistics.
const statistics = vega as unknown as { setRandom(random: () => number): void; randomLCG(seed: number): () => number };

/**
 * The spec with a fixed width instead of the page container's, without the
 * hover layer a file cannot use, and with `caption` (scenario, seed, commit:
 * a file travels without its page) as the last line under the title.
 */
export function forExport(spec: TopLevelSpec, width: number = EXPORT_WIDTH, caption?: string): TopLevelSpec {
  const out = { ...spec, width } as TopLevelSpec;
  if ('layer' in out) out.layer = out.layer.filter((layer) => layer.name !== HOVER_LAYER);
  if (caption !== undefined && typeof out.title === 'object' && out.title !== null && !Array.isArray(out.title)) {
    const title = out.title as { text: string | string[]; subtitle?: string | string[] };
    const subtitle = title.subtitle === undefined ? [] : Array.isArray(title.subtitle) ? title.subtitle : [title.subtitle];
    out.title = { ...title, subtitle: [...subtitle, caption] } as TopLevelSpec['title'];
  }
  return out;
}

export async function renderSvg(spec: TopLevelSpec, width: number = EXPORT_WIDTH, caption?: string): Promise<string> {
  statistics.setRandom(statistics.randomLCG(1));
  const runtime = vega.parse(compile(forExport(spec, width, caption)).spec);
  const view = new vega.View(runtime, { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * DejaVu Sans's faces where Debian puts them: the face every chart's font
 * list resolves to there. Given alone, resvg reads four files per chart
 * instead of every system font (~5 ms a chart), and draws the same pixels.
 * Elsewhere (or with a face missing), the system's fonts.
 */
const DEJAVU_DIR = '/usr/share/fonts/truetype/dejavu';
const DEJAVU_FACES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf', 'DejaVuSans-Oblique.ttf', 'DejaVuSans-BoldOblique.ttf'].map((f) => join(DEJAVU_DIR, f));
let fontSource: { loadSystemFonts: boolean; fontFiles?: string[] } | undefined;

function fonts() {
  fontSource ??= DEJAVU_FACES.every((f) => existsSync(f)) ? { loadSystemFonts: false, fontFiles: DEJAVU_FACES } : { loadSystemFonts: true };
  return fontSource;
}

/**
 * The chart fonts shipped in fonts/ (fonts/make-fonts.sh): DejaVu Sans and its bold, cut to the
 * characters charts use. resvg reads a font file whole every time it looks up a glyph, some 500
 * times a chart; the full face is 760 KB and ~20 ms a chart went into reading it again and again.
 * The cut faces hold the same outlines and metrics: the same PNG bytes (every chart of the
 * catalogue compared), on any machine, where Debian's faces are installed or not. A chart with a
 * character they lack, or with italic text, is drawn with the faces above.
 */
const FONTS_DIR = fileURLToPath(new URL('./fonts/', import.meta.url));
const CHART_FACES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) => join(FONTS_DIR, f));
let chartFaces: { covered: Set<number>; files: string[] } | null | undefined;

function chartFonts(): { covered: Set<number>; files: string[] } | null {
  if (chartFaces === undefined) {
    try {
      const { ranges } = JSON.parse(readFileSync(join(FONTS_DIR, 'coverage.json'), 'utf8')) as { ranges: [number, number][] };
      const covered = new Set<number>();
      for (const [first, last] of ranges) for (let c = first; c <= last; c++) covered.add(c);
      chartFaces = CHART_FACES.every((f) => existsSync(f)) ? { covered, files: CHART_FACES } : null;
    } catch {
      chartFaces = null;
    }
  }
  return chartFaces;
}

/** Whether the chart fonts draw everything in `svg`: no italic, and every character (also as &#…;) theirs. */
export function chartFontsCover(svg: string): boolean {
  const faces = chartFonts();
  if (faces === null || /font-style="(italic|oblique)"/.test(svg)) return false;
  for (const [char] of svg.matchAll(/[^\x00-\x7e]/gu)) if (!faces.covered.has(char.codePointAt(0)!)) return false;
  for (const [, hex, decimal] of svg.matchAll(/&#(?:x([0-9a-fA-F]+)|([0-9]+));/g)) {
    const code = hex !== undefined ? Number.parseInt(hex, 16) : Number(decimal);
    if (!faces.covered.has(code)) return false;
  }
  return true;
}

export function svgToPng(svg: string, scale: number = PNG_SCALE): Uint8Array {
  const font = chartFontsCover(svg) ? { loadSystemFonts: false, fontFiles: chartFonts()!.files } : fonts();
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: '#ffffff',
    font: { ...font, defaultFontFamily: PNG_FONT, sansSerifFamily: PNG_FONT },
  });
  return resvg.render().asPng();
}
