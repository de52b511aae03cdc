// Session servers (MODEL.md §6): capacity, accept-rate limit, overload crash
// and the ZooKeeper lifecycle states. One struct-of-arrays for the fleet.
import type { Scenario } from '../scenario/types.ts';

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

export class SessionServers {
  readonly count: number;
  readonly names: string[];
  readonly region: Int32Array;
  readonly weight: Float64Array;
  readonly state: Uint8Array;
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

  /** Servers whose overload limit was passed at the last `tryAccept`; the caller crashes them. */
  overloadTripped = -1;

  constructor(scenario: Scenario) {
    const names: string[] = [];
    const regionOf: number[] = [];
    scenario.regions.forEach((region, r) => {
      for (let i = 0; i < region.servers; i++) {
        names.push(`${region.name}-${i}`);
        regionOf.push(r);
      }
    });
    this.count = names.length;
    this.names = names;
    this.region = Int32Array.from(regionOf);
    this.weight = new Float64Array(this.count).fill(scenario.sessionServer.weight);
    this.state = new Uint8Array(this.count).fill(ServerState.running);
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
  }

  isRunning(server: number): boolean {
    return this.state[server] === ServerState.running;
  }

  /** Whether a connection attempt to `server` would get any answer at all. */
  answers(server: number): boolean {
    return this.hostUp[server] === 1;
  }

  /**
   * A connection attempt arrives at `server`. Counts it against the accept
   * limit and the overload window; sets `overloadTripped` when the server
   * has been over its overload rate for `overloadFor`.
   */
  tryAccept(server: number, now: number): ConnectOutcomeCode {
    if (this.hostUp[server] === 0) return ConnectOutcome.blackhole;
    this.overloadTripped = -1;
    const second = Math.floor(now);
    if (this.windowSecond[server] !== second) this.rollWindow(server, second);
    const attempts = ++this.attemptsInWindow[server];
    if (attempts === Math.floor(this.overloadAttemptsPerSec) + 1 &&
        this.overloadedSeconds[server] + 1 >= this.overloadSecondsToCrash) {
      this.overloadTripped = server;
    }
    if (this.state[server] !== ServerState.running) return ConnectOutcome.refused;
    if (this.sessions[server] >= this.maxSessions) return ConnectOutcome.refused;
    if (this.acceptsInWindow[server] >= this.maxAcceptsPerSec) return ConnectOutcome.refused;
    this.acceptsInWindow[server]++;
    this.sessions[server]++;
    return ConnectOutcome.accepted;
  }

  release(server: number): void {
    this.sessions[server]--;
  }

  /** Process dies (`hostGone` false: the host still refuses) or host vanishes. Sessions are gone. */
  crash(server: number, hostGone: boolean): void {
    this.state[server] = ServerState.shutdown;
    this.hostUp[server] = hostGone ? 0 : 1;
    this.sessions[server] = 0;
    this.overloadedSeconds[server] = 0;
    this.attemptsInWindow[server] = 0;
    this.windowSecond[server] = -1;
  }

  startUp(server: number): void {
    this.state[server] = ServerState.starting;
    this.hostUp[server] = 1;
  }

  markRunning(server: number): void {
    this.state[server] = ServerState.running;
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
