// Devices (docs/model.md §3), all of them in one buffer of fixed-size records.
//
// Each client has at most one pending timer (the TIMER field holds its
// event's sequence number); what the timer means is in PENDING. Replacing a
// timer just overwrites TIMER: the old event, when it comes up, no longer
// matches and is skipped. Outcomes that depend only on the state at send time (a network
// that is down, a lookup queue that is too long) are decided when the
// attempt starts, so a failing attempt costs one event.
//
// Timers run ahead of the clock. While a client's network is down, what its
// timers do is fixed in advance: every attempt fails, and the waits depend
// only on its own state and its own draws (a counter-based stream). So it
// is while every lookup instance is silent, for a client retrying through
// lookups: each lookup times out, whichever instance it draws. Such a
// timer is run at once, inline, instead of going through the event queue
// (retry-loop.ts); what it changes is counted into the metrics sample that
// would have seen it. A run is byte-identical with or without this
// (test/inline-timers.test.ts), but for the order of different clients'
// timers due at the same instant, which only a backoff without jitter
// makes (docs/ARCHITECTURE.md). When a carrier outage starts, those loops
// run as one batch, on helper threads too (`networkDownAll`,
// retry-threads.ts; test/retry-threads.test.ts).
import type { Scenario } from '../scenario/types.ts';
import { exponential, uniformAt, type CounterStream, type Stream } from '../engine/random.ts';
import { targetIfKind, type EventQueue } from '../engine/event-queue.ts';
import { EventKind } from './events.ts';
import { AdaptiveThrottle, MAX_BACKOFF_STEP, RetryPolicy } from './backoff.ts';
import { ConnectFailure, ConnectOutcome, type ConnectFailureCode, type SessionServers } from './session-server.ts';
import type { LookupInstances } from './lookup.ts';
import { ClientState, sampleIndexAfter, TALLY_STRIDE, TallyField, type ClientStateCode, type Metrics } from './metrics.ts';
import { RetryLoop, type RetryLoopSettings } from './retry-loop.ts';
import { summarizeCounts, summarizeTally, tallyLimit, type CountSummary } from './distribution.ts';
import { ParallelRetries } from './retry-threads.ts';
import type { DnsCaches, L4Switch } from './baselines.ts';
import * as Layout from './client-record.ts';
import { recordBuffer, recordViews, type PendingCode } from './client-record.ts';
import * as DoubleFields from '../engine/double-fields.ts';
// Local copies: V8 folds a module's own constants into the code, not imported ones (the hot paths ran several times slower).
const { Pending, Plan, AFFECTED, ALTERNATIVE, ATTEMPT, ATTEMPTS_SINCE_LOSS, ATTEMPTS_TOTAL, BACKOFF_DRAWS, BYTE_CHUNK, DEADLINE, DEFERRED, EPOCH, EPOCH_MASK, INSTANCE, LOOKUP_TRY, LOST_AT, MAX_COUNTED_ATTEMPTS, MCC, NET_DOWN, NONE, PENDING, PLAN, PRIMARY, RECORD_BYTES, RECORD_DOUBLES, RECORD_HALVES, RECORD_WORDS, REGION, SERVER, SERVICE, STATE, STEP, TIMER } = Layout;
const { NOT_YET } = DoubleFields;

export interface ClientStreams {
  backoff: CounterStream;
  churn: Stream;
  lookupChoice: Stream;
  balancer: Stream;
  throttle: Stream;
}

export interface ClientEngineOptions {
  /** Run the timers of clients whose network is down ahead of the clock (default on; off only to check it changes nothing). */
  inlineTimers?: boolean;
  /** Threads for the retry loops of a carrier outage's start, this one included (default 1). */
  threads?: number;
  /** Fewest clients for which helper threads are started (default PARALLEL_FROM). */
  parallelFrom?: number;
  /** Leave every retry loop of a batch to the helper threads (tests: the helpers' path is then the one checked). */
  helpersOnly?: boolean;
}

/** Below this many clients a carrier outage's start takes well under a second on one thread: no helper. */
export const PARALLEL_FROM = 500_000;

export class ClientPopulation {
  readonly count: number;
  // One 64-byte record per client (layout above), seen through one view per field width.
  private readonly doubles: Float64Array;
  private readonly words: Int32Array;
  private readonly unsigned: Uint32Array;
  private readonly halves: Uint16Array;
  /**
   * The byte fields: a typed array holds at most 2^32 elements, 2^26 records (client-record.ts), so
   * those of clients 0 .. 2^26 − 1 are in `bytesLow` and the rest (at most 2^26 more: MAX_RECORDS) in `bytesHigh`.
   * Two fields and a branch, not an array of views: one load less per byte field on the hot paths.
   */
  private readonly bytesLow: Uint8Array;
  private readonly bytesHigh: Uint8Array;
  private readonly firstInstanceOf: Int32Array;
  private readonly instancesOf: Int32Array;
  /** Per service: failover lookups after a failed one (lookupFailover, at most the service's other instances). */
  private readonly failoversOf: Int32Array;

