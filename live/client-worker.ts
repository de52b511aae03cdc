// One process of real clients for `stampede load` (one per core; a process, not a thread,
// because each holds up to ~10,000 sockets and a process may open at most RLIMIT_NOFILE).
// Each client is docs/model.md §3's device on real sockets: a TCP session to a session server with
// keepalive pings, on loss the other address it holds (1 + connectRetries attempts), then an
// HTTP lookup (with failover to the next lookup address; lookups reuse kept-alive connections, as
// a device's HTTP stack does), then the primary and the alternative,
// then the backoff timer: the simulator's own RetryPolicy (sim/model/backoff.ts) drawing from the
// same counter-based stream (sim/engine/random.ts uniformAt). Churn: exponential lifetimes.
import { connect, type Socket } from 'node:net';
import { Agent, get, type ClientRequest } from 'node:http';
import { RetryPolicy, MAX_BACKOFF_STEP } from '../sim/model/backoff.ts';
import { createCounterStream, createStream, exponential, uniformAt } from '../sim/engine/random.ts';
import { onLines } from './line-protocol.ts';
import { COUNTERS, type ClientConfig, type ClientReport, type CounterName, type FromClients, type ToClients } from './client-protocol.ts';

const State = { idle: 0, lookingUp: 1, connecting: 2, connected: 3 } as const;
const Plan = { afterLoss: 0, afterLookup: 1 } as const;

interface Client {
  id: number;
  state: number;
  socket: Socket | null;
  request: ClientRequest | null;
  timer: NodeJS.Timeout | null;
  /** Incremented by every new attempt: a callback of an older attempt is ignored. */
  token: number;
  primary: string;
  alternative: string;
  server: string;
  plan: number;
  attempt: number;
  step: number;
  draws: number;
  lookupTry: number;
  instance: number;
  lostAt: number;
  affected: boolean;
  attemptsSinceLoss: number;
  awaitingPong: boolean;
  netDown: boolean;
  warm: boolean;
}

const send = (message: FromClients) => process.send?.(message);
let config: ClientConfig;
let policy: RetryPolicy;
const clients: Client[] = [];
let t0 = 0;
let started = false;
let connected = 0;
const counters = Object.fromEntries(COUNTERS.map((n) => [n, 0])) as Record<CounterName, number>;
const series = Object.fromEntries(COUNTERS.map((n) => [n, [] as number[]])) as Record<CounterName, number[]>;
const reconnectAt: number[] = [];
const downtime: number[] = [];
const attemptsToReconnect: number[] = [];
const connectLatency: number[] = [];
const lookupLatency: number[] = [];
const timerLateness: number[] = [];
let keepaliveLosses = 0;
let backoffStream: ReturnType<typeof createCounterStream>;
let churn: () => number;
let lookupChoice: () => number;
let carrierStream: ReturnType<typeof createCounterStream>;
const MAX_LATENCY_SAMPLES = 20_000;
/**
 * Lookups over kept-alive connections (one pool per lookup address, no cap on sockets, so that a
 * request never waits in the client for a socket: the lookup's own FIFO is the only queue, as in
 * the model). A connection a lookup in refuse mode closed is reset; a stopped lookup (blackhole)
 * leaves its connections open and silent, and the request timeout ends the attempt.
 */
const agent = new Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024, scheduling: 'lifo' });
let lookupTargets: { host: string; port: number; path: string }[] = [];

const wall = () => performance.timeOrigin + performance.now();
/** Scenario seconds (0 = the start of the measured run). */
const now = () => (wall() - t0) / 1000;
const sample = (list: number[], value: number) => {
  if (list.length < MAX_LATENCY_SAMPLES) list.push(value);
  else list[Math.floor(Math.random() * MAX_LATENCY_SAMPLES)] = value; // a uniform reservoir is not needed; a bounded one is
};

function setTimer(c: Client, seconds: number, action: () => void, measure = false): void {
  if (c.timer !== null) clearTimeout(c.timer);
  const due = wall() + seconds * 1000;
  c.timer = setTimeout(() => {
    c.timer = null;
    if (measure && started) sample(timerLateness, (wall() - due) / 1000);
    action();
  }, Math.max(0, seconds * 1000));
}

function clearAttempt(c: Client): void {
  c.token++;
  if (c.timer !== null) clearTimeout(c.timer);
  c.timer = null;
  if (c.request !== null) c.request.destroy();
  c.request = null;
}

