// Server managers (docs/model.md §5) and the state they keep in ZooKeeper and
// Redis. The master health-checks every session server (L7), writes the
// session counts its checks carry to Redis, suspends and resumes servers in
// ZooKeeper and pushes list changes to the lookups. Slaves copy Redis every
// `syncInterval` and answer the lookups' info requests, so lookups keep
// working through a master failover with counts up to one sync old. The
// master holds an ephemeral znode: when it dies, a slave takes over one
// ZooKeeper session timeout later.
//
// The counts a lookup uses are therefore as old as: the last health check
// (≤ healthInterval), plus the slave's last sync (≤ syncInterval), plus the
// lookup's last refresh (≤ infoRefresh) — nothing here makes them fresher.
import type { ManagersConfig } from '../scenario/types.ts';
import type { EventQueue } from '../engine/event-queue.ts';
import type { Stream } from '../engine/random.ts';
import { EventKind } from './events.ts';
import type { LookupInstances, ServerInfoSource } from './lookup.ts';
import type { Metrics } from './metrics.ts';
import { ServerState, type SessionServers } from './session-server.ts';
import { DOUBLE_ZERO } from '../engine/double-fields.ts';

const NONE = -1;

export class Managers implements ServerInfoSource {
  readonly count: number;
  readonly up: Uint8Array;
  /** Index of the master, or -1 while none holds the znode. */
  master = NONE;
  private electionPending = false;
  private masterDiedAt = DOUBLE_ZERO;
  /** Increments with every new master, so a dead master's pending check rounds are dropped. */
  private term = 0;

  /** Session counts in Redis, written by the master. Redis outlives any manager. */
  private readonly redis: Float64Array;
  /** Each manager's copy of Redis (slaves sync it; it is what they answer with). */
  private readonly copies: Float64Array[];

  private readonly failures: Int32Array;
  private readonly successes: Int32Array;
  /** Result of the check round in flight, per server: 1 passed, 0 failed, 2 not checked. */
  private readonly round: Uint8Array;

  /** Filled for the summary. */
  readonly failovers: { masterDiedAt: number; newMasterAt: number | null; newMaster: number | null }[] = [];
  suspensions = 0;
  resumes = 0;

  constructor(
    private readonly config: ManagersConfig,
    private readonly servers: SessionServers,
    private readonly lookups: LookupInstances,
    private readonly queue: EventQueue,
    private readonly metrics: Metrics,
    private readonly rtt: number,
    phase: Stream,
  ) {
    this.count = config.count;
    this.up = new Uint8Array(this.count).fill(1);
    this.redis = new Float64Array(servers.count);
    this.copies = Array.from({ length: this.count }, () => new Float64Array(servers.count));
    this.failures = new Int32Array(servers.count);
    this.successes = new Int32Array(servers.count);
    this.round = new Uint8Array(servers.count).fill(2);
    this.redis.set(servers.sessions);
    for (const copy of this.copies) copy.set(servers.sessions);
    this.master = 0;
    queue.schedule(phase() * config.healthInterval, EventKind.healthCheck, this.term * 64 + 0);
    for (let m = 1; m < this.count; m++) queue.schedule(phase() * config.syncInterval, EventKind.managerSync, m);
  }

  // ---- What lookups read ---------------------------------------------------

  /** A lookup's info request, answered by an up slave if there is one, else by the master. */
  read(_now: number, running: Uint8Array, counts: Float64Array): boolean {
    let responder = NONE;
    for (let m = 0; m < this.count; m++) {
      if (this.up[m] === 1 && m !== this.master) {
        responder = m;
        break;
      }
    }
    if (responder === NONE && this.master !== NONE) responder = this.master;
    if (responder === NONE) return false;
    for (let s = 0; s < this.servers.count; s++) running[s] = this.servers.state[s] === ServerState.running ? 1 : 0;
    counts.set(responder === this.master ? this.redis : this.copies[responder]);
    return true;
  }

  // ---- Health checks (the master) ------------------------------------------

  /** Event `healthCheck`: target encodes term and manager, so stale rounds are dropped. */
  startRound(target: number, now: number): void {
    const manager = target % 64;
    if (Math.floor(target / 64) !== this.term || manager !== this.master || this.up[manager] === 0) return;
    const servers = this.servers;
    for (let s = 0; s < servers.count; s++) {
      const state = servers.state[s];
      const checked = state !== ServerState.shutdown && state !== ServerState.starting;
      this.round[s] = checked ? (servers.passesHealthCheck(s) ? 1 : 0) : 2;
    }
    // Replies come back after one round trip; failures are known at the timeout.
    this.queue.schedule(now + Math.min(this.rtt, this.config.healthTimeout), EventKind.healthReplies, target);
    this.queue.schedule(now + this.config.healthTimeout, EventKind.healthTimeouts, target);
    this.queue.schedule(now + this.config.healthInterval, EventKind.healthCheck, target);
  }

