// The reference deployment (docs/model.md §1): ZooKeeper, Redis, session servers, managers and lookup
// servers as separate OS processes on 127.0.0.1, on free ports, in a temporary directory. Every
// process runs under live/guard.sh in its own process group; `stop` kills every group and waits
// until each is gone. The fault operations (SIGSTOP a lookup, kill a server, kill the master...)
// are what `stampede load` executes for a scenario's faults.
import { mkdtempSync, rmSync } from 'node:fs';
import { get, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Scenario } from '../sim/scenario/types.ts';
import { serverNames } from '../sim/scenario/load.ts';
import { requirePackages } from './packages.ts';
import { startRedis, startZooKeeper, waitUp } from './infrastructure.ts';
import { nodeEntry, processPid, signalGroup, spawnGuarded, stopGroup, type ManagedProcess } from './processes.ts';
import { freePort, releasePort } from './ports.ts';
import type { ServerEntry } from './manager.ts';
import { LiveError } from './errors.ts';

export interface DeploymentSize {
  servers: number;
  lookups: number;
  managers: number;
}

export interface Endpoints {
  zookeeper: string;
  redis: string;
  lookups: string[];
  managers: string[];
  servers: { name: string; address: string; health: string }[];
}

/** An infrastructure or deployment process that died when nobody killed it. */
export type UnexpectedExit = (name: string, code: number) => void;

