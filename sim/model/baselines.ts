// The baselines the operators replaced (docs/model.md §1), as options of a
// scenario to compare against the custom balancer:
//
// - DNS round robin (`lookup.algorithm: dns`): the lookup instances answer
//   as DNS servers, one address in rotation among the servers in service;
//   each client keeps the address for a TTL (a share of clients for good) and
//   connects to it again without asking while it is cached. Health-checked
//   removal takes a server out of the answers, not out of the caches.
// - An L4 switch with VIPs (`lookup.algorithm: l4`, section `l4`): no
//   lookups; a client connects to its VIP and the switch picks a server of
//   that VIP's group in rotation, among those its TCP check passes. The
//   switch has a session table (ghosts included) and a setup rate.
//
// Both exist only when their option is on: no state, no event and no draw
// otherwise (the client model checks a null).
import type { DnsConfig, L4Config, Scenario } from '../scenario/types.ts';
import type { SessionServers } from './session-server.ts';
import { ServerState, VISIBLE_LEAK_SHARE } from './session-server.ts';
import { DOUBLE_ZERO } from '../engine/double-fields.ts';

/** frac(c·φ): a low-discrepancy sequence, so the clients that ignore the TTL are spread over services and MCCs with no draw. */
const GOLDEN = 0.6180339887498949;

/** Whether client `c` ignores the TTL when a share `share` of clients does (exactly the clients with frac(c·φ) < share). */
export function ignoresTtl(c: number, share: number): boolean {
  const x = c * GOLDEN;
  return x - Math.floor(x) < share;
}

export interface DnsSeries {
  /** Clients whose cached address (still valid for them) is a server out of the DNS answers, at each sample. */
  cachedOnRemoved: number[];
}

export interface DnsSummary {
  ttl: number;
  ignoreTtl: number;
  /** Clients that keep their address for good. */
  ignoringClients: number;
  /** Lookups answered from a client's cache instead of sent. */
  cacheHits: number;
  peakCachedOnRemoved: number;
  cachedOnRemovedAtEnd: number;
}

/** Client-side DNS caches (only with `lookup.algorithm: dns`). */
export class DnsCaches {
  /** Per client: when its cached address expires (Infinity: never; -Infinity: none). */
  readonly expiry: Float64Array;
  private readonly ttl: number;
  private readonly share: number;
  /** Per server: valid cache entries that hold it (expired ones leave at the sample they expire by). */
  private readonly cached: Float64Array;
  /** [server * samples + k]: entries of that server that expire by sample k. */
  private readonly expiring: Float64Array;
  private readonly samples: number;
  private readonly sampleInterval: number;
  private sampleIndex = 0;
  cacheHits = 0;
  readonly series: DnsSeries = { cachedOnRemoved: [] };

  constructor(config: DnsConfig, clients: number, private readonly servers: SessionServers, sampleInterval: number, lastSample: number) {
    this.ttl = config.ttl;
    this.share = config.ignoreTtl;
    this.expiry = new Float64Array(clients).fill(-Infinity);
    this.samples = lastSample + 1;
    this.sampleInterval = sampleInterval;
    this.cached = new Float64Array(servers.count);
    this.expiring = new Float64Array(servers.count * this.samples);
  }

  /** Whether `c` has a cached address at `now` (then it connects without asking). */
  hit(c: number, now: number): boolean {
    if (now < this.expiry[c]) {
      this.cacheHits++;
      return true;
    }
    return false;
  }

  /** `c` resolved (or starts with) `server` at `now`: cached until now + ttl, or for good. */
  store(c: number, server: number, now: number): void {
    const expiry = ignoresTtl(c, this.share) ? Infinity : now + this.ttl;
    this.expiry[c] = expiry;
    this.cached[server]++;
    if (expiry === Infinity) return;
    // Valid at sample k (time kΔ) while kΔ < expiry: it leaves at the first k with kΔ >= expiry.
    const k = Math.ceil(expiry / this.sampleInterval - 1e-9);
    if (k < this.samples) this.expiring[server * this.samples + Math.max(k, this.sampleIndex)]++;
  }

  /** A client starting connected: only one that ignores the TTL still holds its address (the others' entries are older than a TTL). */
  place(c: number, server: number): void {
    if (ignoresTtl(c, this.share)) this.store(c, server, 0);
  }

  sample(): void {
    const k = this.sampleIndex;
    let onRemoved = 0;
    for (let s = 0; s < this.servers.count; s++) {
      this.cached[s] -= this.expiring[s * this.samples + k];
      if (this.servers.state[s] !== ServerState.running) onRemoved += this.cached[s];
    }
    this.series.cachedOnRemoved.push(onRemoved);
    this.sampleIndex++;
  }

  summary(clients: number): DnsSummary {
    let ignoring = 0;
    for (let c = 0; c < clients; c++) if (ignoresTtl(c, this.share)) ignoring++;
    const series = this.series.cachedOnRemoved;
    return {
      ttl: this.ttl,
      ignoreTtl: this.share,
      ignoringClients: ignoring,
      cacheHits: this.cacheHits,
      peakCachedOnRemoved: series.reduce((a, b) => Math.max(a, b), 0),
      cachedOnRemovedAtEnd: series.length === 0 ? 0 : series[series.length - 1],
    };
  }
}

