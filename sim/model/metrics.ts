// What a run measures (docs/model.md §8): counters bumped on the hot path,
// sampled into per-interval series, and the per-run summary.
import type { ConnectFailureReason, ControlEvent, Distributions, DowntimeBucket, Series, Summary } from '../result.ts';
import type { LookupInstances } from './lookup.ts';
import { CONNECT_FAILURE_NAMES, ConnectFailure, type SessionServers } from './session-server.ts';
import type { Heaps } from './heap.ts';
import { ascending, summarizeCounts, summarizeDurations, type CountSummary } from './distribution.ts';

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
 * The fixed columns of a SampleTable row; blocks per region, lookup
 * instance, server and connect-failure reason follow (SampleTable).
 */
const Column = {
  time: 0,
  connected: 1,
  /** Clients per ClientState (4). */
  states: 2,
  /** Counts over the interval, divided by it only in the result: */
  carrier: 6,
  /** lookups sent, answered, no server, timed out, refused, rejected, throttled. */
  lookups: 7,
  /** connectedByRegion, one per region. */
  regions: 14,
} as const;

/**
 * The per-sample series, one row of doubles per sample, written in place
 * while the run goes. A row holds what the sample read (counts over the
 * interval, not yet rates), mostly as whole typed arrays copied in one
 * `set`: a sample then costs a few stores and copies even before V8 has
 * optimized it, where pushing rates into ~50 JavaScript arrays (grown by
 * copying, keyed by server name) cost 15–40 µs a sample at 1,000 clients
 * (1,500 samples: a third of the run) and filled the young generation.
 * The result's arrays are built from it once (`column`, `rates`), with the
 * same divisions the sample made before, so the same numbers.
 */
class SampleTable {
  readonly width: number;
  /** Per lookup instance, a block each: requests offered, their summed waits, services completed, queue length. */
  readonly offeredAt: number;
  readonly waitAt: number;
  readonly servedAt: number;
  readonly queueAt: number;
  /** Per server, a block each: sessions, connect attempts, accepts. */
  readonly sessionsAt: number;
  readonly attemptsAt: number;
  readonly acceptsAt: number;
  /** Per ConnectFailure code: failures. */
  readonly failuresAt: number;
  values: Float64Array;

  constructor(samples: number, regions: number, instances: number, servers: number) {
    this.offeredAt = Column.regions + regions;
    this.waitAt = this.offeredAt + instances;
    this.servedAt = this.waitAt + instances;
    this.queueAt = this.servedAt + instances;
    this.sessionsAt = this.queueAt + instances;
    this.attemptsAt = this.sessionsAt + servers;
    this.acceptsAt = this.attemptsAt + servers;
    this.failuresAt = this.acceptsAt + servers;
    this.width = this.failuresAt + CONNECT_FAILURE_NAMES.length;
    this.values = new Float64Array(samples * this.width);
  }

  /** Where row k starts (grown if a run samples more than expected). */
  row(k: number): number {
    const at = k * this.width;
    if (at + this.width > this.values.length) {
      const grown = new Float64Array(Math.max(2 * this.values.length, at + this.width));
      grown.set(this.values);
      this.values = grown;
    }
    return at;
  }

  /** Column c of the first n rows. */
  column(c: number, n: number): number[] {
    const out: number[] = [];
    for (let k = 0, at = c; k < n; k++, at += this.width) out.push(this.values[at]);
    return out;
  }

  /** Column c of the first n rows per second of each row's interval (the first row's: 1 s). */
  rates(c: number, n: number): number[] {
    const v = this.values;
    const out: number[] = [];
    for (let k = 0, at = c; k < n; k++, at += this.width) {
      const interval = k === 0 ? 1 : v[at - c + Column.time] - v[at - c - this.width + Column.time];
      out.push(v[at] / interval);
    }
    return out;
  }
}

export class Metrics {
  // Interval counters, reset at each sample.
  carrierAttempts = 0;
  lookupsSent = 0;
  lookupsAnswered = 0;
  lookupsNoServer = 0;
  lookupsTimedOut = 0;
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
  incidentStart = -1;
  preFault = 0;
  private threshold99 = -Infinity;
  private threshold999 = -Infinity;
  private below99 = false;
  private below999 = false;
  private lastUp99 = 0;
  private lastUp999 = 0;

  // Clients the incident disconnected: one entry per reconnection.
  private reconnectAt = new Float64Array(1024);
  private downtimes = new Float64Array(1024);
  /** Attempts since the loss, which a client counts up to 65,535. */
  private reconnectAttempts = new Uint16Array(1024);
  private episodes = 0;

