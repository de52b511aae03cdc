// Seeded random streams. Each model component draws from its own stream,
// derived from the run's root seed and the component's name, so that extra
// draws in one component never shift another's sequence (TigerBeetle's rule).
import seedrandom from 'seedrandom';

export type Stream = () => number;

/** A stream of uniform numbers in [0, 1) for component `name` under `rootSeed`. */
export function createStream(rootSeed: number, name: string): Stream {
  return seedrandom.alea(`stampede:${rootSeed}:${name}`);
}

/** Exponential variate with the given mean. 1 - u keeps the argument of log in (0, 1]. */
export function exponential(stream: Stream, mean: number): number {
  return -mean * Math.log(1 - stream());
}

/** Seed for replication `index` of a scenario whose seed is `rootSeed`. */
export function deriveSeed(rootSeed: number, index: number): number {
  const stream = seedrandom.alea(`stampede:${rootSeed}:replication:${index}`);
  return stream.int32() >>> 0;
}
