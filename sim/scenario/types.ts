// The resolved scenario: what the model consumes once a scenario file has been
// validated and its defaults filled in. Every duration is in seconds (float),
// every rate in events per second; `Infinity` stands for "unlimited" and
// `null` for "off". Field names follow docs/model.md.

import type { Assertion } from '../gate/assertions.ts';
import type { ExploreRange } from '../explore/range.ts';

export type AlgorithmName =
  | 'round-robin'
  | 'weighted-least-connection'
  | 'random'
  | 'power-of-d'
  | 'least-connection-slow-start'
  /** The baselines the operators replaced (docs/model.md §1): DNS round robin with client caches, */
  | 'dns'
  /** and an L4 switch with VIPs (the `l4` section). */
  | 'l4';

/** DNS round robin (docs/model.md §1, §4): the lookup instances answer as DNS servers, clients cache the answer. */
export interface DnsConfig {
  /** How long a client keeps a resolved address. */
  ttl: number;
  /** Share of clients that ignore the TTL and keep their address for good. */
  ignoreTtl: number;
}

/** An L4 switch with VIPs (docs/model.md §1): what replaces the lookups with `lookup.algorithm: l4`. */
export interface L4Config {
  /** VIPs per region; a region's servers are split among them in order. */
  vips: number;
  /** Entries the switch's session table holds (ghosts included); beyond, new connections are dropped. */
  maxSessions: number;
  /** Connection setups the switch handles per second; beyond, SYNs are dropped. */
  maxSetupsPerSec: number;
  /** How long an entry whose connection vanished without a FIN or RST (a ghost) stays in the table. */
  ghostTimeout: number;
  /** Period of the switch's TCP health check. */
  healthInterval: number;
  /** Consecutive failed checks before a server leaves its VIP's rotation. */
  failThreshold: number;
  /** Consecutive passed checks before it comes back. */
  riseThreshold: number;
}

/**
 * `gcm`: b/2 + U[0, b), b doubling from `initial` while it is below `max`, so
 * it ends at or past `max` (the source's rule); `gcm-clamped`: the same with
 * b = min(initial·2^n, max); `none`: a fixed
 * `initial`; `exponential`: min(max, initial·2^n) without jitter; AWS's
 * `full` U(0, v), `equal` v/2 + U(0, v/2) with v = min(max, initial·2^n), and
 * `decorrelated` min(max, U(initial, 3·previous)).
 */
export type RetryPolicyName = 'gcm' | 'gcm-clamped' | 'none' | 'exponential' | 'full' | 'equal' | 'decorrelated';

export interface BackoffConfig {
  policy: RetryPolicyName;
  /** Base backoff b at the first failure (docs/model.md §3: 3 s). */
  initial: number;
  /** Cap on b (docs/model.md §3: 300 s). */
  max: number;
}

/** Client-side adaptive throttling (Google SRE): reject locally with p = max(0, (requests − k·accepts)/(requests + 1)). */
export interface ThrottleConfig {
  k: number;
  /** Time constant over which requests and accepts are remembered. */
  window: number;
}

export interface SlowStartConfig {
  /** How long a server that comes back ramps up. */
  window: number;
  /** Ramp shape: weight factor (elapsed / window)^(1 / aggression) (Envoy); 1 is linear (HAProxy). */
  aggression: number;
  /** Floor of the weight factor, in percent. */
  minWeightPercent: number;
}

/** Lookup admission control: past `maxQueue`, answer "retry after" at once instead of queueing. */
export interface AdmissionConfig {
  maxQueue: number;
  /** Rejections one instance can send per second (its cost per rejection is 1 / rate). */
  rejectCapacity: number;
  retryAfter: number;
}

export interface ClientConfig {
  requestTimeout: number;
  connectTimeout: number;
  connectRetries: number;
  /** Other lookup addresses tried, in turn, after a failed lookup request before the client backs off (Infinity: all of them). */
  lookupFailover: number;
  /** Delay before a client notices a session on a vanished host. */
  keepalive: number;
  backoff: BackoffConfig;
  /** Mean session lifetime (exponential), or null when churn is off. */
  sessionLifetimeMean: number | null;
  throttle: ThrottleConfig | null;
}

export interface MccShare {
  mcc: number;
  share: number;
}

export interface PopulationConfig {
  clients: number;
  /** Shares sum to 1 after resolution. */
  mcc: MccShare[];
  /** `connected`: steady state at t = 0 (docs/model.md §3); `disconnected`: every client starts by looking up. */
  start: 'connected' | 'disconnected';
}

