// The fault timeline of a scenario (MODEL.md §7): each fault starts and ends
// as an event, and crashes are shared with the overload path.
import type { FaultConfig } from '../scenario/types.ts';
import type { EventQueue } from '../engine/event-queue.ts';
import type { Stream } from '../engine/random.ts';
import { EventKind } from './events.ts';
import type { ClientPopulation } from './client.ts';
import type { LookupInstances } from './lookup.ts';
import type { Metrics } from './metrics.ts';
import type { SessionServers } from './session-server.ts';

export class Faults {
  /** Clients each carrier outage took down, kept to bring the same ones back. */
  private readonly carrierVictims: (Int32Array | null)[];
  private readonly startupTime: number;

  constructor(
    private readonly faults: FaultConfig[],
    private readonly queue: EventQueue,
    private readonly clients: ClientPopulation,
    private readonly servers: SessionServers,
    private readonly lookups: LookupInstances,
    private readonly metrics: Metrics,
    private readonly stream: Stream,
    private readonly regionIndex: Map<string, number>,
    startupTime: number,
  ) {
    this.carrierVictims = faults.map(() => null);
    this.startupTime = startupTime;
  }

  scheduleAll(): void {
    this.faults.forEach((fault, i) => {
      this.queue.schedule(fault.at, EventKind.faultStart, i);
      if (fault.kind !== 'server-crash') this.queue.schedule(fault.at + fault.duration, EventKind.faultEnd, i);
    });
  }

  start(index: number, now: number): void {
    this.metrics.startIncident(now);
    const fault = this.faults[index];
    switch (fault.kind) {
      case 'carrier-outage': {
        const region = fault.region === null ? -1 : (this.regionIndex.get(fault.region) ?? -1);
        const victims: number[] = [];
        for (let c = 0; c < this.clients.count; c++) {
          if (region >= 0 && this.clients.region[c] !== region) continue;
          if (fault.fraction < 1 && this.stream() >= fault.fraction) continue;
          victims.push(c);
        }
        const ids = Int32Array.from(victims);
        this.carrierVictims[index] = ids;
        for (let k = 0; k < ids.length; k++) this.clients.networkDown(ids[k], now);
        break;
      }
      case 'lookup-outage':
        for (const i of fault.instances) this.lookups.goDown(i, fault.mode === 'refuse');
        break;
      case 'server-crash':
        for (const s of fault.servers) this.crashServer(s, fault.mode === 'blackhole', now, fault.restartAfter);
        break;
    }
  }

  end(index: number, now: number): void {
    const fault = this.faults[index];
    switch (fault.kind) {
      case 'carrier-outage': {
        const ids = this.carrierVictims[index];
        if (ids) for (let k = 0; k < ids.length; k++) this.clients.networkUp(ids[k]);
        this.carrierVictims[index] = null;
        break;
      }
      case 'lookup-outage':
        for (const i of fault.instances) this.lookups.comeBack(i, now);
        break;
      case 'server-crash':
        break;
    }
  }

  /** Kills `server` (process, or whole host) and schedules its restart. */
  crashServer(server: number, hostGone: boolean, now: number, restartAfter: number | null): void {
    if (this.servers.state[server] === 0 && this.servers.hostUp[server] === (hostGone ? 0 : 1)) return;
    this.metrics.crashes++;
    const clients = this.clients;
    const stranded: number[] = [];
    for (let c = 0; c < clients.count; c++) if (clients.isConnectedTo(c, server)) stranded.push(c);
    this.servers.crash(server, hostGone);
    for (const c of stranded) {
      if (hostGone) clients.strandOnVanishedHost(c, now);
      else clients.resetByServer(c, now);
    }
    if (restartAfter !== null) this.queue.schedule(now + restartAfter, EventKind.serverRestart, server);
  }

  restart(server: number, now: number): void {
    this.servers.startUp(server);
    this.queue.schedule(now + this.startupTime, EventKind.serverRunning, server);
  }
}
