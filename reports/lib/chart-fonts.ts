// The chart fonts shipped in fonts/ (fonts/make-fonts.sh writes them): DejaVu Sans and its bold,
// cut to the characters below. resvg reads a font file whole every time it looks up a glyph, some
// 500 times a chart, and Debian's full face is 760 KB; these are ~55 KB. They hold the same outlines
// and metrics: the same PNG bytes (bench/chart-fonts.ts compares every chart of the catalogue), on
// any machine, with Debian's faces installed or not. A chart with a character they lack, or with
// italic text, is drawn with the full faces (render.ts).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Code points of the cut faces, inclusive ranges: Latin-1 and Extended-A, Greek, punctuation, the symbols charts and captions use. */
export const CHART_FONT_RANGES: readonly (readonly [number, number])[] = [
  [0x20, 0x7e], [0xa0, 0x17f], [0x391, 0x3c9],
  [0x2010, 0x2027], [0x2030, 0x203a], [0x2070, 0x209f], [0x20ac, 0x20ac], [0x2190, 0x2195],
  [0x2202, 0x2202], [0x2205, 0x2206], [0x2211, 0x2212], [0x2215, 0x2215], [0x221a, 0x221a], [0x221e, 0x221e],
  [0x2248, 0x2248], [0x2260, 0x2260], [0x2264, 0x2265],
  [0x25a0, 0x25a0], [0x25b2, 0x25b2], [0x25b6, 0x25b6], [0x25bc, 0x25bc], [0x25c0, 0x25c0], [0x25cb, 0x25cb], [0x25cf, 0x25cf],
  [0x26a0, 0x26a0], [0x2713, 0x2714], [0x2717, 0x2718],
];

/** The ranges as fontTools' subsetter takes them (`--unicodes`), for fonts/make-fonts.sh. */
export function unicodesArgument(): string {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  return CHART_FONT_RANGES.map(([first, last]) => (first === last ? `U+${hex(first)}` : `U+${hex(first)}-${hex(last)}`)).join(',');
}

const FONTS_DIR = fileURLToPath(new URL('./fonts/', import.meta.url));
/** The cut faces' files, or null where they are missing (a partial copy of the tree). */
export const CHART_FONT_FILES: string[] | null = (() => {
  const files = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) => join(FONTS_DIR, f));
  return files.every((f) => existsSync(f)) ? files : null;
})();

const covered = (code: number) => CHART_FONT_RANGES.some(([first, last]) => code >= first && code <= last);

/** Whether the chart fonts draw everything in `svg`: no italic, and every character (also as &#…;) theirs. */
export function chartFontsCover(svg: string): boolean {
  if (CHART_FONT_FILES === null || /font-style="(italic|oblique)"/.test(svg)) return false;
  for (const [char] of svg.matchAll(/[^\x00-\x7e]/gu)) if (!covered(char.codePointAt(0)!)) return false;
  for (const [, hex, decimal] of svg.matchAll(/&#(?:x([0-9a-fA-F]+)|([0-9]+));/g)) {
    if (!covered(hex !== undefined ? Number.parseInt(hex, 16) : Number(decimal))) return false;
  }
  return true;
}