export interface LookupConfig {
  instances: number;
  /** Lookups per second one instance serves (deterministic service time 1/capacity). */
  capacity: number;
  infoRefresh: number;
  localCounting: boolean;
  /** A fixed T in the "no server, retry after T" answer; null: the client's own backoff timer (the source's behaviour). */
  retryAfter: number | null;
  algorithm: AlgorithmName;
  /** d of power-of-d choices. */
  choices: number;
  slowStart: SlowStartConfig;
  admission: AdmissionConfig | null;
  /** Only with `algorithm: dns` (null otherwise). */
  dns: DnsConfig | null;
}

export interface SessionServerConfig {
  maxSessions: number;
  maxAcceptsPerSec: number;
  /** Incoming connection attempts per second that, sustained for `overloadFor`, crash the server. */
  overloadAcceptsPerSec: number;
  overloadFor: number;
  /** Time from (re)start to running. */
  startupTime: number;
  /** Time after an overload crash before the server is restarted, or null for never. */
  restartAfterCrash: number | null;
  weight: number;
  heap: HeapConfig;
}

export interface RegionConfig {
  name: string;
  /** MCCs mapped to this region; the region named `common` also takes every unmapped MCC. */
  mcc: number[];
  servers: number;
  /** Extra servers that start shut down, for a `server-start` fault to bring in (named after the others). */
  spare: number;
  /** Region whose servers take this region's clients when all of its own are down. */
  failover: string | null;
}

/**
 * A service (docs/model.md §2): its own clients, lookup instances, algorithm and
 * regions, sharing the manager set with the other services.
 */
export interface ServiceConfig {
  name: string;
  /** Share of the population that uses this service (shares sum to 1). */
  share: number;
  /** Indices of the service's regions (region names are unique across services). */
  regions: number[];
  /** The region taking MCCs none of the service's regions maps. */
  commonRegion: number;
  /** The service's lookup instances are firstInstance .. firstInstance + instances - 1. */
  firstInstance: number;
  instances: number;
  algorithm: AlgorithmName;
}

/** Server managers (docs/model.md §5): master + slaves, ZooKeeper election, Redis counts. */
export interface ManagersConfig {
  count: number;
  healthInterval: number;
  healthTimeout: number;
  failThreshold: number;
  recoverThreshold: number;
  syncInterval: number;
  /** ZooKeeper session timeout: how long the master's ephemeral znode outlives it. */
  zkSessionTimeout: number;
}

/** A session server with a memory leak (docs/model.md §6, the gray failure). */
export interface LeakConfig {
  server: number;
  /** When the leak starts after a process starts; null: at random, uniform over the first half of the run. */
  startAfter: number | null;
  /** Leaked MB per day when the leak starts, at the fleet's mean load. */
  growthMBPerDay: number;
  /** The leak's rate doubles every this long; null: constant. */
  doublingTime: number | null;
  /** The rate scales with the server's sessions over the fleet's mean. */
  loadProportional: boolean;
}

/** Every server's JVM heap: what a leak fills, and what full GCs cost as it fills. */
export interface HeapConfig {
  sizeMB: number;
  /** Old generation live after a full GC on a healthy server, percent. */
  healthyLivePercent: number;
  /** Standard deviation of one full GC's reading, percent points. */
  noisePercent: number;
  /** Time between full GCs of a healthy server at mean load (it shrinks with the free old generation). */
  fullGcInterval: number;
  /** Pause of one full GC on a healthy server (it grows with the live heap). */
  fullGcPause: number;
  /** CPU at mean load outside GC, percent. */
  cpuPercent: number;
  tick: number;
}

export type DetectorConfig =
  | { kind: 'threshold'; percent: number }
  | { kind: 'trend'; window: number; percentPerDay: number }
  | { kind: 'cpu'; percent: number; for: number };

/** How operators watch the fleet's heaps (docs/model.md §6): detectors and what is done at an alert. */
export interface GrayDetectionConfig {
  /** How often the logged full-GC lines are read (threshold and trend detectors). */
  checkEvery: number;
  detectors: DetectorConfig[];
  onAlert: 'none' | 'remove';
  /** With `remove`: how long the server drains before its open sessions are closed. */
  drain: number;
}

export interface CarrierOutageFault {
  kind: 'carrier-outage';
  at: number;
  duration: number;
  /** Region whose clients lose their network, or null for all regions. */
  region: string | null;
  /** Only clients with these MCCs lose their network, or null for every MCC. */
  mcc: number[] | null;
  /** Share of the selected clients that lose their network. */
  fraction: number;
}

export interface LookupOutageFault {
  kind: 'lookup-outage';
  at: number;
  duration: number;
  /** Instance indices (0-based) that go down. */
  instances: number[];
  /** `blackhole`: no answer (client times out); `refuse`: immediate failure. */
  mode: 'blackhole' | 'refuse';
}

