// One run of a scenario: builds the model, puts it in its starting state,
// drains the event queue to the end of the run and returns the result.
import type { FaultConfig, Scenario } from './scenario/types.ts';
import type { RunResult } from './result.ts';
import { EventQueue } from './engine/event-queue.ts';
import { createCounterStream, createStream } from './engine/random.ts';
import { EventKind } from './model/events.ts';
import { ClientPopulation, type ClientEngineOptions } from './model/client.ts';
import { Faults } from './model/faults.ts';
import { LookupInstances, type ServerInfoSource } from './model/lookup.ts';
import { Metrics } from './model/metrics.ts';
import { Managers } from './model/manager.ts';
import { GrayFailureWatch } from './model/gray-failure.ts';
import { Heaps } from './model/heap.ts';
import { ServerState, SessionServers } from './model/session-server.ts';
import { Algorithm, algorithmCode, choose, type AlgorithmCode, type RegionView } from './model/balancer.ts';
import { canonicalScenario } from './scenario/load.ts';
import { VERSION } from './version.ts';
import { DnsCaches, L4Switch } from './model/baselines.ts';

export interface RunOptions {
  /** Called every few hundred thousand events with the simulated time (for progress bars). */
  onProgress?: (simTime: number, events: number) => void;
  /** Threads for the retry loops of a carrier outage's start, this one included (default 1). */
  threads?: number;
}

/** How the model is run; none of it changes a result's bytes. */
export type EngineOptions = ClientEngineOptions;

/** With `managers: off`, lookups read the fleet directly at each refresh: an idealized oracle. */
class DirectServerInfo implements ServerInfoSource {
  constructor(private readonly servers: SessionServers) {}

  read(_now: number, running: Uint8Array, counts: Float64Array): boolean {
    for (let s = 0; s < this.servers.count; s++) {
      running[s] = this.servers.isRunning(s) ? 1 : 0;
      counts[s] = this.servers.sessions[s];
    }
    return true;
  }
}

const PROGRESS_EVERY = 1 << 18;

/** A built model that can be stepped; `runScenario` drives one to the end. */
export class Simulation {
  readonly queue: EventQueue;
  readonly servers: SessionServers;
  readonly lookups: LookupInstances;
  readonly metrics: Metrics;
  readonly clients: ClientPopulation;
  readonly managers: Managers | null;
  readonly faults: Faults;
  readonly grayFailure: GrayFailureWatch;
  /** The fleet's heaps, in a scenario with leaks (null otherwise: no heap state, no draws). */
  readonly heaps: Heaps | null;
  private readonly info: ServerInfoSource;
  /** When each lookup instance fell back to round robin (NaN while on live counts). */
  private readonly fallbackSince: Float64Array;
  /** DNS round robin's client caches, or null (`lookup.algorithm: dns` only). */
  readonly dns: DnsCaches | null;
  /** The L4 switch, or null (`lookup.algorithm: l4` only). */
  readonly l4: L4Switch | null;
  /** Events that went through the queue (client timers run inline are in `clients.inlineEvents`). */
  queuedEvents = 0;

