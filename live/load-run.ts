// `stampede load`: a scenario driven for real. Starts the reference deployment (or checks the
// user's target), warms N real clients up to steady state, runs the scenario's scaled timeline
// with its faults executed for real, collects the same series as a simulated run, then simulates
// the same scaled scenario and compares. Everything it starts is stopped in `finally`.
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { get } from 'node:http';
import type { Scenario } from '../sim/scenario/types.ts';
import type { RunResult } from '../sim/result.ts';
import { runScenario } from '../sim/simulation.ts';
import { canonicalScenario } from '../sim/scenario/load.ts';
import { VERSION } from '../sim/version.ts';
import { Deployment, type Endpoints } from './deployment.ts';
import { scaleScenario } from './time-scale.ts';
import { summarizeRecovery, type RecoverySummary } from './recovery.ts';
import { compare, stats, type Comparison, type Measured } from './sim-vs-live.ts';
import { COUNTERS, type ClientReport, type CounterName, type FromClients, type ToClients } from './client-protocol.ts';
import { LiveError } from './errors.ts';
import { OVERLOAD_EXIT_CODE } from './exit-codes.ts';
import { faultEnd, hookFailure, Hooks } from './exec-hooks.ts';
import { nodeEntry } from './processes.ts';

/** One client process holds at most this many sockets (RLIMIT_NOFILE is 20,000 here, and cannot be raised). */
export const CLIENTS_PER_PROCESS = 15_000;
export const MAX_CLIENTS = 60_000;
/** How long the client processes get to report after an abort asked them to finish. */
const ABORT_REPORT_GRACE_MS = 10_000;
const SUPPORTED_FAULTS = new Set(['lookup-outage', 'server-crash', 'manager-crash', 'carrier-outage']);

export interface LoadOptions {
  clients: number;
  timeScale: number;
  /** 'reference', or the user's lookup URL(s), comma-separated. */
  target: string;
  /** Client processes (default: one per core). */
  workers?: number;
  onProgress?: (line: string) => void;
  /** Checked now and then: true stops the run early (its result marked partial). */
  shouldStop?: () => boolean;
  /**
   * Keepalive pings: 'auto' (the default) sends them when a fault can make a host vanish without a
   * reset (a blackhole server crash) or against a user's target, the only cases where an unanswered
   * ping is how a client learns its session is gone (docs/model.md §3); otherwise they change no
   * outcome and cost a loopback round trip per session per keepalive. 'on' always, 'off' never.
   */
  pings?: 'auto' | 'on' | 'off';
  /** Called with the deployment once it is up, and awaited (tests check its processes, or kill one). */
  onDeployment?: (d: Deployment) => void | Promise<void>;
}

export interface LiveResult {
  stampede: { version: string; format: 1 };
  live: true;
  /** The scenario file the run loaded (stampede calibrate's default source), when it came from one. */
  scenarioFile?: string;
  target: string;
  timeScale: number;
  clients: number;
  /** The scaled scenario both sides ran, in scenario-file form. */
  scenario: Record<string, unknown>;
  adjusted: Record<string, [number, number]>;
  endpoints: Endpoints | null;
  /** Faults as executed: scenario time, what was done (and an exec: command's output). */
  faultLog: { time: number; action: string; output?: string }[];
  /** Faults the target could not execute (a user's target runs only carrier outages). */
  skippedFaults: string[];
  summary: RecoverySummary;
  series: { time: number[] } & Record<CounterName, number[]>;
  distributions: { reconnectTimeCdf: { p: number; seconds: number }[] };
  measured: Measured & {
    /** Whether the sessions sent keepalive pings (LoadOptions.pings). */
    keepalivePings: boolean;
    warmupSeconds: number;
    /** Clients over the warm-up's length: each a lookup, a TCP connect and a hello. */
    warmupConnectsPerSec: number;
    /** Sessions opened per second during the measured run (churn and reconnections): the mean, and the busiest second. */
    runConnectsPerSec: { mean: number; peak: number };
    /**
     * Lookup service rate per instance (stampede calibrate): the reference lookups' answers per second
     * while their queue was saturated, averaged over the instances that had one (null: never saturated, or
     * a user's target); `assumed` is lookup.capacity.
     */
    lookupServiceRate: { perInstance: number | null; instances: number; assumed: number };
    /**
     * Sessions accepted per second per server in the run's busiest second, and whether connects
     * were refused in it (the servers were at their limit) (stampede calibrate); `assumed` is
     * sessionServer.maxAcceptsPerSec.
     */
    acceptRate: { perServer: number; refusedInThatSecond: number; assumed: number };
    /** Requests the reference lookups dropped unanswered when a blackhole outage ended (sent to them while stopped). */
    staleLookupsDropped: number;
    peakConnectedSessions: number;
  };
  simulated: { summary: RecoverySummary; connected: number[]; reconnectTimeCdf: { p: number; seconds: number }[] } | null;
  comparison: Comparison | null;
  partial?: { reason: string };
}

