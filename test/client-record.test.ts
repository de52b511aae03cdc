// The byte fields of clients past 2^26 live in a second byte view (a typed
// array holds at most 2^32 elements): each record's bytes must land in its
// own 64 bytes, as the wider views see them.
import { describe, expect, it } from 'vitest';
import { BYTE_CHUNK_BITS, BYTE_CHUNK_MASK, MAX_RECORDS, RECORD_BYTES, RECORD_HALVES, recordBuffer, recordViews, STATE } from '../sim/model/client-record.ts';

describe('client records', () => {
  it('reach clients past 2^26 through a second byte view, at their own record', () => {
    // 4 GiB of address space; only the pages written are touched.
    const count = 2 ** 26 + 3;
    const views = recordViews(recordBuffer(count, false));
    expect(views.byteChunks.map((chunk) => chunk.length)).toEqual([2 ** 32, 3 * RECORD_BYTES]);
    for (const c of [0, 2 ** 26 - 1, 2 ** 26, count - 1]) {
      views.byteChunks[c >>> BYTE_CHUNK_BITS][(c & BYTE_CHUNK_MASK) * RECORD_BYTES + STATE] = 0xa5;
      // STATE is byte 54: the low byte of half 27 (little-endian, as every platform Node runs on).
      expect(views.halves[c * RECORD_HALVES + STATE / 2] & 0xff).toBe(0xa5);
    }
  });

  it('refuse more records than the views can address', () => {
    expect(() => recordBuffer(MAX_RECORDS + 1, false)).toThrow(/at most 134217728/);
  });
});
