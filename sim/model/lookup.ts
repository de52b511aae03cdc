// Lookup servers (docs/model.md §4): FIFO service at a fixed capacity, a possibly
// stale view of the fleet, and the distribution algorithm.
//
// The queue needs no event per request: with FIFO order and a deterministic
// service time, a request arriving at `t` starts at max(t, lastFinish)
// (Lindley's recursion). A request whose client has already given up still
// takes its service time, which is what makes retry storms amplify.
import type { AdmissionConfig, Scenario, SlowStartConfig } from '../scenario/types.ts';
import type { Stream } from '../engine/random.ts';
import { Algorithm, algorithmCode, choose, type AlgorithmCode, type RegionView } from './balancer.ts';
import type { SessionServers } from './session-server.ts';
import { LeastLoadedTree } from './least-loaded.ts';
import { DOUBLE_ZERO } from '../engine/double-fields.ts';

/** Where a lookup's view of the fleet comes from (session servers directly, or managers). */
export interface ServerInfoSource {
  /**
   * Fills `running` and `counts` (indexed by global server id) with what the
   * lookup would learn now. Returns false when no source is reachable: the
   * caller keeps its last list and falls back to round robin.
   */
  read(now: number, running: Uint8Array, counts: Float64Array): boolean;
}

export class LookupInstances {
  readonly count: number;
  readonly capacity: number;
  private readonly serviceTime: number;
  private readonly localCounting: boolean;
  /** Each instance's algorithm: that of its service, changeable at run time. */
  readonly algorithmOf: Uint8Array;

  /** Outages currently covering each instance (0 = up). */
  private readonly outages: Int32Array;
  /** 1 when a down instance refuses at once instead of staying silent. */
  private readonly refusing: Uint8Array;
  /** Incremented each time an instance goes down: answers from before are lost. */
  readonly epoch: Int32Array;
  private readonly lastFinish: Float64Array;
  /** 1 while an instance has no live counts and uses round robin. */
  readonly fallback: Uint8Array;

  private readonly views: RegionView[][]; // [instance][region]
  /** Weighted least connection over each view in O(log n), rebuilt when the view is marked stale. */
  private readonly trees: LeastLoadedTree[][]; // [instance][region]
  private readonly treesStale: Uint8Array; // [instance]
  /** Each server's position in its region's list. */
  private readonly positionInRegion: Int32Array;
  /** Per instance, when its view first saw each server running again (-Infinity: since before the run). */
  private readonly runningSince: Float64Array[];
  private readonly slowStart: SlowStartConfig;
  readonly admission: AdmissionConfig | null;
  private readonly rejectCost: number;
  private readonly cursors: Int32Array; // [instance * regions + region]
  private readonly failover: Int32Array; // region -> failover region or -1
  private readonly scratchRunning: Uint8Array;
  private readonly regionCount: number;

  // Per-instance statistics, read and reset by the metrics sampler.
  readonly offered: Float64Array;
  readonly waitSum: Float64Array;
  /** Completed services per instance per sample bin (bin k covers ((k-1)Δ, kΔ]). */
  readonly processedByBin: Float64Array;
  /** Run totals over every instance, for the mean queue wait. */
  totalOffered = 0;
  totalWait = DOUBLE_ZERO;
  totalRejected = 0;
  /** Per instance: requests turned away by admission control, reset by the sampler. */
  readonly rejected: Float64Array;
  private readonly bins: number;
  private readonly sampleInterval: number;

