// Reading an input file (a scenario, a shard or partial file) safely: a FIFO
// would block the open and the read forever, /dev/zero or /dev/urandom never
// end, and a huge file takes minutes and gigabytes to parse. Only regular
// files are read, up to a size cap; anything else is refused with a reason.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/** A scenario file is a page of YAML; the largest shipped one is a few KiB. */
export const MAX_SCENARIO_BYTES = 1024 * 1024;

export type ReadOutcome = { ok: true; bytes: Buffer } | { ok: false; code?: string; reason: string };

/** What a non-regular file is, for messages. */
function kindOf(stats: import('node:fs').Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

function sizeText(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(bytes >= 10 * 1024 * 1024 ? 0 : 1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}

/**
 * The bytes of `path` if it is a regular file of at most `maxBytes`; else why
 * not (`is a FIFO (named pipe), not a regular file`, `is larger than 1 MiB`).
 * Opened non-blocking, so a FIFO without a writer does not hang the open.
 * Files whose size the kernel does not know (/proc) are read up to the cap.
 */
export function readRegularFile(path: string, maxBytes: number): ReadOutcome {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, code, reason: code === 'EISDIR' ? 'is a directory' : (error as Error).message };
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return { ok: false, code: stats.isDirectory() ? 'EISDIR' : 'ESPECIAL', reason: `is ${kindOf(stats)}, not a regular file` };
    if (stats.size > maxBytes) return { ok: false, code: 'EFBIG', reason: `is ${sizeText(stats.size)}, larger than the ${sizeText(maxBytes)} an input file may be` };
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(Math.max(stats.size - total, 0) + 65536, maxBytes + 1 - total));
      if (chunk.length === 0) return { ok: false, code: 'EFBIG', reason: `is larger than the ${sizeText(maxBytes)} an input file may be` };
      let read: number;
      try {
        read = readSync(fd, chunk, 0, chunk.length, null);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') continue;
        return { ok: false, code, reason: (error as Error).message };
      }
      if (read === 0) break;
      chunks.push(chunk.subarray(0, read));
      total += read;
      if (total > maxBytes) return { ok: false, code: 'EFBIG', reason: `is larger than the ${sizeText(maxBytes)} an input file may be` };
    }
    return { ok: true, bytes: Buffer.concat(chunks, total) };
  } finally {
    closeSync(fd);
  }
}
