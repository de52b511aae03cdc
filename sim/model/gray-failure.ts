// Watching the fleet for the gray failure of docs/model.md §6 (the memory-leak
// lesson): the operators' detectors on what the heaps log (heap.ts), what
// they do at an alert, and the story of each leaking server for the report.
//
// - threshold: the median old generation after full GC since the last
//   reading passes a share (the daily look at the logged full-GC lines);
// - trend: the Theil-Sen slope of those medians over a window passes a
//   rate, robust to the noise of healthy servers;
// - cpu: CPU above a level for a while (the operators' SMS alerts).
//
// A detector is only useful with its lead time (alert → first
// client-visible failure, → death) and its false alarms on the healthy,
// noisy servers of the same run: both are reported per detector.
import type { DetectorConfig, GrayDetectionConfig, Scenario } from '../scenario/types.ts';
import type { EventQueue } from '../engine/event-queue.ts';
import type { DetectorReport, GrayFailureReport } from '../result.ts';
import { EventKind } from './events.ts';
import type { Heaps } from './heap.ts';
import type { Metrics } from './metrics.ts';
import type { SessionServers } from './session-server.ts';
import { DOUBLE_ZERO } from '../engine/double-fields.ts';

const SECONDS_PER_DAY = 86_400;

export class GrayFailureWatch {
  private readonly leaking: number[];
  private readonly config: GrayDetectionConfig;
  /** Per server: the medians of each reading ([time, percent]), oldest first. */
  private readonly medians: [number, number][][];
  /** Per detector and server: when it first alerted (NaN: never). */
  private readonly alertAt: Float64Array[];
  /** Per cpu detector and server: since when CPU has been above its level (NaN: it is not). */
  private readonly cpuAboveSince: Float64Array[];
  /** Per server: when it was removed from service at an alert (NaN: never). */
  private readonly removedAt: Float64Array;
  /** Period of the L4 check (the managers' health interval, or 5 s without managers). */
  private readonly tcpCheckEvery: number;
  /** Server-seconds each server's process ran, for the false-alarm rate. */
  private readonly aliveSeconds: Float64Array;
  private lastTick = DOUBLE_ZERO;

  /** Called at a server's first alert when the operators pull it from service (onAlert: remove). */
  onRemove: (server: number, now: number, drain: number) => void = () => {};

  constructor(
    scenario: Scenario,
    private readonly servers: SessionServers,
    private readonly heaps: Heaps | null,
    private readonly metrics: Metrics,
    private readonly queue: EventQueue,
  ) {
    this.leaking = scenario.leaks.map((leak) => leak.server);
    this.config = scenario.grayDetection;
    const perDetector = () => this.config.detectors.map(() => new Float64Array(servers.count).fill(Number.NaN));
    this.medians = Array.from({ length: servers.count }, () => []);
    this.alertAt = perDetector();
    this.cpuAboveSince = perDetector();
    this.removedAt = new Float64Array(servers.count).fill(Number.NaN);
    this.aliveSeconds = new Float64Array(servers.count);
    this.tcpCheckEvery = scenario.managers?.healthInterval ?? 5;
    if (heaps === null) return;
    queue.schedule(this.config.checkEvery, EventKind.heapTrendCheck, 0);
  }

  /** Event `heapTrendCheck`: the logged full-GC lines are read, for the threshold and trend detectors. */
  check(now: number): void {
    const heaps = this.heaps as Heaps;
    for (let s = 0; s < this.servers.count; s++) {
      const readings = heaps.readings[s];
      if (readings.length === 0) continue;
      const median = medianOf(readings);
      readings.length = 0;
      this.medians[s].push([now, median]);
      this.config.detectors.forEach((detector, d) => {
        if (detector.kind === 'threshold' && median > detector.percent) {
          this.alert(d, s, now, `median old generation after full GC ${median.toFixed(1)} % > ${detector.percent} %`);
        } else if (detector.kind === 'trend') {
          const recent = this.medians[s].filter(([t]) => t >= now - detector.window);
          if (recent.length < 3) return;
          const slope = theilSen(recent) * SECONDS_PER_DAY;
          if (slope > detector.percentPerDay) {
            this.alert(d, s, now, `old generation after full GC rising ${slope.toFixed(2)} points/day > ${detector.percentPerDay} over ${recent.length} readings`);
          }
        }
      });
    }
    this.queue.schedule(now + this.config.checkEvery, EventKind.heapTrendCheck, 0);
  }

  /** After each heap tick: CPU detectors, and the time each process ran. */
  afterTick(now: number): void {
    const heaps = this.heaps as Heaps;
    const elapsed = now - this.lastTick;
    this.lastTick = now;
    for (let s = 0; s < this.servers.count; s++) {
      if (this.servers.alive[s] === 1) this.aliveSeconds[s] += elapsed;
    }
    this.config.detectors.forEach((detector, d) => {
      if (detector.kind !== 'cpu') return;
      const since = this.cpuAboveSince[d];
      for (let s = 0; s < this.servers.count; s++) {
        if (this.servers.alive[s] === 0 || heaps.cpu[s] <= detector.percent) {
          since[s] = Number.NaN;
          continue;
        }
        if (Number.isNaN(since[s])) since[s] = now;
        if (now - since[s] >= detector.for) this.alert(d, s, now, `CPU ${heaps.cpu[s].toFixed(0)} % > ${detector.percent} % for ${(now - since[s]).toFixed(0)} s`);
      }
    });
  }

