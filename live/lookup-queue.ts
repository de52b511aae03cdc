// The FIFO of a lookup server with a deterministic service rate (docs/model.md §4): a request that
// arrives at t starts at max(t, last finish) and is answered 1/capacity later (Lindley's
// recursion, kept for real: the answer is held until then). Above capacity the queue grows and
// clients time out; a request its client gave up on still costs its service time.
export class LookupQueue<T> {
  private readonly items: { item: T; finish: number }[] = [];
  private head = 0;
  private lastFinish = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Services completed, and the summed wait (start − arrival) of the requests served. */
  served = 0;
  totalWait = 0;
  /**
   * The measured service rate (stampede calibrate): requests answered per second in the busiest
   * 100-ms window in which most of the requests answered had waited behind others (the queue was
   * backlogged, so the rate is the server's, not its clients'); 0 until such a window was seen.
   */
  private peak = 0;
  private window = -1;
  private windowServed = 0;
  private windowWaited = 0;
  private readonly waited: boolean[] = [];

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
    this.waited.push(start - arrival >= this.serviceMs && this.serviceMs > 0);
    if (this.timer === null) this.arm();
  }

  /** The process went down (docs/model.md §4: the queue is lost with it): every waiting item dropped, none answered. */
  clear(): T[] {
    const dropped = this.items.slice(this.head).map((entry) => entry.item);
    this.items.length = 0;
    this.waited.length = 0;
    this.head = 0;
    this.lastFinish = 0;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    return dropped;
  }

  get peakBacklogRate(): number {
    const current = this.windowServed >= 10 && this.windowWaited * 2 > this.windowServed ? this.windowServed * 10 : 0;
    return Math.max(this.peak, current);
  }

  private count(now: number, waited: boolean): void {
    const window = Math.floor(now / 100);
    if (window !== this.window) {
      if (this.windowServed >= 10 && this.windowWaited * 2 > this.windowServed) this.peak = Math.max(this.peak, this.windowServed * 10);
      this.window = window;
      this.windowServed = 0;
      this.windowWaited = 0;
    }
    this.windowServed++;
    if (waited) this.windowWaited++;
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
      this.count(now, this.waited[this.head]);
      this.head++;
      this.served++;
      this.answer(item);
    }
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.waited.splice(0, this.head);
      this.head = 0;
    }
    if (this.head < this.items.length) this.arm();
  }
}