/** Mean and busiest whole second of a per-second rate series sampled every `interval` seconds. */
export function runRate(perSecond: number[], interval: number): { mean: number; peak: number } {
  if (perSecond.length === 0) return { mean: 0, peak: 0 };
  const mean = perSecond.reduce((a, b) => a + b, 0) / perSecond.length;
  const window = Math.max(1, Math.round(1 / interval));
  let peak = 0;
  for (let k = 0; k + window <= perSecond.length; k++) {
    let sum = 0;
    for (let j = k; j < k + window; j++) sum += perSecond[j];
    peak = Math.max(peak, sum / window);
  }
  return { mean, peak: perSecond.length < window ? mean : peak };
}

/** Whether some lookup is down at scenario time t (a lookup timeout then is the outage's, not the load's). */
function lookupDownAt(s: Scenario, t: number): boolean {
  // A request sent up to requestTimeout before the outage ends times out after it: counted as the outage's.
  return s.faults.some((f) => f.kind === 'lookup-outage' && t >= f.at && t <= f.at + f.duration + s.client.requestTimeout + s.sampleInterval);
}

/** The busiest whole second of accepts (per server), and the connects refused in that second. */
export function busiestSecond(accepts: number[], refused: number[], interval: number, servers: number, assumed: number): LiveResult['measured']['acceptRate'] {
  const window = Math.max(1, Math.round(1 / interval));
  let best = 0;
  let refusedThen = 0;
  for (let k = 0; k + window <= accepts.length; k++) {
    let a = 0;
    let r = 0;
    for (let j = k; j < k + window; j++) {
      a += accepts[j] * interval;
      r += refused[j] * interval;
    }
    if (a > best) {
      best = a;
      refusedThen = r;
    }
  }
  return { perServer: best / servers, refusedInThatSecond: Math.round(refusedThen), assumed };
}

export function checkLiveScenario(s: Scenario, clients: number, timeScale: number, target = 'reference'): void {
  const problems: string[] = [];
  if (!(timeScale > 0 && timeScale <= 10)) problems.push(`--time-scale must be in (0, 10], got ${timeScale}`);
  if (!Number.isInteger(clients) || clients < 1 || clients > MAX_CLIENTS) problems.push(`--clients must be an integer in [1, ${MAX_CLIENTS}], got ${clients}`);
  if (s.services.length !== 1 || s.regions.length !== 1) problems.push('live mode runs one service with one region (this scenario has ' + `${s.services.length} services, ${s.regions.length} regions)`);
  if (s.population.mcc.length !== 1) problems.push('live mode runs one MCC');
  if (s.leaks.length > 0) problems.push('live mode does not run leaking servers (leaks:)');
  if (s.client.throttle !== null) problems.push('live mode does not run adaptive throttling (client.throttle)');
  if (s.lookup.admission !== null) problems.push('live mode does not run lookup admission control (lookup.admission)');
  if (s.population.start !== 'connected') problems.push('live mode starts from steady state (population.start: connected)');
  s.faults.forEach((f, i) => {
    const hooked = target !== 'reference' && f.exec != null && (f.exec.start !== null || f.exec.end !== null);
    if (f.exec != null && f.exec.end !== null && faultEnd(f) === null) problems.push(`faults.${i}.exec.end: a ${f.kind} fault${'restartAfter' in f ? ' that never restarts' : ''} has no end to run it at`);
    // Against a user's target, a fault with exec: commands is theirs to cause, whatever its kind.
    if (!SUPPORTED_FAULTS.has(f.kind) && !hooked) {
      problems.push(`live mode does not execute fault kind '${f.kind}' yet (it runs ${[...SUPPORTED_FAULTS].join(', ')}; against --target URL, any kind with exec: commands)`);
    }
    if (f.kind === 'carrier-outage' && (f.region !== null || f.mcc !== null)) problems.push('live mode runs carrier outages over every client (no region: or mcc:)');
  });
  if (s.regions[0].servers * s.sessionServer.maxSessions < clients) problems.push(`${clients} clients do not fit on ${s.regions[0].servers} servers × maxSessions ${s.sessionServer.maxSessions}`);
  if (problems.length > 0) throw new LiveError(problems.join('\n'));
}

