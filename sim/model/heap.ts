// The JVM heap of every session server (docs/model.md §6, the memory-leak
// lesson), for scenarios with `leaks`. What a leak fills is the old
// generation that stays live after a full GC; what the fleet sees is the
// cost of full GCs as that share grows:
//
// - a full GC comes when the old generation's free space has filled up, so
//   their interval shrinks with the free share and grows with less load:
//   interval(u) = fullGcInterval · (1 − u) / (1 − u₀) / load;
// - its pause grows with what it has to trace: pause(u) = fullGcPause · u / u₀;
// - the share of time in GC is pause / interval (1 when the heap is full),
//   and a health check or a connect that lands in a pause fails (503);
// - CPU is the server's load share of `cpuPercent` plus the GC's time.
//
// Each full GC logs a reading of u with the measurement noise of a real
// fleet (healthy servers are not at 0 % but noisy around ~10 %), which is
// all the detectors see (gray-failure.ts). State advances every `tick`; the
// leak is integrated at the rate of the tick's start, and the out-of-memory
// death is scheduled at the exact instant the live heap reaches the size.
import type { HeapConfig, LeakConfig, Scenario } from '../scenario/types.ts';
import type { Stream } from '../engine/random.ts';
import type { SessionServers } from './session-server.ts';
import { DOUBLE_ZERO } from '../engine/double-fields.ts';

const SECONDS_PER_DAY = 86_400;
/** Full GCs read per server per tick at most: past a full heap they come back to back. */
const MAX_GCS_PER_TICK = 10_000;

/** Per-server series of the heaps, one value per metrics sample. */
export interface HeapSeries {
  /** The last full GC's reading of the old generation still live, percent (null: no full GC yet). */
  postGcOldGenPercent: Record<string, (number | null)[]>;
  fullGcPerMin: Record<string, number[]>;
  /** Mean pause of the sample's full GCs, seconds (0: none). */
  gcPauseSeconds: Record<string, number[]>;
  /** Health checks that failed in a GC pause during the sample. */
  healthCheckFailures: Record<string, number[]>;
  cpuPercent: Record<string, number[]>;
}

export class Heaps {
  readonly count: number;
  private readonly config: HeapConfig;
  private readonly healthyShare: number;
  private readonly leaks: (LeakConfig | null)[];
  /** MB the current process has leaked, as of the last tick. */
  private readonly leaked: Float64Array;
  /** Leak rate over the current tick, MB/s. */
  private readonly rate: Float64Array;
  /** When the current process's leak starts (Infinity: it has none). */
  readonly leakStart: Float64Array;
  /** When a leak first began on each server during the run (NaN: never). */
  readonly leakBegan: Float64Array;
  /** When the current process runs out of memory, if it does within the current tick (Infinity: not yet). */
  readonly outOfMemoryAt: Float64Array;
  private readonly nextGcAt: Float64Array;
  readonly cpu: Float64Array;
  /** Readings of the full GCs since the detectors last read them, per server. */
  readonly readings: number[][];
  private readonly lastReading: Float64Array;
  private readonly gcsInSample: Float64Array;
  private readonly pauseInSample: Float64Array;
  private readonly series: HeapSeries;
  private lastTick = DOUBLE_ZERO;
  private lastSample = DOUBLE_ZERO;
  private readonly runDuration: number;

  /** Called when a process's live heap will reach the heap size at `at` (within the coming tick). */
  onOutOfMemory: (server: number, at: number) => void = () => {};

