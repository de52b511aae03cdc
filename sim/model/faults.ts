// The fault timeline of a scenario (docs/model.md §7) and the server lifecycle
// operations faults share with the model (crash, restart, deploy steps):
// each fault starts, and for outages ends, as an event.
import type { CarrierOutageFault, FaultConfig, Scenario } from '../scenario/types.ts';
import type { EventQueue } from '../engine/event-queue.ts';
import type { Stream } from '../engine/random.ts';
import { algorithmCode } from './balancer.ts';
import { EventKind } from './events.ts';
import type { ClientPopulation } from './client.ts';
import type { LookupInstances } from './lookup.ts';
import type { Managers } from './manager.ts';
import type { Metrics } from './metrics.ts';
import { ServerState, type SessionServers } from './session-server.ts';
import type { Heaps } from './heap.ts';
import { silentWindows, type Window } from './lookup-silence.ts';

export class Faults {
  private readonly faults: FaultConfig[];
  /** Clients each carrier outage took down, kept to bring the same ones back. */
  private readonly carrierVictims: (Int32Array | null)[];
  private readonly startupTime: number;
  /** Per server, the deploy it is going through (drain and restart delays). */
  private readonly deployOf: Int32Array;
  private readonly regionIndex: Map<string, number>;
  private readonly mccIndex: Map<number, number>;
  private readonly services: Scenario['services'];
  /** Servers closing their sessions at a deploy's close rate: the clients to close, and how far it got. */
  private readonly closing = new Map<number, { clients: Int32Array; next: number }>();
  /** When every lookup instance is silent (lookup-silence.ts). */
  private readonly silent: Window[];

  constructor(
    scenario: Scenario,
    private readonly queue: EventQueue,
    private readonly clients: ClientPopulation,
    private readonly servers: SessionServers,
    private readonly lookups: LookupInstances,
    private readonly managers: Managers | null,
    private readonly metrics: Metrics,
    private readonly stream: Stream,
    /** The fleet's heaps, in a scenario with leaks. */
    private readonly heaps: Heaps | null = null,
  ) {
    this.faults = scenario.faults;
    this.services = scenario.services;
    this.carrierVictims = this.faults.map(() => null);
    this.silent = silentWindows(this.faults, lookups.count);
    this.startupTime = scenario.sessionServer.startupTime;
    this.deployOf = new Int32Array(servers.count).fill(-1);
    this.regionIndex = new Map(scenario.regions.map((r, i) => [r.name, i]));
    this.mccIndex = new Map(scenario.population.mcc.map((m, i) => [m.mcc, i]));
  }

  scheduleAll(): void {
    this.faults.forEach((fault, i) => {
      this.queue.schedule(fault.at, EventKind.faultStart, i);
      if (fault.kind === 'carrier-outage' || fault.kind === 'lookup-outage' || fault.kind === 'site-outage') {
        this.queue.schedule(fault.at + fault.duration, EventKind.faultEnd, i);
      }
    });
  }