  constructor(scenario: Scenario, servers: SessionServers) {
    const config = scenario.lookup;
    this.count = config.instances;
    this.capacity = config.capacity;
    this.serviceTime = config.capacity === Infinity ? 0 : 1 / config.capacity;
    this.localCounting = config.localCounting;
    this.algorithmOf = new Uint8Array(this.count);
    for (const service of scenario.services) {
      this.algorithmOf.fill(algorithmCode(service.algorithm), service.firstInstance, service.firstInstance + service.instances);
    }
    this.outages = new Int32Array(this.count);
    this.refusing = new Uint8Array(this.count);
    this.epoch = new Int32Array(this.count);
    this.lastFinish = new Float64Array(this.count);
    this.fallback = new Uint8Array(this.count);
    this.regionCount = scenario.regions.length;
    this.cursors = new Int32Array(this.count * this.regionCount);
    this.scratchRunning = new Uint8Array(servers.count);
    const regionIndex = new Map(scenario.regions.map((r, i) => [r.name, i]));
    this.failover = Int32Array.from(scenario.regions, (r) => (r.failover === null ? -1 : regionIndex.get(r.failover) ?? -1));
    const serversOfRegion = scenario.regions.map((_, r) => {
      const ids: number[] = [];
      for (let s = 0; s < servers.count; s++) if (servers.region[s] === r) ids.push(s);
      return Int32Array.from(ids);
    });
    this.positionInRegion = new Int32Array(servers.count);
    for (const ids of serversOfRegion) ids.forEach((server, pos) => (this.positionInRegion[server] = pos));
    this.views = [];
    this.runningSince = [];
    const scratch = new Int32Array(config.choices);
    for (let i = 0; i < this.count; i++) {
      const running = new Uint8Array(servers.count);
      const counts = new Float64Array(servers.count);
      const ramp = new Float64Array(servers.count).fill(1);
      this.views.push(
        serversOfRegion.map((ids) => ({ servers: ids, running, counts, weights: servers.weight, ramp, choices: config.choices, scratch })),
      );
      this.runningSince.push(new Float64Array(servers.count).fill(-Infinity));
    }
    this.trees = this.views.map((regionViews) => regionViews.map((view) => new LeastLoadedTree(view)));
    this.treesStale = new Uint8Array(this.count).fill(1);
    this.slowStart = config.slowStart;
    this.admission = config.admission;
    this.rejectCost = config.admission === null ? 0 : 1 / config.admission.rejectCapacity;
    this.offered = new Float64Array(this.count);
    this.rejected = new Float64Array(this.count);
    this.waitSum = new Float64Array(this.count);
    this.sampleInterval = scenario.sampleInterval;
    this.bins = Math.floor(scenario.duration / scenario.sampleInterval) + 1;
    this.processedByBin = new Float64Array(this.count * this.bins);
  }

  isUp(instance: number): boolean {
    return this.outages[instance] === 0;
  }

  isRefusing(instance: number): boolean {
    return this.refusing[instance] === 1;
  }

  /** Whether admission control turns a request arriving now away (its queue is past the bound). */
  overAdmissionBound(instance: number, now: number): boolean {
    return this.admission !== null && this.queueLength(instance, now) >= this.admission.maxQueue;
  }

  /**
   * Turns a request away with "retry after": the answer leaves at once (the
   * check happens on arrival, before the queue), but it costs the instance
   * 1 / rejectCapacity of its time. Returns when the answer leaves.
   */
  reject(instance: number, now: number): number {
    this.lastFinish[instance] = Math.max(now, this.lastFinish[instance]) + this.rejectCost;
    this.totalRejected++;
    this.rejected[instance]++;
    return now + this.rejectCost;
  }

  /** A request arrives at an up instance at `now`; returns when its service finishes. */
  submit(instance: number, now: number): number {
    const start = Math.max(now, this.lastFinish[instance]);
    const finish = start + this.serviceTime;
    this.lastFinish[instance] = finish;
    this.offered[instance]++;
    this.waitSum[instance] += start - now;
    this.totalOffered++;
    this.totalWait += start - now;
    const bin = Math.ceil(finish / this.sampleInterval);
    if (bin < this.bins) this.processedByBin[instance * this.bins + bin]++;
    return finish;
  }

  /** Requests in the system (queued or in service) at `now`: exact for deterministic service. */
  queueLength(instance: number, now: number): number {
    if (this.outages[instance] > 0 || this.serviceTime === 0) return 0;
    const backlog = this.lastFinish[instance] - now;
    return backlog > 0 ? Math.ceil(backlog / this.serviceTime - 1e-9) : 0;
  }

  processedInBin(instance: number, bin: number): number {
    return this.processedByBin[instance * this.bins + bin];
  }