  private readonly pair = new Int32Array(2);
  private readonly policy: RetryPolicy;
  private readonly throttle: AdaptiveThrottle | null;
  private readonly busyRetryAfter: number;
  private readonly connectRetries: number;
  private readonly requestTimeout: number;
  private readonly connectTimeout: number;
  private readonly keepalive: number;
  private readonly retryAfter: number | null;
  private readonly rtt: number;
  private readonly lifetimeMean: number | null;
  private readonly sampleInterval: number;
  /** 1 / sampleInterval. */
  private readonly perSample: number;

  /** Called when a connection attempt pushes a server past its overload limit. */
  onServerOverload: (server: number, now: number) => void = () => {};
  /** When the network of a client whose network is down comes back (the faults know). */
  networkBackAt: (c: number) => number = () => -Infinity;
  /** Timers later than this are never run ahead: the run stops there. */
  horizon = Infinity;
  /**
   * While every lookup instance is silent, the time until which they stay
   * so for the timers to run ahead (-Infinity: they are not; the faults set it).
   */
  lookupsSilentUntil = -Infinity;
  /** The run's end: a timer later than this never fires, so it is not queued at all. */
  private readonly end: number;
  /** Kept so that the reads of `warm` are not optimized away. */
  warmed = 0;
  private readonly inline: boolean;
  private readonly retryLoop: RetryLoop;
  /** Helper threads for the retry loops of a carrier outage's start (null: this thread alone). */
  private readonly parallel: ParallelRetries | null;
  private readonly helpersOnly: boolean;
  /** Time of the timer the current client armed to run inline (NOT_YET: none). */
  private inlineAt = NOT_YET;
  /** networkBackAt of the current client, asked once per dispatch (NaN: not yet); or lookupsSilentUntil. */
  private backAt = Number.NaN;
  /** The inline timer of the current client runs ahead because the lookups are silent, not its network. */
  private aheadOfSilentLookups = false;
  /** DNS round robin's client caches (`lookup.algorithm: dns`), or null. */
  dns: DnsCaches | null = null;
  /** The L4 switch (`lookup.algorithm: l4`), or null. */
  l4: L4Switch | null = null;

  constructor(
    scenario: Scenario,
    private readonly queue: EventQueue,
    private readonly servers: SessionServers,
    private readonly lookups: LookupInstances,
    private readonly metrics: Metrics,
    private readonly streams: ClientStreams,
    options: ClientEngineOptions = {},
  ) {
    const n = scenario.population.clients;
    this.count = n;
    const client = scenario.client;
    this.throttle = client.throttle === null ? null : new AdaptiveThrottle(client.throttle, n);
    // Throttling draws from a shared stream in time order: such timers must stay in the queue.
    // So do those of the baselines (baselines.ts): a cached address or a VIP turns a lookup into a connect, which the loop does not model.
    this.inline = (options.inlineTimers ?? true) && this.throttle === null && scenario.lookup.dns === null && scenario.l4 === null;
    // Decorrelated jitter keeps each client's last wait outside its record: such loops stay on this thread.
    const parallel = this.inline && client.backoff.policy !== 'decorrelated' && n >= (options.parallelFrom ?? PARALLEL_FROM) &&
      scenario.faults.some((fault) => fault.kind === 'carrier-outage');
    const helpers = parallel ? (options.threads ?? 1) - 1 : 0;
    const records = recordBuffer(n, helpers > 0);
    const views = recordViews(records);
    this.doubles = views.doubles;
    this.words = views.words;
    this.unsigned = views.unsigned;
    this.halves = views.halves;
    this.bytesLow = views.byteChunks[0];
    this.bytesHigh = views.byteChunks[1] ?? new Uint8Array(0);
    // At most 255: the record counts them in a byte.
    const failovers = scenario.services.map((service) => Math.min(client.lookupFailover, service.instances - 1, 255));
    const settings: RetryLoopSettings = {
      connectRetries: client.connectRetries,
      lookupFailover: failovers,
      firstInstance: scenario.services.map((service) => service.firstInstance),
      instances: scenario.services.map((service) => service.instances),
      requestTimeout: client.requestTimeout,
      connectTimeout: client.connectTimeout,
      backoff: client.backoff,
      backoffStream: streams.backoff,
      sampleInterval: scenario.sampleInterval,
      lastSample: metrics.lastSample,
    };
    // Started first: a helper takes a few hundred milliseconds to load, while the population is built.
    this.parallel = helpers > 0 ? new ParallelRetries(records as SharedArrayBuffer, settings, helpers) : null;
    // Every record starts the same (no timer, no address, the rest zero): the first is written and
    // copied over the others, doubling each time. Native copies, where a loop over the clients runs
    // before V8 has optimized it (~10 ms of a cold 10^5-client start).
    if (n > 0) {
      this.doubles[TIMER] = NONE;
      this.words[PRIMARY] = NONE;
      this.words[ALTERNATIVE] = NONE;
      this.words[SERVER] = NONE;
      for (let done = 1; done < n; done *= 2) this.doubles.copyWithin(done * RECORD_DOUBLES, 0, Math.min(done, n - done) * RECORD_DOUBLES);
    }
    this.firstInstanceOf = Int32Array.from(scenario.services, (service) => service.firstInstance);
    this.instancesOf = Int32Array.from(scenario.services, (service) => service.instances);
    this.failoversOf = Int32Array.from(failovers);
    this.policy = new RetryPolicy(client.backoff, n);
    this.retryLoop = new RetryLoop(views, settings, this.policy, metrics.later);
    this.busyRetryAfter = scenario.lookup.admission?.retryAfter ?? 0;
    this.connectRetries = client.connectRetries;
    this.requestTimeout = client.requestTimeout;
    this.connectTimeout = client.connectTimeout;
    this.keepalive = client.keepalive;
    this.retryAfter = scenario.lookup.retryAfter;
    this.rtt = scenario.rtt;
    this.sampleInterval = scenario.sampleInterval;
    this.perSample = 1 / scenario.sampleInterval;
    this.lifetimeMean = client.sessionLifetimeMean;
    this.end = scenario.duration;
    this.helpersOnly = options.helpersOnly ?? false;
    metrics.clientsInState[ClientState.idleBackoff] = n;
  }