  start(index: number, now: number): void {
    const fault = this.faults[index];
    // Operations that are not failures (a planned deploy still counts: it is what we measure).
    if (fault.kind !== 'algorithm-change' && fault.kind !== 'mcc-remap' && fault.kind !== 'server-start') {
      this.metrics.startIncident(now);
    }
    switch (fault.kind) {
      case 'carrier-outage': {
        const region = fault.region === null ? -1 : (this.regionIndex.get(fault.region) ?? -1);
        const mccs = fault.mcc === null ? null : new Set(fault.mcc.map((code) => this.mccIndex.get(code) ?? -1));
        const chosen = new Int32Array(this.clients.count);
        let victims = 0;
        for (let c = 0; c < this.clients.count; c++) {
          if (region >= 0 && this.clients.regionOf(c) !== region) continue;
          if (mccs !== null && !mccs.has(this.clients.mccOf(c))) continue;
          if (fault.fraction < 1 && this.stream() >= fault.fraction) continue;
          chosen[victims++] = c;
        }
        const ids = victims === chosen.length ? chosen : chosen.slice(0, victims);
        this.carrierVictims[index] = ids;
        this.clients.networkDownAll(ids, now);
        this.metrics.logEvent(now, 'carrier-down', carrierScope(fault), `${ids.length} clients`);
        break;
      }
      case 'site-outage':
        // A lost site is hosts that vanished: no answer from its lookups or servers, sessions noticed after keepalive.
        for (const i of fault.lookups) this.lookups.goDown(i, false);
        for (const m of fault.managers) {
          this.managers?.crash(m, now);
          this.queue.schedule(now + fault.duration, EventKind.managerRestart, m);
        }
        for (const s of fault.servers) this.crashServer(s, true, now, fault.duration, `site ${fault.site} lost`);
        this.metrics.logEvent(now, 'site-down', fault.site, `${fault.servers.length} servers, ${fault.lookups.length} lookups, ${fault.managers.length} managers`);
        break;
      case 'lookup-outage':
        for (const i of fault.instances) this.lookups.goDown(i, fault.mode === 'refuse');
        this.metrics.logEvent(now, 'lookup-down', fault.instances.map((i) => `lookup-${i}`).join(','), fault.mode);
        break;
      case 'server-crash':
        for (const s of fault.servers) this.crashServer(s, fault.mode === 'blackhole', now, fault.restartAfter, 'crash');
        break;
      case 'manager-crash':
        for (const m of fault.managers) this.managers?.crash(m, now);
        if (fault.restartAfter !== null) {
          for (const m of fault.managers) this.queue.schedule(now + fault.restartAfter, EventKind.managerRestart, m);
        }
        break;
      case 'deploy':
        fault.servers.forEach((s, k) => {
          this.deployOf[s] = index;
          this.queue.schedule(now + k * fault.stagger, EventKind.deployDrain, s);
        });
        break;
      case 'server-start':
        for (const s of fault.servers) this.restart(s, now);
        break;
      case 'algorithm-change':
        if (this.managers !== null && !this.anyManagerUp()) {
          this.metrics.logEvent(now, 'algorithm-change-failed', 'managers', 'no manager is up to write it');
        } else {
          const service = this.services[fault.service];
          this.lookups.setAlgorithm(service.firstInstance, service.instances, algorithmCode(fault.algorithm));
          this.metrics.logEvent(now, 'algorithm-change', service.name, fault.algorithm);
        }
        break;
      case 'mcc-remap': {
        const mcc = this.mccIndex.get(fault.mcc);
        const region = this.regionIndex.get(fault.region) ?? 0;
        const service = this.services.findIndex((candidate) => candidate.regions.includes(region));
        if (mcc !== undefined) this.clients.remapMcc(mcc, region, service);
        this.metrics.logEvent(now, 'mcc-remap', `mcc ${fault.mcc}`, `now region ${fault.region}`);
        break;
      }
    }
    if (fault.kind === 'lookup-outage' || fault.kind === 'site-outage') this.clients.lookupsSilentUntil = this.lookupsSilentUntil(now);
  }

  end(index: number, now: number): void {
    const fault = this.faults[index];
    if (fault.kind === 'carrier-outage') {
      const ids = this.carrierVictims[index];
      if (ids) for (let k = 0; k < ids.length; k++) this.clients.networkUp(ids[k]);
      this.carrierVictims[index] = null;
      this.metrics.logEvent(now, 'carrier-up', carrierScope(fault), '');
    } else if (fault.kind === 'lookup-outage') {
      for (const i of fault.instances) this.lookups.comeBack(i, now);
      this.metrics.logEvent(now, 'lookup-up', fault.instances.map((i) => `lookup-${i}`).join(','), '');
    } else if (fault.kind === 'site-outage') {
      // Its managers and servers were given their restarts when it went down.
      for (const i of fault.lookups) this.lookups.comeBack(i, now);
      this.metrics.logEvent(now, 'site-up', fault.site, '');
    }
    if (fault.kind === 'lookup-outage' || fault.kind === 'site-outage') this.clients.lookupsSilentUntil = this.lookupsSilentUntil(now);
  }

