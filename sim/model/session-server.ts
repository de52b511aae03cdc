// Session servers (docs/model.md §6): capacity, accept-rate limit, overload crash,
// the gray failure of a leaking heap, and the ZooKeeper lifecycle states.
// One struct-of-arrays for the fleet.
//
// What a server *is* (its process alive or not, its host there or not, its
// heap) is kept apart from what ZooKeeper *says* about it (`state`): with
// managers, a crashed server stays `running` in ZooKeeper until health
// checks suspend it, and lookups keep handing it out until then.
import type { Scenario } from '../scenario/types.ts';
import type { Stream } from '../engine/random.ts';

/** ZooKeeper states of a session server (docs/model.md §6). */
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

/**
 * Why a connection attempt failed, as the report breaks failures down
 * (metrics.ts counts them per sample). The first five are answers of the
 * server (`SessionServers.refusal`); the last two are the client's connect
 * timing out: the host did not answer, or the client's own network was down.
 */
export const ConnectFailure = { deadProcess: 0, notInService: 1, serverFull: 2, acceptLimit: 3, gcPause: 4, noAnswer: 5, networkDown: 6 } as const;
export type ConnectFailureCode = (typeof ConnectFailure)[keyof typeof ConnectFailure];
export const CONNECT_FAILURE_NAMES = Object.keys(ConnectFailure) as (keyof typeof ConnectFailure)[];

/** The share of requests a leak must fail before its failures count as client-visible (1 %). */
export const VISIBLE_LEAK_SHARE = 0.01;

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

  // The gray failure of a leak (heap.ts writes these; all 0 without leaks).
  /** Share of time the process spends in full GC: a health check or connect landing in a pause fails. */
  readonly gcShare: Float64Array;
  /** Health checks failed in a GC pause since the last metrics sample. */
  readonly gcFailedChecks: Int32Array;
  /** The part of `gcShare` a leak adds over the same server healthy. */
  readonly gcLeakShare: Float64Array;
  /** When a connect was first refused in a pause the leak added (HTTP 503), once it fails 1 % of requests: the first failure clients see of a leak; NaN: never. */
  readonly firstGcRefusalAt: Float64Array;

  /** Server whose overload limit was passed at the last `tryAccept`; the caller crashes it. */
  overloadTripped = -1;
  /** Why the last `tryAccept` that returned `refused` refused (a ConnectFailure code): read by the caller for the metrics. */
  refusal: ConnectFailureCode = ConnectFailure.deadProcess;

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
    this.gcShare = new Float64Array(this.count);
    this.gcFailedChecks = new Int32Array(this.count);
    this.gcLeakShare = new Float64Array(this.count);
    this.firstGcRefusalAt = new Float64Array(this.count).fill(Number.NaN);
  }

  isRunning(server: number): boolean {
    return this.state[server] === ServerState.running;
  }

  /** Whether a connection attempt to `server` would get any answer at all. */
  answers(server: number): boolean {
    return this.hostUp[server] === 1;
  }

  /** An L7 health check: the application answers (not merely the TCP port). */
  passesHealthCheck(server: number): boolean {
    if (this.alive[server] === 0 || this.hostUp[server] === 0) return false;
    const stall = this.gcShare[server];
    if (stall === 0 || this.gcStream() >= stall) return true;
    this.gcFailedChecks[server]++;
    return false;
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
    if (this.alive[server] === 0) return this.refuse(ConnectFailure.deadProcess);
    const second = Math.floor(now);
    if (this.windowSecond[server] !== second) this.rollWindow(server, second);
    const attempts = ++this.attemptsInWindow[server];
    if (attempts === Math.floor(this.overloadAttemptsPerSec) + 1 &&
        this.overloadedSeconds[server] + 1 >= this.overloadSecondsToCrash) {
      this.overloadTripped = server;
    }
    if (!this.accepting(server)) return this.refuse(ConnectFailure.notInService);
    if (this.sessions[server] >= this.maxSessions) return this.refuse(ConnectFailure.serverFull);
    if (this.acceptsInWindow[server] >= this.maxAcceptsPerSec) return this.refuse(ConnectFailure.acceptLimit);
    const stall = this.gcShare[server];
    if (stall > 0) {
      const draw = this.gcStream();
      if (draw < stall) {
        // HTTP 503 in a GC pause. The leak's first visible failure: one the healthy server would not have had, once
        // the leak makes at least one request in a hundred fail (a healthy server's rare pauses are noise).
        const leak = this.gcLeakShare[server];
        if (leak >= VISIBLE_LEAK_SHARE && draw >= stall - leak && Number.isNaN(this.firstGcRefusalAt[server])) this.firstGcRefusalAt[server] = now;
        return this.refuse(ConnectFailure.gcPause);
      }
    }
    this.acceptsInWindow[server]++;
    this.sessions[server]++;
    return ConnectOutcome.accepted;
  }

  /** `refused`, remembering why (a field write rather than a richer return value: the hot path allocates nothing). */
  private refuse(why: ConnectFailureCode): ConnectOutcomeCode {
    this.refusal = why;
    return ConnectOutcome.refused;
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
    this.gcShare[server] = 0;
    this.gcLeakShare[server] = 0;
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
    this.gcShare[server] = 0;
    this.gcLeakShare[server] = 0;
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