  constructor(scenario: Scenario, private readonly servers: SessionServers, private readonly stream: Stream) {
    this.count = servers.count;
    this.config = scenario.sessionServer.heap;
    this.healthyShare = this.config.healthyLivePercent / 100;
    this.runDuration = scenario.duration;
    this.leaks = Array.from({ length: this.count }, () => null);
    for (const leak of scenario.leaks) this.leaks[leak.server] = leak;
    this.leaked = new Float64Array(this.count);
    this.rate = new Float64Array(this.count);
    this.leakStart = new Float64Array(this.count).fill(Infinity);
    this.outOfMemoryAt = new Float64Array(this.count).fill(Infinity);
    this.leakBegan = new Float64Array(this.count).fill(Number.NaN);
    this.nextGcAt = new Float64Array(this.count).fill(Infinity);
    this.cpu = new Float64Array(this.count);
    this.readings = Array.from({ length: this.count }, () => []);
    this.lastReading = new Float64Array(this.count).fill(Number.NaN);
    this.gcsInSample = new Float64Array(this.count);
    this.pauseInSample = new Float64Array(this.count);
    const perServer = <T>() => Object.fromEntries(servers.names.map((name) => [name, [] as T[]]));
    this.series = {
      postGcOldGenPercent: perServer<number | null>(),
      fullGcPerMin: perServer<number>(),
      gcPauseSeconds: perServer<number>(),
      healthCheckFailures: perServer<number>(),
      cpuPercent: perServer<number>(),
    };
    for (let s = 0; s < this.count; s++) if (servers.alive[s] === 1) this.processStarted(s, 0);
  }

  /** A new process of `server` starts at `now`: an empty heap, its leak (if any) ahead of it again. */
  processStarted(server: number, now: number): void {
    this.leaked[server] = 0;
    this.rate[server] = 0;
    this.outOfMemoryAt[server] = Infinity;
    const leak = this.leaks[server];
    const startAfter = leak === null ? Infinity : (leak.startAfter ?? this.stream() * this.runDuration / 2);
    this.leakStart[server] = now + startAfter;
    // Full GCs of different servers are not in step.
    this.nextGcAt[server] = now + this.stream() * this.config.fullGcInterval;
  }

  /** The share of the heap live after a full GC on `server` at `time` (within the current tick). */
  liveShare(server: number, time: number): number {
    const mb = this.healthyShare * this.config.sizeMB + this.leaked[server] + this.rate[server] * (time - this.lastTick);
    return Math.min(1, mb / this.config.sizeMB);
  }

  /** Time between full GCs at live share `u` under relative load `load`. */
  fullGcInterval(u: number, load: number): number {
    return (this.config.fullGcInterval * Math.max(0, 1 - u)) / (1 - this.healthyShare) / Math.max(load, 0.01);
  }

  /** Pause of one full GC at live share `u`. */
  fullGcPause(u: number): number {
    return (this.config.fullGcPause * u) / Math.max(this.healthyShare, 0.01);
  }

  /** Share of time in full GC at live share `u` under relative load `load`. */
  gcTimeShare(u: number, load: number): number {
    return Math.min(1, this.fullGcPause(u) / this.fullGcInterval(u, load));
  }

  /**
   * Event `heapTick`: every live heap advances to `now` (leaks integrated,
   * the full GCs since the last tick read), then takes the rates of the
   * coming tick: GC time share, CPU, and the leak's rate, with the
   * out-of-memory death scheduled if it falls within the tick.
   */
  tick(now: number): void {
    const { servers, config } = this;
    const elapsed = now - this.lastTick;
    const meanSessions = meanOverAlive(servers);
    for (let s = 0; s < this.count; s++) {
      if (servers.alive[s] === 0) {
        servers.gcShare[s] = 0;
        servers.gcLeakShare[s] = 0;
        this.cpu[s] = 0;
        continue;
      }
      const load = meanSessions > 0 ? servers.sessions[s] / meanSessions : 1;
      this.readFullGcs(s, now, load);
      this.leaked[s] += this.rate[s] * elapsed;
      const u = Math.min(1, this.healthyShare + this.leaked[s] / config.sizeMB);
      const share = this.gcTimeShare(u, load);
      servers.gcShare[s] = share;
      servers.gcLeakShare[s] = Math.max(0, share - this.gcTimeShare(this.healthyShare, load));
      this.cpu[s] = Math.min(100, config.cpuPercent * load + 100 * share);
      this.rate[s] = this.leakRate(s, now, load);
    }
    this.lastTick = now;
    for (let s = 0; s < this.count; s++) {
      if (servers.alive[s] === 0 || this.rate[s] === 0) continue;
      const free = config.sizeMB * (1 - this.healthyShare) - this.leaked[s];
      const at = now + free / this.rate[s];
      if (at <= now + config.tick && at < this.outOfMemoryAt[s]) {
        this.outOfMemoryAt[s] = at;
        this.onOutOfMemory(s, at);
      }
    }
  }