function countAttempt(c: Client, lookup: boolean): void {
  if (!started) return;
  counters.carrierAttempts++;
  if (lookup) counters.lookupsSent++;
  else counters.connectAttempts++;
  c.attemptsSinceLoss++;
}

function onAttemptFailed(c: Client): void {
  if (started && config.incidentStart !== null && now() >= config.incidentStart) c.affected = true;
}

// ---- Lookup ------------------------------------------------------------------

function startLookup(c: Client, failover = false): void {
  clearAttempt(c);
  c.lookupTry = failover ? c.lookupTry + 1 : 0;
  countAttempt(c, true);
  c.state = State.lookingUp;
  const token = c.token;
  const n = config.lookups.length;
  c.instance = failover ? (c.instance + 1) % n : Math.floor(lookupChoice() * n);
  if (c.netDown) {
    setTimer(c, config.requestTimeout, () => token === c.token && onLookupFailed(c, 'timeout'));
    return;
  }
  const begun = wall();
  const target = lookupTargets[c.instance];
  const ask = (retried: boolean): void => {
    const req = get({ host: target.host, port: target.port, path: target.path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        if (token !== c.token) return;
        c.request = null;
        if (started) sample(lookupLatency, (wall() - begun) / 1000);
        if (res.statusCode === 200) {
          try {
            const answer = JSON.parse(body) as { primary: string; alternative: string };
            onLookupAnswer(c, answer.primary, answer.alternative);
            return;
          } catch {
            // a broken answer is a failed lookup
          }
        } else if (res.statusCode === 503) {
          onNoServer(c);
          return;
        }
        onLookupFailed(c, 'refused');
      });
      res.on('error', () => undefined);
    });
    c.request = req;
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (token !== c.token) return;
      c.request = null;
      // A kept-alive connection the server closed while idle (the close crossed our request): the
      // request never reached it; sent again once on a new connection, as an HTTP client does.
      if (!retried && req.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE')) {
        ask(true);
        return;
      }
      onLookupFailed(c, error.code === 'ECONNREFUSED' || error.code === 'ECONNRESET' || error.code === 'EPIPE' ? 'refused' : 'timeout');
    });
  };
  ask(false);
  setTimer(c, config.requestTimeout, () => {
    if (token !== c.token) return;
    onLookupFailed(c, 'timeout');
  });
}

function onLookupFailed(c: Client, how: 'timeout' | 'refused'): void {
  if (started) counters[how === 'timeout' ? 'lookupsTimedOut' : 'lookupsRefused']++;
  clearAttempt(c);
  onAttemptFailed(c);
  if (c.lookupTry < config.lookupFailover) startLookup(c, true);
  else armBackoff(c);
}

function onNoServer(c: Client): void {
  if (started) counters.lookupsNoServer++;
  clearAttempt(c);
  onAttemptFailed(c);
  if (config.retryAfter === null) armBackoff(c);
  else {
    c.state = State.idle;
    setTimer(c, config.retryAfter, () => startLookup(c), true);
  }
}

function onLookupAnswer(c: Client, primary: string, alternative: string): void {
  if (started) counters.lookupsAnswered++;
  clearAttempt(c);
  c.primary = primary;
  c.alternative = alternative;
  c.plan = Plan.afterLookup;
  c.attempt = 0;
  c.server = primary;
  startConnect(c);
}

function armBackoff(c: Client): void {
  clearAttempt(c);
  c.state = State.idle;
  if (!c.warm) {
    // Warming up (before the measured run): a short fixed pause, no backoff state spent.
    setTimer(c, 0.2 + Math.random() * 0.3, () => startLookup(c));
    return;
  }
  const wait = policy.wait(c.id, c.step, uniformAt(backoffStream, c.id, c.draws++));
  if (c.step < MAX_BACKOFF_STEP) c.step++;
  setTimer(c, wait, () => startLookup(c), true);
}

// ---- Connect and session ---------------------------------------------------------

