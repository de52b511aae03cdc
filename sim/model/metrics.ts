// What a run measures (docs/model.md §8): counters bumped on the hot path,
// sampled into per-interval series, and the per-run summary.
import type { ConnectFailureReason, ControlEvent, Distributions, DowntimeBucket, Series, Summary } from '../result.ts';
import type { LookupInstances } from './lookup.ts';
import { CONNECT_FAILURE_NAMES, ConnectFailure, type SessionServers } from './session-server.ts';
import type { Heaps } from './heap.ts';
import { ascending, summarizeCounts, summarizeDurations, type CountSummary } from './distribution.ts';
import { DOUBLE_ZERO, NOT_YET } from '../engine/double-fields.ts';

export const ClientState = { idleBackoff: 0, lookingUp: 1, connecting: 2, connected: 3 } as const;
export type ClientStateCode = (typeof ClientState)[keyof typeof ClientState];

const MAX_EVENTS = 10_000;

/**
 * Changes made ahead of the clock, per sample index k, at
 * [TALLY_STRIDE · k + field] (`TallyField`): the fields of one sample share
 * a cache line, so that a timer run ahead counts into one line, not four.
 */
export type AheadTally = Float64Array;
export const TALLY_STRIDE = 8;
export const TallyField = {
  attempts: 0,
  /** Lookups among the attempts. */
  sent: 1,
  timedOut: 2,
  /** Net change of clientsInState: [states + state]. */
  states: 3,
  /** Connects that timed out because the client's own network was down (ConnectFailure.networkDown): the slot after the four states. */
  connectsNetworkDown: 7,
} as const;

/**
 * The arrays of the per-sample series, held by index (server, lookup
 * instance, region, failure reason) so that a sample pushes into them
 * directly: looked up by server name through the result's objects, with a
 * closure per rate, a sample cost 15–40 µs at 1,000 clients before V8
 * optimized it (1,500 samples: a third of the run). The result's objects
 * hold these same arrays.
 */
interface SeriesArrays {
  regions: number[][];
  sessions: number[][];
  attempts: number[][];
  accepts: number[][];
  failures: number[][];
  offered: number[][];
  served: number[][];
  queue: number[][];
  wait: (number | null)[][];
}

export class Metrics {
  // Interval counters, reset at each sample.
  carrierAttempts = DOUBLE_ZERO;
  lookupsSent = DOUBLE_ZERO;
  lookupsAnswered = 0;
  lookupsNoServer = 0;
  lookupsTimedOut = DOUBLE_ZERO;
  lookupsRefused = 0;
  /** Answered "busy, retry after" by admission control. */
  lookupsRejected = 0;
  /** Rejected on the device by adaptive throttling (never sent). */
  lookupsThrottled = 0;
  readonly connectAttempts: Float64Array;
  readonly accepts: Float64Array;
  /** Failed connection attempts by ConnectFailure code, counted when the client sees the failure. */
  readonly connectFailures = new Float64Array(CONNECT_FAILURE_NAMES.length);
  /**
   * Connects that will time out on a host that does not answer, by the index
   * of the sample that sees their deadline (counted when armed: the reason
   * is known then, and a client's connect timer is never replaced).
   */
  readonly noAnswerLater: Float64Array;

  // Run totals.
  totalTimedOut = 0;
  totalNoServer = 0;
  totalThrottled = 0;
  crashes = 0;

  /** Clients per ClientState. */
  readonly clientsInState = new Int32Array(4);
  /** Real sessions (a session on a vanished host is gone even before its client notices). */
  connected = 0;
  readonly connectedByRegion: Float64Array;

  // Recovery tracking: thresholds are fixed when the first fault starts.
  incidentStart = NOT_YET;
  preFault = 0;
  private threshold99 = -Infinity;
  private threshold999 = -Infinity;
  private below99 = false;
  private below999 = false;
  private lastUp99 = DOUBLE_ZERO;
  private lastUp999 = DOUBLE_ZERO;

