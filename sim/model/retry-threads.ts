// The retry loops of a carrier outage's start, spread over helper threads.
//
// When a carrier outage starts, every covered client runs its retries
// ahead of the clock (retry-loop.ts): a fifth of a 10-million-client run's
// time, on one core. Those loops are independent by construction: each
// touches only its own client's record, draws from counter-based streams,
// and counts into per-sample tallies that add up. So the batch is cut into
// chunks of clients that threads claim one at a time, this thread included:
//   - the records live in a SharedArrayBuffer; a chunk's records are written
//     by the one thread that claimed it, and read by this thread only after
//     that thread counted the chunk done (an Atomics operation, which orders
//     the writes before it);
//   - each helper counts into a tally of its own, added into the metrics by
//     this thread once the batch is done: integer sums, so the same bytes
//     whoever ran which chunk;
//   - this thread queues the timers afterwards, in client order, with the
//     sequence numbers reserved when the loops were deferred
//     (ClientPopulation.networkDownAll), so the queue's order is the one of a
//     single-threaded run.
// A helper that has not started yet (or failed to) claims nothing: this
// thread then runs the chunks itself, with the same result.
import type { Worker } from 'node:worker_threads';
import { startTypeScriptWorker } from '../engine/typescript-worker.ts';
import { aheadTally, aheadTallyBytes, type AheadTally } from './metrics.ts';
import { recordViews, type RecordViews } from './client-record.ts';
import { runDeferred, type RetryLoop, type RetryLoopSettings } from './retry-loop.ts';

/** Clients per chunk: enough to make a claim's cost negligible, small enough to share the tail. */
export const CHUNK_CLIENTS = 8192;
// The control words, an Int32Array over a SharedArrayBuffer:
export const CLAIM = 0; // (batch number mod 2^16) · 2^15 + the next chunk to claim; 0 between batches
export const DONE = 1; // chunks finished in the current batch
export const CHUNKS = 2; // chunks in the current batch
export const COUNT = 3; // clients (ids) in the current batch
export const FAILED = 4; // 1 once a helper threw (its message is in HelperData.error)
export const CONTROL_WORDS = 5;
/** Batch parameters (Float64Array over a SharedArrayBuffer). */
export const Parameter = { backAt: 0, horizon: 1, incident: 2, size: 3 } as const;
/**
 * Chunk indices up to 2^15 - 1: a population of at most 2^27 clients (MAX_RECORDS) makes at most 16,384
 * chunks, and the count past the last one, 16,384, still fits without touching the batch number.
 */
export const CLAIM_BITS = 15;
const CLAIM_MASK = (1 << CLAIM_BITS) - 1;
const BATCH_MASK = (1 << (31 - CLAIM_BITS)) - 1;
/** Bytes kept of a helper's error message. */
export const ERROR_BYTES = 1024;
/** A helper that neither finishes nor counts a chunk for this long has died: the run cannot go on. */
const STALL_MS = 120_000;

/** What a helper thread is given once (workerData). */
export interface HelperData {
  readonly records: SharedArrayBuffer;
  readonly settings: RetryLoopSettings;
  readonly control: SharedArrayBuffer;
  readonly parameters: SharedArrayBuffer;
  /** Its tally, then [events, timeouts] as two doubles. */
  readonly tally: SharedArrayBuffer;
  /** Where a helper that throws writes its message (UTF-8, zero-padded), before it sets FAILED. */
  readonly error: SharedArrayBuffer;
}

/** A batch's message to the helpers: its number, and the ids of its clients (null: all clients, in order). */
export interface BatchMessage {
  readonly batch: number;
  readonly ids: SharedArrayBuffer | null;
}

const HELPER_MODULE = new URL('./retry-worker.ts', import.meta.url);

export class ParallelRetries {
  /** Timers the helpers ran. */
  events = 0;
  private readonly control: Int32Array;
  private readonly parameters: Float64Array;
  private readonly helpers: { worker: Worker; tally: AheadTally; counts: Float64Array }[];
  private readonly records: RecordViews;
  private readonly error: Uint8Array;
  private ids: Int32Array | null = null;
  private batch = 0;
  /** Settles once every helper has loaded and waits for batches (a run never waits for it). */
  readonly ready: Promise<void>;

  constructor(records: SharedArrayBuffer, settings: RetryLoopSettings, helperCount: number) {
    this.records = recordViews(records);
    const control = new SharedArrayBuffer(4 * CONTROL_WORDS);
    const parameters = new SharedArrayBuffer(8 * Parameter.size);
    const error = new SharedArrayBuffer(ERROR_BYTES);
    this.control = new Int32Array(control);
    this.parameters = new Float64Array(parameters);
    this.error = new Uint8Array(error);
    const tallyBytes = aheadTallyBytes(settings.lastSample);
    this.helpers = Array.from({ length: helperCount }, () => {
      const tally = new SharedArrayBuffer(tallyBytes + 16);
      const data: HelperData = { records, settings, control, parameters, tally, error };
      const worker = startTypeScriptWorker(HELPER_MODULE, { workerData: data });
      worker.unref();
      return { worker, tally: aheadTally(settings.lastSample, tally), counts: new Float64Array(tally, tallyBytes, 2) };
    });
    // A helper that fails only leaves its chunks to this thread.
    this.ready = Promise.all(
      this.helpers.map(({ worker }) => new Promise<void>((resolve, reject) => {
        worker.once('message', () => resolve());
        worker.once('error', reject);
      })),
    ).then(() => {});
    this.ready.catch(() => {});
  }