/** A user's target must answer HTTP on each lookup URL: anything else is a clear error before the run. */
async function checkTarget(urls: string[]): Promise<void> {
  for (const url of urls) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new LiveError(`--target: not a URL: ${url}`);
    }
    if (parsed.protocol !== 'http:') throw new LiveError(`--target: only http:// lookup URLs are supported: ${url}`);
    const ok = await new Promise<string | null>((resolve) => {
      const req = get(`${url.replace(/\/$/, '')}/v1/lookup?service=probe&mcc=0`, { timeout: 2000, agent: false }, (res) => {
        res.resume();
        resolve(null);
      });
      req.on('timeout', () => req.destroy(new Error('no answer within 2 s')));
      req.on('error', (error) => resolve(error.message));
    });
    if (ok !== null) throw new LiveError(`--target: the lookup at ${url} is unreachable (${ok})`);
  }
}

export async function runLoad(source: Scenario, options: LoadOptions): Promise<LiveResult> {
  checkLiveScenario(source, options.clients, options.timeScale, options.target);
  const { scenario, adjusted } = scaleScenario(source, options.timeScale, options.clients);
  const progress = options.onProgress ?? (() => undefined);
  const reference = options.target === 'reference';
  const skippedFaults: string[] = [];
  let lookupUrls: string[];
  let deployment: Deployment | null = null;
  const children: ChildProcess[] = [];
  const timers: NodeJS.Timeout[] = [];
  const hooks = new Hooks();
  let abortReason: string | null = null;
  let abort: (reason: string) => void = (reason) => (abortReason ??= reason);
  try {
    if (reference) {
      progress(`starting the reference deployment: ZooKeeper, Redis, ${scenario.regions[0].servers} session servers, ${scenario.managers?.count ?? 0} managers, ${scenario.lookup.instances} lookups`);
      deployment = await Deployment.start(scenario, { servers: scenario.regions[0].servers, lookups: scenario.lookup.instances, managers: scenario.managers?.count ?? 0 });
      // From now on a death stops the run; one since the deployment came up is caught here.
      deployment.onUnexpectedExit = (name, code) => abort(`${name} died (exit code ${code})`);
      for (const p of deployment.processes.values()) if (p.exitCode !== null) abort(`${p.name} died (exit code ${p.exitCode})`);
      await options.onDeployment?.(deployment);
      lookupUrls = deployment.lookupUrls;
    } else {
      lookupUrls = options.target.split(',').map((u) => u.trim().replace(/\/v1\/lookup$/, '').replace(/\/$/, ''));
      await checkTarget(lookupUrls);
      for (const f of scenario.faults) {
        if (f.kind !== 'carrier-outage' && (f.exec == null || (f.exec.start === null && f.exec.end === null))) skippedFaults.push(`${f.kind} at ${f.at.toFixed(2)} s (no exec: commands to cause it on a user's target)`);
      }
    }

    // ---- client processes
    const workers = Math.max(1, Math.min(options.workers ?? availableParallelism(), Math.ceil(options.clients / 500)), Math.ceil(options.clients / CLIENTS_PER_PROCESS));
    const reports: (ClientReport | null)[] = new Array(workers).fill(null);
    const warmed = new Array<number>(workers).fill(-1);
    const ready = new Array<boolean>(workers).fill(false);
    const connectedNow = new Array<number>(workers).fill(0);
    let failure: string | null = null;
    const incidentStart = scenario.faults.length === 0 ? null : Math.min(...scenario.faults.map((f) => f.at));
    const failovers = Math.min(scenario.client.lookupFailover, lookupUrls.length - 1);
    const pings = options.pings === 'on' || (options.pings !== 'off' && (!reference || scenario.faults.some((f) => f.kind === 'server-crash' && f.mode === 'blackhole')));
    const clientWorker = nodeEntry('client-worker.ts');
    for (let w = 0; w < workers; w++) {
      const from = Math.floor((w * options.clients) / workers);
      const to = Math.floor(((w + 1) * options.clients) / workers);
      const child = fork(clientWorker.module, [], { execArgv: clientWorker.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.push(child);
      child.on('message', (m: FromClients) => {
        if (m.type === 'ready') ready[w] = true;
        else if (m.type === 'warmed') warmed[w] = m.connected;
        else if (m.type === 'progress') connectedNow[w] = m.connected;
        else if (m.type === 'report') reports[w] = m.report;
        else if (m.type === 'failed') failure ??= `client process ${w}: ${m.message}`;
      });
      child.on('exit', (code) => {
        if (reports[w] === null) failure ??= `client process ${w} exited (code ${code}) before reporting`;
      });
      child.send({ type: 'init', config: { worker: w, from, to, lookups: lookupUrls, service: scenario.services[0].name, mcc: scenario.population.mcc[0].mcc,
        seed: scenario.seed, requestTimeout: scenario.client.requestTimeout, connectTimeout: scenario.client.connectTimeout, connectRetries: scenario.client.connectRetries,
        lookupFailover: failovers, keepalive: scenario.client.keepalive, backoff: scenario.client.backoff, sessionLifetimeMean: scenario.client.sessionLifetimeMean,
        retryAfter: scenario.lookup.retryAfter, sampleInterval: scenario.sampleInterval, duration: scenario.duration, incidentStart, pings } } satisfies ToClients);
    }
    const post = (m: ToClients) => children.forEach((c) => c.connected && c.send(m));
    const until = async (check: () => boolean, ms: number) => {
      const deadline = Date.now() + ms;
      while (!check() && failure === null && abortReason === null && !(options.shouldStop?.() ?? false) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      if (failure !== null) throw new LiveError(failure);
      return check();
    };

    // The client processes loaded (a second or so of module loading that the warm-up's rate should not count).
    if (!(await until(() => ready.every(Boolean), 60_000)) && abortReason === null) throw new LiveError('the client processes did not start within 60 s');
    // ---- warm-up: every client looks up and connects, paced below what the fleet accepts
    const perSecond = Math.max(100, Math.min(10_000, 0.5 * scenario.regions[0].servers * scenario.sessionServer.maxAcceptsPerSec, 0.5 * lookupUrls.length * scenario.lookup.capacity));
    progress(`warming up ${options.clients} clients at ${perSecond.toFixed(0)}/s on ${workers} processes`);
    const warmStart = performance.now();
    // The fleet's pace shared among the client processes in proportion to their clients.
    children.forEach((c, w) => c.connected && c.send({ type: 'warm', perSecond: (perSecond * (Math.floor(((w + 1) * options.clients) / workers) - Math.floor((w * options.clients) / workers))) / options.clients } satisfies ToClients));
    const warmBudget = 20_000 + (3000 * options.clients) / perSecond;
    const warmProgress = setInterval(() => progress(`warm-up: ${connectedNow.map((n, w) => Math.max(n, warmed[w])).reduce((a, b) => a + b, 0)} of ${options.clients} connected, ${((performance.now() - warmStart) / 1000).toFixed(1)} s`), 1000);
    const allWarm = await until(() => warmed.reduce((a, b) => a + Math.max(0, b), 0) === options.clients, warmBudget).finally(() => clearInterval(warmProgress));
    const warmupSeconds = (performance.now() - warmStart) / 1000;
    // Nothing was measured yet: a death during the warm-up is an error, not a partial result.
    if (abortReason !== null) throw new LiveError(`stopped during the warm-up, before anything was measured: ${abortReason}`);
    if (!allWarm) {
      throw new LiveError(`warm-up: ${warmed.reduce((a, b) => a + Math.max(0, b), 0)} of ${options.clients} clients connected within ${(warmBudget / 1000).toFixed(0)} s; the target cannot take this many (try fewer --clients)`);
    }

    // ---- the measured run
    const t0 = performance.timeOrigin + performance.now() + 300;
    post({ type: 'start', t0 });
    const faultLog: LiveResult['faultLog'] = [];
    const at = (seconds: number, action: () => Promise<string> | string) => {
      timers.push(setTimeout(() => {
        Promise.resolve().then(action).then(
          (done) => faultLog.push({ time: (performance.timeOrigin + performance.now() - t0) / 1000, action: done }),
          (error: unknown) => abort(`fault failed: ${error instanceof Error ? error.message : String(error)}`),
        );
      }, Math.max(0, t0 + seconds * 1000 - (performance.timeOrigin + performance.now()))));
    };
    scenario.faults.forEach((f, index) => {
      if (!reference && f.exec != null) {
        // The user's own commands (exec:), at the fault's start and end; a failure stops the run.
        const exec = f.exec;
        for (const [phase, command, when] of [['start', exec.start, f.at], ['end', exec.end, faultEnd(f)]] as const) {
          if (command === null || when === null) continue;
          timers.push(setTimeout(() => {
            const time = (performance.timeOrigin + performance.now() - t0) / 1000;
            void hooks.run(command, exec.timeout, { STAMPEDE_FAULT_INDEX: String(index), STAMPEDE_FAULT_KIND: f.kind, STAMPEDE_FAULT_PHASE: phase }).then((run) => {
              const failed = hookFailure(run);
              faultLog.push({ time, action: `exec ${phase} of fault ${index} (${f.kind}): \`${command}\`: ${failed ?? `exit 0 in ${run.seconds.toFixed(2)} s`}`, output: run.output });
              if (failed !== null) abort(`the exec ${phase} command of fault ${index} (${f.kind}) failed: ${failed}`);
            });
          }, Math.max(0, t0 + when * 1000 - (performance.timeOrigin + performance.now()))));
        }
      }
      if (f.kind === 'carrier-outage') {
        at(f.at, () => (post({ type: 'carrier', fault: index, down: true, fraction: f.fraction }), `carrier outage: ${Math.round(f.fraction * 100)} % of clients lose their network`));
        at(f.at + f.duration, () => (post({ type: 'carrier', fault: index, down: false, fraction: f.fraction }), 'carrier outage ends'));
      }
      const d = deployment;
      if (d === null) return;
      if (f.kind === 'lookup-outage') {
        for (const i of f.instances) {
          at(f.at, async () => (f.mode === 'blackhole' ? await d.pauseLookup(i, true) : await d.refuseLookup(i, true), `lookup-${i} ${f.mode === 'blackhole' ? 'stopped (SIGSTOP)' : 'refusing (listener closed)'}`));
          at(f.at + f.duration, async () => (f.mode === 'blackhole' ? await d.pauseLookup(i, false) : await d.refuseLookup(i, false), `lookup-${i} back`));
        }
      } else if (f.kind === 'server-crash') {
        for (const k of f.servers) {
          at(f.at, async () => (await d.crashServer(k, f.mode), `server ${k} crashed (${f.mode === 'refuse' ? 'SIGKILL' : 'SIGSTOP'})`));
          if (f.restartAfter !== null) at(f.at + f.restartAfter, async () => (await d.restartServer(k), `server ${k} restarted`));
        }
      } else if (f.kind === 'manager-crash') {
        for (const k of f.managers) {
          at(f.at, () => (d.killManager(k), `manager-${k} killed (SIGKILL)`));
          if (f.restartAfter !== null) at(f.at + f.restartAfter, async () => (await d.restartManager(k), `manager-${k} restarted`));
        }
      }
    });
    if (deployment !== null) {
      const d = deployment;
      d.onUnexpectedExit = (name, code) => {
        const k = d.isServer(name);
        if (k >= 0 && code === OVERLOAD_EXIT_CODE) {
          faultLog.push({ time: (performance.timeOrigin + performance.now() - t0) / 1000, action: `${name} crashed under overload` });
          if (scenario.sessionServer.restartAfterCrash !== null) {
            timers.push(setTimeout(() => void d.restartServer(k).catch(() => abort(`${name} could not be restarted`)), scenario.sessionServer.restartAfterCrash * 1000));
          }
          return;
        }
        abort(`${name} died (exit code ${code}) during the run`);
      };
    }
    const stopEarly = setInterval(() => {
      if (options.shouldStop?.() === true) abort('interrupted');
    }, 100);
    let abortedAt = Infinity;
    abort = (reason) => {
      if (abortReason !== null) return;
      abortReason = reason;
      abortedAt = Date.now();
      progress(`stopping: ${reason}`);
      post({ type: 'finish' });
    };
    const progressTimer = setInterval(() => {
      const t = (performance.timeOrigin + performance.now() - t0) / 1000;
      if (t >= 0) progress(`t = ${t.toFixed(1)} / ${scenario.duration.toFixed(1)} s, ${connectedNow.reduce((a, b) => a + b, 0)} of ${options.clients} connected`);
    }, 1000);
    // An abort asks the clients to finish early: their reports up to that moment make the partial result.
    const runDeadline = Date.now() + scenario.duration * 1000 + 30_000;
    const allReported = () => reports.every((r) => r !== null);
    try {
      while (!allReported() && failure === null && Date.now() < Math.min(runDeadline, abortedAt + ABORT_REPORT_GRACE_MS)) await new Promise((r) => setTimeout(r, 50));
    } finally {
      clearInterval(stopEarly);
      clearInterval(progressTimer);
    }
    if (failure !== null && abortReason === null) throw new LiveError(failure);
    if (!allReported()) {
      throw new LiveError(abortReason === null ? 'the client processes did not report within 30 s of the end of the run'
        : `stopped: ${abortReason}; the client processes did not report within ${ABORT_REPORT_GRACE_MS / 1000} s`);
    }

    // An exec: command still running (an end at the run's last moment) finishes, within its timeout, and is logged.
    await hooks.settle();
    faultLog.sort((a, b) => a.time - b.time);
    // ---- the live series and summary
    const all = reports as ClientReport[];
    const length = Math.min(...all.map((r) => r.series.connected.length));
    const series = { time: Array.from({ length }, (_, k) => k * scenario.sampleInterval) } as LiveResult['series'];
    for (const name of COUNTERS) series[name] = Array.from({ length }, (_, k) => all.reduce((sum, r) => sum + r.series[name][k], 0));
    const perSec = (name: CounterName) => (series[name] = series[name].map((v) => v / scenario.sampleInterval));
    for (const name of COUNTERS) if (name !== 'connected') perSec(name);
    const flat = (pick: (r: ClientReport) => number[]) => all.flatMap(pick);
    const { reconnectTimeCdf, ...summary } = summarizeRecovery({ time: series.time, connected: series.connected, incidentStart,
      reconnectAt: flat((r) => r.reconnectAt), downtime: flat((r) => r.downtime), disconnectedNow: all.reduce((a, r) => a + r.disconnectedNow, 0) });
    const restarts = deployment?.restartDelays ?? [];
    const lookupStats = deployment === null ? [] : await deployment.lookupStats();
    const backlogRates = lookupStats.map((st) => st?.backlogRate ?? 0).filter((r) => r > 0);
    const measured: LiveResult['measured'] = {
      connectLatency: { ...stats(flat((r) => r.connectLatency)), assumed: scenario.rtt },
      lookupLatency: { ...stats(flat((r) => r.lookupLatency)), assumed: scenario.rtt + 1 / scenario.lookup.capacity },
      timerLateness: { ...stats(flat((r) => r.timerLateness)), assumed: 0 },
      serverRestart: { mean: restarts.length === 0 ? null : restarts.reduce((a, b) => a + b, 0) / restarts.length, assumed: scenario.sessionServer.startupTime },
      keepaliveLosses: all.reduce((a, r) => a + r.keepaliveLosses, 0),
      keepaliveInterval: scenario.client.keepalive,
      timeouts: {
        connects: Math.round(series.connectsTimedOut.reduce((a, b) => a + b, 0) * scenario.sampleInterval),
        connectTimeout: scenario.client.connectTimeout,
        lookupsOutsideOutages: Math.round(series.lookupsTimedOut.reduce((a, v, k) => a + (lookupDownAt(scenario, series.time[k]) ? 0 : v), 0) * scenario.sampleInterval),
        requestTimeout: scenario.client.requestTimeout,
      },
      keepalivePings: pings,
      warmupSeconds,
      warmupConnectsPerSec: options.clients / warmupSeconds,
      runConnectsPerSec: runRate(series.accepts, scenario.sampleInterval),
      lookupServiceRate: { perInstance: backlogRates.length === 0 ? null : backlogRates.reduce((a, b) => a + b, 0) / backlogRates.length, instances: backlogRates.length, assumed: scenario.lookup.capacity },
      acceptRate: busiestSecond(series.accepts, series.connectsRefused, scenario.sampleInterval, scenario.regions[0].servers, scenario.sessionServer.maxAcceptsPerSec),
      staleLookupsDropped: lookupStats.reduce((a, st) => a + (st?.staleDropped ?? 0), 0),
      peakConnectedSessions: Math.max(...series.connected),
    };
    const result: LiveResult = {
      stampede: { version: VERSION, format: 1 }, live: true, target: options.target, timeScale: options.timeScale, clients: options.clients,
      scenario: canonicalScenario(scenario), adjusted, endpoints: deployment?.endpoints ?? null, faultLog, skippedFaults,
      summary, series, distributions: { reconnectTimeCdf }, measured, simulated: null, comparison: null,
    };
    if (abortReason !== null) {
      result.partial = { reason: abortReason };
      return result;
    }
    // ---- the simulation of the same scaled scenario
    progress('simulating the same scaled scenario');
    const sim: RunResult = runScenario(scenario);
    const simulatedTimeouts = sim.series.connectFailuresPerSec?.noAnswer ?? [];
    if (measured.timeouts !== undefined) measured.timeouts.simulatedConnects = Math.round(simulatedTimeouts.reduce((a, b) => a + b, 0) * scenario.sampleInterval);
    const simSummary: RecoverySummary = {
      incidentStart: sim.summary.incidentStart, preFaultSessions: sim.summary.preFaultSessions, sessionsAtEnd: sim.summary.sessionsAtEnd,
      recovery: sim.summary.recovery, disconnectedClients: sim.summary.disconnectedClients, notReconnected: sim.summary.notReconnected,
      reconnectTime: sim.summary.reconnectTime, downtime: sim.summary.downtime,
    };
    result.simulated = { summary: simSummary, connected: sim.series.connected, reconnectTimeCdf: sim.distributions.reconnectTimeCdf };
    result.comparison = compare(summary, simSummary, { time: series.time, live: series.connected, simulated: sim.series.connected, clients: options.clients }, measured);
    return result;
  } finally {
    for (const t of timers) clearTimeout(t);
    await hooks.stopAll();
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', r)))));
    if (deployment !== null) await deployment.stop();
  }
}
