// Client retry timers (MODEL.md §3). A client's backoff state is the number
// of failed attempts since its last session (`step`), so no per-client float
// is needed: the base b for step n is min(initial · 2^n, max).
import type { BackoffConfig } from '../scenario/types.ts';
import type { Stream } from '../engine/random.ts';

/** Largest step worth storing: 2^60 · initial exceeds any sensible max. */
export const MAX_BACKOFF_STEP = 60;

export class RetryPolicy {
  private readonly initial: number;
  private readonly max: number;

  constructor(config: BackoffConfig) {
    this.initial = config.initial;
    this.max = config.max;
  }

  /** Base backoff b after `step` failed attempts. */
  base(step: number): number {
    return Math.min(this.initial * 2 ** step, this.max);
  }

  /** The operators' formula, from GCM: wait b/2 + uniform[0, b), i.e. uniform in [b/2, 3b/2). */
  wait(step: number, stream: Stream): number {
    const b = this.base(step);
    return b / 2 + stream() * b;
  }
}
