// Pending-event set ordered exactly by (time, scheduling sequence).
//
// Millions of clients each keep a pending timer, so the queue holds 10^7
// events and more. A binary heap of that size, or a timing wheel of linked
// nodes, spends its time in cache misses: every node it visits is somewhere
// else in memory. Here the events themselves (time, sequence, payload) are
// stored in contiguous memory, in the order they are visited, in buckets
// that are lists of fixed-size chunks events are appended to:
//   - the fine wheel: FINE buckets of BUCKET_WIDTH seconds covering the open
//     block of FINE × BUCKET_WIDTH = 128 s;
//   - the coarse wheel: COARSE buckets, one per later block (≈ 9 h ahead),
//     copied into the fine wheel when their block opens;
//   - when a fine bucket becomes current its events are sorted by (time,
//     sequence) into the run, read sequentially from its chunks, and popped
//     in that order: a distribution sort, since their times are spread over
//     one bucket's width, into sub-intervals of about one event each, then
//     an insertion sort of each sub-interval (linear time, where a
//     comparison sort spent a tenth of a carrier outage's run);
//   - events for the current bucket (or earlier) scheduled after it was
//     sorted (delays shorter than a bucket, rare), go to a small heap
//     merged with the sorted run; events beyond the coarse wheel wait in a
//     heap and move into it as the blocks open.
// Appends go to a few thousand bucket tails, which stay in cache.
// An event is identified by its sequence number: `schedule` returns it and
// `pop` exposes it as `node`, so a caller can tell a replaced timer from the
// current one. No object is allocated per event.

import { DOUBLE_ZERO } from './double-fields.ts';

// Seconds; a power of two, so `time / width` is exact. Narrower than a round
// trip (50 ms), so that a reply seldom lands in the bucket being popped, which
// would send it through the near heap.
const BUCKET_WIDTH = 1 / 32;
const FINE_BITS = 12;
const FINE = 1 << FINE_BITS; // fine buckets per block: 128 s
const FINE_MASK = FINE - 1;
const COARSE = 256; // blocks ahead: ≈ 9.1 h
const COARSE_MASK = COARSE - 1;
const CHUNK_EVENTS = 32; // events per chunk: small, since a bucket's last chunk is partly empty
const STRIDE = 3; // time, sequence, payload
const CHUNK_DOUBLES = CHUNK_EVENTS * STRIDE;
/** The largest chunk pool: V8 in Node 20 allows a typed array at most 2^32 elements (≈ 1.4 billion events, 32 GiB). */
const MAX_CHUNKS = Math.floor(2 ** 32 / CHUNK_DOUBLES);
/** payload = kind · 2^32 + target: exact in a double for kind < 2^21. */
const KIND_FACTOR = 2 ** 32;
/**
 * Targets (client, server, fault indices) stay below 2^30, so that V8 holds
 * them as small integers: `pop` and `targetIfKind` hand them out as such, and
 * the model's per-client functions, optimized for small integers, never see
 * a boxed one (each would throw their optimized code away).
 */
const TARGET_LIMIT = 2 ** 30;

const NONE = -1;
/**
 * Events passed to `onAhead` at a time: enough for their memory loads to
 * overlap, few enough that what they load is still in cache when they pop.
 */
const AHEAD = 64;

export class EventQueue {
  // Chunk storage, shared by all buckets.
  private pool: Float64Array;
  private chunkNext: Int32Array;
  private freeChunks: Int32Array;
  private freeChunkCount = 0;
  private chunkCapacity: number;

  /**
   * Per bucket (fine ones first, then coarse ones), side by side so that an
   * append reads one cache line: [4b] first chunk, [4b + 1] last chunk,
   * [4b + 2] events in the last chunk (every other chunk is full).
   */
  private readonly buckets = new Int32Array(4 * (FINE + COARSE)).fill(NONE);
  private fineCount = 0;
  private coarseCount = 0;
  /** Absolute index (time / BUCKET_WIDTH) of the current bucket: already sorted into the run. */
  private current = -1;
  /** Absolute index of the open block (current / FINE, rounded down, once it opened). */
  private block = 0;