  /**
   * Until when every lookup instance stays silent, from `now`, for the
   * clients' timers to run ahead (-Infinity: they are not all silent now;
   * at the instant two outages touch, one may be up between their events).
   */
  private lookupsSilentUntil(now: number): number {
    const window = this.silent.find((w) => w.from <= now && now < w.to);
    if (window === undefined) return -Infinity;
    for (let i = 0; i < this.lookups.count; i++) if (this.lookups.isUp(i)) return -Infinity;
    return window.to;
  }

  /** When the network of client `c` comes back: the latest end of the carrier outages covering it now. */
  networkBackAt(c: number): number {
    let back = -Infinity;
    for (let i = 0; i < this.faults.length; i++) {
      const victims = this.carrierVictims[i];
      const fault = this.faults[i];
      if (victims === null || fault.kind !== 'carrier-outage') continue;
      if (victims.length === this.clients.count || contains(victims, c)) back = Math.max(back, fault.at + fault.duration);
    }
    return back;
  }

  /** Kills `server` (process, or whole host) and schedules its restart. */
  crashServer(server: number, hostGone: boolean, now: number, restartAfter: number | null, why: string): void {
    const servers = this.servers;
    if (servers.alive[server] === 0 && servers.hostUp[server] === (hostGone ? 0 : 1)) return;
    this.metrics.crashes++;
    this.metrics.logEvent(now, hostGone ? 'host-lost' : 'process-died', servers.names[server], why);
    this.dropSessions(server, hostGone, now);
    if (restartAfter !== null) this.queue.schedule(now + restartAfter, EventKind.serverRestart, server);
  }

  /** Event `serverRestart` / `server-start`: a new process starts and registers as `starting`. */
  restart(server: number, now: number): void {
    this.servers.startUp(server, now);
    this.metrics.logEvent(now, 'starting', this.servers.names[server], '');
    this.queue.schedule(now + this.startupTime, EventKind.serverStarted, server);
    this.heaps?.processStarted(server, now);
  }

  /** Event `serverStarted`: with managers the server waits in standby for health checks to promote it. */
  started(server: number, now: number): void {
    if (this.servers.state[server] !== ServerState.starting) return;
    const next = this.managers === null ? ServerState.running : ServerState.standby;
    this.servers.setState(server, next);
    this.metrics.logEvent(now, next === ServerState.running ? 'running' : 'standby', this.servers.names[server], 'started');
  }

  /** Event `deployDrain`: no new sessions (lookups are told), existing ones stay for `drain`. */
  drain(server: number, now: number): void {
    const fault = this.faults[this.deployOf[server]];
    if (fault.kind !== 'deploy') return;
    this.metrics.startIncident(now);
    this.servers.setState(server, ServerState.shuttingdown);
    this.managers?.announce(server, now);
    this.metrics.logEvent(now, 'shuttingdown', this.servers.names[server], `draining for ${fault.drain} s`);
    this.queue.schedule(now + fault.drain, EventKind.deployStop, server);
  }

  /**
   * Event `deployStop`: the drain is over. The sessions still open are closed,
   * all at once or at the deploy's close rate; then the old version stops and
   * the new one starts `restartAfter` later.
   */
  stop(server: number, now: number): void {
    const fault = this.faults[this.deployOf[server]];
    if (fault.kind !== 'deploy' || this.servers.state[server] !== ServerState.shuttingdown) return;
    if (fault.closeRate === Infinity) {
      this.shutDown(server, now, fault.restartAfter);
      return;
    }
    const open: number[] = [];
    for (let c = 0; c < this.clients.count; c++) if (this.clients.isConnectedTo(c, server)) open.push(c);
    this.closing.set(server, { clients: Int32Array.from(open), next: 0 });
    this.metrics.logEvent(now, 'closing', this.servers.names[server], `${open.length} sessions at ${fault.closeRate}/s`);
    this.closeBatch(server, now);
  }