function startConnect(c: Client): void {
  clearAttempt(c);
  countAttempt(c, false);
  c.state = State.connecting;
  const token = c.token;
  setTimer(c, config.connectTimeout, () => {
    if (token !== c.token) return;
    if (started) counters.connectsTimedOut++;
    dropSocket(c);
    onConnectFailed(c);
  });
  if (c.netDown) return;
  const [host, portText] = c.server.split(':');
  const begun = wall();
  const socket = connect({ host, port: Number(portText), noDelay: true });
  c.socket = socket;
  socket.on('connect', () => socket.write(`HELLO ${c.id}\n`));
  onLines(socket, (line) => {
    if (c.socket !== socket) return false;
    if (line === 'PONG') c.awaitingPong = false;
    else if (line === 'OK' && c.state === State.connecting && token === c.token) {
      if (started) sample(connectLatency, (wall() - begun) / 1000);
      becomeConnected(c);
    } else if (c.state === State.connecting && token === c.token) {
      if (started) counters.connectsRefused++;
      dropSocket(c);
      onConnectFailed(c);
    }
  });
  const lost = () => {
    if (c.socket !== socket) return;
    c.socket = null;
    if (c.state === State.connected) onSessionLost(c);
    else if (c.state === State.connecting && token === c.token) {
      if (started) counters.connectsRefused++;
      onConnectFailed(c);
    }
  };
  socket.on('error', lost);
  socket.on('close', lost);
}

function dropSocket(c: Client): void {
  const socket = c.socket;
  c.socket = null;
  if (socket !== null) socket.destroy();
}

function onConnectFailed(c: Client): void {
  clearAttempt(c);
  onAttemptFailed(c);
  const attempt = ++c.attempt;
  const perAddress = config.connectRetries + 1;
  if (c.plan === Plan.afterLoss) {
    if (attempt < perAddress) startConnect(c);
    else startLookup(c);
  } else if (attempt < 2 * perAddress) {
    if (attempt === perAddress) c.server = c.alternative;
    startConnect(c);
  } else {
    armBackoff(c);
  }
}

function becomeConnected(c: Client): void {
  clearAttempt(c);
  c.state = State.connected;
  connected++;
  c.step = 0;
  policy.reset(c.id);
  if (started) {
    counters.accepts++;
    if (c.affected) {
      const t = now();
      reconnectAt.push(t - (config.incidentStart as number));
      downtime.push(t - c.lostAt);
      attemptsToReconnect.push(c.attemptsSinceLoss);
      c.affected = false;
    }
  }
  if (c.warm) armSessionTimers(c);
}

function armSessionTimers(c: Client): void {
  if (config.sessionLifetimeMean !== null) {
    const token = c.token;
    setTimer(c, exponential(churn, config.sessionLifetimeMean), () => {
      if (token !== c.token || c.state !== State.connected) return;
      // The session ends by closing the connection (the server ends a session on its close), not
      // by BYE and a half-close: two fewer syscalls per churned session, each of which runs the
      // loopback's TCP work in this process (a tenth of its CPU at 5,000 churns a second).
      c.socket?.destroy();
      c.socket = null;
      if (started) counters.sessionsChurned++;
      endSession(c);
      startLookup(c);
    }, true);
  }
}

function endSession(c: Client): void {
  if (c.state === State.connected) connected--;
  c.state = State.idle;
  c.awaitingPong = false;
  c.lostAt = now();
  c.affected = false;
  c.attemptsSinceLoss = 0;
}

/** The session broke (reset, or a keepalive unanswered): the address it did not use, then a lookup. */
function onSessionLost(c: Client): void {
  if (started) counters.sessionsLost++;
  dropSocket(c);
  endSession(c);
  clearAttempt(c);
  const other = c.server === c.primary ? c.alternative : c.primary;
  c.plan = Plan.afterLoss;
  c.attempt = 0;
  c.server = other;
  startConnect(c);
}

/** Keepalive pings go out in this many slices per interval (each client in its own), not all at once. */
const KEEPALIVE_SLICES = 20;

/** Keepalive: every `keepalive`, a PING; one still unanswered at the next means the host is gone. */
function keepaliveTick(slice: number): void {
  for (let i = slice; i < clients.length; i += KEEPALIVE_SLICES) {
    const c = clients[i];
    if (c.state !== State.connected || c.socket === null) continue;
    if (c.awaitingPong) {
      keepaliveLosses++;
      onSessionLost(c);
      // As the model's stranded client (strandOnVanishedHost): a session lost to silence is a failure,
      // so its client counts as disconnected by the incident even if its next connect succeeds.
      onAttemptFailed(c);
    } else {
      c.awaitingPong = true;
      c.socket.write('PING\n');
    }
  }
}

// ---- Phases ---------------------------------------------------------------------

