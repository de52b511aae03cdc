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
    if (this.timer === null) this.arm();
  }

  private arm(): void {
    const next = this.items[this.head];
    this.timer = setTimeout(() => this.drain(), Math.max(0, next.finish - this.now()));
  }

  private drain(): void {
    this.timer = null;
    const now = this.now();
    while (this.head < this.items.length && this.items[this.head].finish <= now + 0.05) {
      const { item } = this.items[this.head++];
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
