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
    const tree = this.tree;
    let node = this.leaves + pos;
    tree[node] = this.score(pos);
    for (node >>= 1; node >= 1; node >>= 1) tree[node] = Math.min(tree[2 * node], tree[2 * node + 1]);
  }

  /** Same contract as chooseLeastLoaded without slow start: fills `out`, returns the next cursor or -1. */
  choose(cursor: number, out: Int32Array): number {
    const n = this.n;
    const least = this.tree[1];
    if (n === 0 || least === Infinity) return -1;
    const best = this.firstCyclic(cursor, least, -1);
    let secondScore = Infinity;
    if (best > 0) secondScore = this.minIn(1, 0, this.leaves - 1, 0, best - 1);
    if (best < n - 1) secondScore = Math.min(secondScore, this.minIn(1, 0, this.leaves - 1, best + 1, n - 1));
    const second = secondScore === Infinity ? best : this.firstCyclic(cursor, secondScore, best);
    out[0] = this.view.servers[best];
    out[1] = this.view.servers[second];
    return (best + 1) % n;
  }

  private score(pos: number): number {
    const { servers, running, counts, weights } = this.view;
    const server = servers[pos];
    return running[server] === 1 ? counts[server] / weights[server] : Infinity;
  }

  /** First position in round-robin order from `cursor`, other than `skip`, whose score is <= `limit`. */
  private firstCyclic(cursor: number, limit: number, skip: number): number {
    const last = this.n - 1;
    let found = this.firstFrom(cursor, last, limit, skip);
    if (found < 0 && cursor > 0) found = this.firstFrom(0, cursor - 1, limit, skip);
    return found;
  }

  private firstFrom(from: number, to: number, limit: number, skip: number): number {
    if (skip < from || skip > to) return this.first(1, 0, this.leaves - 1, from, to, limit);
    let found = skip > from ? this.first(1, 0, this.leaves - 1, from, skip - 1, limit) : -1;
    if (found < 0 && skip < to) found = this.first(1, 0, this.leaves - 1, skip + 1, to, limit);
    return found;
  }

  /** First leaf in [from, to] (within node's span [low, high]) whose score is <= `limit`, or -1. */
  private first(node: number, low: number, high: number, from: number, to: number, limit: number): number {
    if (high < from || low > to || this.tree[node] > limit) return -1;
    if (low === high) return low;
    const middle = (low + high) >> 1;
    const left = this.first(2 * node, low, middle, from, to, limit);
    return left >= 0 ? left : this.first(2 * node + 1, middle + 1, high, from, to, limit);
  }

  private minIn(node: number, low: number, high: number, from: number, to: number): number {
    if (high < from || low > to) return Infinity;
    if (from <= low && high <= to) return this.tree[node];
    const middle = (low + high) >> 1;
    return Math.min(this.minIn(2 * node, low, middle, from, to), this.minIn(2 * node + 1, middle + 1, high, from, to));
  }
}