  // ---- Reading and placing clients ----------------------------------------

  /** Byte field `field` of client c's record. */
  private byteOf(c: number, field: number): number {
    return c < BYTE_CHUNK ? this.bytesLow[c * RECORD_BYTES + field] : this.bytesHigh[(c - BYTE_CHUNK) * RECORD_BYTES + field];
  }

  private setByte(c: number, field: number, value: number): void {
    if (c < BYTE_CHUNK) this.bytesLow[c * RECORD_BYTES + field] = value;
    else this.bytesHigh[(c - BYTE_CHUNK) * RECORD_BYTES + field] = value;
  }

  stateOf(c: number): ClientStateCode {
    return this.byteOf(c, STATE) as ClientStateCode;
  }

  /** Index of the client's MCC in the scenario's MCC list. */
  mccOf(c: number): number {
    return this.halves[c * RECORD_HALVES + MCC];
  }

  regionOf(c: number): number {
    return this.halves[c * RECORD_HALVES + REGION];
  }

  serverOf(c: number): number {
    return this.words[c * RECORD_WORDS + SERVER];
  }

  alternativeOf(c: number): number {
    return this.words[c * RECORD_WORDS + ALTERNATIVE];
  }

  attemptsOf(c: number): number {
    return this.unsigned[c * RECORD_WORDS + ATTEMPTS_TOTAL];
  }

  /** Attempts of every client over the run so far. */
  attemptsPerClient(): Uint32Array {
    const attempts = new Uint32Array(this.count);
    for (let c = 0; c < this.count; c++) attempts[c] = this.unsigned[c * RECORD_WORDS + ATTEMPTS_TOTAL];
    return attempts;
  }

  /** The distribution and histogram of attempts per client over the run so far, tallied from the records. */
  attemptsSummary(): CountSummary {
    const limit = tallyLimit(this.count);
    const unsigned = this.unsigned;
    let tally = new Float64Array(256);
    for (let c = 0; c < this.count; c++) {
      const attempts = unsigned[c * RECORD_WORDS + ATTEMPTS_TOTAL];
      if (attempts >= tally.length) {
        if (attempts > limit) return summarizeCounts(this.attemptsPerClient());
        const grown = new Float64Array(Math.min(limit + 1, Math.max(2 * tally.length, attempts + 1)));
        grown.set(tally);
        tally = grown;
      }
      tally[attempts]++;
    }
    return summarizeTally(tally);
  }

  /** Clients [start, stop) use `service`. */
  assignService(start: number, stop: number, service: number): void {
    for (let c = start; c < stop; c++) this.setByte(c, SERVICE, service);
  }

  /** Clients [start, stop) have MCC `mccIndex`, which maps to `region`. */
  assignHome(start: number, stop: number, mccIndex: number, region: number): void {
    for (let c = start; c < stop; c++) {
      this.halves[c * RECORD_HALVES + MCC] = mccIndex;
      this.halves[c * RECORD_HALVES + REGION] = region;
    }
  }


  /** Puts client `c` in a session on `server` at t = 0, holding `alternative` too. */
  placeConnected(c: number, server: number, alternative: number): void {
    this.words[c * RECORD_WORDS + PRIMARY] = server;
    this.words[c * RECORD_WORDS + ALTERNATIVE] = alternative;
    this.servers.sessions[server]++;
    this.becomeConnected(c, server, 0);
  }

  /** Client `c` starts with no session and looks up at `at`. */
  placeDisconnected(c: number, at: number): void {
    this.doubles[c * RECORD_DOUBLES + LOST_AT] = 0;
    this.setState(c, ClientState.idleBackoff);
    this.arm(c, at, Pending.backoffDone);
    this.runInline(c);
  }

  // ---- The timer ----------------------------------------------------------

