// Distribution algorithms of a lookup server (docs/model.md §4): given the lookup's
// view of one region (which servers run, their session counts), pick the
// primary and the alternative address. Pure functions over typed arrays.
import type { AlgorithmName } from '../scenario/types.ts';
import type { Stream } from '../engine/random.ts';

export const Algorithm = { roundRobin: 0, weightedLeastConnection: 1, random: 2, powerOfD: 3, slowStart: 4 } as const;
export type AlgorithmCode = (typeof Algorithm)[keyof typeof Algorithm];

export function algorithmCode(name: AlgorithmName): AlgorithmCode {
  switch (name) {
    case 'round-robin': return Algorithm.roundRobin;
    case 'weighted-least-connection': return Algorithm.weightedLeastConnection;
    case 'random': return Algorithm.random;
    case 'power-of-d': return Algorithm.powerOfD;
    case 'least-connection-slow-start': return Algorithm.slowStart;
    // DNS servers answer in rotation; an L4 switch's VIPs spread in rotation too (baselines.ts).
    case 'dns': return Algorithm.roundRobin;
    case 'l4': return Algorithm.roundRobin;
  }
}

/** The lookup's view of the fleet: `running` and `counts` are indexed by global server id. */
export interface RegionView {
  /** Global ids of the region's servers, in configuration order (the round-robin order). */
  servers: Int32Array;
  running: Uint8Array;
  counts: Float64Array;
  weights: Float64Array;
  /**
   * Slow start: per server, the probability (0, 1] that it is a candidate for
   * this request; 1 once its ramp-up is over. Filled by the lookup before a
   * slow-start choice.
   */
  ramp: Float64Array;
  /** d of power-of-d choices. */
  choices: number;
  /** Scratch space for power-of-d draws (length >= choices). */
  scratch: Int32Array;
}

/**
 * Writes [primary, alternative] into `out` and returns the new round-robin
 * cursor, or returns -1 (and leaves `out` alone) when no server runs.
 * With a single running server the alternative is the primary itself.
 */
export function choose(
  algorithm: AlgorithmCode,
  view: RegionView,
  cursor: number,
  stream: Stream,
  out: Int32Array,
): number {
  switch (algorithm) {
    case Algorithm.roundRobin: return chooseRoundRobin(view, cursor, out);
    case Algorithm.weightedLeastConnection: return chooseLeastLoaded(view, cursor, out);
    case Algorithm.random: return chooseRandom(view, cursor, stream, out);
    case Algorithm.powerOfD: return choosePowerOfD(view, cursor, stream, out);
    case Algorithm.slowStart: return chooseLeastLoaded(view, cursor, out, stream);
  }
}

function chooseRoundRobin(view: RegionView, cursor: number, out: Int32Array): number {
  const { servers, running } = view;
  const n = servers.length;
  let primaryPos = -1;
  for (let k = 0; k < n; k++) {
    const pos = (cursor + k) % n;
    if (running[servers[pos]] === 1) {
      if (primaryPos < 0) {
        primaryPos = pos;
        out[0] = servers[pos];
        out[1] = servers[pos];
      } else {
        out[1] = servers[pos];
        break;
      }
    }
  }
  return primaryPos < 0 ? -1 : (primaryPos + 1) % n;
}

/**
 * Fewest sessions per unit of weight; ties go to the first in round-robin
 * order from the cursor. With `slowStart` (a stream), a server still ramping
 * up is a candidate only with its ramp probability, so it takes a growing
 * share of new sessions instead of all of them; if no server is a candidate
 * the plain least-loaded choice is made.
 */
function chooseLeastLoaded(view: RegionView, cursor: number, out: Int32Array, slowStart?: Stream): number {
  const { servers, running, counts, weights, ramp } = view;
  const n = servers.length;
  topTwo.reset();
  for (let k = 0; k < n; k++) {
    const pos = (cursor + k) % n;
    const server = servers[pos];
    if (running[server] !== 1) continue;
    if (slowStart !== undefined && ramp[server] < 1 && slowStart() >= ramp[server]) continue;
    topTwo.offer(pos, counts[server] / weights[server]);
  }
  if (topTwo.best < 0) return slowStart === undefined ? -1 : chooseLeastLoaded(view, cursor, out);
  out[0] = servers[topTwo.best];
  out[1] = servers[topTwo.second < 0 ? topTwo.best : topTwo.second];
  return (topTwo.best + 1) % n;
}

/**
 * The two lowest scores offered, the first offered winning ties. One shared
 * instance: choices are made one at a time (each worker thread has its own
 * module), and this keeps the hot path free of allocation.
 */
const topTwo = {
  best: -1,
  bestScore: Infinity,
  second: -1,
  secondScore: Infinity,
  reset(): void {
    this.best = -1;
    this.second = -1;
    this.bestScore = Infinity;
    this.secondScore = Infinity;
  },
  offer(id: number, score: number): void {
    if (this.best < 0 || score < this.bestScore) {
      this.second = this.best;
      this.secondScore = this.bestScore;
      this.best = id;
      this.bestScore = score;
    } else if (this.second < 0 || score < this.secondScore) {
      this.second = id;
      this.secondScore = score;
    }
  },
};

function chooseRandom(view: RegionView, cursor: number, stream: Stream, out: Int32Array): number {
  if (!pickTwoDistinct(view, stream, out)) return -1;
  return cursor;
}

/**
 * Power of d choices (Envoy's least_request): d distinct running servers at
 * random; the least loaded per weight is primary, the next one alternative.
 * Ties keep the order of the draw.
 */
function choosePowerOfD(view: RegionView, cursor: number, stream: Stream, out: Int32Array): number {
  const running = countRunning(view);
  if (running === 0) return -1;
  const d = Math.min(view.choices, running);
  const drawn = view.scratch;
  // Floyd's algorithm: d distinct ranks in [0, running) with d draws.
  for (let j = running - d, i = 0; j < running; j++, i++) {
    const t = Math.floor(stream() * (j + 1));
    let seen = false;
    for (let k = 0; k < i; k++) if (drawn[k] === t) seen = true;
    drawn[i] = seen ? j : t;
  }
  topTwo.reset();
  for (let i = 0; i < d; i++) {
    const server = nthRunning(view, drawn[i]);
    topTwo.offer(server, view.counts[server] / view.weights[server]);
  }
  out[0] = topTwo.best;
  out[1] = topTwo.second < 0 ? topTwo.best : topTwo.second;
  return cursor;
}

/** Uniform ordered pair of distinct running servers (the same one twice if only one runs). */
function pickTwoDistinct(view: RegionView, stream: Stream, out: Int32Array): boolean {
  const running = countRunning(view);
  if (running === 0) return false;
  const first = Math.floor(stream() * running);
  out[0] = nthRunning(view, first);
  if (running === 1) {
    out[1] = out[0];
    return true;
  }
  let second = Math.floor(stream() * (running - 1));
  if (second >= first) second++;
  out[1] = nthRunning(view, second);
  return true;
}

function countRunning(view: RegionView): number {
  let running = 0;
  for (let i = 0; i < view.servers.length; i++) running += view.running[view.servers[i]];
  return running;
}

/** The k-th (0-based) running server of the region. */
function nthRunning(view: RegionView, k: number): number {
  let seen = 0;
  for (let i = 0; i < view.servers.length; i++) {
    const server = view.servers[i];
    if (view.running[server] === 1) {
      if (seen === k) return server;
      seen++;
    }
  }
  return -1;
}
