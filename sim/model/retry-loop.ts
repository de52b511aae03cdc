// A client's retries while its network is down, or while every lookup
// instance is silent, run ahead of the clock (client.ts, "Timers run
// ahead"): the client goes through its connect attempts, then alternates
// lookups that time out and backoffs, until a timer no longer has a fixed
// outcome. That is most of the events of a carrier outage or of a
// lookup-wide one, so this loop does what the client's handlers would do
// with the record's fields in locals: the same values, in the same order,
// as the general path (a state change from connecting to connecting, which
// counts nothing, left out). What it changes is counted into the metrics sample
// that would have seen it (`AheadTally`), never into live counters, so that
// the same loop runs on a helper thread over other clients
// (retry-threads.ts).
import type { BackoffConfig } from '../scenario/types.ts';
import { uniformAt, type CounterStream } from '../engine/random.ts';
import { MAX_BACKOFF_STEP, RetryPolicy } from './backoff.ts';
import { ClientState, sampleIndexAfter, TALLY_STRIDE, TallyField, type AheadTally, type ClientStateCode } from './metrics.ts';
import * as Layout from './client-record.ts';
import type { RecordViews } from './client-record.ts';
// Local copies: V8 folds a module's own constants into the code, not imported ones (the hot paths ran several times slower).
const { attempts: ATTEMPTS_AT, sent: SENT_AT, timedOut: TIMED_OUT_AT, states: STATES_AT, connectsNetworkDown: CONNECTS_DOWN_AT } = TallyField;
const { Pending, Plan, AFFECTED, ALTERNATIVE, ATTEMPT, ATTEMPTS_SINCE_LOSS, ATTEMPTS_TOTAL, BACKOFF_DRAWS, BYTE_CHUNK_BITS, BYTE_CHUNK_MASK, DEADLINE, DEFERRED, INSTANCE, LOOKUP_TRY, MAX_COUNTED_ATTEMPTS, PENDING, PLAN, RECORD_BYTES, RECORD_DOUBLES, RECORD_HALVES, RECORD_WORDS, SERVER, SERVICE, STATE, STEP } = Layout;

/** What the loop needs from the scenario: plain data, so that a helper thread gets a copy. */
export interface RetryLoopSettings {
  readonly connectRetries: number;
  /** Per service: failover lookups after a failed one before backing off (lookupFailover, at most instances − 1). */
  readonly lookupFailover: readonly number[];
  /** Per service: its first lookup instance and how many it has (a failover lookup goes to the next one). */
  readonly firstInstance: readonly number[];
  readonly instances: readonly number[];
  readonly requestTimeout: number;
  readonly connectTimeout: number;
  readonly backoff: BackoffConfig;
  readonly backoffStream: CounterStream;
  readonly sampleInterval: number;
  readonly lastSample: number;
}

export class RetryLoop {
  /** Timers run so far. */
  events = 0;
  /** Lookups among them that timed out. */
  timeouts = 0;
  /**
   * Lookups sent while every lookup instance was silent that would each
   * have drawn their instance from the shared stream (`run` with `lookupsSilent`):
   * the client skips as many draws before its next one.
   */
  skippedDraws = 0;
  private readonly perSecond: number;
  /** The most failover lookups of any service (`freshLookupFits`). */
  private readonly mostFailovers: number;

  constructor(
    private readonly records: RecordViews,
    private readonly settings: RetryLoopSettings,
    private readonly policy: RetryPolicy,
    readonly later: AheadTally,
  ) {
    this.perSecond = 1 / settings.sampleInterval;
    this.mostFailovers = Math.max(0, ...settings.lookupFailover);
  }