  // The current bucket, sorted (the run).
  private runTime = new Float64Array(1024);
  private runSeq = new Float64Array(1024);
  private runPayload = new Float64Array(1024);
  /** Sub-interval of each of the bucket's events, in chunk order. */
  private slotOf = new Int32Array(1024);
  /** Per sub-interval: events in it, then where it starts in the run. */
  private binStart = new Int32Array(1025);
  private runLength = 0;
  private runPos = 0;

  private readonly near = new RecordHeap();
  private readonly far = new RecordHeap();

  private nextSeq = 0;
  private pending = 0;

  /**
   * Called with the payloads of the next AHEAD events of the sorted run,
   * [from, to), before the first of them pops: a caller can touch what they
   * will need while the loads can still overlap (see `targetIfKind`).
   */
  onAhead: ((payloads: Float64Array, from: number, to: number) => void) | null = null;
  /** End of the part of the run already passed to `onAhead`. */
  private aheadTo = 0;

  /** Fields of the event last returned by `pop`; `node` is its sequence number. */
  time = DOUBLE_ZERO;
  kind = 0;
  target = 0;
  node = DOUBLE_ZERO;

  constructor(expectedEvents = 1024) {
    // Room for three events per expected one: a replaced timer stays queued until it comes up.
    this.chunkCapacity = Math.min(MAX_CHUNKS, Math.max(16, Math.ceil((3 * expectedEvents) / CHUNK_EVENTS)));
    this.pool = new Float64Array(this.chunkCapacity * CHUNK_DOUBLES);
    this.chunkNext = new Int32Array(this.chunkCapacity);
    this.freeChunks = new Int32Array(this.chunkCapacity);
    for (let i = 0; i < this.chunkCapacity; i++) this.freeChunks[i] = this.chunkCapacity - 1 - i;
    this.freeChunkCount = this.chunkCapacity;
  }

  get size(): number {
    return this.pending;
  }

  /** Chunks holding events: never more than the events pending, since an empty bucket holds none. */
  get chunksInUse(): number {
    return this.chunkCapacity - this.freeChunkCount;
  }

  /** Schedules an event; returns its sequence number, unique for the queue's lifetime. */
  schedule(time: number, kind: number, target: number): number {
    return this.scheduleReserved(time, kind, target, this.nextSeq++);
  }

  /**
   * Takes the next sequence number for an event scheduled later with
   * `scheduleReserved`: it is ordered among events of the same instant as
   * if it had been scheduled now.
   */
  reserve(): number {
    return this.nextSeq++;
  }

  /** Schedules an event with sequence number `seq`, taken from `reserve` (and used once). */
  scheduleReserved(time: number, kind: number, target: number, seq: number): number {
    if (!(time >= 0) || time === Infinity || !(target >= 0 && target < TARGET_LIMIT)) throw new RangeError(`cannot schedule an event for target ${target} at time ${time}`);
    const payload = kind * KIND_FACTOR + target;
    this.pending++;
    const bucket = Math.floor(time / BUCKET_WIDTH);
    if (bucket <= this.current) {
      this.near.push(time, seq, payload);
    } else {
      const block = bucket >> FINE_BITS;
      if (block === this.block) {
        this.append(bucket & FINE_MASK, time, seq, payload);
        this.fineCount++;
      } else if (block < this.block + COARSE) {
        this.append(FINE + (block & COARSE_MASK), time, seq, payload);
        this.coarseCount++;
      } else {
        this.far.push(time, seq, payload);
      }
    }
    return seq;
  }

  /**
   * Removes the earliest event if its time is <= `limit`, exposing it in
   * `time`, `kind`, `target` and `node`. Returns false (and removes nothing)
   * when the queue is empty or the earliest event is later than `limit`.
   */
  pop(limit = Infinity): boolean {
    for (;;) {
      const fromRun = this.runPos < this.runLength;
      if (fromRun || this.near.size > 0) {
        let time: number;
        let seq: number;
        let payload: number;
        const i = this.runPos;
        if (fromRun && (this.near.size === 0 || before(this.runTime[i], this.runSeq[i], this.near.topTime(), this.near.topSeq()))) {
          time = this.runTime[i];
          if (time > limit) return false;
          if (i >= this.aheadTo && this.onAhead !== null) {
            this.aheadTo = Math.min(this.runLength, i + AHEAD);
            this.onAhead(this.runPayload, i, this.aheadTo);
          }
          seq = this.runSeq[i];
          payload = this.runPayload[i];
          this.runPos++;
        } else {
          time = this.near.topTime();
          if (time > limit) return false;
          seq = this.near.topSeq();
          payload = this.near.topPayload();
          this.near.pop();
        }
        this.time = time;
        this.node = seq;
        const kind = Math.floor(payload / KIND_FACTOR);
        this.kind = kind;
        this.target = (payload - kind * KIND_FACTOR) | 0;
        this.pending--;
        return true;
      }
      if (this.pending === 0) return false;
      this.advance();
    }
  }

