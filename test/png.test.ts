// The PNG writer of chart files (reports/lib/png.ts), read back by a decoder written here from the
// PNG specification (all five row filters, so that it also reads resvg's own files): the same
// pixels as resvg's encoder gives, for real charts.
import { inflateSync } from 'node:zlib';
import { Resvg } from '@resvg/resvg-js';
import { describe, expect, it } from 'vitest';
import { crc32, encodePng } from '../reports/lib/png.ts';
import { pngOf, rasterize, renderSvg, svgToPng } from '../reports/lib/render.ts';
import { chartFontsCover } from '../reports/lib/chart-fonts.ts';
import { buildReport } from '../reports/lib/index.ts';
import { loadScenarioFile } from '../sim/scenario/load.ts';
import { runScenario } from './support/model.ts';

interface Decoded {
  width: number;
  height: number;
  filters: Set<number>;
  rgba: Uint8Array;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** An 8-bit RGBA, non-interlaced PNG: chunks and their CRCs checked, rows unfiltered. */
function decodePng(png: Uint8Array): Decoded {
  const bytes = Buffer.from(png);
  expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  let at = 8;
  let header: Buffer | undefined;
  const data: Buffer[] = [];
  let ended = false;
  while (at < bytes.length) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.subarray(at + 4, at + 8).toString('latin1');
    const body = bytes.subarray(at + 8, at + 8 + length);
    expect(bytes.readUInt32BE(at + 8 + length), `${type}'s CRC`).toBe(crc32(bytes.subarray(at + 4, at + 8 + length)));
    if (type === 'IHDR') header = body;
    if (type === 'IDAT') data.push(body);
    if (type === 'IEND') ended = true;
    at += 12 + length;
  }
  expect(ended).toBe(true);
  expect(header).toBeDefined();
  const width = header!.readUInt32BE(0);
  const height = header!.readUInt32BE(4);
  expect([header![8], header![10], header![11], header![12]]).toEqual([8, 0, 0, 0]);
  expect(header![9], 'colour type: RGBA').toBe(6);
  const rows = inflateSync(Buffer.concat(data));
  const stride = 4 * width;
  expect(rows.length).toBe((stride + 1) * height);
  const rgba = new Uint8Array(stride * height);
  const filters = new Set<number>();
  for (let y = 0; y < height; y++) {
    const filter = rows[y * (stride + 1)];
    filters.add(filter);
    if (filter > 4) throw new Error(`row ${y}: unknown filter ${filter}`);
    for (let i = 0; i < stride; i++) {
      const x = rows[y * (stride + 1) + 1 + i];
      const a = i >= 4 ? rgba[y * stride + i - 4] : 0;
      const b = y > 0 ? rgba[(y - 1) * stride + i] : 0;
      const c = i >= 4 && y > 0 ? rgba[(y - 1) * stride + i - 4] : 0;
      const predicted = filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : paeth(a, b, c);
      rgba[y * stride + i] = (x + predicted) & 0xff;
    }
  }
  return { width, height, filters, rgba };
}

describe('PNG files', () => {
  it('carry the CRC-32 of ISO 3309', () => {
    // The standard check value, and the CRC every PNG's IEND chunk ends with.
    expect(crc32(Buffer.from('123456789', 'latin1'))).toBe(0xcbf43926);
    expect(crc32(Buffer.from('IEND', 'latin1'))).toBe(0xae426082);
    expect(crc32(Buffer.from('56789', 'latin1'), crc32(Buffer.from('1234', 'latin1')))).toBe(0xcbf43926);
  });

  it('hold the pixels given, row by row', () => {
    const width = 7;
    const height = 5;
    const rgba = new Uint8Array(4 * width * height);
    for (let i = 0; i < rgba.length; i++) rgba[i] = i % 4 === 3 ? 255 : (i * 37 + 11) & 0xff;
    const decoded = decodePng(encodePng(rgba, width, height));
    expect([decoded.width, decoded.height]).toEqual([width, height]);
    expect(decoded.filters).toEqual(new Set([0]));
    expect(Buffer.from(decoded.rgba).equals(Buffer.from(rgba))).toBe(true);
    expect(() => encodePng(rgba.subarray(4), width, height)).toThrow(/RGBA pixels/);
  });

  it("of real charts have the pixels of resvg's own files", async () => {
    const { scenario } = loadScenarioFile('scenarios/lookup-outage.yaml', ['population.clients=2000']);
    const charts = buildReport(runScenario(scenario)).charts.slice(0, 3);
    expect(charts.length).toBe(3);
    for (const chart of charts) {
      const svg = await renderSvg(chart.spec);
      const ours = decodePng(svgToPng(svg));
      expect(chartFontsCover(svg), chart.id).toBe(true);
      const theirs = decodePng(rasterize(svg).asPng());
      expect([ours.width, ours.height], chart.id).toEqual([theirs.width, theirs.height]);
      // Their own files filter rows (so the decoder above is checked on every filter they use).
      expect([...theirs.filters].some((filter) => filter !== 0), chart.id).toBe(true);
      expect(Buffer.from(ours.rgba).equals(Buffer.from(theirs.rgba)), chart.id).toBe(true);
    }
  });

  it("leave a rendering with transparent pixels to resvg's encoder, which takes them out of premultiplied alpha", () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><rect x="2" y="2" width="10" height="5" fill="#336699" fill-opacity="0.5"/></svg>';
    const transparent = new Resvg(svg).render();
    expect(Buffer.from(pngOf(transparent)).equals(transparent.asPng())).toBe(true);
    const opaque = new Resvg(svg, { background: '#ffffff' }).render();
    const decoded = decodePng(pngOf(opaque));
    expect(decoded.filters).toEqual(new Set([0]));
    expect(Buffer.from(decoded.rgba).equals(opaque.pixels)).toBe(true);
  });
});
