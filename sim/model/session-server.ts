// Session servers (MODEL.md §6): capacity, accept-rate limit, overload crash,
// the gray failure of a leaking heap, and the ZooKeeper lifecycle states.
// One struct-of-arrays for the fleet.
//
// What a server *is* (its process alive or not, its host there or not, its
// heap) is kept apart from what ZooKeeper *says* about it (`state`): with
// managers, a crashed server stays `running` in ZooKeeper until health
// checks suspend it, and lookups keep handing it out until then.
import type { Scenario } from '../scenario/types.ts';
import type { Stream } from '../engine/random.ts';

/** ZooKeeper states of a session server (MODEL.md §6). */
export const ServerState = {
  shutdown: 0,
  starting: 1,
  standby: 2,
  running: 3,
  suspending: 4,
  suspended: 5,
  resuming: 6,
  shuttingdown: 7,
} as const;
export type ServerStateCode = (typeof ServerState)[keyof typeof ServerState];
export const SERVER_STATE_NAMES = Object.keys(ServerState) as (keyof typeof ServerState)[];

/** What a connection attempt meets when it reaches a server. */
export const ConnectOutcome = { accepted: 0, refused: 1, blackhole: 2 } as const;
export type ConnectOutcomeCode = (typeof ConnectOutcome)[keyof typeof ConnectOutcome];

const SECONDS_PER_DAY = 86_400;

export class SessionServers {
  readonly count: number;
  readonly names: string[];
  readonly region: Int32Array;
  readonly weight: Float64Array;
  /** ZooKeeper state. */
  readonly state: Uint8Array;
  /** 1 while the server process runs. */
  readonly alive: Uint8Array;
  /** 0 when the host itself is gone: attempts and sessions are blackholed. */
  readonly hostUp: Uint8Array;
  readonly sessions: Int32Array;

  // Per-second windows for the accept limit and the overload crash.
  private readonly windowSecond: Float64Array;
  private readonly acceptsInWindow: Int32Array;
  private readonly attemptsInWindow: Int32Array;
  private readonly overloadedSeconds: Int32Array;

  private readonly maxSessions: number;
  private readonly maxAcceptsPerSec: number;
  private readonly overloadAttemptsPerSec: number;
  private readonly overloadSecondsToCrash: number;

  // The leak (gray failure): live share of the old generation after full GC.
  private readonly leakStartPercent: Float64Array;
  private readonly leakGrowthPerDay: Float64Array;
  private readonly leakKneePercent: Float64Array;
  /** When the current process started (the leak starts over with it). */
  readonly processStart: Float64Array;

  /** Server whose overload limit was passed at the last `tryAccept`; the caller crashes it. */
  overloadTripped = -1;

  constructor(scenario: Scenario, private readonly gcStream: Stream) {
    const names: string[] = [];
    const regionOf: number[] = [];
    const spare: boolean[] = [];
    scenario.regions.forEach((region, r) => {
      for (let i = 0; i < region.servers + region.spare; i++) {
        names.push(`${region.name}-${i}`);
        regionOf.push(r);
        spare.push(i >= region.servers);
      }
    });
    this.count = names.length;
    this.names = names;
    this.region = Int32Array.from(regionOf);
    this.weight = new Float64Array(this.count).fill(scenario.sessionServer.weight);
    this.state = Uint8Array.from(spare, (s) => (s ? ServerState.shutdown : ServerState.running));
    this.alive = Uint8Array.from(spare, (s) => (s ? 0 : 1));
    this.hostUp = new Uint8Array(this.count).fill(1);
    this.sessions = new Int32Array(this.count);
    this.windowSecond = new Float64Array(this.count).fill(-1);
    this.acceptsInWindow = new Int32Array(this.count);
    this.attemptsInWindow = new Int32Array(this.count);
    this.overloadedSeconds = new Int32Array(this.count);
    const config = scenario.sessionServer;
    this.maxSessions = config.maxSessions;
    this.maxAcceptsPerSec = config.maxAcceptsPerSec;
    this.overloadAttemptsPerSec = config.overloadAcceptsPerSec;
    this.overloadSecondsToCrash = Math.max(1, Math.ceil(config.overloadFor));
    this.leakStartPercent = new Float64Array(this.count);
    this.leakGrowthPerDay = new Float64Array(this.count);
    this.leakKneePercent = new Float64Array(this.count).fill(100);
    this.processStart = new Float64Array(this.count);
    for (const leak of scenario.leaks) {
      this.leakStartPercent[leak.server] = leak.liveHeapStartPercent;
      this.leakGrowthPerDay[leak.server] = leak.growthPercentPerDay;
      this.leakKneePercent[leak.server] = leak.gcKneePercent;
    }
  }

  isRunning(server: number): boolean {
    return this.state[server] === ServerState.running;
  }

  /** Whether a connection attempt to `server` would get any answer at all. */
  answers(server: number): boolean {
    return this.hostUp[server] === 1;
  }