  /** Time of the earliest pending event, or Infinity. */
  peekTime(): number {
    for (;;) {
      const fromRun = this.runPos < this.runLength;
      if (fromRun || this.near.size > 0) {
        const runTime = fromRun ? this.runTime[this.runPos] : Infinity;
        return Math.min(runTime, this.near.size > 0 ? this.near.topTime() : Infinity);
      }
      if (this.pending === 0) return Infinity;
      this.advance();
    }
  }

  private append(slot: number, time: number, seq: number, payload: number): void {
    const buckets = this.buckets;
    const meta = 4 * slot;
    let chunk = buckets[meta + 1];
    if (chunk === NONE || buckets[meta + 2] === CHUNK_EVENTS) {
      const fresh = this.allocateChunk();
      if (chunk === NONE) buckets[meta] = fresh;
      else this.chunkNext[chunk] = fresh;
      buckets[meta + 1] = fresh;
      buckets[meta + 2] = 0;
      chunk = fresh;
    }
    const at = chunk * CHUNK_DOUBLES + buckets[meta + 2]++ * STRIDE;
    const pool = this.pool;
    pool[at] = time;
    pool[at + 1] = seq;
    pool[at + 2] = payload;
  }

  private allocateChunk(): number {
    if (this.freeChunkCount === 0) this.growPool();
    const chunk = this.freeChunks[--this.freeChunkCount];
    this.chunkNext[chunk] = NONE;
    return chunk;
  }

  private growPool(): void {
    const old = this.chunkCapacity;
    if (old === MAX_CHUNKS) throw new RangeError(`more than ${old * CHUNK_EVENTS} events pending at once: the event queue is full`);
    const capacity = Math.min(MAX_CHUNKS, old * 2);
    const pool = new Float64Array(capacity * CHUNK_DOUBLES);
    pool.set(this.pool);
    this.pool = pool;
    this.chunkNext = growInt32(this.chunkNext, capacity);
    this.freeChunks = growInt32(this.freeChunks, capacity);
    for (let i = capacity - 1; i >= old; i--) this.freeChunks[this.freeChunkCount++] = i;
    this.chunkCapacity = capacity;
  }

  /** Makes the next non-empty bucket current (the run and the near heap are empty). */
  private advance(): void {
    if (this.fineCount === 0) this.openNextBlock();
    let b = this.current + 1;
    while (this.buckets[4 * (b & FINE_MASK)] === NONE) b++;
    this.current = b;
    this.fineCount -= this.takeBucket(b & FINE_MASK);
  }

  /** Opens the next block holding events and copies its coarse bucket into the fine wheel. */
  private openNextBlock(): void {
    let next = Infinity;
    if (this.coarseCount > 0) {
      for (let block = this.block + 1; ; block++) {
        if (this.buckets[4 * (FINE + (block & COARSE_MASK))] !== NONE) {
          next = block;
          break;
        }
      }
    }
    if (this.far.size > 0) next = Math.min(next, Math.floor(this.far.topTime() / BUCKET_WIDTH) >> FINE_BITS);
    this.block = next;
    this.current = next * FINE - 1;
    // Far events that the coarse wheel now reaches move into it.
    while (this.far.size > 0) {
      const time = this.far.topTime();
      const block = Math.floor(time / BUCKET_WIDTH) >> FINE_BITS;
      if (block >= next + COARSE) break;
      this.append(FINE + (block & COARSE_MASK), time, this.far.topSeq(), this.far.topPayload());
      this.coarseCount++;
      this.far.pop();
    }
    // The block's coarse bucket, in order of scheduling, into the fine buckets.
    const meta = 4 * (FINE + (next & COARSE_MASK));
    let chunk = this.buckets[meta];
    const lastChunk = this.buckets[meta + 1];
    const lastFill = this.buckets[meta + 2];
    while (chunk !== NONE) {
      const fill = chunk === lastChunk ? lastFill : CHUNK_EVENTS;
      for (let k = 0, at = chunk * CHUNK_DOUBLES; k < fill; k++, at += STRIDE) {
        const time = this.pool[at];
        this.append(Math.floor(time / BUCKET_WIDTH) & FINE_MASK, time, this.pool[at + 1], this.pool[at + 2]);
      }
      this.coarseCount -= fill;
      this.fineCount += fill;
      const following = this.chunkNext[chunk];
      this.freeChunks[this.freeChunkCount++] = chunk;
      chunk = following;
    }
    this.buckets[meta] = NONE;
    this.buckets[meta + 1] = NONE;
  }