  constructor(readonly scenario: Scenario, engine: EngineOptions = {}) {
    const stream = (name: string) => createStream(scenario.seed, name);
    this.queue = new EventQueue(scenario.population.clients + 1024);
    this.servers = new SessionServers(scenario, stream('server.gc'));
    this.lookups = new LookupInstances(scenario, this.servers);
    const regionNames = scenario.regions.map((r) => r.name);
    const lastSample = Math.floor(scenario.duration / scenario.sampleInterval);
    this.metrics = new Metrics(this.servers, this.lookups, regionNames, lastSample, scenario.population.clients);
    this.clients = new ClientPopulation(scenario, this.queue, this.servers, this.lookups, this.metrics, {
      backoff: createCounterStream(scenario.seed, 'client.backoff'),
      churn: stream('client.churn'),
      lookupChoice: stream('client.lookup-choice'),
      balancer: stream('lookup.balancer'),
      throttle: stream('client.throttle'),
    }, engine);
    this.dns = scenario.lookup.dns === null ? null : new DnsCaches(scenario.lookup.dns, scenario.population.clients, this.servers, scenario.sampleInterval, lastSample);
    this.l4 = scenario.l4 === null ? null : new L4Switch(scenario, this.servers);
    this.clients.dns = this.dns;
    this.clients.l4 = this.l4;
    this.metrics.baselines = this.dns !== null ? { sample: () => this.dns!.sample() } : this.l4 !== null ? { sample: (now) => this.l4!.sample(now) } : null;
    // The population may have started helper threads: stop them if the rest of the build fails.
    try {
      assignRegions(scenario, this.clients);
      if (this.l4 !== null) placeOnVips(scenario, this.clients, this.servers, this.l4);
      else placeInitialClients(scenario, this.clients, this.servers, stream('init'), this.dns);

      this.managers =
        scenario.managers === null
          ? null
          : new Managers(scenario.managers, this.servers, this.lookups, this.queue, this.metrics, scenario.rtt, stream('managers'));
      this.info = this.managers ?? new DirectServerInfo(this.servers);
      this.heaps = scenario.leaks.length === 0 ? null : new Heaps(scenario, this.servers, stream('server.heap'));
      this.faults = new Faults(
        scenario, this.queue, this.clients, this.servers, this.lookups, this.managers, this.metrics, stream('faults'), this.heaps,
      );
      const restartAfterCrash = scenario.sessionServer.restartAfterCrash;
      this.clients.networkBackAt = (c) => this.faults.networkBackAt(c);
      this.queue.onAhead = (payloads, from, to) => this.clients.warm(payloads, from, to);
      this.clients.onServerOverload = (server, now) =>
        this.faults.crashServer(server, false, now, restartAfterCrash, 'overload: too many connection attempts');
      this.grayFailure = new GrayFailureWatch(scenario, this.servers, this.heaps, this.metrics, this.queue);
      this.grayFailure.onRemove = (server, now, drain) => this.faults.removeFromService(server, now, drain);
      if (this.heaps !== null) {
        this.heaps.onOutOfMemory = (server, at) => this.queue.schedule(at, EventKind.outOfMemory, server);
        this.metrics.heaps = this.heaps;
        this.queue.schedule(0, EventKind.heapTick, 0);
      }

      this.fallbackSince = new Float64Array(this.lookups.count).fill(Number.NaN);
      for (let i = 0; i < this.lookups.count; i++) {
        this.lookups.refresh(i, 0, this.info);
        // Instances refresh on their own clocks, not in lockstep.
        this.queue.schedule(stream(`lookup.refresh.${i}`)() * scenario.lookup.infoRefresh, EventKind.lookupRefresh, i);
      }
      this.faults.scheduleAll();
      if (this.l4 !== null) this.queue.schedule(scenario.l4!.healthInterval, EventKind.l4Check, 0);
      for (let k = 0; k <= lastSample; k++) this.queue.schedule(k * scenario.sampleInterval, EventKind.sample, k);
    } catch (error) {
      try {
        this.clients.close();
      } catch {
        // The build's own error is the one to report.
      }
      throw error;
    }
  }

  /**
   * Processes every event up to and including time `until`. Timers of
   * clients whose network is down may run ahead up to `aheadUntil`: by
   * default `until`, so that what the model holds at `until` is exact; a
   * caller that goes on to the end anyway (the CLI's slices) passes the end,
   * or every slice boundary would send those timers back through the queue.
   * `until` is at most the scenario's duration: client timers past the end
   * are never queued (ClientPopulation.queueTimer).
   */
  runUntil(until: number, onProgress?: RunOptions['onProgress'], aheadUntil = until): void {
    if (until > this.scenario.duration) throw new RangeError(`cannot run past the scenario's end (${this.scenario.duration} s): ${until} s`);
    const { queue, clients, metrics } = this;
    clients.horizon = Math.max(until, aheadUntil);
    let events = this.queuedEvents;
    while (queue.pop(until)) {
      events++;
      const now = queue.time;
      const target = queue.target;
      const kind = queue.kind;
      if (kind === EventKind.client) clients.fire(target, queue.node, now);
      else if (kind === EventKind.sample) metrics.sample(now);
      else this.control(kind, target, now);
      if ((events & (PROGRESS_EVERY - 1)) === 0) onProgress?.(now, events + clients.inlineEvents);
    }
    this.queuedEvents = events;
  }