  // Clients the incident disconnected: one entry per reconnection.
  private reconnectAt = new Float64Array(1024);
  private downtimes = new Float64Array(1024);
  /** Attempts since the loss, which a client counts up to 65,535. */
  private reconnectAttempts = new Uint16Array(1024);
  private episodes = 0;

  private readonly series: Series;
  private readonly arrays: SeriesArrays;
  /** Control-plane events, capped so a flapping server cannot blow up the result. */
  readonly events: ControlEvent[] = [];
  eventsDropped = 0;
  fallbackSeconds = DOUBLE_ZERO;
  private lastSampleTime = DOUBLE_ZERO;
  private sampleIndex = 0;
  /** The fleet's heaps, sampled with the rest (scenarios with leaks). */
  heaps: Heaps | null = null;
  /** The baselines' own metrics (DNS caches, the L4 switch: baselines.ts), sampled with the rest; null when off. */
  baselines: { sample(now: number): void } | null = null;
  private peakCarrier = DOUBLE_ZERO;
  private preFaultCarrierSum = DOUBLE_ZERO;
  private preFaultCarrierSamples = 0;

  /**
   * What clients did ahead of the clock (timers run inline, ClientPopulation),
   * by the index of the first sample that would have seen it (`sampleIndexAfter`),
   * written by the client's retry loop.
   */
  readonly later: AheadTally;

  constructor(
    private readonly servers: SessionServers,
    private readonly lookups: LookupInstances,
    regionNames: string[],
    readonly lastSample: number,
    /** Population size: the reconnect records grow straight to it, not by doubling through it. */
    private readonly clients: number,
  ) {
    this.later = aheadTally(lastSample);
    this.noAnswerLater = new Float64Array(lastSample + 1);
    this.connectAttempts = new Float64Array(servers.count);
    this.accepts = new Float64Array(servers.count);
    this.connectedByRegion = new Float64Array(regionNames.length);
    const perServer = () => servers.names.map(() => [] as number[]);
    const perInstance = <T>() => Array.from({ length: lookups.count }, () => [] as T[]);
    const arrays: SeriesArrays = {
      regions: regionNames.map(() => []),
      sessions: perServer(),
      attempts: perServer(),
      accepts: perServer(),
      failures: CONNECT_FAILURE_NAMES.map(() => []),
      offered: perInstance<number>(),
      served: perInstance<number>(),
      queue: perInstance<number>(),
      wait: perInstance<number | null>(),
    };
    this.arrays = arrays;
    const byServer = (of: number[][]) => Object.fromEntries(servers.names.map((name, k) => [name, of[k]]));
    this.series = {
      time: [],
      connected: [],
      connectedByRegion: Object.fromEntries(regionNames.map((name, r) => [name, arrays.regions[r]])),
      sessionsByServer: byServer(arrays.sessions),
      clientsByState: { idleBackoff: [], lookingUp: [], connecting: [], connected: [] },
      carrierAttemptsPerSec: [],
      lookups: {
        sentPerSec: [],
        answeredPerSec: [],
        noServerPerSec: [],
        timedOutPerSec: [],
        refusedPerSec: [],
        rejectedPerSec: [],
        throttledPerSec: [],
        offeredPerSec: arrays.offered,
        servedPerSec: arrays.served,
        queueLength: arrays.queue,
        meanWait: arrays.wait,
      },
      connectAttemptsPerSec: byServer(arrays.attempts),
      acceptsPerSec: byServer(arrays.accepts),
      connectFailuresPerSec: Object.fromEntries(CONNECT_FAILURE_NAMES.map((name, r) => [name, arrays.failures[r]])) as Record<ConnectFailureReason, number[]>,
    };
  }

  logEvent(time: number, kind: string, subject: string, detail: string): void {
    if (this.events.length < MAX_EVENTS) this.events.push({ time, kind, subject, detail });
    else this.eventsDropped++;
  }