  /**
   * Sorts the bucket's events into the run by (time, sequence) and frees its
   * chunks; returns how many. Their times all lie within the bucket's width:
   * they are distributed, stably, into `bins` equal sub-intervals (a
   * monotone function of time, so no event lands before an earlier one),
   * straight from the chunks into the run, then each sub-interval, about
   * one event long, is sorted by insertion (`finishBins`).
   */
  private takeBucket(slot: number): number {
    const meta = 4 * slot;
    const first = this.buckets[meta];
    const lastChunk = this.buckets[meta + 1];
    const lastFill = this.buckets[meta + 2];
    this.buckets[meta] = NONE;
    this.buckets[meta + 1] = NONE;
    const { pool, chunkNext } = this;
    if (first === lastChunk && lastFill === 1) {
      // One event (most buckets of a sparse run: a small population over days): nothing to sort.
      const at = first * CHUNK_DOUBLES;
      this.runTime[0] = pool[at];
      this.runSeq[0] = pool[at + 1];
      this.runPayload[0] = pool[at + 2];
      this.freeChunks[this.freeChunkCount++] = first;
      this.runLength = 1;
      this.runPos = 0;
      this.aheadTo = 0;
      return 1;
    }
    let n = 0;
    for (let chunk = first; chunk !== NONE; chunk = chunkNext[chunk]) n += chunk === lastChunk ? lastFill : CHUNK_EVENTS;
    if (n > this.runTime.length) this.growRun(n);
    const { runTime, runSeq, runPayload, slotOf, binStart } = this;
    let bins = 1;
    while (bins < n) bins *= 2;
    const start = this.current * BUCKET_WIDTH;
    const scale = bins / BUCKET_WIDTH;
    binStart.fill(0, 0, bins + 1);
    let i = 0;
    for (let chunk = first; chunk !== NONE; chunk = chunkNext[chunk]) {
      const fill = chunk === lastChunk ? lastFill : CHUNK_EVENTS;
      for (let k = 0, at = chunk * CHUNK_DOUBLES; k < fill; k++, at += STRIDE, i++) {
        const bin = Math.min(bins - 1, Math.max(0, Math.floor((pool[at] - start) * scale)));
        slotOf[i] = bin;
        binStart[bin + 1]++;
      }
    }
    for (let b = 1; b <= bins; b++) binStart[b] += binStart[b - 1];
    i = 0;
    for (let chunk = first; chunk !== NONE; ) {
      const fill = chunk === lastChunk ? lastFill : CHUNK_EVENTS;
      for (let k = 0, at = chunk * CHUNK_DOUBLES; k < fill; k++, at += STRIDE, i++) {
        const to = binStart[slotOf[i]]++;
        runTime[to] = pool[at];
        runSeq[to] = pool[at + 1];
        runPayload[to] = pool[at + 2];
      }
      const next = chunkNext[chunk];
      this.freeChunks[this.freeChunkCount++] = chunk;
      chunk = next;
    }
    // binStart[b] is now where bin b ends.
    let from = 0;
    for (let b = 0; b < bins; b++) {
      const stop = binStart[b];
      if (stop - from > 1) this.insertionSort(from, stop);
      from = stop;
    }
    this.runLength = n;
    this.runPos = 0;
    this.aheadTo = 0;
    return n;
  }

