// The gray failure of MODEL.md §6 (the memory-leak lesson), seen three ways:
// the operators' daily early-warning rule on the live share of the old
// generation after full GC, the L7 health checks (through the managers), and
// an L4 (TCP) check that only sees the process die.
import type { Scenario } from '../scenario/types.ts';
import type { EventQueue } from '../engine/event-queue.ts';
import type { GrayFailureReport } from '../result.ts';
import { EventKind } from './events.ts';
import type { Metrics } from './metrics.ts';
import type { SessionServers } from './session-server.ts';

export class GrayFailureWatch {
  private readonly leaking: number[];
  private readonly lastLive: Float64Array;
  private readonly risingFor: Int32Array;
  private readonly alertAt: Float64Array;
  private readonly checkEvery: number;
  private readonly thresholdPercent: number;
  private readonly risingChecks: number;
  /** Period of the L4 check (the managers' health interval, or 5 s without managers). */
  private readonly tcpCheckEvery: number;

  constructor(
    scenario: Scenario,
    private readonly servers: SessionServers,
    private readonly metrics: Metrics,
    private readonly queue: EventQueue,
  ) {
    this.leaking = scenario.leaks.map((leak) => leak.server);
    this.lastLive = new Float64Array(servers.count).fill(Number.NaN);
    this.risingFor = new Int32Array(servers.count);
    this.alertAt = new Float64Array(servers.count).fill(Number.NaN);
    this.checkEvery = scenario.heapAlert.checkEvery;
    this.thresholdPercent = scenario.heapAlert.thresholdPercent;
    this.risingChecks = scenario.heapAlert.risingChecks;
    this.tcpCheckEvery = scenario.managers?.healthInterval ?? 5;
    if (this.leaking.length === 0) return;
    for (const server of this.leaking) {
      // A leak too slow to ever fill the heap (growth 1e-320 %/day) never kills the process.
      const oom = servers.outOfMemoryAt(server);
      if (Number.isFinite(oom)) queue.schedule(oom, EventKind.outOfMemory, server);
    }
    queue.schedule(this.checkEvery, EventKind.heapTrendCheck, 0);
  }

  /** Event `heapTrendCheck`: the daily look at old generation after full GC, on every live server. */
  check(now: number): void {
    const servers = this.servers;
    for (let s = 0; s < servers.count; s++) {
      if (servers.alive[s] === 0) continue;
      const live = servers.liveHeapPercent(s, now);
      this.risingFor[s] = live > this.lastLive[s] ? this.risingFor[s] + 1 : 0;
      this.lastLive[s] = live;
      const why =
        live > this.thresholdPercent
          ? `old generation after full GC at ${live.toFixed(0)} % (threshold ${this.thresholdPercent} %)`
          : this.risingFor[s] >= this.risingChecks
            ? `old generation after full GC rising ${this.risingFor[s]} checks in a row (now ${live.toFixed(0)} %)`
            : null;
      if (why !== null && Number.isNaN(this.alertAt[s])) {
        this.alertAt[s] = now;
        this.metrics.logEvent(now, 'heap-alert', servers.names[s], why);
      }
    }
    this.queue.schedule(now + this.checkEvery, EventKind.heapTrendCheck, 0);
  }

  report(end: number): GrayFailureReport[] {
    return this.leaking.map((server) => {
      const name = this.servers.names[server];
      const mine = this.metrics.events.filter((e) => e.subject === name);
      const died = mine.find((e) => e.kind === 'process-died' && e.detail === 'out of memory')?.time ?? null;
      // The TCP port stays open as long as the process lives: the first L4 check to fail is the first after death.
      const l4 = died === null ? null : Math.ceil(died / this.tcpCheckEvery) * this.tcpCheckEvery;
      return {
        server: name,
        alertAt: Number.isNaN(this.alertAt[server]) ? null : this.alertAt[server],
        firstSuspendedAt: mine.find((e) => e.kind === 'suspending')?.time ?? null,
        suspensions: mine.filter((e) => e.kind === 'suspending').length,
        resumes: mine.filter((e) => e.kind === 'resuming').length,
        diedAt: died,
        l4FirstFailureAt: l4 !== null && l4 <= end ? l4 : null,
        l4BlindUntilDeath: died === null || l4 === null || l4 >= died,
      };
    });
  }
}