  /**
   * Runs the timer of client `c` at `time` (its PENDING field says which),
   * and every timer after it that fires before `backAt` (the network's
   * return) and not after `horizon`. Leaves the record as the handlers
   * would, but for the timer field, and returns when the first timer not
   * run fires. `incident`: a fault has started (failures mark the client
   * affected).
   *
   * `lookupsSilent`: the network is up but every lookup instance is silent
   * until `backAt`. A lookup then leaves the device and, unless it is a
   * failover, draws its instance from the shared stream: those draws are
   * only counted (`skippedDraws`), their values lost, so a fresh lookup is
   * run only early enough (`freshLookupFits`) that its failovers, which go
   * to the next instances in turn, all leave before `backAt`, and that the
   * draws skipped come before every draw whose value matters.
   */
  run(c: number, time: number, backAt: number, horizon: number, incident: boolean, lookupsSilent = false): number {
    const { halves, words, unsigned, doubles } = this.records;
    const bytes = this.records.byteChunks[c >>> BYTE_CHUNK_BITS];
    const { policy, later } = this;
    const { sampleInterval, lastSample, backoffStream, requestTimeout, connectTimeout } = this.settings;
    const perSecond = this.perSecond;
    const b = (c & BYTE_CHUNK_MASK) * RECORD_BYTES;
    const plan = bytes[b + PLAN];
    const perAddress = this.settings.connectRetries + 1;
    let pending = bytes[b + PENDING];
    let state = bytes[b + STATE] as ClientStateCode;
    let step = bytes[b + STEP];
    let attempt = bytes[b + ATTEMPT];
    let lookupTry = bytes[b + LOOKUP_TRY];
    const service = bytes[b + SERVICE];
    const failovers = this.settings.lookupFailover[service];
    let server = words[c * RECORD_WORDS + SERVER];
    const firstInstance = this.settings.firstInstance[service];
    const instances = this.settings.instances[service];
    let instance = halves[c * RECORD_HALVES + INSTANCE];
    let fresh = 0;
    let draws = unsigned[c * RECORD_WORDS + BACKOFF_DRAWS];
    let sinceLoss = halves[c * RECORD_HALVES + ATTEMPTS_SINCE_LOSS];
    let attempts = 0;
    let timeouts = 0;
    let failed = false;
    let events = 0;
    let deadline = Number.NaN;
    let next: number;
    for (;;) {
      events++;
      const k = sampleIndexAfter(time, sampleInterval, perSecond, lastSample);
      const at = TALLY_STRIDE * k;
      // What the timer leads to (the client's dispatch and onConnectFailed).
      let action: number;
      if (pending === Pending.backoffDone) {
        action = Pending.lookupTimeout;
        lookupTry = 0;
        fresh++;
      } else if (pending === Pending.lookupTimeout) {
        timeouts++;
        if (k >= 0) later[at + TIMED_OUT_AT]++;
        failed = true;
        if (lookupTry < failovers) {
          action = Pending.lookupTimeout;
          lookupTry++;
          // With the network down no instance is chosen (startLookup).
          if (lookupsSilent) instance = firstInstance + ((instance - firstInstance + 1) % instances);
        } else {
          action = Pending.backoffDone;
        }
      } else {
        // A connect that timed out: the network is down.
        if (k >= 0) later[at + CONNECTS_DOWN_AT]++;
        failed = true;
        attempt++;
        if (plan === Plan.afterLoss) {
          action = attempt < perAddress ? Pending.connectFailed : Pending.lookupTimeout;
          lookupTry = 0;
        } else if (attempt < 2 * perAddress) {
          if (attempt === perAddress) server = words[c * RECORD_WORDS + ALTERNATIVE];
          action = Pending.connectFailed;
        } else {
          action = Pending.backoffDone;
        }
      }
      pending = action;
      if (action === Pending.backoffDone) {
        // armBackoff.
        if (k >= 0) {
          later[at + STATES_AT + state]--;
          later[at + STATES_AT + ClientState.idleBackoff]++;
        }
        state = ClientState.idleBackoff;
        next = time + policy.wait(c, step, uniformAt(backoffStream, c, draws++));
        if (step < MAX_BACKOFF_STEP) step++;
        if (next > horizon || !(next < backAt) || (lookupsSilent && !this.freshLookupFits(next, backAt))) break;
      } else {
        // startLookup or startConnect: counted, and failing at its deadline.
        const lookup = action === Pending.lookupTimeout;
        const to = lookup ? ClientState.lookingUp : ClientState.connecting;
        if (k >= 0) {
          later[at + ATTEMPTS_AT]++;
          if (lookup) later[at + SENT_AT]++;
          if (state !== to) {
            later[at + STATES_AT + state]--;
            later[at + STATES_AT + to]++;
          }
        }
        state = to;
        attempts++;
        if (sinceLoss < MAX_COUNTED_ATTEMPTS) sinceLoss++;
        next = time + (lookup ? requestTimeout : connectTimeout);
        deadline = next;
        // A timeout followed by another attempt (a connect, or a failover lookup) is fixed only while the network is still down.
        if (next > horizon || ((!lookup || lookupTry < failovers) && !(next < backAt))) {
          // The connect left pending fails through the queue, which does not count it: counted here, as startConnect would.
          if (!lookup) {
            const kn = sampleIndexAfter(next, sampleInterval, perSecond, lastSample);
            if (kn >= 0) later[TALLY_STRIDE * kn + CONNECTS_DOWN_AT]++;
          }
          break;
        }
      }
      time = next;
    }
    this.events += events;
    this.timeouts += timeouts;
    if (lookupsSilent) {
      this.skippedDraws += fresh;
      halves[c * RECORD_HALVES + INSTANCE] = instance;
    }
    if (failed && incident) bytes[b + AFFECTED] = 1;
    if (!Number.isNaN(deadline)) doubles[c * RECORD_DOUBLES + DEADLINE] = deadline;
    bytes[b + STATE] = state;
    bytes[b + STEP] = step;
    bytes[b + ATTEMPT] = attempt;
    bytes[b + LOOKUP_TRY] = lookupTry;
    words[c * RECORD_WORDS + SERVER] = server;
    unsigned[c * RECORD_WORDS + BACKOFF_DRAWS] = draws;
    unsigned[c * RECORD_WORDS + ATTEMPTS_TOTAL] += attempts;
    halves[c * RECORD_HALVES + ATTEMPTS_SINCE_LOSS] = sinceLoss;
    bytes[b + PENDING] = pending;
    return next;
  }