  /** Event `deployClose`: one second's worth of closes at the deploy's close rate. */
  closeBatch(server: number, now: number): void {
    const fault = this.faults[this.deployOf[server]];
    const pending = this.closing.get(server);
    if (fault.kind !== 'deploy' || pending === undefined) return;
    const stop = Math.min(pending.clients.length, pending.next + Math.max(1, Math.floor(fault.closeRate)));
    for (; pending.next < stop; pending.next++) {
      const c = pending.clients[pending.next];
      if (this.clients.isConnectedTo(c, server)) this.clients.closeSession(c, now);
    }
    if (pending.next < pending.clients.length) {
      this.queue.schedule(now + 1, EventKind.deployClose, server);
    } else {
      this.closing.delete(server);
      this.shutDown(server, now, fault.restartAfter);
    }
  }

  private shutDown(server: number, now: number, restartAfter: number): void {
    this.metrics.logEvent(now, 'shutdown', this.servers.names[server], `${this.servers.sessions[server]} sessions closed`);
    this.dropSessions(server, false, now);
    this.servers.setState(server, ServerState.shutdown);
    this.queue.schedule(now + restartAfter, EventKind.serverRestart, server);
  }

  /** Event `outOfMemory`: a leaking process dies when its live heap reaches the maximum (unless it was stopped first). */
  outOfMemory(server: number, now: number, restartAfterCrash: number | null): void {
    if (this.servers.alive[server] === 0 || this.heaps === null || this.heaps.outOfMemoryAt[server] !== now) return;
    this.crashServer(server, false, now, restartAfterCrash, 'out of memory');
  }

  /**
   * The operator pulls `server` from service (a leak alert, onAlert
   * remove): no new sessions (lookups are told), the open ones stay for
   * `drain`, then they are closed and the process is stopped for analysis.
   */
  removeFromService(server: number, now: number, drain: number): void {
    const state = this.servers.state[server];
    if (this.servers.alive[server] === 0 || state === ServerState.shuttingdown || state === ServerState.shutdown) return;
    this.metrics.startIncident(now);
    this.servers.setState(server, ServerState.shuttingdown);
    this.managers?.announce(server, now);
    this.metrics.logEvent(now, 'shuttingdown', this.servers.names[server], `removed from service at a heap alert, draining for ${drain} s`);
    this.queue.schedule(now + drain, EventKind.removalStop, server);
  }

  /** Event `removalStop`: the removed server's open sessions are closed and its process stops (no restart). */
  stopRemoved(server: number, now: number): void {
    if (this.servers.state[server] !== ServerState.shuttingdown || this.servers.alive[server] === 0) return;
    const open: number[] = [];
    for (let c = 0; c < this.clients.count; c++) if (this.clients.isConnectedTo(c, server)) open.push(c);
    for (const c of open) this.clients.closeSession(c, now);
    this.servers.crash(server, false, false);
    this.servers.setState(server, ServerState.shutdown);
    this.metrics.logEvent(now, 'shutdown', this.servers.names[server], `removed from service: ${open.length} sessions closed, stopped for analysis`);
  }

  private dropSessions(server: number, hostGone: boolean, now: number): void {
    const clients = this.clients;
    const stranded: number[] = [];
    for (let c = 0; c < clients.count; c++) if (clients.isConnectedTo(c, server)) stranded.push(c);
    this.servers.crash(server, hostGone, this.managers === null);
    for (const c of stranded) {
      if (hostGone) clients.strandOnVanishedHost(c, now);
      else clients.resetByServer(c, now);
    }
  }

  private anyManagerUp(): boolean {
    return this.managers?.up.some((u) => u === 1) ?? false;
  }
}

/** Whether the ascending array `sorted` holds `value`. */
function contains(sorted: Int32Array, value: number): boolean {
  let low = 0;
  let high = sorted.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid] === value) return true;
    if (sorted[mid] < value) low = mid + 1;
    else high = mid - 1;
  }
  return false;
}

function carrierScope(fault: CarrierOutageFault): string {
  const where = fault.region ?? 'all regions';
  return fault.mcc === null ? where : `${where}, MCC ${fault.mcc.join('/')}`;
}