  private alert(detector: number, server: number, now: number, why: string): void {
    if (!Number.isNaN(this.alertAt[detector][server])) return;
    const first = this.alertAt.every((at) => Number.isNaN(at[server]));
    this.alertAt[detector][server] = now;
    this.metrics.logEvent(now, 'heap-alert', this.servers.names[server], `${detectorName(this.config.detectors[detector])}: ${why}`);
    if (first && this.config.onAlert === 'remove' && this.servers.alive[server] === 1) {
      this.removedAt[server] = now;
      this.onRemove(server, now, this.config.drain);
    }
  }

  /** The story of each leaking server, in order: leak, alerts, first client-visible failure, suspension, death. */
  report(end: number): GrayFailureReport[] {
    const heaps = this.heaps;
    return this.leaking.map((server) => {
      const name = this.servers.names[server];
      const mine = this.metrics.events.filter((e) => e.subject === name);
      const died = mine.find((e) => e.kind === 'process-died' && e.detail === 'out of memory')?.time ?? null;
      // The TCP port stays open as long as the process lives: the first L4 check to fail is the first after death.
      const l4 = died === null ? null : Math.ceil(died / this.tcpCheckEvery) * this.tcpCheckEvery;
      const alerts = this.config.detectors
        .map((detector, d) => ({ detector: detectorName(detector), at: this.alertAt[d][server] }))
        .filter((a) => !Number.isNaN(a.at))
        .sort((a, b) => a.at - b.at);
      const refusal = this.servers.firstGcRefusalAt[server];
      const leakStart = heaps === null ? Number.NaN : heaps.leakBegan[server];
      return {
        server: name,
        leakStartedAt: Number.isNaN(leakStart) ? null : leakStart,
        alertAt: alerts[0]?.at ?? null,
        alerts,
        firstClientFailureAt: Number.isNaN(refusal) ? null : refusal,
        firstSuspendedAt: mine.find((e) => e.kind === 'suspending')?.time ?? null,
        suspensions: mine.filter((e) => e.kind === 'suspending').length,
        resumes: mine.filter((e) => e.kind === 'resuming').length,
        diedAt: died,
        removedAt: Number.isNaN(this.removedAt[server]) ? null : this.removedAt[server],
        l4FirstFailureAt: l4 !== null && l4 <= end ? l4 : null,
        l4BlindUntilDeath: died === null || l4 === null || l4 >= died,
      };
    });
  }

  /**
   * Each detector's record over the run: how many leaking servers it caught
   * and with what lead time (the shortest; a leaking server that failed
   * before the detector alerted counts 0), and its alerts on the servers
   * that do not leak, per server-day watched.
   */
  detectorReport(stories: GrayFailureReport[]): DetectorReport[] {
    const leaking = new Set(this.leaking);
    const healthyDays = Array.from(this.aliveSeconds).reduce((sum, seconds, s) => sum + (leaking.has(s) ? 0 : seconds), 0) / SECONDS_PER_DAY;
    return this.config.detectors.map((detector, d) => {
      const toFailure: number[] = [];
      const toDeath: number[] = [];
      let caught = 0;
      this.leaking.forEach((server, k) => {
        const at = this.alertAt[d][server];
        const story = stories[k];
        const failure = story.firstClientFailureAt ?? story.diedAt;
        if (!Number.isNaN(at)) caught++;
        if (failure !== null) toFailure.push(Number.isNaN(at) ? 0 : Math.max(0, failure - at));
        if (story.diedAt !== null) toDeath.push(Number.isNaN(at) ? 0 : Math.max(0, story.diedAt - at));
      });
      let falseAlarms = 0;
      for (let s = 0; s < this.servers.count; s++) if (!leaking.has(s) && !Number.isNaN(this.alertAt[d][s])) falseAlarms++;
      return {
        detector: detectorName(detector),
        kind: detector.kind,
        leaks: this.leaking.length,
        caught,
        leadToFailure: toFailure.length === 0 ? null : Math.min(...toFailure),
        leadToDeath: toDeath.length === 0 ? null : Math.min(...toDeath),
        falseAlarms,
        healthyServerDays: healthyDays,
        falseAlarmsPerServerDay: healthyDays > 0 ? falseAlarms / healthyDays : null,
      };
    });
  }
}

export function detectorName(detector: DetectorConfig): string {
  switch (detector.kind) {
    case 'threshold':
      return `threshold ${detector.percent} %`;
    case 'trend':
      return `trend > ${detector.percentPerDay} points/day over ${(detector.window / SECONDS_PER_DAY).toFixed(detector.window % SECONDS_PER_DAY === 0 ? 0 : 1)} d`;
    case 'cpu':
      return `CPU > ${detector.percent} % for ${detector.for} s`;
  }
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The Theil-Sen slope of points [t, y]: the median of the slopes of every pair (per second). */
export function theilSen(points: [number, number][]): number {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const dt = points[j][0] - points[i][0];
      if (dt > 0) slopes.push((points[j][1] - points[i][1]) / dt);
    }
  }
  return slopes.length === 0 ? 0 : medianOf(slopes);
}
