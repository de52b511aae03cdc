// Weighted least connection in O(log n) per answer. `chooseLeastLoaded`
// (balancer.ts) scans every server of the region for every lookup answer;
// with the fleet growing with the population (hundreds of servers for tens
// of millions of clients) that scan became the cost of a lookup. This keeps
// a min-tree of the scores (sessions / weight, Infinity when not handed
// out) over the region's servers and makes the very same choice: the least
// score, ties to the first in round-robin order from the cursor; the
// alternative is the least of the others, ties likewise.
import type { RegionView } from './balancer.ts';

export class LeastLoadedTree {
  private readonly n: number;
  /** Leaves at [leaves, leaves + n); each inner node holds the minimum of its two children. */
  private readonly leaves: number;
  private readonly tree: Float64Array;

  constructor(private readonly view: RegionView) {
    this.n = view.servers.length;
    let leaves = 1;
    while (leaves < this.n) leaves *= 2;
    this.leaves = leaves;
    this.tree = new Float64Array(2 * leaves).fill(Infinity);
    this.rebuild();
  }

  /** Reads every server's score again (after a refresh or a change of the running list). */
  rebuild(): void {
    const { tree, leaves, n } = this;
    for (let pos = 0; pos < n; pos++) tree[leaves + pos] = this.score(pos);
    for (let node = leaves - 1; node >= 1; node--) tree[node] = Math.min(tree[2 * node], tree[2 * node + 1]);
  }

  /** The server at region position `pos` changed its count. */
  update(pos: number): void {
    this.set(this.leaves + pos, this.score(pos));
  }

  /** Same contract as chooseLeastLoaded without slow start: fills `out`, returns the next cursor or -1. */
  choose(cursor: number, out: Int32Array): number {
    const tree = this.tree;
    const least = tree[1];
    if (this.n === 0 || least === Infinity) return -1;
    const best = this.firstCyclic(cursor, least);
    // The alternative is the least of the others: the least sibling on the best leaf's way up.
    let secondScore = Infinity;
    for (let node = this.leaves + best; node > 1; node >>= 1) secondScore = Math.min(secondScore, tree[node ^ 1]);
    const second = secondScore === Infinity ? best : this.firstCyclicExcept(cursor, secondScore, best);
    out[0] = this.view.servers[best];
    out[1] = this.view.servers[second];
    return (best + 1) % this.n;
  }

  private score(pos: number): number {
    const { servers, running, counts, weights } = this.view;
    const server = servers[pos];
    return running[server] === 1 ? counts[server] / weights[server] : Infinity;
  }

  private set(leaf: number, score: number): void {
    const tree = this.tree;
    tree[leaf] = score;
    for (let node = leaf >> 1; node >= 1; node >>= 1) tree[node] = Math.min(tree[2 * node], tree[2 * node + 1]);
  }

  /** First position in round-robin order from `cursor` whose score is <= `limit` (one exists). */
  private firstCyclic(cursor: number, limit: number): number {
    const found = this.firstFrom(cursor, limit);
    return found >= 0 ? found : this.firstFrom(0, limit);
  }

  /** The same, skipping position `except` (another position qualifies). */
  private firstCyclicExcept(cursor: number, limit: number, except: number): number {
    let found = this.firstFrom(cursor, limit);
    if (found === except) found = except + 1 < this.n ? this.firstFrom(except + 1, limit) : -1;
    if (found >= 0) return found;
    found = this.firstFrom(0, limit);
    return found === except ? this.firstFrom(except + 1, limit) : found;
  }

  /** First position >= `from` whose score is <= `limit`, or -1: up from the leaf, then down the leftmost such subtree. */
  private firstFrom(from: number, limit: number): number {
    const tree = this.tree;
    let node = this.leaves + from;
    if (tree[node] <= limit) return from;
    for (;;) {
      if ((node & 1) === 0 && tree[node + 1] <= limit) {
        node++;
        break;
      }
      node >>= 1;
      if (node <= 1) return -1;
    }
    while (node < this.leaves) node = tree[2 * node] <= limit ? 2 * node : 2 * node + 1;
    return node - this.leaves;
  }
}
