// Headless rendering of chart specs: vega-lite → vega → a View with no
// renderer → SVG; PNG from that SVG with resvg. Vega's own randomness is
// seeded so the same spec gives the same bytes.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { Resvg } from '@resvg/resvg-js';
import { HOVER_LAYER } from './charts.ts';

/** Width of exported charts in CSS pixels (specs say `container`, which a file does not have). */
export const EXPORT_WIDTH = 1000;
/** PNG pixels per SVG pixel. */
export const PNG_SCALE = 2;
/** The font the PNG renderer falls back to; DejaVu Sans ships with Debian (`fonts-dejavu-core`). */
export const PNG_FONT = 'DejaVu Sans';

// vega-typings does not declare these two, but vega re-exports them from vega-statistics.
const statistics = vega as unknown as { setRandom(random: () => number): void; randomLCG(seed: number): () => number };

/** The spec with a fixed width instead of the page container's, without the hover layer a file cannot use. */
export function forExport(spec: TopLevelSpec, width: number = EXPORT_WIDTH): TopLevelSpec {
  const out = { ...spec, width } as TopLevelSpec;
  if ('layer' in out) out.layer = out.layer.filter((layer) => layer.name !== HOVER_LAYER);
  return out;
}

export async function renderSvg(spec: TopLevelSpec, width: number = EXPORT_WIDTH): Promise<string> {
  statistics.setRandom(statistics.randomLCG(1));
  const runtime = vega.parse(compile(forExport(spec, width)).spec);
  const view = new vega.View(runtime, { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export function svgToPng(svg: string, scale: number = PNG_SCALE): Uint8Array {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: '#ffffff',
    font: { loadSystemFonts: true, defaultFontFamily: PNG_FONT, sansSerifFamily: PNG_FONT },
  });
  return resvg.render().asPng();
}