  /**
   * Reads one byte of the record of every client whose timer is among the
   * next events (payloads [from, to)). The reads do not depend on each
   * other, so their cache and TLB misses overlap, where one per event, each
   * waiting for the last, costs the full memory latency (the event loop's
   * main cost at millions of clients).
   */
  warm(payloads: Float64Array, from: number, to: number): void {
    let sum = 0;
    for (let i = from; i < to; i++) {
      const c = targetIfKind(payloads[i], EventKind.client);
      if (c >= 0) sum += this.byteOf(c, PENDING);
    }
    this.warmed = sum;
  }

  /** Dispatches the client timer event `node` (ignored if it was replaced). */
  fire(c: number, node: number, now: number): void {
    if (this.doubles[c * RECORD_DOUBLES + TIMER] !== node) return;
    this.doubles[c * RECORD_DOUBLES + TIMER] = NONE;
    this.dispatch(c, now);
    this.runInline(c);
  }

  private dispatch(c: number, now: number): void {
    switch (this.byteOf(c, PENDING) as PendingCode) {
      case Pending.backoffDone: this.startLookup(c, now); break;
      case Pending.lookupAnswer: this.onLookupAnswer(c, now); break;
      case Pending.lookupTimeout:
        this.metrics.lookupsTimedOut++;
        this.metrics.totalTimedOut++;
        this.onLookupFailed(c, now);
        break;
      case Pending.lookupRefused:
        this.onLookupFailed(c, now);
        break;
      case Pending.lookupBusy:
        this.metrics.lookupsRejected++;
        this.onAttemptFailed(c);
        this.throttle?.accepted(c, now);
        this.setState(c, ClientState.idleBackoff);
        this.arm(c, now + this.busyRetryAfter, Pending.backoffDone);
        break;
      case Pending.connectReply: this.onConnectReply(c, now); break;
      case Pending.connectFailed: this.onConnectFailed(c, now); break;
      case Pending.sessionEnd:
        this.endSession(c, now, true);
        this.startLookup(c, now);
        break;
      case Pending.hostLost: this.tryOtherAddress(c, now); break;
    }
  }

  /** Sets the timer of `c`; true when it will run ahead, inline (the retry loop then does the timer's counting). */
  private arm(c: number, time: number, pending: PendingCode): boolean {
    this.setByte(c, PENDING, pending);
    if (this.byteOf(c, NET_DOWN) > 0 ? this.runsInline(c, time, pending) : time < this.lookupsSilentUntil && this.runsInlineWhileSilent(c, time, pending)) {
      this.inlineAt = time;
      this.doubles[c * RECORD_DOUBLES + TIMER] = NONE;
      return true;
    }
    this.queueTimer(c, time);
    return false;
  }

  /**
   * Queues the timer of `c` (with sequence number `reserved` if one was
   * reserved for it), unless the run ends before it: most session ends
   * drawn in a run are past its end, and queueing them would only fill
   * memory (the timer field then holds no event, as for a replaced timer).
   */
  private queueTimer(c: number, time: number, reserved = NONE): void {
    const queue = this.queue;
    this.doubles[c * RECORD_DOUBLES + TIMER] =
      time > this.end ? NONE : reserved === NONE ? queue.schedule(time, EventKind.client, c) : queue.scheduleReserved(time, EventKind.client, c, reserved);
  }

  /**
   * Whether a timer of a client whose network is down has a fixed outcome:
   * a lookup timeout that only backs off always does; a connect timeout, a
   * lookup timeout followed by a failover lookup, or the end of a backoff
   * does if the network is still down when it fires.
   */
  private runsInline(c: number, time: number, pending: PendingCode): boolean {
    if (!this.inline || time > this.horizon) return false;
    if (pending === Pending.lookupTimeout && !this.failsOver(c)) return true;
    if (pending !== Pending.connectFailed && pending !== Pending.backoffDone && pending !== Pending.lookupTimeout) return false;
    if (Number.isNaN(this.backAt)) this.backAt = this.networkBackAt(c);
    return time < this.backAt;
  }

  /**
   * Whether a timer of a client whose network is up, firing while every
   * lookup instance is still silent, runs ahead: a lookup timeout always
   * does (a backoff, or a failover lookup as silent); the end of a backoff
   * does if the lookup it sends is early enough in the silence
   * (RetryLoop.freshLookupFits).
   */
  private runsInlineWhileSilent(c: number, time: number, pending: PendingCode): boolean {
    if (!this.inline || time > this.horizon) return false;
    const until = this.lookupsSilentUntil;
    if (pending !== Pending.lookupTimeout &&
      !(pending === Pending.backoffDone && this.retryLoop.freshLookupFits(time, until))) return false;
    this.backAt = until;
    this.aheadOfSilentLookups = true;
    return true;
  }

  /** Runs the timers client `c` armed to run inline, if it did (only `retryWhileDown`'s kinds are). */
  private runInline(c: number): void {
    if (this.inlineAt >= 0) this.retryWhileDown(c);
    this.backAt = Number.NaN;
    this.aheadOfSilentLookups = false;
  }