  /** Every event of the model so far, queued or run inline. */
  get events(): number {
    return this.queuedEvents + this.clients.inlineEvents;
  }

  /** Everything that is not a client timer or a sample: rare, so clarity over speed. */
  private control(kind: number, target: number, now: number): void {
    const { queue, lookups, faults, managers } = this;
    switch (kind) {
      case EventKind.lookupRefresh:
        if (lookups.refresh(target, now, this.info)) this.fallbackChanged(target, now);
        queue.schedule(now + this.scenario.lookup.infoRefresh, EventKind.lookupRefresh, target);
        break;
      case EventKind.faultStart: faults.start(target, now); break;
      case EventKind.faultEnd: faults.end(target, now); break;
      case EventKind.serverRestart: faults.restart(target, now); break;
      case EventKind.serverStarted: faults.started(target, now); break;
      case EventKind.deployDrain: faults.drain(target, now); break;
      case EventKind.deployStop: faults.stop(target, now); break;
      case EventKind.deployClose: faults.closeBatch(target, now); break;
      case EventKind.outOfMemory: faults.outOfMemory(target, now, this.scenario.sessionServer.restartAfterCrash); break;
      case EventKind.heapTrendCheck: this.grayFailure.check(now); break;
      case EventKind.heapTick:
        this.heaps?.tick(now);
        this.grayFailure.afterTick(now);
        queue.schedule(now + this.scenario.sessionServer.heap.tick, EventKind.heapTick, 0);
        break;
      case EventKind.removalStop: faults.stopRemoved(target, now); break;
      case EventKind.l4Check:
        this.l4!.check();
        queue.schedule(now + this.scenario.l4!.healthInterval, EventKind.l4Check, 0);
        break;
      case EventKind.healthCheck: managers?.startRound(target, now); break;
      case EventKind.healthReplies: managers?.applyReplies(target, now); break;
      case EventKind.healthTimeouts: managers?.applyTimeouts(target, now); break;
      case EventKind.managerSync: managers?.sync(target, now); break;
      case EventKind.election: managers?.elect(now); break;
      case EventKind.zkCommit: managers?.commit(target, now); break;
      case EventKind.managerRestart: managers?.restart(target, now); break;
    }
  }

  private fallbackChanged(instance: number, now: number): void {
    const name = `lookup-${instance}`;
    if (this.lookups.fallback[instance] === 1) {
      this.fallbackSince[instance] = now;
      this.metrics.logEvent(now, 'fallback-round-robin', name, 'no manager answers: last list, round robin');
    } else {
      this.metrics.fallbackSeconds += now - this.fallbackSince[instance];
      this.fallbackSince[instance] = Number.NaN;
      this.metrics.logEvent(now, 'live-counts', name, `back to ${this.scenario.lookup.algorithm}`);
    }
  }

  /** Stops the helper threads, if any. */
  close(): void {
    this.clients.close();
  }

  /** The result so far; `end` is the simulated time reached (the run's duration unless it was stopped early). */
  result(end = this.scenario.duration): RunResult {
    // + 0: the field starts as DOUBLE_ZERO's -0, which a run without fallback must not print.
    let fallbackSeconds = this.metrics.fallbackSeconds + 0;
    for (const since of this.fallbackSince) if (!Number.isNaN(since)) fallbackSeconds += end - since;
    const grayFailures = this.grayFailure.report(end);
    const { summary, series, distributions } = this.metrics.result({
      clients: this.clients.count,
      events: this.events,
      disconnectedNow: this.clients.countStillDisconnected(),
      attemptsPerClient: this.clients.attemptsSummary(),
      maxAcceptsPerSec: this.scenario.sessionServer.maxAcceptsPerSec,
      controlPlane: {
        suspensions: this.managers?.suspensions ?? 0,
        resumes: this.managers?.resumes ?? 0,
        failovers: this.managers?.failovers ?? [],
        fallbackSeconds,
      },
      grayFailures,
      grayDetectors: this.heaps === null ? [] : this.grayFailure.detectorReport(grayFailures),
      faultWindows: faultWindows(this.scenario.faults),
    });
    if (this.dns !== null) {
      summary.dns = this.dns.summary(this.clients.count);
      series.dns = this.dns.series;
    }
    if (this.l4 !== null) {
      summary.l4 = this.l4.summary();
      series.l4 = this.l4.series;
    }
    return {
      stampede: { version: VERSION, format: 1 },
      seed: this.scenario.seed,
      scenario: canonicalScenario(this.scenario),
      summary,
      series,
      distributions,
      events: this.metrics.events,
    };
  }
}

