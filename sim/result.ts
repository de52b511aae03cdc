// The result of one run: what `result.json` holds. Everything in it is a pure
// function of the scenario and the seed (no wall-clock figures), so the same
// inputs give the same bytes.
import type { HeapSeries } from './model/heap.ts';
import type { DnsSeries, DnsSummary, L4Series, L4Summary } from './model/baselines.ts';
import type { CONNECT_FAILURE_NAMES } from './model/session-server.ts';

/** Why a connection attempt failed (sim/model/session-server.ts `ConnectFailure`). */
export type ConnectFailureReason = (typeof CONNECT_FAILURE_NAMES)[number];

/** Summary statistics of a sample. Null fields when the sample is empty. */
export interface Distribution {
  count: number;
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
}

export interface Series {
  /** Sample times in seconds: 0, Δ, 2Δ, … Rates below are per second over ((k-1)Δ, kΔ]. */
  time: number[];
  connected: number[];
  connectedByRegion: Record<string, number[]>;
  sessionsByServer: Record<string, number[]>;
  clientsByState: { idleBackoff: number[]; lookingUp: number[]; connecting: number[]; connected: number[] };
  /** Attempts of every kind sent by clients, whether or not their network carried them. */
  carrierAttemptsPerSec: number[];
  lookups: {
    sentPerSec: number[];
    answeredPerSec: number[];
    noServerPerSec: number[];
    timedOutPerSec: number[];
    refusedPerSec: number[];
    /** Answered "busy, retry after" by admission control. */
    rejectedPerSec: number[];
    /** Rejected on the device by adaptive throttling (never sent). */
    throttledPerSec: number[];
    /** Per instance: requests that reached the instance. */
    offeredPerSec: number[][];
    /** Per instance: services completed (including answers nobody waited for). */
    servedPerSec: number[][];
    /** Per instance, at the sample instant. */
    queueLength: number[][];
    /** Per instance: mean queue wait in seconds of requests arriving in the interval (null if none). */
    meanWait: (number | null)[][];
  };
  connectAttemptsPerSec: Record<string, number[]>;
  acceptsPerSec: Record<string, number[]>;
  /**
   * Failed connection attempts per second over all servers, by why they
   * failed: refused by a dead process (deadProcess), by a server starting,
   * in standby or draining (notInService), server full, accept limit, 503 in
   * a GC pause (gcPause); timed out on a host that did not answer
   * (noAnswer), or because the client's network was down (networkDown).
   * Counted when the client sees the failure. Absent in results written
   * before it existed.
   */
  connectFailuresPerSec?: Record<ConnectFailureReason, number[]>;
  /** The heaps of every server (only in a scenario with leaks): what the detectors read, and what GC costs. */
  heap?: HeapSeries;
  /** DNS round robin's caches (only with `lookup.algorithm: dns`). */
  dns?: DnsSeries;
  /** The L4 switch (only with `lookup.algorithm: l4`). */
  l4?: L4Series;
}

/** A control-plane event: suspensions, resumes, failovers, fallbacks, deploy steps, alerts. */
export interface ControlEvent {
  time: number;
  kind: string;
  /** The server, manager, lookup instance or region concerned. */
  subject: string;
  detail: string;
}

/** The story of one leaking server (docs/model.md §6), in the order things happened. */
export interface GrayFailureReport {
  server: string;
  /** When its leak first began (null: not within the run). */
  leakStartedAt: number | null;
  /** The first alert of any detector. */
  alertAt: number | null;
  /** Every detector's first alert on it, in time order. */
  alerts: { detector: string; at: number }[];
  /** The first failure a client saw: a connect refused in a GC pause (HTTP 503). */
  firstClientFailureAt: number | null;
  /** When the L7 health checks first got the server suspended. */
  firstSuspendedAt: number | null;
  suspensions: number;
  /** Times it was resumed after a suspension (flapping). */
  resumes: number;
  /** When the process died out of memory. */
  diedAt: number | null;
  /** When the operators pulled it from service at an alert (grayDetection.onAlert: remove). */
  removedAt: number | null;
  /** First failed L4 (TCP) check; null if it never failed during the run. */
  l4FirstFailureAt: number | null;
  /** True when the L4 check noticed nothing before the process died. */
  l4BlindUntilDeath: boolean;
}

/** One leak detector's record over a run: what it caught, how early, and how often it cried wolf. */
export interface DetectorReport {
  detector: string;
  kind: 'threshold' | 'trend' | 'cpu';
  /** Leaking servers, and how many of them it alerted on. */
  leaks: number;
  caught: number;
  /** Shortest time from its alert to a leaking server's first client-visible failure (or death); 0 for one it missed; null if none failed. */
  leadToFailure: number | null;
  /** The same to the out-of-memory death. */
  leadToDeath: number | null;
  /** Servers without a leak it alerted on. */
  falseAlarms: number;
  /** Days the servers without a leak ran, watched. */
  healthyServerDays: number;
  falseAlarmsPerServerDay: number | null;
}

