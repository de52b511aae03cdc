// Pending-event set ordered exactly by (time, scheduling sequence).
//
// Millions of clients each keep one pending timer, so a single binary heap of
// 10^7 entries would spend its time in cache misses. Instead this is a
// two-level timing wheel in struct-of-arrays form:
//   - the *fine* wheel covers the current block of FINE_SLOTS × FINE_WIDTH
//     seconds, one linked list of nodes per slot;
//   - the *coarse* wheel covers the next COARSE_SLOTS blocks, one list per
//     block, cascaded into the fine wheel when the block becomes current;
//   - anything further away waits in a small binary heap.
// When a fine slot becomes current its list is put in exact order: if it is
// already sorted (the usual case for a same-instant batch, e.g. a carrier
// outage timing out millions of connects at once) it is walked as is,
// otherwise it is heapified. Events scheduled into the current slot while it
// runs go to that heap, so ordering is exact everywhere.
//
// Nodes are indices into one buffer of 32-byte records (time, sequence,
// next, target, kind), so an event costs one cache miss, not one per field;
// no object is allocated per event.

const FINE_BITS = 14;
const FINE_SLOTS = 1 << FINE_BITS;
/** Seconds per fine slot: a power of two so `time / width` is exact. */
const FINE_WIDTH = 1 / 4096;
const BLOCK_WIDTH = FINE_SLOTS * FINE_WIDTH; // 4 s
const COARSE_SLOTS = 1 << 12; // 4096 blocks ≈ 4.5 h ahead

const NONE = -1;
const RECORD_BYTES = 32;

export class EventQueue {
  // Node storage: record n is f64[4n] time, f64[4n + 1] sequence,
  // i32[8n + 4] next, i32[8n + 5] target, i32[8n + 6] kind.
  private f64: Float64Array;
  private i32: Int32Array;
  private freeList: Int32Array;
  private freeCount = 0;
  private capacity: number;
  private nextSeq = 0;

  private readonly fineHead = new Int32Array(FINE_SLOTS).fill(NONE);
  private readonly fineTail = new Int32Array(FINE_SLOTS).fill(NONE);
  private readonly coarseHead = new Int32Array(COARSE_SLOTS).fill(NONE);
  private readonly coarseTail = new Int32Array(COARSE_SLOTS).fill(NONE);
  private fineCount = 0;
  private coarseCount = 0;

  /** Index of the block the fine wheel holds (absolute, time / BLOCK_WIDTH). */
  private block = 0;
  /** Fine slot (0..FINE_SLOTS-1) within `block` that is current. */
  private slot = 0;

  // The current slot, in exact order: a sorted run, merged with a heap.
  private run: Int32Array = new Int32Array(1024);
  private runLength = 0;
  private runPos = 0;
  private heap: Int32Array = new Int32Array(1024);
  private heapSize = 0;

  private far: Int32Array = new Int32Array(64);
  private farSize = 0;

  private pending = 0;

  /** Fields of the event last returned by `pop`. */
  time = 0;
  kind = 0;
  target = 0;
  node = NONE;

  constructor(initialCapacity = 1024) {
    this.capacity = Math.max(16, initialCapacity);
    const buffer = new ArrayBuffer(this.capacity * RECORD_BYTES);
    this.f64 = new Float64Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.freeList = new Int32Array(this.capacity);
    for (let i = 0; i < this.capacity; i++) this.freeList[i] = this.capacity - 1 - i;
    this.freeCount = this.capacity;
  }

  get size(): number {
    return this.pending;
  }

  /** Schedules an event and returns its node id, unique while the event is pending. */
  schedule(time: number, kind: number, target: number): number {
    if (!(time >= 0) || time === Infinity) throw new RangeError(`cannot schedule an event at time ${time}`);
    const node = this.allocate();
    this.f64[4 * node] = time;
    this.f64[4 * node + 1] = this.nextSeq++;
    this.i32[8 * node + 6] = kind;
    this.i32[8 * node + 5] = target;
    this.i32[8 * node + 4] = NONE;
    this.pending++;
    this.place(node);
    return node;
  }