  /** The inline timer of `c`, and those after it that run inline too (retry-loop.ts). */
  private retryWhileDown(c: number): void {
    if (Number.isNaN(this.backAt)) this.backAt = this.networkBackAt(c);
    const time = this.inlineAt;
    this.inlineAt = NOT_YET;
    const loop = this.retryLoop;
    const next = loop.run(c, time, this.backAt, this.horizon, this.metrics.incidentStart >= 0, this.aheadOfSilentLookups);
    this.metrics.totalTimedOut += loop.timeouts;
    loop.timeouts = 0;
    this.queueTimer(c, next);
  }

  /** Timers that ran inline instead of through the queue. */
  get inlineEvents(): number {
    return this.retryLoop.events + (this.parallel?.events ?? 0);
  }

  /** Settles when the helper threads, if any, are up (tests wait for it so that the helpers take part). */
  get helpersReady(): Promise<void> {
    return this.parallel?.ready ?? Promise.resolve();
  }

  /** Timers the helper threads ran. */
  get helperEvents(): number {
    return this.parallel?.events ?? 0;
  }

  /** Stops the helper threads, if any (the population can still run, on this thread alone). */
  close(): void {
    this.parallel?.close();
  }

  private setState(c: number, state: ClientStateCode): void {
    const counts = this.metrics.clientsInState;
    counts[this.byteOf(c, STATE)]--;
    counts[state]++;
    this.setByte(c, STATE, state);
  }

  private countAttempt(c: number, lookup: boolean): void {
    this.metrics.carrierAttempts++;
    if (lookup) this.metrics.lookupsSent++;
    this.unsigned[c * RECORD_WORDS + ATTEMPTS_TOTAL]++;
    if (this.halves[c * RECORD_HALVES + ATTEMPTS_SINCE_LOSS] < MAX_COUNTED_ATTEMPTS) this.halves[c * RECORD_HALVES + ATTEMPTS_SINCE_LOSS]++;
  }

  private onAttemptFailed(c: number): void {
    if (this.metrics.incidentStart >= 0) this.setByte(c, AFFECTED, 1);
  }

  // ---- Lookup (docs/model.md §3.1) ---------------------------------------------

  /** A lookup request failed (no answer, or refused): the next lookup address, or the backoff timer once they are tried. */
  private onLookupFailed(c: number, now: number): void {
    this.onAttemptFailed(c);
    if (this.failsOver(c)) this.startLookup(c, now, true);
    else this.armBackoff(c, now);
  }

  /** Whether a failed lookup of `c` is followed by one to the next lookup address (docs/model.md §3.1). */
  private failsOver(c: number): boolean {
    return this.byteOf(c, LOOKUP_TRY) < this.failoversOf[this.byteOf(c, SERVICE)];
  }

  /**
   * Sends a lookup request: to a lookup address chosen at random, or with
   * `failover`, to the one after the address that just failed.
   */
  private startLookup(c: number, now: number, failover = false): void {
    if (!failover && (this.l4 !== null || this.dns !== null) && this.skipsLookup(c, now)) return;
    if (failover) this.setByte(c, LOOKUP_TRY, this.byteOf(c, LOOKUP_TRY) + 1);
    else this.setByte(c, LOOKUP_TRY, 0);
    if (this.throttle !== null && this.throttle.rejects(c, now, this.streams.throttle)) {
      // Rejected on the device itself: nothing is sent, the client backs off.
      this.metrics.lookupsThrottled++;
      this.metrics.totalThrottled++;
      this.onAttemptFailed(c);
      this.armBackoff(c, now);
      return;
    }
    this.countAttempt(c, true);
    this.setState(c, ClientState.lookingUp);
    const deadline = now + this.requestTimeout;
    this.doubles[c * RECORD_DOUBLES + DEADLINE] = deadline;
    if (this.byteOf(c, NET_DOWN) > 0) {
      // Nothing reaches a lookup, so no instance is chosen (and no shared draw is spent).
      this.arm(c, deadline, Pending.lookupTimeout);
      return;
    }
    const lookups = this.lookups;
    const service = this.byteOf(c, SERVICE);
    const first = this.firstInstanceOf[service];
    const instances = this.instancesOf[service];
    const instance = failover
      ? first + ((this.halves[c * RECORD_HALVES + INSTANCE] - first + 1) % instances)
      : first + Math.floor(this.lookupChoice() * instances);
    this.halves[c * RECORD_HALVES + INSTANCE] = instance;
    if (!lookups.isUp(instance)) {
      if (lookups.isRefusing(instance)) {
        this.metrics.lookupsRefused++;
        this.arm(c, Math.min(now + this.rtt, deadline), Pending.lookupRefused);
      } else {
        this.arm(c, deadline, Pending.lookupTimeout);
      }
    } else if (lookups.overAdmissionBound(instance, now)) {
      this.arm(c, Math.min(lookups.reject(instance, now) + this.rtt, deadline), Pending.lookupBusy);
    } else {
      const reply = lookups.submit(instance, now) + this.rtt;
      if (reply <= deadline) {
        this.halves[c * RECORD_HALVES + EPOCH] = lookups.epoch[instance] & EPOCH_MASK;
        this.arm(c, reply, Pending.lookupAnswer);
      } else {
        this.arm(c, deadline, Pending.lookupTimeout);
      }
    }
  }