  // The marks are stored at every call, not under an `if`: a store that first runs once V8 has
  // optimized the caller (a threshold is crossed once or twice a run, mid-recovery) throws that
  // optimized code away, and the client's handlers that inline this one run unoptimized until V8
  // compiles them again: at 100,000 clients V2 compiled becomeConnected three times.

  sessionUp(region: number, now: number): void {
    const connected = ++this.connected;
    this.connectedByRegion[region]++;
    this.lastUp99 = connected === this.threshold99 ? now : this.lastUp99;
    this.lastUp999 = connected === this.threshold999 ? now : this.lastUp999;
  }

  sessionDown(region: number): void {
    const connected = --this.connected;
    this.connectedByRegion[region]--;
    this.below99 = this.below99 || connected < this.threshold99;
    this.below999 = this.below999 || connected < this.threshold999;
  }

  /** Called once, when the first fault starts. */
  startIncident(now: number): void {
    if (this.incidentStart >= 0) return;
    this.incidentStart = now;
    this.preFault = this.connected;
    this.threshold99 = Math.ceil(0.99 * this.preFault);
    this.threshold999 = Math.ceil(0.999 * this.preFault);
  }

  recordReconnect(now: number, lostAt: number, attempts: number): void {
    if (this.episodes === this.reconnectAt.length) {
      const length = Math.max(2 * this.episodes, Math.min(this.clients, 4 * this.episodes));
      this.reconnectAt = grow(this.reconnectAt, length);
      this.downtimes = grow(this.downtimes, length);
      this.reconnectAttempts = grow(this.reconnectAttempts, length);
    }
    this.reconnectAt[this.episodes] = now - this.incidentStart;
    this.downtimes[this.episodes] = now - lostAt;
    this.reconnectAttempts[this.episodes] = attempts;
    this.episodes++;
  }

  private applyLater(k: number): void {
    if (k > this.lastSample) return;
    const at = TALLY_STRIDE * k;
    this.carrierAttempts += this.later[at + TallyField.attempts];
    this.lookupsSent += this.later[at + TallyField.sent];
    this.lookupsTimedOut += this.later[at + TallyField.timedOut];
    this.connectFailures[ConnectFailure.networkDown] += this.later[at + TallyField.connectsNetworkDown];
    this.connectFailures[ConnectFailure.noAnswer] += this.noAnswerLater[k];
    for (let state = 0; state < 4; state++) this.clientsInState[state] += this.later[at + TallyField.states + state];
  }

