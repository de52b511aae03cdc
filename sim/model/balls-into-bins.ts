// Validation V3 (docs/validation.md): n clients placed one at a time onto m
// identical servers with counts always fresh, by one distribution algorithm
// of balancer.ts. Shared by the test and the script that writes the
// validation table.
import { choose, type AlgorithmCode, type RegionView } from './balancer.ts';
import { createStream } from '../engine/random.ts';

/** A lookup's view of m identical running servers, all empty. */
export function uniformView(m: number, choices = 2): RegionView {
  return {
    servers: Int32Array.from({ length: m }, (_, i) => i),
    running: new Uint8Array(m).fill(1),
    counts: new Float64Array(m),
    weights: new Float64Array(m).fill(1),
    ramp: new Float64Array(m).fill(1),
    choices,
    scratch: new Int32Array(choices),
  };
}

/** The fullest server's excess over the mean n/m after placing n clients onto m servers (seeded). */
export function ballsIntoBins(algorithm: AlgorithmCode, n: number, m: number, seed: number, choices = 2): number {
  const view = uniformView(m, choices);
  const stream = createStream(seed, 'balls');
  const out = new Int32Array(2);
  let cursor = 0;
  for (let i = 0; i < n; i++) {
    cursor = choose(algorithm, view, cursor, stream, out);
    view.counts[out[0]]++;
  }
  return Math.max(...view.counts) - n / m;
}