function httpOk(port: number, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path, timeout: 1000, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** A bounded POST (1 s); a failure is not an error (the fault goes on without it). */
function httpPost(port: number, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', timeout: 1000, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

export class Deployment {
  readonly dir: string;
  readonly processes = new Map<string, ManagedProcess>();
  /** Processes this deployment killed on purpose (faults, stop): their exit is expected. */
  private readonly killed = new Set<ManagedProcess>();
  private readonly serverEntries: ServerEntry[] = [];
  private readonly lookupPorts: number[] = [];
  private readonly managerPorts: number[] = [];
  private zkPort = 0;
  private redisPort = 0;
  private readonly root: string;
  private stopping = false;
  onUnexpectedExit: UnexpectedExit = () => undefined;
  /** Seconds of wall time each restarted session server took from spawn to accepting sessions. */
  readonly restartDelays: number[] = [];

  private constructor(private readonly scenario: Scenario, private readonly size: DeploymentSize) {
    this.dir = mkdtempSync(join(tmpdir(), 'stampede-live-'));
    this.root = `/stampede/${process.pid}-${Date.now()}`;
  }

  /** Starts everything and waits until every part answers; on any failure, stops what started and throws. */
  static async start(scenario: Scenario, size: DeploymentSize): Promise<Deployment> {
    requirePackages();
    if (scenario.managers === null) throw new LiveError('the reference deployment needs managers: this scenario has `managers: off`');
    const d = new Deployment(scenario, size);
    try {
      await d.startAll();
      return d;
    } catch (error) {
      await d.stop();
      throw error;
    }
  }

  get endpoints(): Endpoints {
    return {
      zookeeper: `127.0.0.1:${this.zkPort}`,
      redis: `127.0.0.1:${this.redisPort}`,
      lookups: this.lookupPorts.map((p) => `http://127.0.0.1:${p}/v1/lookup`),
      managers: this.managerPorts.map((p) => `http://127.0.0.1:${p}/v1/servers`),
      servers: this.serverEntries.map((s) => ({ name: s.name, address: s.address, health: `http://127.0.0.1:${s.healthPort}/health` })),
    };
  }

  get lookupUrls(): string[] {
    return this.lookupPorts.map((p) => `http://127.0.0.1:${p}`);
  }

  private track(p: ManagedProcess): ManagedProcess {
    this.processes.set(p.name, p);
    void p.exited.then((code) => {
      if (!this.stopping && !this.killed.has(p)) this.onUnexpectedExit(p.name, code);
    });
    return p;
  }

  private async startAll(): Promise<void> {
    const m = this.scenario.managers as NonNullable<Scenario['managers']>;
    this.zkPort = await freePort();
    this.redisPort = await freePort();
    const track = (p: ManagedProcess) => void this.track(p);
    await Promise.all([startZooKeeper(this.dir, this.zkPort, Math.min(2000, m.zkSessionTimeout * 1000), track), startRedis(this.dir, this.redisPort, track)]);
    const names = serverNames(this.scenario).slice(0, this.size.servers);
    while (names.length < this.size.servers) names.push(`server-${names.length}`);
    for (const name of names) {
      const port = await freePort();
      const healthPort = await freePort();
      this.serverEntries.push({ name, address: `127.0.0.1:${port}`, healthPort });
    }
    await Promise.all(this.serverEntries.map((_, k) => this.spawnServer(k, 0)));
    for (let k = 0; k < this.size.managers; k++) this.managerPorts.push(await freePort());
    // Manager 0 first, so that it is the initial master (docs/model.md: manager 0 is the initial master).
    await this.spawnManager(0);
    await Promise.all(this.managerPorts.slice(1).map((_, k) => this.spawnManager(k + 1)));
    for (let k = 0; k < this.size.lookups; k++) this.lookupPorts.push(await freePort());
    await Promise.all(this.lookupPorts.map((_, k) => this.spawnLookup(k)));
  }

  private async spawnServer(k: number, startup: number): Promise<void> {
    const s = this.serverEntries[k];
    const c = this.scenario.sessionServer;
    const entry = nodeEntry('session-server.ts');
    const started = performance.now();
    const p = this.track(spawnGuarded(s.name, entry.command, [...entry.args, '--port', s.address.split(':')[1], '--health-port', String(s.healthPort),
      '--max-sessions', String(c.maxSessions), '--max-accepts-per-sec', String(c.maxAcceptsPerSec),
      '--overload-accepts-per-sec', String(c.overloadAcceptsPerSec), '--overload-for', String(c.overloadFor), '--startup', String(startup)],
    this.dir, { STAMPEDE_PARENT: String(process.pid) }));
    await waitUp(p, () => httpOk(s.healthPort, '/health'), 20_000 + startup * 1000, `session server ${s.name}`);
    if (startup > 0) this.restartDelays.push((performance.now() - started) / 1000);
  }

  private async spawnManager(k: number): Promise<void> {
    const m = this.scenario.managers as NonNullable<Scenario['managers']>;
    const entry = nodeEntry('manager.ts');
    const p = this.track(spawnGuarded(`manager-${k}`, entry.command, [...entry.args, '--index', String(k), '--port', String(this.managerPorts[k]),
      '--zookeeper', `127.0.0.1:${this.zkPort}`, '--redis', String(this.redisPort), '--root', this.root,
      '--servers', JSON.stringify(this.serverEntries), '--health-interval', String(m.healthInterval), '--health-timeout', String(m.healthTimeout),
      '--fail-threshold', String(m.failThreshold), '--recover-threshold', String(m.recoverThreshold), '--sync-interval', String(m.syncInterval),
      '--zk-session-timeout', String(m.zkSessionTimeout)], this.dir, { STAMPEDE_PARENT: String(process.pid) }));
    await waitUp(p, () => httpOk(this.managerPorts[k], '/health'), 30_000, `manager ${k}`);
  }

  private async spawnLookup(k: number): Promise<void> {
    const l = this.scenario.lookup;
    const entry = nodeEntry('lookup-server.ts');
    const p = this.track(spawnGuarded(`lookup-${k}`, entry.command, [...entry.args, '--index', String(k), '--port', String(this.lookupPorts[k]),
      '--capacity', String(l.capacity), '--info-refresh', String(l.infoRefresh), '--algorithm', this.scenario.services[0].algorithm,
      '--choices', String(l.choices), '--local-counting', l.localCounting ? '1' : '0', '--managers', this.managerPorts.join(','),
      '--seed', String(this.scenario.seed)], this.dir, { STAMPEDE_PARENT: String(process.pid) }));
    await waitUp(p, () => httpOk(this.lookupPorts[k], '/health'), 30_000, `lookup ${k}`);
  }

  // ---- Faults --------------------------------------------------------------

  /**
   * Lookup outage, blackhole: the process is told (so that it answers nothing more and comes back
   * without what the kernel buffered for it meanwhile, as the model's down lookup: live/lookup-server.ts),
   * then stopped (SIGSTOP): connections are accepted by the kernel and never answered. SIGCONT at the end.
   */
  async pauseLookup(k: number, paused: boolean): Promise<void> {
    const p = this.processes.get(`lookup-${k}`) as ManagedProcess;
    const pid = await processPid(p);
    if (paused) await httpPost(this.lookupPorts[k], '/blackhole');
    process.kill(pid, paused ? 'SIGSTOP' : 'SIGCONT');
  }

  /** Lookup outage, refuse: the listener closes (connections refused) and opens again. */
  async refuseLookup(k: number, refusing: boolean): Promise<void> {
    const p = this.processes.get(`lookup-${k}`) as ManagedProcess;
    process.kill(await processPid(p), refusing ? 'SIGUSR1' : 'SIGUSR2');
  }

  /** Server crash: `refuse` kills the process (sessions reset at once); `blackhole` stops it (nothing answers) before killing it at restart. */
  async crashServer(k: number, mode: 'refuse' | 'blackhole'): Promise<void> {
    const p = this.processes.get(this.serverEntries[k].name) as ManagedProcess;
    this.killed.add(p);
    if (mode === 'blackhole') process.kill(await processPid(p), 'SIGSTOP');
    else signalGroup(p.groupId, 'SIGKILL');
  }

  async restartServer(k: number): Promise<void> {
    const p = this.processes.get(this.serverEntries[k].name) as ManagedProcess;
    this.killed.add(p);
    await stopGroup(p.groupId, 0);
    await p.exited;
    await this.spawnServer(k, this.scenario.sessionServer.startupTime);
  }

  /** A session server that exited by itself (overload crash) is restarted after restartAfterCrash, when the scenario says so. */
  isServer(name: string): number {
    return this.serverEntries.findIndex((s) => s.name === name);
  }

  /** Kills manager `k` (SIGKILL: its ZooKeeper session ends at the session timeout). */
  killManager(k: number): void {
    const p = this.processes.get(`manager-${k}`) as ManagedProcess;
    this.killed.add(p);
    signalGroup(p.groupId, 'SIGKILL');
  }

  async restartManager(k: number): Promise<void> {
    const p = this.processes.get(`manager-${k}`) as ManagedProcess;
    await p.exited;
    await this.spawnManager(k);
  }

  /** Each lookup's /stats (null when it does not answer within 1 s): served, queue, staleDropped, backlogRate. */
  async lookupStats(): Promise<(Record<string, number> | null)[]> {
    return Promise.all(this.lookupPorts.map((port) => new Promise<Record<string, number> | null>((resolve) => {
      const req = get({ host: '127.0.0.1', port, path: '/stats', timeout: 1000, agent: false }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => {
          try {
            resolve(JSON.parse(body) as Record<string, number>);
          } catch {
            resolve(null);
          }
        });
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(null));
    })));
  }

  /** Index of the manager that says it is the master now, or -1. */
  async master(): Promise<number> {
    for (let k = 0; k < this.managerPorts.length; k++) {
      const role = await new Promise<string>((resolve) => {
        const req = get({ host: '127.0.0.1', port: this.managerPorts[k], path: '/health', timeout: 500, agent: false }, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve(body));
        });
        req.on('timeout', () => req.destroy());
        req.on('error', () => resolve(''));
      });
      if (role.includes('"master"')) return k;
    }
    return -1;
  }

  /** Pids of every group this deployment started (for checks that nothing is left). */
  groups(): number[] {
    return [...this.processes.values()].map((p) => p.groupId);
  }

  async stop(keepDir = false): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.processes.values()].map((p) => stopGroup(p.groupId)));
    const ports = [this.zkPort, this.redisPort, ...this.serverEntries.flatMap((s) => [Number(s.address.split(':')[1]), s.healthPort]), ...this.managerPorts, ...this.lookupPorts];
    for (const port of ports) releasePort(port);
    if (!keepDir) rmSync(this.dir, { recursive: true, force: true });
  }
}
