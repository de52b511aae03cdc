import { describe, expect, it } from 'vitest';
import seedrandom from 'seedrandom';
import { EventQueue } from '../sim/engine/event-queue.ts';

interface Scheduled {
  time: number;
  seq: number;
  target: number;
}

/** Pops everything, returning targets in pop order. */
function drain(queue: EventQueue, limit = Infinity): number[] {
  const out: number[] = [];
  while (queue.pop(limit)) out.push(queue.target);
  return out;
}

function expectedOrder(events: Scheduled[]): number[] {
  return [...events].sort((a, b) => a.time - b.time || a.seq - b.seq).map((e) => e.target);
}

describe('EventQueue', () => {
  it('pops by time, then by scheduling order for equal times', () => {
    const q = new EventQueue(4);
    q.schedule(5, 0, 1);
    q.schedule(1, 0, 2);
    q.schedule(5, 0, 3);
    q.schedule(0, 0, 4);
    q.schedule(1, 0, 5);
    expect(drain(q)).toEqual([4, 2, 5, 1, 3]);
  });

  it('orders an event scheduled with a reserved number where the reservation was made', () => {
    const q = new EventQueue(4);
    q.schedule(5, 0, 1);
    const first = q.reserve();
    q.schedule(5, 0, 2);
    const second = q.reserve();
    q.schedule(5, 0, 3);
    // Scheduled last, in the other order, at the same instant as the rest (and in the current bucket).
    expect(q.scheduleReserved(5, 0, 5, second)).toBe(second);
    expect(q.scheduleReserved(5, 0, 4, first)).toBe(first);
    expect(drain(q)).toEqual([1, 4, 2, 5, 3]);
    q.schedule(300, 0, 6);
    const third = q.reserve();
    expect(q.pop()).toBe(true);
    q.scheduleReserved(300, 0, 7, third);
    q.schedule(300, 0, 8);
    expect(drain(q)).toEqual([7, 8]);
  });

  it('orders exactly across the calendar buckets, the near heap and the far heap', () => {
    const random = seedrandom.alea('queue-order');
    const q = new EventQueue(16);
    const events: Scheduled[] = [];
    // Times from sub-millisecond gaps to days, with many exact ties.
    for (let i = 0; i < 50_000; i++) {
      const scale = [0.001, 1, 30, 3600, 200_000][i % 5];
      const time = random() < 0.2 ? Math.floor(random() * 10) : random() * scale;
      events.push({ time, seq: i, target: i });
      q.schedule(time, 0, i);
    }
    expect(q.size).toBe(events.length);
    expect(drain(q)).toEqual(expectedOrder(events));
    expect(q.size).toBe(0);
  });

  it('keeps exact order when events are scheduled while draining (like a simulation)', () => {
    const random = seedrandom.alea('queue-interleaved');
    const q = new EventQueue(8);
    const pending = new Map<number, Scheduled>();
    let seq = 0;
    const add = (time: number) => {
      const e = { time, seq: seq++, target: seq };
      pending.set(e.target, e);
      q.schedule(time, 0, e.target);
    };
    for (let i = 0; i < 1000; i++) add(random() * 100);
    let now = 0;
    let popped = 0;
    while (q.pop()) {
      const e = pending.get(q.target)!;
      // The popped event must be the earliest pending one.
      let earliest = e;
      for (const other of pending.values()) {
        if (other.time < earliest.time || (other.time === earliest.time && other.seq < earliest.seq)) earliest = other;
      }
      if (earliest !== e) expect(q.target).toBe(earliest.target);
      if (q.time < now) expect(q.time).toBeGreaterThanOrEqual(now);
      now = q.time;
      pending.delete(e.target);
      popped++;
      if (popped < 20_000) {
        const r = random();
        // Same instant, same slot, a few seconds ahead (connect timeouts), hours ahead (churn).
        add(r < 0.25 ? now : r < 0.5 ? now + random() * 0.002 : r < 0.9 ? now + random() * 20 : now + random() * 10_000);
      }
    }
    expect(popped).toBe(1000 + 19_999);
  });

  it('stops at the limit without losing the next event, and accepts earlier events afterwards', () => {
    const q = new EventQueue();
    q.schedule(100, 0, 1);
    expect(q.pop(50)).toBe(false);
    expect(q.peekTime()).toBe(100);
    // The cursor looked ahead to t = 100; an event at t = 60 must still come first.
    q.schedule(60, 0, 2);
    q.schedule(60, 0, 3);
    expect(drain(q)).toEqual([2, 3, 1]);
  });

  it('gives every event its own id and grows past its initial capacity', () => {
    const q = new EventQueue(16);
    const ids = new Set<number>();
    for (let i = 0; i < 1000; i++) ids.add(q.schedule(i * 0.5, 0, i));
    expect(ids.size).toBe(1000);
    expect(drain(q, 10)).toHaveLength(21);
    expect(q.size).toBe(979);
    const again = q.schedule(10.25, 7, 42);
    expect(q.pop()).toBe(true);
    expect([q.time, q.kind, q.target, q.node]).toEqual([10.25, 7, 42, again]);
  });

  it('keeps exact order in a sparse run (buckets of one event), and frees every bucket it takes', () => {
    // A hundred pending timers minutes to hours apart: most buckets that come up hold one event.
    const rng = seedrandom('sparse');
    const q = new EventQueue(128);
    const popped: Scheduled[] = [];
    const scheduled: Scheduled[] = [];
    const add = (time: number, target: number) => scheduled.push({ time, seq: q.schedule(time, 0, target), target });
    for (let i = 0; i < 100; i++) add(rng() * 600, i);
    let mostChunksOverSize = -Infinity;
    for (let n = 0; n < 50_000 && q.pop(); n++) {
      popped.push({ time: q.time, seq: q.node, target: q.target });
      add(q.time + (rng() < 0.9 ? rng() * 600 : rng() * 36_000), q.target);
      mostChunksOverSize = Math.max(mostChunksOverSize, q.chunksInUse - q.size);
    }
    const order = [...scheduled].sort((a, b) => a.time - b.time || a.seq - b.seq).slice(0, popped.length);
    expect(popped.map((p) => p.seq)).toEqual(order.map((e) => e.seq));
    expect(mostChunksOverSize).toBeLessThanOrEqual(0);
  });

  it('keeps a same-instant batch of a million in scheduling order', () => {
    const q = new EventQueue(16);
    const n = 1_000_000;
    for (let i = 0; i < n; i++) q.schedule(5, 0, i);
    let expected = 0;
    let inOrder = true;
    while (q.pop()) {
      if (q.target !== expected++) inOrder = false;
    }
    expect(inOrder).toBe(true);
    expect(expected).toBe(n);
  });

  it('rejects times that are not finite and non-negative', () => {
    const q = new EventQueue();
    expect(() => q.schedule(Number.NaN, 0, 0)).toThrow(RangeError);
    expect(() => q.schedule(-1, 0, 0)).toThrow(RangeError);
    expect(() => q.schedule(Infinity, 0, 0)).toThrow(RangeError);
  });

  it('takes targets below 2^30 and hands each back as it was, with its kind', () => {
    const q = new EventQueue();
    expect(() => q.schedule(1, 0, -1)).toThrow(RangeError);
    expect(() => q.schedule(1, 0, 2 ** 30)).toThrow(RangeError);
    const targets = [0, 1, 2 ** 27, 2 ** 30 - 1];
    targets.forEach((target, i) => q.schedule(i, 7 + i, target));
    const popped: [number, number][] = [];
    while (q.pop()) popped.push([q.kind, q.target]);
    expect(popped).toEqual(targets.map((target, i) => [7 + i, target]));
  });
});

describe('EventQueue beyond its calendar', () => {
  it('keeps exact order for events many calendars (≈ 9 h each) ahead, scheduled while the clock moves', () => {
    const random = seedrandom.alea('queue-far');
    const q = new EventQueue(8);
    const events: Scheduled[] = [];
    let seq = 0;
    const add = (time: number) => {
      events.push({ time, seq, target: seq });
      q.schedule(time, 0, seq++);
    };
    for (let i = 0; i < 5000; i++) add(random() * 30 * 86_400);
    const popped: number[] = [];
    while (q.pop()) {
      popped.push(q.target);
      // Some events land exactly on bucket and calendar boundaries.
      if (popped.length < 5000) add(q.time + (random() < 0.5 ? 16_384 * Math.ceil(random() * 3) : random() * 40_000));
    }
    expect(popped).toEqual(expectedOrder(events));
  });
});