export interface Summary {
  clients: number;
  events: number;
  /** First fault start, or null for a run without faults. */
  incidentStart: number | null;
  /** Real sessions just before the first fault. */
  preFaultSessions: number | null;
  sessionsAtEnd: number;
  /**
   * Seconds from the first fault's start until sessions were back at 99 % and
   * 99.9 % of the pre-fault count for good (the last upward crossing), and
   * until the last client the incident disconnected was connected again.
   * 0 if never lost, null if not recovered by the end of the run.
   */
  recovery: { p99: number | null; p999: number | null; full: number | null };
  /** Clients that lost their session during the incident and failed at least one attempt to get back. */
  disconnectedClients: number;
  notReconnected: number;
  /** Seconds from the first fault's start until each such client was connected again. */
  reconnectTime: Distribution;
  /** Seconds from losing the session to having one again. */
  downtime: Distribution;
  /** Attempts (lookups and connects) each such client made before it was back. */
  attemptsToReconnect: Distribution;
  /** Attempts per client over the whole run. */
  attemptsPerClient: Distribution;
  lookup: {
    capacityPerInstance: number | null;
    /** Highest per-second offered load on one instance, and that over its capacity. */
    peakOfferedPerSec: number;
    peakLoadFactor: number | null;
    peakQueueLength: number;
    peakMeanWait: number;
    /** Mean queue wait in seconds over every request that reached an up instance (null if none). */
    meanWait: number | null;
    timedOut: number;
    noServer: number;
    /** Turned away by admission control. */
    rejected: number;
    /** Rejected on the device by adaptive throttling. */
    throttled: number;
  };
  server: {
    peakAcceptsPerSec: number;
    maxAcceptsPerSec: number | null;
    peakAcceptFactor: number | null;
    crashes: number;
  };
  /** Session spread over running servers at the end of the run. */
  imbalance: { maxOverMean: number | null; cv: number | null };
  peakCarrierAttemptsPerSec: number;
  /**
   * Mean carrier attempts per second over the fault (the carrier outages'
   * windows, else every fault with a duration) over the pre-fault mean: the
   * sustained "100× normal" of docs/model.md §7.5.
   */
  carrierAmplification: number | null;
  /** The busiest second's carrier attempts over the pre-fault mean (dominated by the instant every session drops). */
  carrierPeakAmplification: number | null;
  controlPlane: {
    suspensions: number;
    resumes: number;
    /** Master failovers: when the master died and when a slave took over. */
    failovers: { masterDiedAt: number; newMasterAt: number | null; newMaster: number | null }[];
    /** Total instance-seconds lookups spent on round robin because no manager answered. */
    fallbackSeconds: number;
  };
  grayFailures: GrayFailureReport[];
  /** Each leak detector's record (only with leaks). */
  grayDetectors: DetectorReport[];
  /** DNS round robin (only with `lookup.algorithm: dns`). */
  dns?: DnsSummary;
  /** The L4 switch (only with `lookup.algorithm: l4`). */
  l4?: L4Summary;
}

/** A distribution kept in full enough to draw: CDF points and integer histograms. */
export interface Distributions {
  /** Reconnect time (s from the incident start) of the disconnected clients at cumulative shares p (0 < p ≤ 1), dense in the tail. */
  reconnectTimeCdf: { p: number; seconds: number }[];
  /** Downtime (s from losing the session to having one) at the same shares. */
  downtimeCdf: { p: number; seconds: number }[];
  /** How many clients made each number of attempts over the run: [attempts, clients], ascending. */
  attemptsPerClient: [number, number][];
  /** The same for the disconnected clients, until they were back. */
  attemptsToReconnect: [number, number][];
  /**
   * Downtime (s from losing the session to having one) of the reconnects
   * completed in each time bucket, from the incident on; empty buckets left
   * out. Absent without a fault, and in results written before it existed.
   */
  downtimeOverTime?: { bucketSeconds: number; buckets: DowntimeBucket[] };
}

/** The reconnects completed in [start, start + bucketSeconds) (s from the run's start), by nearest rank. */
export interface DowntimeBucket {
  start: number;
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface RunResult {
  stampede: { version: string; format: 1 };
  seed: number;
  /** The resolved scenario, in scenario-file form (re-runnable). */
  scenario: Record<string, unknown>;
  summary: Summary;
  series: Series;
  distributions: Distributions;
  /** Control-plane events in time order (capped; see summary.controlPlane for totals). */
  events: ControlEvent[];
  /**
   * Only in a run stopped before its end (Ctrl-C, SIGTERM): summary, series and
   * events cover simulated time [0, stoppedAt]. A run cannot be resumed;
   * `rerun` is the command that runs it again from the start.
   */
  partial?: { stoppedAt: number; reason: string; rerun: string };
}