  /**
   * Removes the earliest event if its time is <= `limit`, exposing it in
   * `time`, `kind`, `target` and `node`. Returns false (and removes nothing)
   * when the queue is empty or the earliest event is later than `limit`.
   */
  pop(limit = Infinity): boolean {
    const node = this.peekNode();
    if (node === NONE || this.f64[4 * node] > limit) return false;
    if (this.runPos < this.runLength && this.run[this.runPos] === node) this.runPos++;
    else this.heapPop();
    this.time = this.f64[4 * node];
    this.kind = this.i32[8 * node + 6];
    this.target = this.i32[8 * node + 5];
    this.node = node;
    this.pending--;
    this.freeList[this.freeCount++] = node;
    return true;
  }

  /** Time of the earliest pending event, or Infinity. */
  peekTime(): number {
    const node = this.peekNode();
    return node === NONE ? Infinity : this.f64[4 * node];
  }

  private allocate(): number {
    if (this.freeCount === 0) this.grow();
    return this.freeList[--this.freeCount];
  }

  private grow(): void {
    const old = this.capacity;
    const capacity = old * 2;
    const buffer = new ArrayBuffer(capacity * RECORD_BYTES);
    const f64 = new Float64Array(buffer);
    f64.set(this.f64);
    this.f64 = f64;
    this.i32 = new Int32Array(buffer);
    this.freeList = growInt32(this.freeList, capacity);
    for (let i = capacity - 1; i >= old; i--) this.freeList[this.freeCount++] = i;
    this.capacity = capacity;
  }

  private place(node: number): void {
    const fineIndex = Math.floor(this.f64[4 * node] / FINE_WIDTH);
    const current = this.block * FINE_SLOTS + this.slot;
    // Every pending event lies in the current slot or later, so an event for
    // an earlier slot (scheduled after the cursor looked ahead) is simply the
    // earliest: the heap orders it exactly.
    if (fineIndex <= current) {
      this.heapPush(node);
      return;
    }
    const block = Math.floor(fineIndex / FINE_SLOTS);
    if (block === this.block) {
      const slot = fineIndex - block * FINE_SLOTS;
      append(this.fineHead, this.fineTail, this.i32, slot, node);
      this.fineCount++;
    } else if (block < this.block + COARSE_SLOTS) {
      append(this.coarseHead, this.coarseTail, this.i32, block & (COARSE_SLOTS - 1), node);
      this.coarseCount++;
    } else {
      this.farPush(node);
    }
  }

  /** Advances the wheels until the current slot holds an event; returns its node or NONE. */
  private peekNode(): number {
    for (;;) {
      const fromRun = this.runPos < this.runLength ? this.run[this.runPos] : NONE;
      const fromHeap = this.heapSize > 0 ? this.heap[0] : NONE;
      if (fromRun !== NONE || fromHeap !== NONE) {
        if (fromRun === NONE) return fromHeap;
        if (fromHeap === NONE) return fromRun;
        return this.before(fromRun, fromHeap) ? fromRun : fromHeap;
      }
      if (this.pending === 0) return NONE;
      this.advanceSlot();
    }
  }

  private advanceSlot(): void {
    this.runLength = 0;
    this.runPos = 0;
    if (this.fineCount === 0) {
      this.enterBlock(this.nextNonEmptyBlock());
    } else {
      do this.slot++;
      while (this.fineHead[this.slot] === NONE);
    }
    this.activateSlot();
  }

  private nextNonEmptyBlock(): number {
    if (this.coarseCount > 0) {
      for (let b = this.block + 1; ; b++) {
        if (this.coarseHead[b & (COARSE_SLOTS - 1)] !== NONE) return b;
      }
    }
    return Math.floor(this.f64[4 * this.far[0]] / BLOCK_WIDTH);
  }