export function runScenario(scenario: Scenario, options: RunOptions = {}): RunResult {
  const simulation = new Simulation(scenario, { threads: options.threads });
  try {
    simulation.runUntil(scenario.duration, options.onProgress);
    return simulation.result();
  } finally {
    simulation.close();
  }
}

/**
 * Service and home region of each client (docs/model.md §2): the population is
 * split among services by share, then each service's clients among MCCs by
 * share, in contiguous blocks; an MCC maps to the service's region listing
 * it, or to the service's common region.
 */
function assignRegions(scenario: Scenario, clients: ClientPopulation): void {
  const n = clients.count;
  const mccShares = scenario.population.mcc;
  let serviceStart = 0;
  let serviceCumulative = 0;
  scenario.services.forEach((service, k) => {
    serviceCumulative += service.share;
    const serviceStop = k === scenario.services.length - 1 ? n : Math.min(n, Math.round(serviceCumulative * n));
    clients.assignService(serviceStart, serviceStop, k);
    const regionOfMcc = new Map<number, number>();
    for (const r of service.regions) for (const mcc of scenario.regions[r].mcc) regionOfMcc.set(mcc, r);
    const size = serviceStop - serviceStart;
    let start = serviceStart;
    let cumulative = 0;
    mccShares.forEach(({ mcc, share }, m) => {
      cumulative += share;
      const stop = m === mccShares.length - 1 ? serviceStop : Math.min(serviceStop, serviceStart + Math.round(cumulative * size));
      clients.assignHome(start, stop, m, regionOfMcc.get(mcc) ?? service.commonRegion);
      start = stop;
    });
    serviceStart = serviceStop;
  });
}

/**
 * Steady state (docs/model.md §3): every client connected, spread as the
 * configured algorithm would have spread them, with residual lifetimes drawn
 * from the churn distribution (exponential, so the same as fresh ones).
 * Round robin and least connection spread evenly by weight; random and two
 * choices are spread by running the algorithm itself on fresh counts.
 */
function placeInitialClients(
  scenario: Scenario,
  clients: ClientPopulation,
  servers: SessionServers,
  init: () => number,
  dns: DnsCaches | null,
): void {
  if (scenario.population.start === 'disconnected') {
    for (let c = 0; c < clients.count; c++) clients.placeDisconnected(c, 0);
    return;
  }
  const algorithm = algorithmCode(scenario.lookup.algorithm);
  const maxSessions = scenario.sessionServer.maxSessions;
  const pair = new Int32Array(2);
  const running = Uint8Array.from(servers.state, (state) => (state === ServerState.running ? 1 : 0));
  const counts = new Float64Array(servers.count);
  const membersOf = membersPerRegion(clients, scenario.regions.length);
  for (let r = 0; r < scenario.regions.length; r++) {
    const ids: number[] = [];
    for (let s = 0; s < servers.count; s++) if (servers.region[s] === r) ids.push(s);
    const regionServers = Int32Array.from(ids);
    const view = {
      servers: regionServers, running, counts, weights: servers.weight,
      ramp: new Float64Array(servers.count).fill(1),
      choices: scenario.lookup.choices,
      scratch: new Int32Array(scenario.lookup.choices),
    };
    const even = algorithm !== Algorithm.random && algorithm !== Algorithm.powerOfD;
    const quota = even ? evenQuota(membersOf[r], regionServers, servers.weight, running) : null;
    placeRegion(r, { clients, view, quota, algorithm, maxSessions, init, pair, dns });
  }
}

// The loops over the clients are functions of their own: V8 compiles a long loop on the stack
// (on-stack replacement) together with the rest of its function, and code after a loop that has
// never run has no type feedback, so the compiled loop was thrown away where the loop ended, and
// the next loop started again unoptimized (twice per placement).