  /**
   * The next draw of the shared lookup-choice stream, once the draws of the
   * lookups run ahead are skipped: those were all sent while every instance
   * was silent, before any lookup still to come whose instance matters.
   */
  private lookupChoice(): number {
    const stream = this.streams.lookupChoice;
    const loop = this.retryLoop;
    for (; loop.skippedDraws > 0; loop.skippedDraws--) stream();
    return stream();
  }

  /**
   * The baselines (baselines.ts): with an L4 switch there is no lookup, the
   * client connects to its VIP; with DNS a cached address is connected to
   * without asking. True when the client went on to connect.
   */
  private skipsLookup(c: number, now: number): boolean {
    if (this.l4 === null && (this.words[c * RECORD_WORDS + PRIMARY] === NONE || !this.dns!.hit(c, now))) return false;
    this.setByte(c, PLAN, Plan.afterLookup);
    this.setByte(c, ATTEMPT, 0);
    this.words[c * RECORD_WORDS + SERVER] = this.words[c * RECORD_WORDS + PRIMARY];
    this.startConnect(c, now);
    return true;
  }

  private onLookupAnswer(c: number, now: number): void {
    const instance = this.halves[c * RECORD_HALVES + INSTANCE];
    if (this.byteOf(c, NET_DOWN) > 0 || (this.lookups.epoch[instance] & EPOCH_MASK) !== this.halves[c * RECORD_HALVES + EPOCH]) {
      // The network or the instance went away while the answer was on its way.
      this.arm(c, this.doubles[c * RECORD_DOUBLES + DEADLINE], Pending.lookupTimeout);
      return;
    }
    const pair = this.pair;
    this.throttle?.accepted(c, now);
    if (!this.lookups.answer(instance, this.halves[c * RECORD_HALVES + REGION], now, this.streams.balancer, pair)) {
      this.metrics.lookupsNoServer++;
      this.metrics.totalNoServer++;
      this.onAttemptFailed(c);
      if (this.retryAfter === null) {
        this.armBackoff(c, now);
      } else {
        this.setState(c, ClientState.idleBackoff);
        this.arm(c, now + this.retryAfter, Pending.backoffDone);
      }
      return;
    }
    this.metrics.lookupsAnswered++;
    if (this.dns !== null) {
      // A DNS answer is one address, which the client keeps for the TTL.
      pair[1] = pair[0];
      this.dns.store(c, pair[0], now);
    }
    this.words[c * RECORD_WORDS + PRIMARY] = pair[0];
    this.words[c * RECORD_WORDS + ALTERNATIVE] = pair[1];
    this.setByte(c, PLAN, Plan.afterLookup);
    this.setByte(c, ATTEMPT, 0);
    this.words[c * RECORD_WORDS + SERVER] = pair[0];
    this.startConnect(c, now);
  }

  private armBackoff(c: number, now: number): void {
    this.setState(c, ClientState.idleBackoff);
    const step = this.byteOf(c, STEP);
    const wait = this.policy.wait(c, step, uniformAt(this.streams.backoff, c, this.unsigned[c * RECORD_WORDS + BACKOFF_DRAWS]++));
    if (step < MAX_BACKOFF_STEP) this.setByte(c, STEP, step + 1);
    this.arm(c, now + wait, Pending.backoffDone);
  }

  // ---- Connect (docs/model.md §3.3) ----------------------------------------------

  private startConnect(c: number, now: number): void {
    this.countAttempt(c, false);
    this.setState(c, ClientState.connecting);
    const deadline = now + this.connectTimeout;
    this.doubles[c * RECORD_DOUBLES + DEADLINE] = deadline;
    const reply = now + this.rtt;
    if (this.byteOf(c, NET_DOWN) > 0) {
      this.connectWillTimeOut(c, deadline, ConnectFailure.networkDown);
    } else if ((this.l4 === null && !this.servers.answers(this.words[c * RECORD_WORDS + SERVER])) || reply > deadline) {
      this.connectWillTimeOut(c, deadline, ConnectFailure.noAnswer);
    } else {
      this.arm(c, reply, Pending.connectReply);
    }
  }