  /** Live share (percent) of the old generation after a full GC, now. */
  liveHeapPercent(server: number, now: number): number {
    const days = (now - this.processStart[server]) / SECONDS_PER_DAY;
    return this.leakStartPercent[server] + this.leakGrowthPerDay[server] * days;
  }

  /** When the leak of `server`'s current process exhausts the heap, or Infinity. */
  outOfMemoryAt(server: number): number {
    const growth = this.leakGrowthPerDay[server];
    if (growth <= 0) return Infinity;
    return this.processStart[server] + ((100 - this.leakStartPercent[server]) / growth) * SECONDS_PER_DAY;
  }

  /**
   * Share of time the process spends in GC: 0 below the knee, rising
   * quadratically to 1 as the live heap reaches the maximum. A request
   * (health check or connect) that lands in a GC pause fails.
   */
  gcStallProbability(server: number, now: number): number {
    const knee = this.leakKneePercent[server];
    const live = this.liveHeapPercent(server, now);
    if (live <= knee) return 0;
    return Math.min(1, ((live - knee) / (100 - knee)) ** 2);
  }

  /** An L7 health check: the application answers (not merely the TCP port). */
  passesHealthCheck(server: number, now: number): boolean {
    if (this.alive[server] === 0 || this.hostUp[server] === 0) return false;
    const stall = this.gcStallProbability(server, now);
    return stall === 0 || this.gcStream() >= stall;
  }

  /** An L4 (TCP) check: the port accepts, whatever the application does. */
  passesTcpCheck(server: number): boolean {
    return this.alive[server] === 1 && this.hostUp[server] === 1;
  }

  /**
   * A connection attempt arrives at `server`. Counts it against the accept
   * limit and the overload window; sets `overloadTripped` when the server
   * has been over its overload rate for `overloadFor`.
   */
  tryAccept(server: number, now: number): ConnectOutcomeCode {
    if (this.hostUp[server] === 0) return ConnectOutcome.blackhole;
    this.overloadTripped = -1;
    if (this.alive[server] === 0) return ConnectOutcome.refused;
    const second = Math.floor(now);
    if (this.windowSecond[server] !== second) this.rollWindow(server, second);
    const attempts = ++this.attemptsInWindow[server];
    if (attempts === Math.floor(this.overloadAttemptsPerSec) + 1 &&
        this.overloadedSeconds[server] + 1 >= this.overloadSecondsToCrash) {
      this.overloadTripped = server;
    }
    if (!this.accepting(server)) return ConnectOutcome.refused;
    if (this.sessions[server] >= this.maxSessions) return ConnectOutcome.refused;
    if (this.acceptsInWindow[server] >= this.maxAcceptsPerSec) return ConnectOutcome.refused;
    const stall = this.gcStallProbability(server, now);
    if (stall > 0 && this.gcStream() < stall) return ConnectOutcome.refused; // HTTP 503 in a GC pause
    this.acceptsInWindow[server]++;
    this.sessions[server]++;
    return ConnectOutcome.accepted;
  }

  /**
   * A live process takes new sessions unless it is starting, in standby
   * ("not yet in service": a client holding its address from a stale list
   * is refused) or draining.
   */
  private accepting(server: number): boolean {
    const state = this.state[server];
    return state !== ServerState.starting && state !== ServerState.standby && state !== ServerState.shuttingdown && state !== ServerState.shutdown;
  }

  setState(server: number, state: ServerStateCode): void {
    this.state[server] = state;
  }

  release(server: number): void {
    this.sessions[server]--;
  }

  /**
   * The process dies (`hostGone` false: the host still refuses) or the host
   * vanishes. Sessions are gone. ZooKeeper learns of it only through the
   * managers, unless `zkFollows` (no managers: the oracle sees it at once).
   */
  crash(server: number, hostGone: boolean, zkFollows: boolean): void {
    this.alive[server] = 0;
    this.hostUp[server] = hostGone ? 0 : 1;
    this.sessions[server] = 0;
    this.overloadedSeconds[server] = 0;
    this.attemptsInWindow[server] = 0;
    this.windowSecond[server] = -1;
    if (zkFollows) this.state[server] = ServerState.shutdown;
  }

  /** A (new) process starts: it registers itself in ZooKeeper as `starting`. */
  startUp(server: number, now: number): void {
    this.state[server] = ServerState.starting;
    this.alive[server] = 1;
    this.hostUp[server] = 1;
    this.processStart[server] = now;
  }

  private rollWindow(server: number, second: number): void {
    const previous = this.windowSecond[server];
    const wasOverloaded = previous === second - 1 && this.attemptsInWindow[server] > this.overloadAttemptsPerSec;
    this.overloadedSeconds[server] = wasOverloaded ? this.overloadedSeconds[server] + 1 : 0;
    this.windowSecond[server] = second;
    this.acceptsInWindow[server] = 0;
    this.attemptsInWindow[server] = 0;
  }
}