  /** MB/s the leak of `server` adds over the tick starting at `now`. */
  private leakRate(server: number, now: number, load: number): number {
    const leak = this.leaks[server];
    if (leak === null || now < this.leakStart[server]) return 0;
    if (Number.isNaN(this.leakBegan[server])) this.leakBegan[server] = this.leakStart[server];
    const speedUp = leak.doublingTime === null ? 1 : 2 ** ((now - this.leakStart[server]) / leak.doublingTime);
    return ((leak.growthMBPerDay / SECONDS_PER_DAY) * speedUp * (leak.loadProportional ? load : 1));
  }

  /** The full GCs of `server` in (lastTick, now]: one noisy reading of the live share each. */
  private readFullGcs(server: number, now: number, load: number): void {
    const noise = this.config.noisePercent;
    for (let k = 0; k < MAX_GCS_PER_TICK && this.nextGcAt[server] <= now; k++) {
      const at = this.nextGcAt[server];
      const u = this.liveShare(server, at);
      const reading = Math.min(100, Math.max(0, 100 * u + noise * normal(this.stream)));
      this.readings[server].push(reading);
      this.lastReading[server] = reading;
      this.gcsInSample[server]++;
      this.pauseInSample[server] += this.fullGcPause(u);
      // Full GCs do not overlap: back to back at worst, one pause after the other.
      this.nextGcAt[server] = at + Math.max(this.fullGcInterval(u, load), this.fullGcPause(u), 1e-3);
    }
    if (this.nextGcAt[server] <= now) this.nextGcAt[server] = now + this.fullGcInterval(this.liveShare(server, now), load);
  }

  /** Appends one metrics sample to the series (and starts the next sample's counts). */
  sample(now: number): void {
    const minutes = Math.max(now - this.lastSample, 1e-9) / 60;
    const { series, servers } = this;
    for (let s = 0; s < this.count; s++) {
      const name = servers.names[s];
      const gcs = this.gcsInSample[s];
      series.postGcOldGenPercent[name].push(Number.isNaN(this.lastReading[s]) ? null : round(this.lastReading[s]));
      series.fullGcPerMin[name].push(round(now === this.lastSample ? 0 : gcs / minutes));
      series.gcPauseSeconds[name].push(round(gcs === 0 ? 0 : this.pauseInSample[s] / gcs));
      series.healthCheckFailures[name].push(servers.gcFailedChecks[s]);
      series.cpuPercent[name].push(round(this.cpu[s]));
      this.gcsInSample[s] = 0;
      this.pauseInSample[s] = 0;
      servers.gcFailedChecks[s] = 0;
    }
    this.lastSample = now;
  }

  /** The series so far. */
  seriesSoFar(): HeapSeries {
    return this.series;
  }
}

/** Mean sessions over the servers whose process runs. */
function meanOverAlive(servers: SessionServers): number {
  let sum = 0;
  let n = 0;
  for (let s = 0; s < servers.count; s++) {
    if (servers.alive[s] === 0) continue;
    sum += servers.sessions[s];
    n++;
  }
  return n === 0 ? 0 : sum / n;
}

/** A standard normal draw (Box–Muller, one of the pair). */
function normal(stream: Stream): number {
  const u = 1 - stream();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * stream());
}

/** Six significant digits: the series are for charts, and shorter JSON. */
function round(x: number): number {
  return Number(x.toPrecision(6));
}
