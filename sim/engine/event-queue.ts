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
// Nodes are indices into typed arrays; no object is allocated per event.

const FINE_BITS = 14;
const FINE_SLOTS = 1 << FINE_BITS;
/** Seconds per fine slot: a power of two so `time / width` is exact. */
const FINE_WIDTH = 1 / 4096;
const BLOCK_WIDTH = FINE_SLOTS * FINE_WIDTH; // 4 s
const COARSE_SLOTS = 1 << 12; // 4096 blocks ≈ 4.5 h ahead

const NONE = -1;

export class EventQueue {
  // Node storage.
  private nodeTime: Float64Array;
  private nodeSeq: Float64Array;
  private nodeNext: Int32Array;
  private nodeKind: Uint8Array;
  private nodeTarget: Int32Array;
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
    this.nodeTime = new Float64Array(this.capacity);
    this.nodeSeq = new Float64Array(this.capacity);
    this.nodeNext = new Int32Array(this.capacity);
    this.nodeKind = new Uint8Array(this.capacity);
    this.nodeTarget = new Int32Array(this.capacity);
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
    this.nodeTime[node] = time;
    this.nodeSeq[node] = this.nextSeq++;
    this.nodeKind[node] = kind;
    this.nodeTarget[node] = target;
    this.nodeNext[node] = NONE;
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
    if (node === NONE || this.nodeTime[node] > limit) return false;
    if (this.runPos < this.runLength && this.run[this.runPos] === node) this.runPos++;
    else this.heapPop();
    this.time = this.nodeTime[node];
    this.kind = this.nodeKind[node];
    this.target = this.nodeTarget[node];
    this.node = node;
    this.pending--;
    this.freeList[this.freeCount++] = node;
    return true;
  }

  /** Time of the earliest pending event, or Infinity. */
  peekTime(): number {
    const node = this.peekNode();
    return node === NONE ? Infinity : this.nodeTime[node];
  }

  private allocate(): number {
    if (this.freeCount === 0) this.grow();
    return this.freeList[--this.freeCount];
  }

  private grow(): void {
    const old = this.capacity;
    const capacity = old * 2;
    this.nodeTime = growFloat64(this.nodeTime, capacity);
    this.nodeSeq = growFloat64(this.nodeSeq, capacity);
    this.nodeNext = growInt32(this.nodeNext, capacity);
    const kind = new Uint8Array(capacity);
    kind.set(this.nodeKind);
    this.nodeKind = kind;
    this.nodeTarget = growInt32(this.nodeTarget, capacity);
    this.freeList = growInt32(this.freeList, capacity);
    for (let i = capacity - 1; i >= old; i--) this.freeList[this.freeCount++] = i;
    this.capacity = capacity;
  }

  private place(node: number): void {
    const fineIndex = Math.floor(this.nodeTime[node] / FINE_WIDTH);
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
      append(this.fineHead, this.fineTail, this.nodeNext, slot, node);
      this.fineCount++;
    } else if (block < this.block + COARSE_SLOTS) {
      append(this.coarseHead, this.coarseTail, this.nodeNext, block & (COARSE_SLOTS - 1), node);
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
    return Math.floor(this.nodeTime[this.far[0]] / BLOCK_WIDTH);
  }

  private enterBlock(block: number): void {
    this.block = block;
    this.slot = 0;
    // Far events that now fall inside the coarse horizon move into it.
    while (this.farSize > 0) {
      const node = this.far[0];
      const nodeBlock = Math.floor(this.nodeTime[node] / BLOCK_WIDTH);
      if (nodeBlock >= block + COARSE_SLOTS) break;
      this.farPop();
      this.nodeNext[node] = NONE;
      append(this.coarseHead, this.coarseTail, this.nodeNext, nodeBlock & (COARSE_SLOTS - 1), node);
      this.coarseCount++;
    }
    // Cascade this block's coarse list into the fine wheel.
    const c = block & (COARSE_SLOTS - 1);
    let node = this.coarseHead[c];
    this.coarseHead[c] = NONE;
    this.coarseTail[c] = NONE;
    while (node !== NONE) {
      const next = this.nodeNext[node];
      this.nodeNext[node] = NONE;
      const slot = Math.floor(this.nodeTime[node] / FINE_WIDTH) - block * FINE_SLOTS;
      append(this.fineHead, this.fineTail, this.nodeNext, slot, node);
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
      node = this.nodeNext[node];
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
    const ta = this.nodeTime[a];
    const tb = this.nodeTime[b];
    return ta < tb || (ta === tb && this.nodeSeq[a] < this.nodeSeq[b]);
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

function append(head: Int32Array, tail: Int32Array, next: Int32Array, slot: number, node: number): void {
  const last = tail[slot];
  if (last === NONE) head[slot] = node;
  else next[last] = node;
  tail[slot] = node;
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