  sample(now: number): void {
    const k = this.sampleIndex;
    this.applyLater(k);
    const s = this.series;
    const a = this.arrays;
    const interval = k === 0 ? 1 : now - this.lastSampleTime;
    s.time.push(now);
    s.connected.push(this.connected);
    for (let r = 0; r < a.regions.length; r++) a.regions[r].push(this.connectedByRegion[r]);
    const states = s.clientsByState;
    states.idleBackoff.push(this.clientsInState[ClientState.idleBackoff]);
    states.lookingUp.push(this.clientsInState[ClientState.lookingUp]);
    states.connecting.push(this.clientsInState[ClientState.connecting]);
    states.connected.push(this.clientsInState[ClientState.connected]);
    const carrier = this.carrierAttempts / interval;
    s.carrierAttemptsPerSec.push(carrier);
    this.peakCarrier = Math.max(this.peakCarrier, carrier);
    if (this.incidentStart < 0 && k > 0) {
      this.preFaultCarrierSum += carrier;
      this.preFaultCarrierSamples++;
    }
    const l = s.lookups;
    l.sentPerSec.push(this.lookupsSent / interval);
    l.answeredPerSec.push(this.lookupsAnswered / interval);
    l.noServerPerSec.push(this.lookupsNoServer / interval);
    l.timedOutPerSec.push(this.lookupsTimedOut / interval);
    l.refusedPerSec.push(this.lookupsRefused / interval);
    l.rejectedPerSec.push(this.lookupsRejected / interval);
    l.throttledPerSec.push(this.lookupsThrottled / interval);
    const lookups = this.lookups;
    for (let i = 0; i < lookups.count; i++) {
      const offered = lookups.offered[i];
      a.offered[i].push(offered / interval);
      a.served[i].push(lookups.processedInBin(i, k) / interval);
      a.queue[i].push(lookups.queueLength(i, now));
      a.wait[i].push(offered > 0 ? lookups.waitSum[i] / offered : null);
    }
    lookups.offered.fill(0);
    lookups.waitSum.fill(0);
    for (let server = 0; server < a.sessions.length; server++) {
      a.sessions[server].push(this.servers.sessions[server]);
      a.attempts[server].push(this.connectAttempts[server] / interval);
      a.accepts[server].push(this.accepts[server] / interval);
    }
    for (let r = 0; r < a.failures.length; r++) a.failures[r].push(this.connectFailures[r] / interval);
    this.connectFailures.fill(0);
    this.connectAttempts.fill(0);
    this.accepts.fill(0);
    this.carrierAttempts = 0;
    this.lookupsSent = 0;
    this.lookupsAnswered = 0;
    this.lookupsNoServer = 0;
    this.lookupsTimedOut = 0;
    this.lookupsRefused = 0;
    this.lookupsRejected = 0;
    this.lookupsThrottled = 0;
    if (this.heaps !== null) {
      this.heaps.sample(now);
      s.heap = this.heaps.seriesSoFar();
    }
    this.baselines?.sample(now);
    this.lastSampleTime = now;
    this.sampleIndex++;
  }