export interface ServerCrashFault {
  kind: 'server-crash';
  at: number;
  /** Global server indices. */
  servers: number[];
  /** `refuse`: the process dies, the host answers (sessions reset at once);
   *  `blackhole`: the host vanishes (sessions noticed after keepalive, connects time out). */
  mode: 'refuse' | 'blackhole';
  /** Time until the server is started again, or null for never. */
  restartAfter: number | null;
}

export interface ManagerCrashFault {
  kind: 'manager-crash';
  at: number;
  /** Manager indices (0 is the initial master). */
  managers: number[];
  /** Time until the managers come back, or null for never. */
  restartAfter: number | null;
}

/** Deploy (docs/model.md §7.6): drain, stop, start the new version; servers one after the other. */
export interface DeployFault {
  kind: 'deploy';
  at: number;
  servers: number[];
  /** Time between two servers' deploys. */
  stagger: number;
  /** How long a server drains (shuttingdown: no new sessions) before its remaining sessions are closed. */
  drain: number;
  /** Time from shutdown to the start of the new version. */
  restartAfter: number;
  /** After the drain, sessions still open are closed at this rate per second (Infinity: all at once). */
  closeRate: number;
}

export interface ServerStartFault {
  kind: 'server-start';
  at: number;
  servers: number[];
}

export interface AlgorithmChangeFault {
  kind: 'algorithm-change';
  at: number;
  /** Service index. */
  service: number;
  algorithm: AlgorithmName;
}

export interface MccRemapFault {
  kind: 'mcc-remap';
  at: number;
  mcc: number;
  region: string;
}

/** A data centre lost (docs/model.md §7.10): every component of the site, as vanished hosts, for `duration`. */
export interface SiteOutageFault {
  kind: 'site-outage';
  at: number;
  duration: number;
  site: string;
  /** Global server indices: the site's regions' servers and its listed ones. */
  servers: number[];
  lookups: number[];
  managers: number[];
}

/**
 * Commands `stampede load --target URL` runs at a fault's start and end against the user's own
 * system (docs/live.md); the simulation ignores them.
 */
export interface FaultExec {
  /** Shell command run when the fault starts, or null. */
  start: string | null;
  /** Shell command run when the fault ends (at + duration, or at + restartAfter), or null. */
  end: string | null;
  /** Wall-clock bound on each command (not scaled by --time-scale). */
  timeout: number;
}

export type FaultConfig = (
  | CarrierOutageFault
  | SiteOutageFault
  | LookupOutageFault
  | ServerCrashFault
  | ManagerCrashFault
  | DeployFault
  | ServerStartFault
  | AlgorithmChangeFault
  | MccRemapFault
) & { exec?: FaultExec | null };

/** A data centre (IDC): the components a site-outage takes down together. */
export interface SiteConfig {
  name: string;
  /** Regions whose servers are all in the site (names). */
  regions: string[];
  /** Further servers in the site (global indices). */
  servers: number[];
  lookups: number[];
  managers: number[];
}

/** What `stampede explore` searches (docs/explore.md); a run ignores it. */
export interface ExploreConfig {
  seed: number;
  runs: number;
  /** Wall-clock budget of the swarm phase in seconds, or null. */
  time: number | null;
  ranges: ExploreRange[];
  extraFaults: {
    max: number;
    kinds: ('server-crash' | 'lookup-outage' | 'manager-crash' | 'carrier-outage')[];
    from: number;
    /** Latest start; null: half the run. */
    until: number | null;
    longest: number;
  };
  /** The two fields of the pass/fail map ([] when fewer than two numeric ranges). */
  map: string[];
  shrink: number;
  metastableWindow: number;
}

export interface Scenario {
  name: string;
  description: string;
  seed: number;
  duration: number;
  sampleInterval: number;
  /** Round-trip time of every successful network exchange. */
  rtt: number;
  population: PopulationConfig;
  client: ClientConfig;
  lookup: LookupConfig;
  sessionServer: SessionServerConfig;
  regions: RegionConfig[];
  /** Always at least one; a file without `services` has one service, `default`, with everything. */
  services: ServiceConfig[];
  /** Null: no managers; lookups read the fleet directly at each refresh (an idealized oracle). */
  managers: ManagersConfig | null;
  leaks: LeakConfig[];
  grayDetection: GrayDetectionConfig;
  sites: SiteConfig[];
  faults: FaultConfig[];
  /** Gate assertions (`assert:`), parsed; `source` is the text as written. */
  assert: Assertion[];
  /** The search space of `stampede explore`, or null. */
  explore: ExploreConfig | null;
  /** Only with `lookup.algorithm: l4` (null otherwise). */
  l4: L4Config | null;
}
