// The lookup server's FIFO (live/lookup-queue.ts) on a clock the test drives: it answers at its
// service rate, and the rate it reports (stampede calibrate) is the one it achieved while requests
// waited, also when the process stalls and then answers a burst at once (a busy machine).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LookupQueue } from '../live/lookup-queue.ts';

let clock = 0;
const answered: number[] = [];

/** The clock and the timers move together by `ms`, 1 ms at a time, as an event loop that keeps up. */
function run(ms: number): void {
  for (let k = 0; k < ms; k++) {
    clock += 1;
    vi.advanceTimersByTime(1);
  }
}

/** The process stalls for `ms` (no timer runs), then its timers fire late: one burst of answers. */
function stall(ms: number): void {
  clock += ms;
  vi.advanceTimersByTime(ms);
}

describe('lookup queue', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    clock = 0;
    answered.length = 0;
  });
  afterEach(() => vi.useRealTimers());

  const queue = () => new LookupQueue<number>(0.5, () => answered.push(clock), () => clock);

  /** A fresh queue of 2,000/s given 1,200 requests at once at `at` ms, nothing answered yet. */
  function burst(at = 0): LookupQueue<number> {
    clock = at;
    answered.length = 0;
    const q = queue();
    for (let i = 0; i < 1200; i++) q.submit(i);
    return q;
  }

  it('answers 2,000/s when 1,200 requests arrive at once, and says so', () => {
    const q = burst();
    run(700);
    expect(answered).toHaveLength(1200);
    expect(answered.at(-1)).toBe(600);
    expect(q.backlogRate).toBeCloseTo(2000, 6);
    expect(q.totalWait / q.served).toBeCloseTo(299.75, 6); // the mean of 0, 0.5, ..., 599.5 ms
  });

  it('measures no short run: at 20,000/s, requests in twos are answered a timer tick late, not slower', () => {
    const q = new LookupQueue<number>(0.05, () => answered.push(clock), () => clock);
    for (let i = 0; i < 300; i++) {
      q.submit(2 * i);
      q.submit(2 * i + 1);
      run(2);
    }
    expect(answered).toHaveLength(600);
    expect(q.backlogRate).toBe(0);
    // A long run at that rate reads as that rate, within the tick.
    for (let i = 0; i < 4000; i++) q.submit(i);
    run(250);
    expect(answered).toHaveLength(4600);
    expect(q.backlogRate).toBeGreaterThan(19_500);
    expect(q.backlogRate).toBeLessThanOrEqual(20_000);
  });

  it('tells no rate when requests come one after the other (the clients set the pace)', () => {
    const q = queue();
    for (let i = 0; i < 200; i++) {
      q.submit(i);
      run(2);
    }
    expect(answered).toHaveLength(200);
    expect(q.backlogRate).toBe(0);
  });

  it('rates a stall as it was: a burst that catches up keeps the rate, one that ends the backlog late lowers it', () => {
    // A stall mid-backlog: the answers it held go out at once when it ends, and the rest on time.
    const mid = burst();
    run(100);
    stall(60);
    run(600);
    expect(answered).toHaveLength(1200);
    expect(answered.filter((t) => t === 160)).toHaveLength(120); // those due in (100, 160]
    expect(answered.at(-1)).toBe(600);
    expect(mid.backlogRate).toBeCloseTo(2000, 6);
    // A stall over the backlog's end: its last answers go out 40 ms late, and so does the rate.
    const late = burst();
    run(580);
    stall(60);
    expect(answered).toHaveLength(1200);
    expect(answered.at(-1)).toBe(640);
    expect(late.backlogRate).toBeCloseTo((1200 * 1000) / 640, 6);
    // A stall before the first answer: the burst that ends it does not make the server look faster.
    const first = burst(50);
    stall(60);
    run(600);
    expect(answered).toHaveLength(1200);
    expect(answered.filter((t) => t === 110)).toHaveLength(120);
    expect(first.backlogRate).toBeCloseTo(2000, 6);
  });
});