  /**
   * Answers a lookup from `region` with this instance's view: writes
   * [primary, alternative] into `out`, or returns false for "no server".
   * A region with no running server hands over to its failover region.
   */
  answer(instance: number, region: number, now: number, stream: Stream, out: Int32Array): boolean {
    const algorithm = this.fallback[instance] === 1 ? Algorithm.roundRobin : (this.algorithmOf[instance] as AlgorithmCode);
    if (algorithm === Algorithm.slowStart) this.updateRamp(instance, now);
    const leastLoaded = algorithm === Algorithm.weightedLeastConnection;
    if (leastLoaded && this.treesStale[instance] === 1) {
      for (const tree of this.trees[instance]) tree.rebuild();
      this.treesStale[instance] = 0;
    }
    let r = region;
    for (let hops = 0; r >= 0 && hops <= this.regionCount; hops++) {
      const slot = instance * this.regionCount + r;
      const cursor = leastLoaded
        ? this.trees[instance][r].choose(this.cursors[slot], out)
        : choose(algorithm, this.views[instance][r], this.cursors[slot], stream, out);
      if (cursor >= 0) {
        this.cursors[slot] = cursor;
        if (this.localCounting) {
          this.views[instance][r].counts[out[0]]++;
          if (leastLoaded) this.trees[instance][r].update(this.positionInRegion[out[0]]);
          else this.treesStale[instance] = 1;
        }
        return true;
      }
      r = this.failover[r];
    }
    return false;
  }

  /**
   * Pulls a fresh view from `source` (docs/model.md §4: every `infoRefresh`).
   * Returns whether the instance switched between live counts and its
   * round-robin fallback (docs/model.md §4: all managers unreachable).
   */
  refresh(instance: number, now: number, source: ServerInfoSource): boolean {
    if (this.outages[instance] > 0) return false; // a down instance asks nobody
    const view = this.views[instance][0];
    const wasRunning = this.scratchRunning;
    wasRunning.set(view.running);
    const live = source.read(now, view.running, view.counts);
    if (!live) view.running.set(wasRunning); // keep the last list
    this.treesStale[instance] = 1;
    const since = this.runningSince[instance];
    for (let s = 0; s < since.length; s++) {
      if (view.running[s] === 1 && wasRunning[s] === 0 && now > 0) since[s] = now;
    }
    const fallback = live ? 0 : 1;
    const changed = this.fallback[instance] !== fallback;
    this.fallback[instance] = fallback;
    return changed;
  }

  /** A service's algorithm is changed through the manager (docs/model.md §4). */
  setAlgorithm(firstInstance: number, instances: number, algorithm: AlgorithmCode): void {
    this.algorithmOf.fill(algorithm, firstInstance, firstInstance + instances);
  }

  /** A manager pushes a list change: `server` is handed out (running) or not, on every up instance. */
  push(server: number, running: boolean, now: number): void {
    for (let i = 0; i < this.count; i++) {
      if (this.outages[i] > 0) continue;
      const view = this.views[i][0];
      if (running && view.running[server] === 0) this.runningSince[i][server] = now;
      view.running[server] = running ? 1 : 0;
      this.treesStale[i] = 1;
    }
  }

  /** Slow-start weight factor of each server as this instance sees it (Envoy's formula). */
  private updateRamp(instance: number, now: number): void {
    const { window, aggression, minWeightPercent } = this.slowStart;
    const since = this.runningSince[instance];
    const ramp = this.views[instance][0].ramp;
    for (let s = 0; s < since.length; s++) {
      const elapsed = now - since[s];
      ramp[s] = elapsed >= window ? 1 : Math.max(minWeightPercent / 100, (elapsed / window) ** (1 / aggression));
    }
  }

  goDown(instance: number, refuse: boolean): void {
    this.outages[instance]++;
    this.refusing[instance] = refuse ? 1 : 0;
    this.epoch[instance]++;
    this.lastFinish[instance] = 0; // the queue is lost with the process
  }

  comeBack(instance: number, now: number): void {
    this.outages[instance]--;
    if (this.outages[instance] === 0) this.lastFinish[instance] = now;
  }
}