  private growRun(needed: number): void {
    let length = this.runTime.length;
    while (length < needed) length *= 2;
    this.runTime = new Float64Array(length);
    this.runSeq = new Float64Array(length);
    this.runPayload = new Float64Array(length);
    this.slotOf = new Int32Array(length);
    this.binStart = new Int32Array(length + 1);
  }

  /**
   * Insertion sort of run[from, stop). Quadratic in the worst case, which
   * needs many events at one instant out of scheduling order: a batch at one
   * instant is scheduled in order, and events from the coarse wheel or the
   * far heap, which can interleave with it, are few.
   */
  private insertionSort(from: number, stop: number): void {
    const { runTime: times, runSeq: seqs, runPayload: payloads } = this;
    for (let i = from + 1; i < stop; i++) {
      const time = times[i];
      const seq = seqs[i];
      if (!before(time, seq, times[i - 1], seqs[i - 1])) continue;
      const payload = payloads[i];
      let j = i - 1;
      do {
        times[j + 1] = times[j];
        seqs[j + 1] = seqs[j];
        payloads[j + 1] = payloads[j];
        j--;
      } while (j >= from && before(time, seq, times[j], seqs[j]));
      times[j + 1] = time;
      seqs[j + 1] = seq;
      payloads[j + 1] = payload;
    }
  }
}

/** The target of an event payload if the event is of `kind`, else -1 (for `onAhead`). */
export function targetIfKind(payload: number, kind: number): number {
  const target = payload - kind * KIND_FACTOR;
  return target >= 0 && target < TARGET_LIMIT ? target | 0 : -1;
}

/**
 * (timeA, seqA) orders before (timeB, seqB). All three comparisons run every time: with `&&` the
 * sequence numbers were compared only at the first tie of two times, mid-run, and that comparison,
 * never seen by V8 when it optimized the callers, threw their optimized code away (the bucket sort
 * compiled twice, on the compiler's one thread, when a 100,000-client V2 needed it for other code).
 */
function before(timeA: number, seqA: number, timeB: number, seqB: number): boolean {
  const earlier = timeA < timeB;
  const tie = timeA === timeB;
  const seqEarlier = seqA < seqB;
  return earlier || (tie && seqEarlier);
}

/** A binary min-heap of (time, sequence, payload) records, kept in three typed arrays. */
class RecordHeap {
  private times = new Float64Array(256);
  private seqs = new Float64Array(256);
  private payloads = new Float64Array(256);
  size = 0;

  topTime(): number {
    return this.times[0];
  }

  topSeq(): number {
    return this.seqs[0];
  }

  topPayload(): number {
    return this.payloads[0];
  }

  push(time: number, seq: number, payload: number): void {
    if (this.size === this.times.length) {
      this.times = growFloat64(this.times, this.size * 2);
      this.seqs = growFloat64(this.seqs, this.size * 2);
      this.payloads = growFloat64(this.payloads, this.size * 2);
    }
    const { times, seqs } = this;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(time, seq, times[parent], seqs[parent])) break;
      this.copy(i, parent);
      i = parent;
    }
    this.put(i, time, seq, payload);
  }

  pop(): void {
    const { times, seqs, payloads } = this;
    const size = --this.size;
    if (size === 0) return;
    const time = times[size];
    const seq = seqs[size];
    const payload = payloads[size];
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && before(times[child + 1], seqs[child + 1], times[child], seqs[child])) child++;
      if (!before(times[child], seqs[child], time, seq)) break;
      this.copy(i, child);
      i = child;
    }
    this.put(i, time, seq, payload);
  }

  private copy(to: number, from: number): void {
    this.times[to] = this.times[from];
    this.seqs[to] = this.seqs[from];
    this.payloads[to] = this.payloads[from];
  }

  private put(i: number, time: number, seq: number, payload: number): void {
    this.times[i] = time;
    this.seqs[i] = seq;
    this.payloads[i] = payload;
  }
}

function growInt32(array: Int32Array, length: number): Int32Array<ArrayBuffer> {
  const grown = new Int32Array(length);
  grown.set(array);
  return grown;
}

function growFloat64(array: Float64Array, length: number): Float64Array<ArrayBuffer> {
  const grown = new Float64Array(length);
  grown.set(array);
  return grown;
}
