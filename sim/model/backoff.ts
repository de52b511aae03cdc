// Client retry timers (docs/model.md §3) and the policies they are compared with.
// A client's backoff state is the number of failed attempts since its last
// session (`step`), kept by the client; only decorrelated jitter needs more
// (its previous wait), and only then is a per-client array allocated.
import type { BackoffConfig, RetryPolicyName, ThrottleConfig } from '../scenario/types.ts';
import type { Stream } from '../engine/random.ts';

/** Largest step worth storing: 2^60 · initial exceeds any sensible max. */
export const MAX_BACKOFF_STEP = 60;

const PolicyCode = { gcm: 0, 'gcm-clamped': 0, none: 1, exponential: 2, full: 3, equal: 4, decorrelated: 5 } as const;

/**
 * The base backoff after each number of failures. The source's client
 * (policy `gcm`) doubles while the base is below the maximum
 * (`if (backoffTimeMs < MAX_BACKOFF_MS) setBackoff(backoffTimeMs * 2)`), so
 * the base ends at the first doubling that reaches or passes it: 3 s and
 * 300 s give 3, 6, …, 192, 384 s. Every other policy, `gcm-clamped`
 * included, caps it: min(initial · 2^step, max).
 */
export function backoffBases(config: BackoffConfig): Float64Array {
  const bases = new Float64Array(MAX_BACKOFF_STEP + 1);
  let base = config.initial;
  for (let step = 0; step <= MAX_BACKOFF_STEP; step++) {
    bases[step] = config.policy === 'gcm' ? base : Math.min(base, config.max);
    if (config.policy !== 'gcm' || base < config.max) base *= 2;
  }
  return bases;
}

export class RetryPolicy {
  private readonly code: number;
  private readonly initial: number;
  private readonly max: number;
  /** Decorrelated jitter's previous wait per client (0 = none yet). */
  private readonly previous: Float32Array | null;
  /** base(step) for every step a client stores (2 ** step is slow on the hot path). */
  private readonly bases: Float64Array;

  constructor(config: BackoffConfig, clients: number) {
    this.code = PolicyCode[config.policy satisfies RetryPolicyName];
    this.initial = config.initial;
    this.max = config.max;
    this.previous = config.policy === 'decorrelated' ? new Float32Array(clients) : null;
    this.bases = backoffBases(config);
  }

  /** Base backoff b (AWS's v) after `step` failed attempts (`backoffBases`). */
  base(step: number): number {
    return this.bases[Math.min(step, MAX_BACKOFF_STEP)];
  }

  /** The wait before client `c`'s next attempt after `step` failures; `u` is the client's next uniform draw. */
  wait(c: number, step: number, u: number): number {
    switch (this.code) {
      case PolicyCode.gcm: {
        // The operators' formula, from GCM: b/2 + uniform[0, b), i.e. uniform in [b/2, 3b/2).
        const b = this.base(step);
        return b / 2 + u * b;
      }
      case PolicyCode.none:
        return this.initial;
      case PolicyCode.exponential:
        return this.base(step);
      case PolicyCode.full:
        return u * this.base(step);
      case PolicyCode.equal: {
        const v = this.base(step);
        return v / 2 + (u * v) / 2;
      }
      default: {
        const previous = this.previous as Float32Array;
        const last = previous[c] > 0 ? previous[c] : this.initial;
        const next = Math.min(this.max, this.initial + u * (3 * last - this.initial));
        previous[c] = next;
        return next;
      }
    }
  }

  /** A session was established: the next failure starts from scratch. */
  reset(c: number): void {
    if (this.previous !== null) this.previous[c] = 0;
  }
}

/**
 * Client-side adaptive throttling (Google SRE book, "Handling Overload"):
 * each client remembers its recent requests and the backend's accepts, with
 * exponential decay over `window`, and rejects a new request locally with
 * probability max(0, (requests − k·accepts) / (requests + 1)).
 */
export class AdaptiveThrottle {
  private readonly requests: Float32Array;
  private readonly accepts: Float32Array;
  private readonly updatedAt: Float32Array;
  private readonly k: number;
  private readonly window: number;

  constructor(config: ThrottleConfig, clients: number) {
    this.requests = new Float32Array(clients);
    this.accepts = new Float32Array(clients);
    this.updatedAt = new Float32Array(clients);
    this.k = config.k;
    this.window = config.window;
  }

  /** Records a request of client `c` at `now`; true if it is rejected locally. */
  rejects(c: number, now: number, stream: Stream): boolean {
    this.decay(c, now);
    const requests = this.requests[c];
    const p = Math.max(0, (requests - this.k * this.accepts[c]) / (requests + 1));
    this.requests[c] = requests + 1;
    return p > 0 && stream() < p;
  }

  /** The backend answered a request of client `c`. */
  accepted(c: number, now: number): void {
    this.decay(c, now);
    this.accepts[c]++;
  }

  private decay(c: number, now: number): void {
    const elapsed = now - this.updatedAt[c];
    if (elapsed > 0) {
      const factor = Math.exp(-elapsed / this.window);
      this.requests[c] *= factor;
      this.accepts[c] *= factor;
      this.updatedAt[c] = now;
    }
  }
}
