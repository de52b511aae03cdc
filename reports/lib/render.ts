// Headless rendering of chart specs: vega-lite → vega → a View with no
// renderer → SVG; PNG from that SVG with resvg. Vega's own randomness is
// seeded so the same spec gives the same bytes; the PNG is written by png.ts.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { Resvg, type RenderedImage } from '@resvg/resvg-js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HOVER_LAYER } from './charts.ts';
import { CHART_FONT_FILES, chartFontsCover } from './chart-fonts.ts';
import { encodePng } from './png.ts';

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
 *
 * In a file the marks are not described item by item: vega-lite describes
 * every data point (`aria-label`, each number formatted), a fifth of a
 * chart's SVG time (bench/chart-fonts.ts), and a line or an area keeps only
 * its first point's description. The title, axes and legends keep theirs, and so do text marks,
 * the annotations a reader reads. The pixels are the same.
 */
export function forExport(spec: TopLevelSpec, width: number = EXPORT_WIDTH, caption?: string): TopLevelSpec {
  const config = spec.config ?? {};
  const out = { ...spec, width, config: { ...config, mark: { ...config.mark, aria: false }, text: { ...config.text, aria: true } } } as TopLevelSpec;
  if ('layer' in out) out.layer = out.layer.filter((layer) => layer.name !== HOVER_LAYER);
  if (caption !== undefined && typeof out.title === 'object' && out.title !== null && !Array.isArray(out.title)) {
    const title = out.title as { text: string | string[]; subtitle?: string | string[] };
    const subtitle = title.subtitle === undefined ? [] : Array.isArray(title.subtitle) ? title.subtitle : [title.subtitle];
    out.title = { ...title, subtitle: [...subtitle, caption] } as TopLevelSpec['title'];
  }
  return out;
}

export async function renderSvg(spec: TopLevelSpec, width: number = EXPORT_WIDTH, caption?: string): Promise<string> {
  return svgOf(forExport(spec, width, caption));
}

/** The SVG of `spec` as it is, without forExport's changes (renderSvg is this of forExport's spec). */
export async function svgOf(spec: TopLevelSpec): Promise<string> {
  statistics.setRandom(statistics.randomLCG(1));
  const runtime = vega.parse(compile(spec).spec);
  const view = new vega.View(runtime, { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * DejaVu Sans's faces where Debian puts them, for a chart the chart fonts
 * (chart-fonts.ts) cannot draw: the face every chart's font list resolves to
 * there. Given alone, resvg reads four files per chart instead of every
 * system font (~5 ms a chart), and draws the same pixels. Elsewhere (or with
 * a face missing), the system's fonts.
 */
const DEJAVU_DIR = '/usr/share/fonts/truetype/dejavu';
const DEJAVU_FACES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf', 'DejaVuSans-Oblique.ttf', 'DejaVuSans-BoldOblique.ttf'].map((f) => join(DEJAVU_DIR, f));
let fontSource: PngFonts | undefined;

function fonts(): PngFonts {
  fontSource ??= DEJAVU_FACES.every((f) => existsSync(f)) ? { loadSystemFonts: false, fontFiles: DEJAVU_FACES } : { loadSystemFonts: true };
  return fontSource;
}

/** The fonts resvg is given: which files, or the system's. */
export type PngFonts = { loadSystemFonts: boolean; fontFiles?: string[] };

/** The fonts svgToPng draws `svg` with: the shipped chart fonts when they cover it. */
function fontsFor(svg: string): PngFonts {
  return chartFontsCover(svg) ? { loadSystemFonts: false, fontFiles: CHART_FONT_FILES! } : fonts();
}

/** resvg's drawing of `svg` on white at `scale` × its size, with `font` (by default svgToPng's). */
export function rasterize(svg: string, font: PngFonts = fontsFor(svg), scale: number = PNG_SCALE): RenderedImage {
  return new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: '#ffffff',
    font: { ...font, defaultFontFamily: PNG_FONT, sansSerifFamily: PNG_FONT },
  }).render();
}

export function svgToPng(svg: string, scale: number = PNG_SCALE): Uint8Array {
  return pngOf(rasterize(svg, fontsFor(svg), scale));
}

/**
 * The PNG of a resvg rendering. Drawn on white, every pixel is opaque and png.ts writes them; should
 * one not be, resvg's own encoder takes the pixels out of premultiplied alpha.
 */
export function pngOf(image: RenderedImage): Uint8Array {
  const pixels = image.pixels;
  return isOpaque(pixels) ? encodePng(pixels, image.width, image.height) : image.asPng();
}

function isOpaque(rgba: Uint8Array): boolean {
  for (let alpha = 3; alpha < rgba.length; alpha += 4) if (rgba[alpha] !== 255) return false;
  return true;
}