/**
 * Whether the switch may send a server connections: not while it drains or
 * is stopped for a deploy (the operator disables it on the switch), nor
 * while it starts or waits in standby (its port does not listen yet).
 */
function listening(state: number): boolean {
  return state === ServerState.running || state === ServerState.suspending || state === ServerState.suspended || state === ServerState.resuming;
}

export interface L4Series {
  /** Entries of the switch's session table at each sample: open sessions plus ghosts. */
  sessions: number[];
  ghosts: number[];
  /** Open sessions on each VIP's servers (`<region>-vip<j>`). */
  sessionsByVip: Record<string, number[]>;
  /** Connection attempts the switch dropped, per second, by why. */
  droppedPerSec: { tableFull: number[]; setupRate: number[]; noServer: number[] };
}

export interface L4Summary {
  vips: number;
  maxSessions: number | null;
  maxSetupsPerSec: number | null;
  peakSessions: number;
  peakGhosts: number;
  /** Seconds (whole samples) during which the table was at its limit. */
  secondsAtLimit: number;
  dropped: { tableFull: number; setupRate: number; noServer: number };
  /** Connections the switch sent to a server whose leak fails at least 1 % of requests (its TCP check still passes). */
  sentToLeakingServer: number;
}

/** The L4 switch (only with `lookup.algorithm: l4`). */
export class L4Switch {
  readonly vipsPerRegion: number;
  /** Per VIP: its servers, in order. */
  private readonly members: Int32Array[];
  private readonly cursor: Int32Array;
  readonly vipNames: string[];
  /** 1 while the switch's check keeps a server in its VIP's rotation. */
  readonly inRotation: Uint8Array;
  private readonly failures: Int32Array;
  private readonly passes: Int32Array;
  private readonly config: L4Config;
  /** Open sessions through the switch. */
  active = 0;
  // Ghosts: entries whose connection vanished, expiring in creation order (a constant timeout): a FIFO of (expiry, count).
  private ghostAt = new Float64Array(64);
  private ghostCount = new Float64Array(64);
  private ghostHead = 0;
  private ghostTail = 0;
  private ghostTotal = 0;
  private windowSecond = -1;
  private setupsInWindow = 0;
  private readonly droppedNow = new Float64Array(3);
  private readonly droppedTotal = new Float64Array(3);
  private lastSampleTime = DOUBLE_ZERO;
  private sampleIndex = 0;
  private atLimitSamples = 0;
  sentToLeakingServer = 0;
  readonly series: L4Series;

  constructor(scenario: Scenario, private readonly servers: SessionServers) {
    const config = scenario.l4!;
    this.config = config;
    const v = config.vips;
    this.vipsPerRegion = v;
    this.members = [];
    this.vipNames = [];
    scenario.regions.forEach((region, r) => {
      const ids: number[] = [];
      for (let s = 0; s < servers.count; s++) if (servers.region[s] === r) ids.push(s);
      for (let j = 0; j < v; j++) {
        // Server p of m goes to VIP floor(p·v/m): contiguous groups, sizes differing by at most one.
        this.members.push(Int32Array.from(ids.filter((_, p) => Math.floor((p * v) / ids.length) === j)));
        this.vipNames.push(`${region.name}-vip${j}`);
      }
    });
    this.cursor = new Int32Array(this.members.length);
    this.inRotation = Uint8Array.from(servers.alive);
    this.failures = new Int32Array(servers.count);
    this.passes = new Int32Array(servers.count);
    this.series = {
      sessions: [],
      ghosts: [],
      sessionsByVip: Object.fromEntries(this.vipNames.map((name) => [name, [] as number[]])),
      droppedPerSec: { tableFull: [], setupRate: [], noServer: [] },
    };
  }

  /** The VIP client `c` of home region `region` connects to: VIP c mod vips of its region. */
  vipOf(c: number, region: number): number {
    return region * this.vipsPerRegion + (c % this.vipsPerRegion);
  }

  /** The steady state's server for a client of `vip`: the next running member in rotation (-1: none). */
  place(vip: number, fits: (server: number) => boolean): number {
    const group = this.members[vip];
    for (let k = 0; k < group.length; k++) {
      const s = group[(this.cursor[vip] + k) % group.length];
      if (this.inRotation[s] === 1 && listening(this.servers.state[s]) && fits(s)) {
        this.cursor[vip] = (this.cursor[vip] + k + 1) % group.length;
        this.active++;
        return s;
      }
    }
    return -1;
  }