  private onConnectReply(c: number, now: number): void {
    if (this.l4 !== null && this.byteOf(c, NET_DOWN) === 0) {
      // The SYN reaches the switch: it picks a server of the client's VIP, or drops it (the connect times out).
      const routed = this.l4.route(this.l4.vipOf(c, this.halves[c * RECORD_HALVES + REGION]), now);
      if (routed < 0) {
        this.connectWillTimeOut(c, this.doubles[c * RECORD_DOUBLES + DEADLINE], ConnectFailure.noAnswer);
        return;
      }
      this.words[c * RECORD_WORDS + SERVER] = routed;
    }
    const server = this.words[c * RECORD_WORDS + SERVER];
    if (this.byteOf(c, NET_DOWN) > 0 || !this.servers.answers(server)) {
      const why = this.byteOf(c, NET_DOWN) > 0 ? ConnectFailure.networkDown : ConnectFailure.noAnswer;
      this.connectWillTimeOut(c, this.doubles[c * RECORD_DOUBLES + DEADLINE], why);
      return;
    }
    this.metrics.connectAttempts[server]++;
    const outcome = this.servers.tryAccept(server, now);
    if (outcome === ConnectOutcome.accepted) {
      this.metrics.accepts[server]++;
      this.l4?.opened();
      this.becomeConnected(c, server, now);
    } else {
      this.metrics.connectFailures[this.servers.refusal]++;
      this.onConnectFailed(c, now);
    }
    if (this.servers.overloadTripped >= 0) this.onServerOverload(server, now);
  }

  /**
   * The connect of `c` gets no answer: it fails at `deadline`. Counted now,
   * into the sample that will see the deadline, because only now is the
   * reason known; a timer run ahead (the retry loop) counts itself.
   */
  private connectWillTimeOut(c: number, deadline: number, why: ConnectFailureCode): void {
    if (this.arm(c, deadline, Pending.connectFailed)) return;
    const k = sampleIndexAfter(deadline, this.sampleInterval, this.perSample, this.metrics.lastSample);
    if (k < 0) return;
    if (why === ConnectFailure.networkDown) this.metrics.later[TALLY_STRIDE * k + TallyField.connectsNetworkDown]++;
    else this.metrics.noAnswerLater[k]++;
  }

  private onConnectFailed(c: number, now: number): void {
    this.onAttemptFailed(c);
    const attempt = this.byteOf(c, ATTEMPT) + 1;
    this.setByte(c, ATTEMPT, attempt);
    const perAddress = this.connectRetries + 1;
    if (this.byteOf(c, PLAN) === Plan.afterLoss) {
      if (attempt < perAddress) this.startConnect(c, now);
      else this.startLookup(c, now);
    } else if (attempt < 2 * perAddress) {
      if (attempt === perAddress) this.words[c * RECORD_WORDS + SERVER] = this.words[c * RECORD_WORDS + ALTERNATIVE];
      this.startConnect(c, now);
    } else {
      this.armBackoff(c, now);
    }
  }

  private becomeConnected(c: number, server: number, now: number): void {
    this.setState(c, ClientState.connected);
    this.words[c * RECORD_WORDS + SERVER] = server;
    this.setByte(c, STEP, 0);
    this.policy.reset(c);
    this.metrics.sessionUp(this.halves[c * RECORD_HALVES + REGION], now);
    if (this.byteOf(c, AFFECTED) === 1) {
      this.metrics.recordReconnect(now, this.doubles[c * RECORD_DOUBLES + LOST_AT], this.halves[c * RECORD_HALVES + ATTEMPTS_SINCE_LOSS]);
      this.setByte(c, AFFECTED, 0);
    }
    if (this.lifetimeMean !== null) {
      this.arm(c, now + exponential(this.streams.churn, this.lifetimeMean), Pending.sessionEnd);
    } else {
      this.setByte(c, PENDING, Pending.none);
    }
  }

  // ---- Session loss (docs/model.md §3.4) ----------------------------------------

  /** The session of `c` is gone (server side too unless the server already dropped it). */
  private endSession(c: number, now: number, releaseOnServer: boolean, vanished = false): void {
    if (releaseOnServer) this.servers.release(this.words[c * RECORD_WORDS + SERVER]);
    if (this.l4 !== null) {
      // A FIN or RST the switch sees removes its entry; a session that vanished leaves a ghost.
      if (vanished) this.l4.vanished(now);
      else this.l4.closed();
    }
    this.metrics.sessionDown(this.halves[c * RECORD_HALVES + REGION]);
    this.doubles[c * RECORD_DOUBLES + LOST_AT] = now;
    this.setByte(c, AFFECTED, 0);
    this.halves[c * RECORD_HALVES + ATTEMPTS_SINCE_LOSS] = 0;
  }

  /** After losing a session: the address it did not use, then a lookup. */
  private tryOtherAddress(c: number, now: number): void {
    const lost = this.words[c * RECORD_WORDS + SERVER];
    const other = lost === this.words[c * RECORD_WORDS + PRIMARY] ? this.words[c * RECORD_WORDS + ALTERNATIVE] : this.words[c * RECORD_WORDS + PRIMARY];
    if (other === NONE || this.l4 !== null) {
      this.startLookup(c, now);
      return;
    }
    this.setByte(c, PLAN, Plan.afterLoss);
    this.setByte(c, ATTEMPT, 0);
    this.words[c * RECORD_WORDS + SERVER] = other;
    this.startConnect(c, now);
  }

  isConnectedTo(c: number, server: number): boolean {
    return this.byteOf(c, STATE) === ClientState.connected && this.words[c * RECORD_WORDS + SERVER] === server && this.byteOf(c, PENDING) !== Pending.hostLost;
  }