function membersPerRegion(clients: ClientPopulation, regions: number): Int32Array {
  const membersOf = new Int32Array(regions);
  for (let c = 0; c < clients.count; c++) membersOf[clients.regionOf(c)]++;
  return membersOf;
}

/** Places the clients of region `r` on its servers (placeInitialClients). */
function placeRegion(
  r: number,
  p: {
    clients: ClientPopulation;
    view: RegionView;
    quota: Float64Array | null;
    algorithm: AlgorithmCode;
    maxSessions: number;
    init: () => number;
    pair: Int32Array;
    dns: DnsCaches | null;
  },
): void {
  const { clients, view, quota, algorithm, maxSessions, init, pair, dns } = p;
  const { servers: regionServers, running, counts } = view;
  let position = 0;
  for (let c = 0; c < clients.count; c++) {
    if (clients.regionOf(c) !== r) continue;
    let primary: number;
    let alternative: number;
    if (quota) {
      while (position < regionServers.length && (running[regionServers[position]] === 0 || counts[regionServers[position]] >= quota[position])) position++;
      if (position === regionServers.length) {
        clients.placeDisconnected(c, 0);
        continue;
      }
      primary = regionServers[position];
      alternative = primary;
      for (let k = 1; k < regionServers.length; k++) {
        const candidate = regionServers[(position + k) % regionServers.length];
        if (running[candidate] === 1) {
          alternative = candidate;
          break;
        }
      }
    } else {
      choose(algorithm, view, 0, init, pair);
      primary = pair[0];
      alternative = pair[1];
    }
    if (counts[primary] >= maxSessions) {
      clients.placeDisconnected(c, 0);
      continue;
    }
    counts[primary]++;
    if (dns !== null) {
      // A DNS answer is one address; only clients that ignore the TTL still hold it (baselines.ts).
      clients.placeConnected(c, primary, primary);
      dns.place(c, primary);
    } else {
      clients.placeConnected(c, primary, alternative);
    }
  }
}

/**
 * Steady state behind an L4 switch: each client on its VIP (c mod vips of
 * its region), spread over the VIP's servers in rotation, up to maxSessions.
 */
function placeOnVips(scenario: Scenario, clients: ClientPopulation, servers: SessionServers, l4: L4Switch): void {
  if (scenario.population.start === 'disconnected') {
    for (let c = 0; c < clients.count; c++) clients.placeDisconnected(c, 0);
    return;
  }
  const maxSessions = scenario.sessionServer.maxSessions;
  const fits = (s: number) => servers.sessions[s] < maxSessions;
  for (let c = 0; c < clients.count; c++) {
    const server = l4.place(l4.vipOf(c, clients.regionOf(c)), fits);
    if (server < 0) clients.placeDisconnected(c, 0);
    else clients.placeConnected(c, server, NO_ADDRESS);
  }
}

const NO_ADDRESS = -1;

/** Sessions per server proportional to weight, capped at maxSessions, by largest remainder. */
function evenQuota(clients: number, regionServers: Int32Array, weights: Float64Array, running: Uint8Array): Float64Array {
  const quota = new Float64Array(regionServers.length);
  const weightOf = (i: number) => (running[regionServers[i]] === 1 ? weights[regionServers[i]] : 0);
  let total = 0;
  for (let i = 0; i < regionServers.length; i++) total += weightOf(i);
  if (total === 0) return quota;
  let assigned = 0;
  const remainders: { i: number; r: number }[] = [];
  for (let i = 0; i < regionServers.length; i++) {
    const exact = (clients * weightOf(i)) / total;
    quota[i] = Math.floor(exact);
    assigned += quota[i];
    remainders.push({ i, r: exact - quota[i] });
  }
  remainders.sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; k < clients - assigned; k++) quota[remainders[k % remainders.length].i]++;
  return quota;
}

/** Where a fault's sustained carrier attempt rate is read: the carrier outages' windows, else every fault that lasts. */
function faultWindows(faults: FaultConfig[]): [number, number][] {
  const lasting = faults.filter((fault) => 'duration' in fault && typeof fault.duration === 'number');
  const carrier = lasting.filter((fault) => fault.kind === 'carrier-outage');
  return (carrier.length > 0 ? carrier : lasting).map((fault) => [fault.at, fault.at + (fault as { duration: number }).duration]);
}
