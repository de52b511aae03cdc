// The O(log n) weighted least connection must make exactly the choices of
// the scan it replaces (balancer.ts), ties and stopped servers included.
import { describe, expect, it } from 'vitest';
import { Algorithm, choose, type RegionView } from '../sim/model/balancer.ts';
import { LeastLoadedTree } from '../sim/model/least-loaded.ts';
import { createStream } from '../sim/engine/random.ts';

/** A region of `m` servers whose global ids start at `offset` (as in a multi-region fleet). */
function region(m: number, offset: number, random: () => number): RegionView {
  const total = offset + m;
  const weights = Float64Array.from({ length: total }, () => (random() < 0.3 ? 2 : 1));
  return {
    servers: Int32Array.from({ length: m }, (_, i) => offset + i),
    running: Uint8Array.from({ length: total }, () => (random() < 0.8 ? 1 : 0)),
    counts: Float64Array.from({ length: total }, () => Math.floor(random() * 4)),
    weights,
    ramp: new Float64Array(total).fill(1),
    choices: 2,
    scratch: new Int32Array(2),
  };
}

describe('least-loaded tree', () => {
  it.each([1, 2, 3, 7, 64, 100, 333])('chooses as the scan does, %i servers, counts full of ties', (m) => {
    const random = createStream(m, 'least-loaded');
    const view = region(m, 5, random);
    const tree = new LeastLoadedTree(view);
    const scanned = new Int32Array(2);
    const fast = new Int32Array(2);
    let cursor = 0;
    for (let step = 0; step < 5000; step++) {
      const expected = choose(Algorithm.weightedLeastConnection, view, cursor, random, scanned);
      const got = tree.choose(cursor, fast);
      // expect() only on a mismatch: 35,000 steps, and each call costs more than the step.
      if (got !== expected) expect(got, `step ${step}`).toBe(expected);
      if (expected < 0) {
        view.running[view.servers[Math.floor(random() * m)]] = 1;
        tree.rebuild();
        continue;
      }
      if (fast[0] !== scanned[0] || fast[1] !== scanned[1]) expect(Array.from(fast), `step ${step}`).toEqual(Array.from(scanned));
      cursor = expected;
      // As a lookup does: count its own assignment; now and then a refresh changes everything.
      view.counts[fast[0]]++;
      tree.update(fast[0] - 5);
      if (random() < 0.01) {
        for (let i = 0; i < m; i++) {
          view.counts[view.servers[i]] = Math.floor(random() * 10);
          view.running[view.servers[i]] = random() < 0.9 ? 1 : 0;
        }
        tree.rebuild();
      }
    }
  });

  it('answers "no server" when none is running', () => {
    const view = region(4, 0, createStream(1, 'none'));
    view.running.fill(0);
    const tree = new LeastLoadedTree(view);
    expect(tree.choose(0, new Int32Array(2))).toBe(-1);
  });
});
