// PNG files of rendered charts. resvg's own encoder (`asPng`) took about half of a chart's PNG: it
// tries a filter for every row and compresses at zlib's default level. A chart is flat colour on
// white, which deflate finds as runs without a filter: rows unfiltered at level 3 took 14.2 ms a
// chart against 29.5 ms, in files 3 % smaller (bench/chart-fonts.ts; docs/reports.md, "Static charts").
// The compressed bytes are those of the zlib in the running Node: the same pixels give the same file
// with the same Node.
import { deflateSync } from 'node:zlib';

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
const DEFLATE_LEVEL = 3;
const RGBA = 6;
const NO_FILTER = 0;
let rowBuffer = Buffer.alloc(0);

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** The CRC-32 of ISO 3309 that PNG chunks carry (over type and data). */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/**
 * A PNG of `width` × `height` 8-bit RGBA pixels, rows top to bottom. The pixels must be opaque, as a
 * chart drawn on its white background is: resvg's pixels are premultiplied by alpha, which an
 * opaque pixel leaves as it is, so they are written as they come.
 */
export function encodePng(rgba: Uint8Array, width: number, height: number): Buffer {
  const stride = 4 * width;
  if (rgba.length !== stride * height) throw new RangeError(`encodePng: ${rgba.length} bytes for ${width} × ${height} RGBA pixels`);
  const size = (stride + 1) * height;
  // One buffer, kept, for the rows of every chart (~5 MB at the export size), rather than a new
  // one's page faults for each chart.
  if (rowBuffer.length < size) rowBuffer = Buffer.allocUnsafe(size);
  const rows = rowBuffer.subarray(0, size);
  for (let y = 0; y < height; y++) {
    rows[y * (stride + 1)] = NO_FILTER;
    rows.set(rgba.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;
  header[9] = RGBA;
  // Bytes 10–12: deflate, adaptive filtering (each row says its filter), no interlace.
  return Buffer.concat([SIGNATURE, chunk('IHDR', header), chunk('IDAT', deflateSync(rows, { level: DEFLATE_LEVEL })), chunk('IEND', new Uint8Array(0))]);
}