  result(args: {
    clients: number;
    events: number;
    disconnectedNow: number;
    attemptsPerClient: CountSummary;
    maxAcceptsPerSec: number;
    controlPlane: Summary['controlPlane'];
    grayFailures: Summary['grayFailures'];
    grayDetectors: Summary['grayDetectors'];
    /** Where the fault's sustained attempt rate is measured: [from, to) windows (the carrier outages, else every fault with a duration). */
    faultWindows: [number, number][];
  }): { summary: Summary; series: Series; distributions: Distributions } {
    const s = this.series;
    const hadIncident = this.incidentStart >= 0;
    const recoveredAt = (below: boolean, lastUp: number, threshold: number): number | null => {
      if (!hadIncident) return null;
      if (this.connected < threshold) return null;
      return below ? lastUp - this.incidentStart : 0;
    };
    const reconnectAt = this.reconnectAt.subarray(0, this.episodes);
    const reconnectTime = summarizeDurations(reconnectAt);
    const downtime = summarizeDurations(this.downtimes.subarray(0, this.episodes));
    const attemptsToReconnect = summarizeCounts(this.reconnectAttempts.subarray(0, this.episodes));
    const attemptsPerClient = args.attemptsPerClient;
    let full: number | null = null;
    if (hadIncident) {
      full = args.disconnectedNow > 0 ? null : this.episodes === 0 ? 0 : max(reconnectAt);
    }
    const offeredPeak = maxOf(s.lookups.offeredPerSec);
    const capacity = this.lookups.capacity;
    const acceptPeak = maxOf(Object.values(s.acceptsPerSec));
    const running: number[] = [];
    for (let k = 0; k < this.servers.count; k++) if (this.servers.isRunning(k)) running.push(this.servers.sessions[k]);
    const preFaultMean = hadIncident && this.preFaultCarrierSamples > 0 && this.preFaultCarrierSum > 0
      ? this.preFaultCarrierSum / this.preFaultCarrierSamples
      : null;
    const summary: Summary = {
      clients: args.clients,
      events: args.events,
      incidentStart: hadIncident ? this.incidentStart : null,
      preFaultSessions: hadIncident ? this.preFault : null,
      sessionsAtEnd: this.connected,
      recovery: {
        p99: recoveredAt(this.below99, this.lastUp99, this.threshold99),
        p999: recoveredAt(this.below999, this.lastUp999, this.threshold999),
        full,
      },
      disconnectedClients: this.episodes + args.disconnectedNow,
      notReconnected: args.disconnectedNow,
      reconnectTime: reconnectTime.distribution,
      downtime: downtime.distribution,
      attemptsToReconnect: attemptsToReconnect.distribution,
      attemptsPerClient: attemptsPerClient.distribution,
      lookup: {
        capacityPerInstance: capacity === Infinity ? null : capacity,
        peakOfferedPerSec: offeredPeak,
        peakLoadFactor: capacity === Infinity ? null : offeredPeak / capacity,
        peakQueueLength: maxOf(s.lookups.queueLength),
        peakMeanWait: maxOf(s.lookups.meanWait.map((w) => w.map((x) => x ?? 0))),
        meanWait: this.lookups.totalOffered > 0 ? this.lookups.totalWait / this.lookups.totalOffered : null,
        timedOut: this.totalTimedOut,
        noServer: this.totalNoServer,
        rejected: this.lookups.totalRejected,
        throttled: this.totalThrottled,
      },
      server: {
        peakAcceptsPerSec: acceptPeak,
        maxAcceptsPerSec: args.maxAcceptsPerSec === Infinity ? null : args.maxAcceptsPerSec,
        peakAcceptFactor: args.maxAcceptsPerSec === Infinity ? null : acceptPeak / args.maxAcceptsPerSec,
        crashes: this.crashes,
      },
      imbalance: imbalance(running),
      // + 0: before the first sample the field is still DOUBLE_ZERO's -0, which must not be shown.
      peakCarrierAttemptsPerSec: this.peakCarrier + 0,
      carrierAmplification: preFaultMean === null ? null : ratioOrNull(meanOverWindows(s.time, s.carrierAttemptsPerSec, args.faultWindows), preFaultMean),
      carrierPeakAmplification: preFaultMean === null ? null : this.peakCarrier / preFaultMean,
      controlPlane: args.controlPlane,
      grayFailures: args.grayFailures,
      grayDetectors: args.grayDetectors,
    };
    const distributions: Distributions = {
      reconnectTimeCdf: reconnectTime.cdf,
      downtimeCdf: downtime.cdf,
      attemptsPerClient: attemptsPerClient.histogram,
      attemptsToReconnect: attemptsToReconnect.histogram,
      ...(hadIncident ? { downtimeOverTime: this.downtimeOverTime(s.time) } : {}),
    };
    return { summary, series: s, distributions };
  }

  /**
   * Downtime percentiles of the reconnects completed in each time bucket
   * (latency over time, as Gatling and k6 draw it): whole sample intervals,
   * at most about MAX_DOWNTIME_BUCKETS of them over the run. Empty buckets
   * are left out. Episodes are recorded as clients reconnect, in event
   * order, so each bucket is one slice of the records.
   */
  private downtimeOverTime(time: readonly number[]): { bucketSeconds: number; buckets: DowntimeBucket[] } {
    const interval = time.length > 1 ? time[1] - time[0] : 1;
    const bucketSeconds = downtimeBucketSeconds(interval, time[time.length - 1] ?? 0);
    const buckets: DowntimeBucket[] = [];
    let from = 0;
    while (from < this.episodes) {
      const index = Math.floor((this.reconnectAt[from] + this.incidentStart) / bucketSeconds);
      const end = (index + 1) * bucketSeconds;
      let to = from + 1;
      while (to < this.episodes && this.reconnectAt[to] + this.incidentStart < end) to++;
      const sorted = ascending(this.downtimes.subarray(from, to));
      const n = sorted.length;
      const at = (q: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))];
      buckets.push({ start: index * bucketSeconds, count: n, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[n - 1] });
      from = to;
    }
    return { bucketSeconds, buckets };
  }
}

