// Seeded random streams. Each model component draws from its own stream,
// derived from the run's root seed and the component's name, so that extra
// draws in one component never shift another's sequence (TigerBeetle's rule).
// Alea alone (sim/engine/seedrandom-alea.d.ts): seedrandom's main module also loads node:crypto.
import alea from 'seedrandom/lib/alea.js';

export type Stream = () => number;

/** A stream of uniform numbers in [0, 1) for component `name` under `rootSeed`. */
export function createStream(rootSeed: number, name: string): Stream {
  return alea(`stampede:${rootSeed}:${name}`);
}

/** Exponential variate with the given mean. 1 - u keeps the argument of log in (0, 1]. */
export function exponential(stream: Stream, mean: number): number {
  return -mean * Math.log(1 - stream());
}

/** Seed for replication `index` of a scenario whose seed is `rootSeed`. */
export function deriveSeed(rootSeed: number, index: number): number {
  const stream = alea(`stampede:${rootSeed}:replication:${index}`);
  return stream.int32() >>> 0;
}

/**
 * A counter-based stream: the n-th number of entity e is a hash of (key, e, n),
 * not the next number of a shared sequence. A client's backoff draws then do
 * not depend on the order in which the engine processes other clients, which
 * is what lets it run a client's timers ahead of the clock with the very same
 * results (docs/ARCHITECTURE.md, "Timers run ahead"). The key comes from the
 * run's seeded stream of the same name.
 */
export interface CounterStream {
  readonly key0: number;
  readonly key1: number;
}

export function createCounterStream(rootSeed: number, name: string): CounterStream {
  const stream = alea(`stampede:${rootSeed}:${name}`);
  return { key0: stream.int32(), key1: stream.int32() };
}

/** Uniform in [0, 1) with 32 random bits: MurmurHash3 (x86, 32-bit) of the words (entity, draw, key1), seeded with key0. */
export function uniformAt(stream: CounterStream, entity: number, draw: number): number {
  let h = stream.key0;
  h = mixWord(h, entity);
  h = mixWord(h, draw);
  h = mixWord(h, stream.key1);
  h ^= 12; // the input length in bytes, as MurmurHash3 does
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

function mixWord(hash: number, word: number): number {
  let k = Math.imul(word, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  let h = hash ^ k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}
