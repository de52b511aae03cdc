// The layout of a client's state: one 64-byte record per client, so that an
// event for a random client among millions costs one or two cache misses
// rather than one per field (docs/ARCHITECTURE.md). Shared by the client
// model (client.ts) and the retry loop, which also runs on a helper thread
// (retry-loop.ts, retry-threads.ts). Field indices are per view: doubles
// (8 per record), words (16), halves (32), bytes (64).

/** What a client's pending timer means when it fires. */
export const Pending = {
  none: 0,
  backoffDone: 1,
  lookupAnswer: 2,
  lookupTimeout: 3,
  lookupRefused: 4,
  connectReply: 5,
  connectFailed: 6,
  sessionEnd: 7,
  /** The client notices that the host of its session vanished (keepalive). */
  hostLost: 8,
  /** Admission control answered "busy, retry after T". */
  lookupBusy: 9,
} as const;
export type PendingCode = (typeof Pending)[keyof typeof Pending];

/** Which addresses a run of connection attempts goes through. */
export const Plan = {
  /** Primary (1 + connectRetries attempts), then alternative, then backoff. */
  afterLookup: 0,
  /** The other held address (1 + connectRetries attempts), then lookup at once. */
  afterLoss: 1,
} as const;

export const NONE = -1;

export const RECORD_BYTES = 64;
export const RECORD_DOUBLES = RECORD_BYTES / 8;
export const RECORD_WORDS = RECORD_BYTES / 4;
export const RECORD_HALVES = RECORD_BYTES / 2;
/** doubles: when the current attempt times out (while deferred: when the timer to run fires; during a backoff: unused). */
export const DEADLINE = 0;
export const LOST_AT = 1; // doubles: when the last session was lost
export const TIMER = 2; // doubles: sequence number of the pending timer's event
export const PRIMARY = 6; // words: the address the last lookup gave
export const ALTERNATIVE = 7; // words: the alternative address it gave
export const SERVER = 8; // words: session server while connected, target while connecting
export const ATTEMPTS_TOTAL = 9; // words (unsigned): attempts over the run
export const BACKOFF_DRAWS = 10; // words (unsigned): backoff waits drawn, the index of the next draw
export const REGION = 22; // halves: home region (follows the changeable MCC table)
export const MCC = 23; // halves: index into the scenario's MCC list
export const INSTANCE = 24; // halves: lookup instance of the current lookup
export const EPOCH = 25; // halves: that instance's epoch when it was asked
export const ATTEMPTS_SINCE_LOSS = 26; // halves
export const STATE = 54; // bytes: ClientState
export const PENDING = 55; // bytes: what the timer means
export const PLAN = 56; // bytes: which addresses the current run of attempts goes through
export const ATTEMPT = 57; // bytes: attempts in the current run
export const STEP = 58; // bytes: failures since the last session (backoff step)
export const NET_DOWN = 59; // bytes: carrier outages covering the client (0 = network up)
export const AFFECTED = 60; // bytes: 1 once an attempt failed since the session was lost in the incident
export const SERVICE = 61; // bytes: the service the client uses (docs/model.md §2)
/** bytes: 1 while the client's retry loop waits for a batch (ClientPopulation.networkDownAll). */
export const DEFERRED = 62;
/** bytes: failover requests sent in the current lookup (0: the first address, chosen at random). */
export const LOOKUP_TRY = 63;
export const EPOCH_MASK = 0xffff;
export const MAX_COUNTED_ATTEMPTS = 0xffff;

/**
 * V8 in Node 20 allows a typed array at most 2^32 elements, so one byte view
 * reaches 2^26 records (4 GiB). The byte fields are read through one view
 * per 2^26 records ("byte chunks"): client c's bytes are in chunk
 * c >>> BYTE_CHUNK_BITS, its record at (c & BYTE_CHUNK_MASK) · 64 there. Up
 * to 2^26 clients (every run but the largest) that is one chunk, and never
 * more than two (MAX_RECORDS): the client model holds them as two fields.
 */
export const BYTE_CHUNK_BITS = 26;
export const BYTE_CHUNK = 2 ** BYTE_CHUNK_BITS;
export const BYTE_CHUNK_MASK = BYTE_CHUNK - 1;
/**
 * The most records the views can address: the halves view (32 per record)
 * is then 2^32 elements long. 2^27 = 134,217,728 clients, ~16 GiB of run
 * (docs/ARCHITECTURE.md, "10^8 clients").
 */
export const MAX_RECORDS = 2 ** 27;

/** The views a record is read through, one per field width (bytes: one view per 2^26 records). */
export interface RecordViews {
  readonly doubles: Float64Array;
  readonly words: Int32Array;
  readonly unsigned: Uint32Array;
  readonly halves: Uint16Array;
  readonly byteChunks: readonly Uint8Array[];
}

/**
 * Where the first record starts in its buffer. glibc hands out a large
 * block 16 bytes past a page boundary, so records at offset 0 would each
 * straddle two cache lines, and an event would miss twice where the records
 * warmed for it were fetched once (measured: random reads of two fields
 * of a record after warming one of them take twice as long). 48 bytes in,
 * each record is one cache line.
 */
const RECORD_OFFSET = 48;

/** A buffer for `count` records (and the offset that aligns them). */
export function recordBuffer(count: number, shared: boolean): ArrayBuffer | SharedArrayBuffer {
  if (count > MAX_RECORDS) throw new RangeError(`${count} client records: at most ${MAX_RECORDS} fit the record views`);
  const bytes = count * RECORD_BYTES + RECORD_OFFSET;
  return shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
}

/** The views of the records in a buffer from `recordBuffer`. */
export function recordViews(buffer: ArrayBufferLike): RecordViews {
  const count = Math.floor((buffer.byteLength - RECORD_OFFSET) / RECORD_BYTES);
  return {
    doubles: new Float64Array(buffer, RECORD_OFFSET, count * RECORD_DOUBLES),
    words: new Int32Array(buffer, RECORD_OFFSET, count * RECORD_WORDS),
    unsigned: new Uint32Array(buffer, RECORD_OFFSET, count * RECORD_WORDS),
    halves: new Uint16Array(buffer, RECORD_OFFSET, count * RECORD_HALVES),
    byteChunks: Array.from({ length: Math.max(1, Math.ceil(count / BYTE_CHUNK)) }, (_, k) => {
      const first = k * BYTE_CHUNK;
      return new Uint8Array(buffer, RECORD_OFFSET + first * RECORD_BYTES, Math.min(count - first, BYTE_CHUNK) * RECORD_BYTES);
    }),
  };
}