  /** The per-sample series while the run goes (SampleTable); JavaScript arrays only in the result. */
  private readonly table: SampleTable;
  /** Control-plane events, capped so a flapping server cannot blow up the result. */
  readonly events: ControlEvent[] = [];
  eventsDropped = 0;
  fallbackSeconds = 0;
  private readonly serverNames: string[];
  private readonly regionNames: string[];
  private lastSampleTime = 0;
  private sampleIndex = 0;
  /** The fleet's heaps, sampled with the rest (scenarios with leaks). */
  heaps: Heaps | null = null;
  /** The baselines' own metrics (DNS caches, the L4 switch: baselines.ts), sampled with the rest; null when off. */
  baselines: { sample(now: number): void } | null = null;
  private peakCarrier = 0;
  private preFaultCarrierSum = 0;
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
    this.serverNames = servers.names;
    this.regionNames = regionNames;
    this.connectAttempts = new Float64Array(servers.count);
    this.accepts = new Float64Array(servers.count);
    this.connectedByRegion = new Float64Array(regionNames.length);
    this.table = new SampleTable(lastSample + 1, regionNames.length, lookups.count, servers.count);
  }

  logEvent(time: number, kind: string, subject: string, detail: string): void {
    if (this.events.length < MAX_EVENTS) this.events.push({ time, kind, subject, detail });
    else this.eventsDropped++;
  }

  sessionUp(region: number, now: number): void {
    const connected = ++this.connected;
    this.connectedByRegion[region]++;
    if (connected === this.threshold99) this.lastUp99 = now;
    if (connected === this.threshold999) this.lastUp999 = now;
  }

  sessionDown(region: number): void {
    const connected = --this.connected;
    this.connectedByRegion[region]--;
    if (connected < this.threshold99) this.below99 = true;
    if (connected < this.threshold999) this.below999 = true;
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
    const t = this.table;
    const row = t.row(k);
    const v = t.values;
    v[row + Column.time] = now;
    v[row + Column.connected] = this.connected;
    v.set(this.clientsInState, row + Column.states);
    v[row + Column.carrier] = this.carrierAttempts;
    const carrier = this.carrierAttempts / (k === 0 ? 1 : now - this.lastSampleTime);
    this.peakCarrier = Math.max(this.peakCarrier, carrier);
    if (this.incidentStart < 0 && k > 0) {
      this.preFaultCarrierSum += carrier;
      this.preFaultCarrierSamples++;
    }
    v[row + Column.lookups] = this.lookupsSent;
    v[row + Column.lookups + 1] = this.lookupsAnswered;
    v[row + Column.lookups + 2] = this.lookupsNoServer;
    v[row + Column.lookups + 3] = this.lookupsTimedOut;
    v[row + Column.lookups + 4] = this.lookupsRefused;
    v[row + Column.lookups + 5] = this.lookupsRejected;
    v[row + Column.lookups + 6] = this.lookupsThrottled;
    v.set(this.connectedByRegion, row + Column.regions);
    const lookups = this.lookups;
    v.set(lookups.offered, row + t.offeredAt);
    v.set(lookups.waitSum, row + t.waitAt);
    for (let i = 0; i < lookups.count; i++) {
      v[row + t.servedAt + i] = lookups.processedInBin(i, k);
      v[row + t.queueAt + i] = lookups.queueLength(i, now);
    }
    lookups.offered.fill(0);
    lookups.waitSum.fill(0);
    v.set(this.servers.sessions, row + t.sessionsAt);
    v.set(this.connectAttempts, row + t.attemptsAt);
    v.set(this.accepts, row + t.acceptsAt);
    v.set(this.connectFailures, row + t.failuresAt);
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
    this.heaps?.sample(now);
    this.baselines?.sample(now);
    this.lastSampleTime = now;
    this.sampleIndex++;
  }

  /** The series sampled so far, as the result carries them (a new object at each call). */
  private seriesSoFar(): Series {
    const t = this.table;
    const n = this.sampleIndex;
    const column = (c: number) => t.column(c, n);
    const rates = (c: number) => t.rates(c, n);
    const perInstance = <T>(of: (i: number) => T) => Array.from({ length: this.lookups.count }, (_, i) => of(i));
    const perServer = (of: (server: number) => number[]) => Object.fromEntries(this.serverNames.map((name, server) => [name, of(server)]));
    const series: Series = {
      time: column(Column.time),
      connected: column(Column.connected),
      connectedByRegion: Object.fromEntries(this.regionNames.map((name, r) => [name, column(Column.regions + r)])),
      sessionsByServer: perServer((server) => column(t.sessionsAt + server)),
      clientsByState: {
        idleBackoff: column(Column.states + ClientState.idleBackoff),
        lookingUp: column(Column.states + ClientState.lookingUp),
        connecting: column(Column.states + ClientState.connecting),
        connected: column(Column.states + ClientState.connected),
      },
      carrierAttemptsPerSec: rates(Column.carrier),
      lookups: {
        sentPerSec: rates(Column.lookups),
        answeredPerSec: rates(Column.lookups + 1),
        noServerPerSec: rates(Column.lookups + 2),
        timedOutPerSec: rates(Column.lookups + 3),
        refusedPerSec: rates(Column.lookups + 4),
        rejectedPerSec: rates(Column.lookups + 5),
        throttledPerSec: rates(Column.lookups + 6),
        offeredPerSec: perInstance((i) => rates(t.offeredAt + i)),
        servedPerSec: perInstance((i) => rates(t.servedAt + i)),
        queueLength: perInstance((i) => column(t.queueAt + i)),
        meanWait: perInstance((i) => {
          const offered = column(t.offeredAt + i);
          const waits = column(t.waitAt + i);
          return offered.map((o, k) => (o > 0 ? waits[k] / o : null));
        }),
      },
      connectAttemptsPerSec: perServer((server) => rates(t.attemptsAt + server)),
      acceptsPerSec: perServer((server) => rates(t.acceptsAt + server)),
      connectFailuresPerSec: Object.fromEntries(CONNECT_FAILURE_NAMES.map((name, r) => [name, rates(t.failuresAt + r)])) as Record<ConnectFailureReason, number[]>,
    };
    if (this.heaps !== null && n > 0) series.heap = this.heaps.seriesSoFar();
    return series;
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
    const s = this.seriesSoFar();
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
      peakCarrierAttemptsPerSec: this.peakCarrier,
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