/** About this many buckets over a run at most, so the chart stays readable and result.json small. */
const MAX_DOWNTIME_BUCKETS = 150;
const NICE_MULTIPLES = [1, 2, 3, 5, 6, 10, 12, 15, 20, 30, 60, 120, 180, 360, 720, 1440];

/** The bucket of `downtimeOverTime`: a nice multiple of the sample interval, so that buckets line up with the samples. */
export function downtimeBucketSeconds(interval: number, duration: number): number {
  const wanted = duration / MAX_DOWNTIME_BUCKETS;
  const multiple = NICE_MULTIPLES.find((m) => m * interval >= wanted) ?? Math.ceil(wanted / interval);
  return multiple * interval;
}

/**
 * Mean rate of a per-second series over `windows`: what happened in them
 * over how long they last. Sample k counts (time[k − 1], time[k]], and also
 * what a fault did at the instant time[k] (a fault's event runs before the
 * sample of its instant), so the sample at a window's start counts the
 * fault's first instant but adds no time. NaN when no sample falls inside.
 */
function meanOverWindows(time: number[], values: number[], windows: [number, number][]): number {
  let count = 0;
  let seconds = 0;
  for (let k = 1; k < time.length; k++) {
    const t = time[k];
    const interval = t - time[k - 1];
    for (const [start, end] of windows) {
      if (t < start || t > end) continue;
      count += values[k] * interval;
      if (t > start) seconds += interval;
      break;
    }
  }
  return seconds === 0 ? Number.NaN : count / seconds;
}

function ratioOrNull(value: number, over: number): number | null {
  return Number.isFinite(value) ? value / over : null;
}

function imbalance(sessions: number[]): { maxOverMean: number | null; cv: number | null } {
  if (sessions.length === 0) return { maxOverMean: null, cv: null };
  const mean = sessions.reduce((a, b) => a + b, 0) / sessions.length;
  if (mean === 0) return { maxOverMean: null, cv: null };
  const variance = sessions.reduce((a, b) => a + (b - mean) ** 2, 0) / sessions.length;
  return { maxOverMean: Math.max(...sessions) / mean, cv: Math.sqrt(variance) / mean };
}

function max(values: Float64Array): number {
  let m = -Infinity;
  for (let i = 0; i < values.length; i++) if (values[i] > m) m = values[i];
  return m;
}

function maxOf(rows: number[][]): number {
  let m = 0;
  for (const row of rows) for (const v of row) if (v > m) m = v;
  return m;
}

function grow<T extends Float64Array | Uint16Array>(array: T, length: number): T {
  const grown = new (array.constructor as new (length: number) => T)(length);
  grown.set(array);
  return grown;
}

/**
 * Index of the first sample (every `interval`, `perSecond` = 1 / interval,
 * up to sample `last`) that sees a change made by a client timer at `time`,
 * or -1 if no sample does. A sample at exactly `time` does not: it was
 * scheduled first, so it runs before any client timer of that instant.
 */
export function sampleIndexAfter(time: number, interval: number, perSecond: number, last: number): number {
  // A product where a quotient was: off by at most one, which the loops correct.
  let k = Math.floor(time * perSecond) + 1;
  while (k > 0 && (k - 1) * interval > time) k--;
  while (k * interval <= time) k++;
  return k <= last ? k : -1;
}

/** A tally of what timers run ahead change, per metrics sample 0..lastSample, in `buffer` if given. */
export function aheadTally(lastSample: number, buffer?: ArrayBufferLike): AheadTally {
  const memory = buffer ?? new ArrayBuffer(aheadTallyBytes(lastSample));
  return new Float64Array(memory, 0, TALLY_STRIDE * (lastSample + 1));
}

export function aheadTallyBytes(lastSample: number): number {
  return 8 * TALLY_STRIDE * (lastSample + 1);
}