  private enterBlock(block: number): void {
    this.block = block;
    this.slot = 0;
    // Far events that now fall inside the coarse horizon move into it.
    while (this.farSize > 0) {
      const node = this.far[0];
      const nodeBlock = Math.floor(this.f64[4 * node] / BLOCK_WIDTH);
      if (nodeBlock >= block + COARSE_SLOTS) break;
      this.farPop();
      this.i32[8 * node + 4] = NONE;
      append(this.coarseHead, this.coarseTail, this.i32, nodeBlock & (COARSE_SLOTS - 1), node);
      this.coarseCount++;
    }
    // Cascade this block's coarse list into the fine wheel.
    const c = block & (COARSE_SLOTS - 1);
    let node = this.coarseHead[c];
    this.coarseHead[c] = NONE;
    this.coarseTail[c] = NONE;
    while (node !== NONE) {
      const next = this.i32[8 * node + 4];
      this.i32[8 * node + 4] = NONE;
      const slot = Math.floor(this.f64[4 * node] / FINE_WIDTH) - block * FINE_SLOTS;
      append(this.fineHead, this.fineTail, this.i32, slot, node);
      this.coarseCount--;
      this.fineCount++;
      node = next;
    }
    // Skip empty leading slots of the block.
    if (this.fineCount > 0) {
      while (this.fineHead[this.slot] === NONE) this.slot++;
    }
  }

  /** Moves the current fine slot's list into the run (if sorted) or the heap. */
  private activateSlot(): void {
    let node = this.fineHead[this.slot];
    if (node === NONE) return;
    this.fineHead[this.slot] = NONE;
    this.fineTail[this.slot] = NONE;
    let length = 0;
    let sorted = true;
    let previous = NONE;
    while (node !== NONE) {
      if (length === this.run.length) this.run = growInt32(this.run, length * 2);
      this.run[length++] = node;
      if (previous !== NONE && sorted && this.before(node, previous)) sorted = false;
      previous = node;
      node = this.i32[8 * node + 4];
    }
    this.fineCount -= length;
    if (sorted) {
      this.runLength = length;
      this.runPos = 0;
      return;
    }
    for (let i = 0; i < length; i++) this.heapPush(this.run[i]);
    this.runLength = 0;
  }

  private before(a: number, b: number): boolean {
    const ta = this.f64[4 * a];
    const tb = this.f64[4 * b];
    return ta < tb || (ta === tb && this.f64[4 * a + 1] < this.f64[4 * b + 1]);
  }

  private heapPush(node: number): void {
    if (this.heapSize === this.heap.length) this.heap = growInt32(this.heap, this.heapSize * 2);
    siftUp(this.heap, this.heapSize++, node, this);
  }

  private heapPop(): void {
    const last = this.heap[--this.heapSize];
    if (this.heapSize > 0) siftDown(this.heap, this.heapSize, last, this);
  }

  private farPush(node: number): void {
    if (this.farSize === this.far.length) this.far = growInt32(this.far, this.farSize * 2);
    siftUp(this.far, this.farSize++, node, this);
  }

  private farPop(): void {
    const last = this.far[--this.farSize];
    if (this.farSize > 0) siftDown(this.far, this.farSize, last, this);
  }

  /** Exposed for the heap helpers only. */
  precedes(a: number, b: number): boolean {
    return this.before(a, b);
  }
}

function siftUp(heap: Int32Array, index: number, node: number, order: EventQueue): void {
  let i = index;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    const p = heap[parent];
    if (!order.precedes(node, p)) break;
    heap[i] = p;
    i = parent;
  }
  heap[i] = node;
}

function siftDown(heap: Int32Array, size: number, node: number, order: EventQueue): void {
  let i = 0;
  for (;;) {
    let child = 2 * i + 1;
    if (child >= size) break;
    if (child + 1 < size && order.precedes(heap[child + 1], heap[child])) child++;
    if (!order.precedes(heap[child], node)) break;
    heap[i] = heap[child];
    i = child;
  }
  heap[i] = node;
}

function append(head: Int32Array, tail: Int32Array, i32: Int32Array, slot: number, node: number): void {
  const last = tail[slot];
  if (last === NONE) head[slot] = node;
  else i32[8 * last + 4] = node;
  tail[slot] = node;
}

function growInt32(array: Int32Array, length: number): Int32Array<ArrayBuffer> {
  const grown = new Int32Array(length);
  grown.set(array);
  return grown;
}