  /** The process of `server` died: its clients see a reset at once. */
  resetByServer(c: number, now: number): void {
    this.endSession(c, now, false);
    this.tryOtherAddress(c, now);
    this.runInline(c);
  }

  /** The server closes the session (a deploy): released on both sides, the client tries its other address. */
  closeSession(c: number, now: number): void {
    this.endSession(c, now, true);
    this.tryOtherAddress(c, now);
    this.runInline(c);
  }

  /** The host of `server` vanished: the session is gone, the client notices after keepalive. */
  strandOnVanishedHost(c: number, now: number): void {
    this.endSession(c, now, false, true);
    this.onAttemptFailed(c);
    this.arm(c, now + this.keepalive, Pending.hostLost);
  }

  /**
   * A carrier outage starts for clients `ids` (ascending): `networkDown` for
   * each, but their retry loops run afterwards as one batch, spread over
   * the helper threads if there are any (retry-threads.ts). A deferred loop
   * reserves its timer's sequence number where `networkDown` would have
   * queued it, so the queue's order is the same either way.
   */
  networkDownAll(ids: Int32Array, now: number): void {
    const parallel = this.parallel;
    if (parallel === null) {
      for (let k = 0; k < ids.length; k++) this.networkDown(ids[k], now);
      return;
    }
    const doubles = this.doubles;
    let batchBackAt = Number.NaN;
    let deferred = 0;
    for (let k = 0; k < ids.length; k++) {
      const c = ids[k];
      if (!this.loseNetwork(c, now)) continue;
      if (this.inlineAt >= 0) {
        if (Number.isNaN(this.backAt)) this.backAt = this.networkBackAt(c);
        if (Number.isNaN(batchBackAt)) batchBackAt = this.backAt;
        // A client under overlapping outages (another end) runs its loop here and now.
        if (this.backAt === batchBackAt) {
          doubles[c * RECORD_DOUBLES + DEADLINE] = this.inlineAt;
          doubles[c * RECORD_DOUBLES + TIMER] = this.queue.reserve();
          this.setByte(c, DEFERRED, 1);
          this.inlineAt = NOT_YET;
          deferred++;
        }
      }
      this.runInline(c);
    }
    if (deferred === 0) return;
    const loop = this.retryLoop;
    const helperTimeouts = parallel.run(ids, this.count, batchBackAt, this.horizon, this.metrics.incidentStart >= 0, loop, this.helpersOnly);
    this.metrics.totalTimedOut += loop.timeouts + helperTimeouts;
    loop.timeouts = 0;
    for (let k = 0; k < ids.length; k++) {
      const c = ids[k];
      if (this.byteOf(c, DEFERRED) === 0) continue;
      this.setByte(c, DEFERRED, 0);
      this.queueTimer(c, doubles[c * RECORD_DOUBLES + DEADLINE], doubles[c * RECORD_DOUBLES + TIMER]);
    }
  }

  /** A carrier outage starts for `c`: an open session drops at once (docs/model.md §7.5). */
  networkDown(c: number, now: number): void {
    if (this.loseNetwork(c, now)) this.runInline(c);
  }

  /** `networkDown` but its retry loop: whether an open session dropped (and the first attempt started). */
  private loseNetwork(c: number, now: number): boolean {
    this.setByte(c, NET_DOWN, this.byteOf(c, NET_DOWN) + 1);
    if (this.byteOf(c, STATE) !== ClientState.connected || this.byteOf(c, PENDING) === Pending.hostLost) return false;
    this.endSession(c, now, true, true);
    this.tryOtherAddress(c, now);
    return true;
  }

  networkUp(c: number): void {
    this.setByte(c, NET_DOWN, this.byteOf(c, NET_DOWN) - 1);
  }

  /** The lookup's MCC table of `service` now maps MCC `mccIndex` to `region` (docs/model.md §2: changeable at run time). */
  remapMcc(mccIndex: number, region: number, service: number): void {
    for (let c = 0; c < this.count; c++) {
      if (this.halves[c * RECORD_HALVES + MCC] !== mccIndex || this.byteOf(c, SERVICE) !== service || this.halves[c * RECORD_HALVES + REGION] === region) continue;
      if (this.byteOf(c, STATE) === ClientState.connected && this.byteOf(c, PENDING) !== Pending.hostLost) {
        this.metrics.connectedByRegion[this.halves[c * RECORD_HALVES + REGION]]--;
        this.metrics.connectedByRegion[region]++;
      }
      this.halves[c * RECORD_HALVES + REGION] = region;
    }
  }

  /** Clients the incident disconnected that have no session at the end. */
  countStillDisconnected(): number {
    // Straight down each byte view (every record's AFFECTED byte), not a call per client: run once, cold.
    let n = 0;
    for (const bytes of [this.bytesLow, this.bytesHigh]) {
      for (let at = AFFECTED; at < bytes.length; at += RECORD_BYTES) if (bytes[at] === 1) n++;
    }
    return n;
  }
}