  /** Replies of the round: counts go to Redis; enough successes resume or promote a server. */
  applyReplies(target: number, now: number): void {
    if (!this.isCurrent(target)) return;
    const servers = this.servers;
    for (let s = 0; s < servers.count; s++) {
      if (this.round[s] !== 1) continue;
      this.redis[s] = servers.sessions[s];
      this.failures[s] = 0;
      if (++this.successes[s] < this.config.recoverThreshold) continue;
      const state = servers.state[s];
      if (state === ServerState.suspended) {
        servers.setState(s, ServerState.resuming);
        this.resumes++;
        this.metrics.logEvent(now, 'resuming', servers.names[s], `${this.successes[s]} consecutive health checks passed`);
        this.queue.schedule(now + this.zkWriteDelay(), EventKind.zkCommit, s);
      } else if (state === ServerState.standby) {
        servers.setState(s, ServerState.running);
        this.metrics.logEvent(now, 'running', servers.names[s], 'promoted from standby');
        this.lookups.push(s, true, now);
      }
    }
  }

  /** Timeouts of the round: enough consecutive failures suspend a server. */
  applyTimeouts(target: number, now: number): void {
    if (!this.isCurrent(target)) return;
    const servers = this.servers;
    for (let s = 0; s < servers.count; s++) {
      if (this.round[s] !== 0) continue;
      this.successes[s] = 0;
      if (++this.failures[s] < this.config.failThreshold) continue;
      const state = servers.state[s];
      if (state === ServerState.running || state === ServerState.resuming || state === ServerState.standby) {
        servers.setState(s, ServerState.suspending);
        this.suspensions++;
        this.metrics.logEvent(now, 'suspending', servers.names[s], `${this.failures[s]} consecutive health checks failed`);
        this.lookups.push(s, false, now);
        this.queue.schedule(now + this.zkWriteDelay(), EventKind.zkCommit, s);
      }
    }
  }

  /** A transitional ZooKeeper state is written: suspending → suspended, resuming → running. */
  commit(server: number, now: number): void {
    const servers = this.servers;
    if (servers.state[server] === ServerState.suspending) {
      servers.setState(server, ServerState.suspended);
      this.metrics.logEvent(now, 'suspended', servers.names[server], 'dropped from lookups');
    } else if (servers.state[server] === ServerState.resuming) {
      servers.setState(server, ServerState.running);
      this.metrics.logEvent(now, 'running', servers.names[server], 'resumed');
      this.lookups.push(server, true, now);
    }
  }

  /** A server changed its own state in ZooKeeper (deploy, start): the master pushes list changes. */
  announce(server: number, now: number): void {
    if (this.master !== NONE) this.lookups.push(server, this.servers.state[server] === ServerState.running, now);
  }

  private isCurrent(target: number): boolean {
    const manager = target % 64;
    return Math.floor(target / 64) === this.term && manager === this.master && this.up[manager] === 1;
  }

  private zkWriteDelay(): number {
    return Math.max(this.rtt, 0.001);
  }

  // ---- Slaves ------------------------------------------------------------------

  sync(manager: number, now: number): void {
    if (this.up[manager] === 0 || manager === this.master) return;
    this.copies[manager].set(this.redis);
    this.queue.schedule(now + this.config.syncInterval, EventKind.managerSync, manager);
  }

  // ---- Election ------------------------------------------------------------------

  crash(manager: number, now: number): void {
    if (this.up[manager] === 0) return;
    this.up[manager] = 0;
    this.metrics.logEvent(now, 'manager-down', `manager-${manager}`, manager === this.master ? 'master' : 'slave');
    if (manager !== this.master) return;
    this.master = NONE;
    this.term++;
    this.masterDiedAt = now;
    this.electionPending = true;
    this.failovers.push({ masterDiedAt: now, newMasterAt: null, newMaster: null });
    // The master's ephemeral znode lives on until its ZooKeeper session expires.
    this.queue.schedule(now + this.config.zkSessionTimeout, EventKind.election, 0);
  }

  restart(manager: number, now: number): void {
    if (this.up[manager] === 1) return;
    this.up[manager] = 1;
    this.copies[manager].set(this.redis);
    this.metrics.logEvent(now, 'manager-up', `manager-${manager}`, '');
    if (this.master === NONE && !this.electionPending) this.elect(now);
    else this.queue.schedule(now + this.config.syncInterval, EventKind.managerSync, manager);
  }

  /** Event `election`: the dead master's znode expired; the first live manager takes over. */
  elect(now: number): void {
    this.electionPending = false;
    if (this.master !== NONE) return;
    let chosen = NONE;
    for (let m = 0; m < this.count; m++) {
      if (this.up[m] === 1) {
        chosen = m;
        break;
      }
    }
    if (chosen === NONE) {
      this.metrics.logEvent(now, 'no-master', 'managers', 'every manager is down');
      return;
    }
    this.master = chosen;
    this.term++;
    this.failures.fill(0);
    this.successes.fill(0);
    const pending = this.failovers.at(-1);
    if (pending && pending.newMasterAt === null) {
      pending.newMasterAt = now;
      pending.newMaster = chosen;
    }
    this.metrics.logEvent(now, 'master-elected', `manager-${chosen}`, `${(now - this.masterDiedAt).toFixed(1)} s after the master died`);
    this.queue.schedule(now, EventKind.healthCheck, this.term * 64 + chosen);
  }
}