  /**
   * A SYN for `vip` reaches the switch at `now`: the server it is sent to,
   * or -1 when the switch drops it (setup rate, full table, no server in
   * rotation): the client's connect then times out.
   */
  route(vip: number, now: number): number {
    const second = Math.floor(now);
    if (second !== this.windowSecond) {
      this.windowSecond = second;
      this.setupsInWindow = 0;
    }
    if (this.setupsInWindow >= this.config.maxSetupsPerSec) return this.drop(1);
    this.setupsInWindow++;
    if (this.active + this.ghosts(now) >= this.config.maxSessions) return this.drop(0);
    const group = this.members[vip];
    const state = this.servers.state;
    for (let k = 0; k < group.length; k++) {
      const pos = (this.cursor[vip] + k) % group.length;
      const s = group[pos];
      // Out of rotation by its check; disabled by the operator for a deploy (draining, stopped); or not listening yet (starting, standby).
      if (this.inRotation[s] === 0 || !listening(state[s])) continue;
      this.cursor[vip] = (pos + 1) % group.length;
      if (this.servers.gcLeakShare[s] >= VISIBLE_LEAK_SHARE) this.sentToLeakingServer++;
      return s;
    }
    return this.drop(2);
  }

  private drop(why: number): number {
    this.droppedNow[why]++;
    this.droppedTotal[why]++;
    return -1;
  }

  /** A session through the switch opened. */
  opened(): void {
    this.active++;
  }

  /** A session closed with a FIN or RST the switch saw: its entry goes. */
  closed(): void {
    this.active--;
  }

  /** A session vanished without the switch seeing it (the client's network, the server's host): its entry stays as a ghost. */
  vanished(now: number): void {
    this.active--;
    const at = now + this.config.ghostTimeout;
    if (this.ghostTail > this.ghostHead && this.ghostAt[this.ghostTail - 1] === at) {
      this.ghostCount[this.ghostTail - 1]++;
    } else {
      if (this.ghostTail === this.ghostAt.length) this.growGhosts();
      this.ghostAt[this.ghostTail] = at;
      this.ghostCount[this.ghostTail] = 1;
      this.ghostTail++;
    }
    this.ghostTotal++;
  }

  /** Ghost entries still in the table at `now` (those whose timeout has passed are gone). */
  ghosts(now: number): number {
    while (this.ghostHead < this.ghostTail && this.ghostAt[this.ghostHead] <= now) {
      this.ghostTotal -= this.ghostCount[this.ghostHead];
      this.ghostHead++;
    }
    return this.ghostTotal;
  }

  private growGhosts(): void {
    const live = this.ghostTail - this.ghostHead;
    const size = Math.max(64, 2 * live);
    const at = new Float64Array(size);
    const count = new Float64Array(size);
    at.set(this.ghostAt.subarray(this.ghostHead, this.ghostTail));
    count.set(this.ghostCount.subarray(this.ghostHead, this.ghostTail));
    this.ghostAt = at;
    this.ghostCount = count;
    this.ghostHead = 0;
    this.ghostTail = live;
  }

  /** One round of the TCP check: it sees only whether the port accepts (a leaking server's does). */
  check(): void {
    for (let s = 0; s < this.servers.count; s++) {
      if (this.servers.passesTcpCheck(s)) {
        this.failures[s] = 0;
        if (this.inRotation[s] === 0 && ++this.passes[s] >= this.config.riseThreshold) this.inRotation[s] = 1;
      } else {
        this.passes[s] = 0;
        if (this.inRotation[s] === 1 && ++this.failures[s] >= this.config.failThreshold) this.inRotation[s] = 0;
      }
    }
  }

  sample(now: number): void {
    const s = this.series;
    const ghosts = this.ghosts(now);
    const sessions = this.active + ghosts;
    s.sessions.push(sessions);
    s.ghosts.push(ghosts);
    if (this.sampleIndex > 0 && sessions >= this.config.maxSessions) this.atLimitSamples += now - this.lastSampleTime;
    this.members.forEach((group, v) => {
      let open = 0;
      for (let k = 0; k < group.length; k++) open += this.servers.sessions[group[k]];
      s.sessionsByVip[this.vipNames[v]].push(open);
    });
    const interval = this.sampleIndex === 0 ? 1 : now - this.lastSampleTime;
    s.droppedPerSec.tableFull.push(this.droppedNow[0] / interval);
    s.droppedPerSec.setupRate.push(this.droppedNow[1] / interval);
    s.droppedPerSec.noServer.push(this.droppedNow[2] / interval);
    this.droppedNow.fill(0);
    this.lastSampleTime = now;
    this.sampleIndex++;
  }

  summary(): L4Summary {
    const max = (xs: number[]) => xs.reduce((a, b) => Math.max(a, b), 0);
    return {
      vips: this.members.length,
      maxSessions: this.config.maxSessions === Infinity ? null : this.config.maxSessions,
      maxSetupsPerSec: this.config.maxSetupsPerSec === Infinity ? null : this.config.maxSetupsPerSec,
      peakSessions: max(this.series.sessions),
      peakGhosts: max(this.series.ghosts),
      secondsAtLimit: this.atLimitSamples,
      dropped: { tableFull: this.droppedTotal[0], setupRate: this.droppedTotal[1], noServer: this.droppedTotal[2] },
      sentToLeakingServer: this.sentToLeakingServer,
    };
  }
}