  /**
   * Whether a fresh lookup sent at `time` may run ahead while the lookups
   * are silent until `backAt`: whether it and as many failovers after it as
   * any service makes (each when the last times out, the loop's own sums)
   * all go out before `backAt`. Its own failovers then leave in the
   * silence, so the instance it would have drawn is never read. And a draw
   * through the queue whose value matters, one whose failovers may leave
   * after the silence, comes later than every draw skipped, in any service:
   * so the client, which skips them before its next draw, gives that draw
   * the value it would have had. (With each service's own count, a service
   * with fewer failovers skipped draws that came after such a draw of
   * another's.)
   */
  freshLookupFits(time: number, backAt: number): boolean {
    const timeout = this.settings.requestTimeout;
    let last = time;
    for (let k = this.mostFailovers; k > 0; k--) last += timeout;
    return last < backAt;
  }
}

/**
 * Runs the deferred retry loops of clients ids[from, to) (ids null: the
 * clients from..to themselves), those whose DEFERRED byte is set, each from
 * the time in its DEADLINE field; leaves in that field when its first timer
 * not run fires (the caller queues it). One chunk of a batch, on whichever
 * thread claimed it (retry-threads.ts).
 */
export function runDeferred(
  loop: RetryLoop, records: RecordViews, ids: Int32Array | null, from: number, to: number,
  backAt: number, horizon: number, incident: boolean,
): void {
  const { byteChunks, doubles } = records;
  for (let k = from; k < to; k++) {
    const c = ids === null ? k : ids[k];
    if (byteChunks[c >>> BYTE_CHUNK_BITS][(c & BYTE_CHUNK_MASK) * RECORD_BYTES + DEFERRED] !== 1) continue;
    const at = c * RECORD_DOUBLES + DEADLINE;
    doubles[at] = loop.run(c, doubles[at], backAt, horizon, incident);
  }
}