  /**
   * Runs the deferred loops of clients `ids` (ascending; all the clients in
   * order if it holds them all), `local` being this thread's loop, whose
   * tally the helpers' tallies are added to. Returns the lookups that timed
   * out in the helpers' share. `helpersOnly`: this thread leaves every
   * chunk to the helpers (tests, so that the helpers' path is the one run).
   */
  run(ids: Int32Array, clientCount: number, backAt: number, horizon: number, incident: boolean, local: RetryLoop, helpersOnly = false): number {
    const { control, parameters } = this;
    closeBatch(control);
    const count = ids.length;
    const chunks = Math.ceil(count / CHUNK_CLIENTS);
    if (chunks > CLAIM_MASK) throw new RangeError(`too many clients for one batch: ${count}`);
    let shared: SharedArrayBuffer | null = null;
    let view: Int32Array | null = null;
    if (count !== clientCount) {
      if (this.ids === null || this.ids.length < count) this.ids = new Int32Array(new SharedArrayBuffer(4 * Math.max(count, CHUNK_CLIENTS)));
      this.ids.set(ids);
      view = this.ids;
      shared = this.ids.buffer as SharedArrayBuffer;
    }
    parameters[Parameter.backAt] = backAt;
    parameters[Parameter.horizon] = horizon;
    parameters[Parameter.incident] = incident ? 1 : 0;
    this.batch = (this.batch + 1) & BATCH_MASK || 1;
    openBatch(control, this.batch, chunks, count);
    const message: BatchMessage = { batch: this.batch, ids: shared };
    for (const helper of this.helpers) helper.worker.postMessage(message);
    while (!helpersOnly) {
      const chunk = claimChunk(control, this.batch);
      if (chunk < 0) break;
      const from = chunk * CHUNK_CLIENTS;
      runDeferred(local, this.records, view, from, Math.min(count, from + CHUNK_CLIENTS), backAt, horizon, incident);
      Atomics.add(control, DONE, 1);
    }
    // Every chunk is claimed: wait for those the helpers still run.
    let done = Atomics.load(control, DONE);
    let waited = 0;
    while (done < chunks) {
      if (Atomics.load(control, FAILED) === 1) {
        const message = new TextDecoder().decode(this.error.slice()).replace(/\0+$/, '');
        throw new Error(`a retry helper thread failed: ${message}`);
      }
      if (Atomics.wait(control, DONE, done, 1000) === 'timed-out' && (waited += 1000) >= STALL_MS) {
        throw new Error(`a retry helper thread stopped answering (${chunks - done} of ${chunks} chunks unfinished)`);
      }
      const now = Atomics.load(control, DONE);
      if (now !== done) waited = 0;
      done = now;
    }
    return this.collect(local);
  }

  /** Adds the helpers' tallies into `local`'s and clears them; returns their timeouts. */
  private collect(local: RetryLoop): number {
    const into = local.later;
    let timeouts = 0;
    for (const { tally, counts } of this.helpers) {
      addInto(into, tally);
      this.events += counts[0];
      timeouts += counts[1];
      counts.fill(0);
    }
    return timeouts;
  }

  close(): void {
    for (const { worker } of this.helpers) void worker.terminate();
  }
}

/**
 * Closes the last batch, before any of its words changes: a helper late
 * with that batch's message, which read its claim word before, then fails
 * to claim (its compare-exchange sees another word), where it would
 * otherwise claim a chunk past the end of the last batch against the
 * chunk count of the next.
 */
export function closeBatch(control: Int32Array): void {
  Atomics.store(control, CLAIM, 0);
}

/**
 * Opens batch `batch` of `chunks` chunks over `count` clients (the batch
 * closed, its parameters written): publishing the claim word comes last,
 * so that everything is written before a chunk can be claimed.
 */
export function openBatch(control: Int32Array, batch: number, chunks: number, count: number, beforePublishing?: () => void): void {
  Atomics.store(control, COUNT, count);
  Atomics.store(control, CHUNKS, chunks);
  Atomics.store(control, DONE, 0);
  beforePublishing?.();
  Atomics.store(control, CLAIM, batch << CLAIM_BITS);
}

/** Claims the next chunk of batch `batch`; -1 when none is left (or the batch is over). */
export function claimChunk(control: Int32Array, batch: number): number {
  for (;;) {
    const word = Atomics.load(control, CLAIM);
    if (word >>> CLAIM_BITS !== batch) return -1;
    const chunk = word & CLAIM_MASK;
    if (chunk >= Atomics.load(control, CHUNKS)) return -1;
    if (Atomics.compareExchange(control, CLAIM, word, word + 1) === word) return chunk;
  }
}

function addInto(into: Float64Array, from: Float64Array): void {
  for (let i = 0; i < from.length; i++) {
    if (from[i] !== 0) {
      into[i] += from[i];
      from[i] = 0;
    }
  }
}