function init(cfg: ClientConfig): void {
  config = cfg;
  lookupTargets = cfg.lookups.map((base) => {
    const url = new URL(`${base}/v1/lookup?service=${encodeURIComponent(cfg.service)}&mcc=${cfg.mcc}`);
    return { host: url.hostname, port: Number(url.port || 80), path: `${url.pathname}${url.search}` };
  });
  policy = new RetryPolicy(cfg.backoff, cfg.to);
  backoffStream = createCounterStream(cfg.seed, 'live-client-backoff');
  carrierStream = createCounterStream(cfg.seed, 'live-carrier');
  churn = createStream(cfg.seed, `live-churn-${cfg.worker}`);
  lookupChoice = createStream(cfg.seed, `live-lookup-choice-${cfg.worker}`);
  for (let id = cfg.from; id < cfg.to; id++) {
    clients.push({ id, state: State.idle, socket: null, request: null, timer: null, token: 0, primary: '', alternative: '', server: '', plan: Plan.afterLookup,
      attempt: 0, step: 0, draws: 0, lookupTry: 0, instance: 0, lostAt: 0, affected: false, attemptsSinceLoss: 0, awaitingPong: false, netDown: false, warm: false });
  }
  send({ type: 'ready' });
}

/** Before the measured run: every client looks up and connects, paced at `perSecond`. */
function warm(perSecond: number): void {
  let next = 0;
  const batch = Math.max(1, Math.ceil(perSecond / 100));
  const pace = setInterval(() => {
    for (let k = 0; k < batch && next < clients.length; k++) startLookup(clients[next++]);
    if (next >= clients.length) clearInterval(pace);
  }, 10);
  const report = setInterval(() => {
    if (connected === clients.length || next >= clients.length) {
      send({ type: 'warmed', connected, clients: clients.length });
    } else {
      send({ type: 'progress', connected });
    }
    if (connected === clients.length) {
      clearInterval(report);
    }
  }, 100);
}

function start(at: number): void {
  t0 = at;
  const begin = () => {
    started = true;
    for (const c of clients) {
      c.warm = true;
      if (c.state === State.connected) armSessionTimers(c);
    }
    let slice = 0;
    const keepalive = setInterval(() => {
      if (config.pings) keepaliveTick(slice);
      slice = (slice + 1) % KEEPALIVE_SLICES;
    }, (config.keepalive * 1000) / KEEPALIVE_SLICES);
    let k = 0;
    const samples = Math.floor(config.duration / config.sampleInterval + 1e-9) + 1;
    const tick = () => {
      counters.connected = connected;
      for (const name of COUNTERS) {
        series[name].push(counters[name]);
        if (name !== 'connected') counters[name] = 0;
      }
      if (++k % Math.max(1, Math.round(1 / config.sampleInterval)) === 0) send({ type: 'progress', connected });
      if (k < samples) setTimeout(tick, Math.max(0, t0 + k * config.sampleInterval * 1000 - wall()));
      else {
        clearInterval(keepalive);
        finish();
      }
    };
    tick();
  };
  setTimeout(begin, Math.max(0, at - wall()));
}

function carrier(fault: number, down: boolean, fraction: number): void {
  for (const c of clients) {
    if (uniformAt(carrierStream, c.id, fault) >= fraction) continue;
    c.netDown = down;
    if (down && c.state === State.connected) {
      // docs/model.md §7.5: the carrier drops the session; the device notices and starts its attempts, which go nowhere.
      dropSocket(c);
      endSession(c);
      clearAttempt(c);
      c.plan = Plan.afterLoss;
      c.attempt = 0;
      c.server = c.server === c.primary ? c.alternative : c.primary;
      startConnect(c);
    }
  }
}

function finish(): void {
  let disconnectedNow = 0;
  for (const c of clients) {
    if (c.affected && c.state !== State.connected) disconnectedNow++;
    clearAttempt(c);
    c.state = State.idle;
    dropSocket(c);
  }
  const report: ClientReport = { series, reconnectAt, downtime, attempts: attemptsToReconnect, disconnectedNow, connectLatency, lookupLatency, timerLateness, keepaliveLosses };
  process.send?.({ type: 'report', report } satisfies FromClients, () => process.exit(0));
}

process.on('message', (message: ToClients) => {
  try {
    if (message.type === 'init') init(message.config);
    else if (message.type === 'warm') warm(message.perSecond);
    else if (message.type === 'start') start(message.t0);
    else if (message.type === 'carrier') carrier(message.fault, message.down, message.fraction);
    else if (message.type === 'finish') finish();
  } catch (error) {
    send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  }
});
// The load command is gone: so are we (no orphan client process).
process.on('disconnect', () => process.exit(0));
