// The FIFO of a lookup server with a deterministic service rate (docs/model.md §4): a request that
// arrives at t starts at max(t, last finish) and is answered 1/capacity later (Lindley's
// recursion, kept for real: the answer is held until then). Above capacity the queue grows and
// clients time out; a request its client gave up on still costs its service time.
const WINDOW_MS = 100;
/** Share of a window the queue must be busy for the window's rate to count as the service rate. */
const SATURATED = 0.9;

export class LookupQueue<T> {
  private readonly items: { item: T; finish: number }[] = [];
  private head = 0;
  private lastFinish = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Services completed, and the summed wait (start − arrival) of the requests served. */
  served = 0;
  totalWait = 0;
  /**
   * The measured service rate (stampede calibrate): requests answered per second over the 100-ms
   * windows during which the queue was busy at least 90 % of the time (demand at or above
   * capacity, so the rate is the server's, not its clients'); 0 until such a window was seen.
   */
  private saturatedServed = 0;
  private saturatedWindows = 0;
  private window = -1;
  private windowServed = 0;
  /** Service time (ms) begun in each 100-ms window not yet closed. */
  private readonly busy = new Map<number, number>();

  constructor(
    private readonly serviceMs: number,
    private readonly answer: (item: T) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get length(): number {
    return this.items.length - this.head;
  }

  submit(item: T): void {
    const arrival = this.now();
    const start = Math.max(arrival, this.lastFinish);
    this.totalWait += start - arrival;
    this.lastFinish = start + this.serviceMs;
    this.items.push({ item, finish: this.lastFinish });
    const window = Math.floor(start / WINDOW_MS);
    this.busy.set(window, (this.busy.get(window) ?? 0) + this.serviceMs);
    if (this.timer === null) this.arm();
  }

  /** The process went down (docs/model.md §4: the queue is lost with it): every waiting item dropped, none answered. */
  clear(): T[] {
    const dropped = this.items.slice(this.head).map((entry) => entry.item);
    this.items.length = 0;
    this.busy.clear();
    this.head = 0;
    this.lastFinish = 0;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    return dropped;
  }

  get backlogRate(): number {
    const open = this.saturated(this.window);
    const windows = this.saturatedWindows + (open ? 1 : 0);
    return windows === 0 ? 0 : ((this.saturatedServed + (open ? this.windowServed : 0)) * 1000) / (windows * WINDOW_MS);
  }

  private saturated(window: number): boolean {
    return this.serviceMs > 0 && (this.busy.get(window) ?? 0) >= SATURATED * WINDOW_MS;
  }

  private count(now: number): void {
    const window = Math.floor(now / WINDOW_MS);
    if (window !== this.window) {
      if (this.saturated(this.window)) {
        this.saturatedServed += this.windowServed;
        this.saturatedWindows++;
      }
      for (const w of this.busy.keys()) if (w < window - 1) this.busy.delete(w);
      this.window = window;
      this.windowServed = 0;
    }
    this.windowServed++;
  }

  private arm(): void {
    const next = this.items[this.head];
    this.timer = setTimeout(() => this.drain(), Math.max(0, next.finish - this.now()));
  }

  private drain(): void {
    this.timer = null;
    const now = this.now();
    while (this.head < this.items.length && this.items[this.head].finish <= now + 0.05) {
      const { item } = this.items[this.head];
      this.count(now);
      this.head++;
      this.served++;
      this.answer(item);
    }
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    if (this.head < this.items.length) this.arm();
  }
}
