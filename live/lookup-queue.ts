// The FIFO of a lookup server with a deterministic service rate (docs/model.md §4): a request that
// arrives at t starts at max(t, last finish) and is answered 1/capacity later (Lindley's
// recursion, kept for real: the answer is held until then). Above capacity the queue grows and
// clients time out; a request its client gave up on still costs its service time.

/** Measured time below which no service rate is told (a rate from a few answers says little). */
const MIN_MEASURED_MS = 100;
/**
 * A shorter run is not measured: answers go out when a timer fires, up to a millisecond or two after
 * their service ends, which a short run at a high rate would read as a slower server (a run of two
 * requests at 20,000/s takes 0.1 ms of service and ~1 ms to answer).
 */
const MIN_RUN_MS = 50;

export class LookupQueue<T> {
  private readonly items: { item: T; arrival: number; finish: number }[] = [];
  private head = 0;
  private lastFinish = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Services completed, and the summed wait (start − arrival) of the requests served. */
  served = 0;
  totalWait = 0;
  /**
   * The measured service rate (stampede calibrate): answers per second over the runs of answers in
   * which each request was already waiting when the one before it was answered (demand at or above
   * capacity, so the rate is the server's, not its clients'), each run timed from the start of its
   * first service to its last answer as sent, if it lasted MIN_RUN_MS. A process that stalls (a busy
   * machine) and then catches up, answering a burst at once, is rated at what it achieved over the
   * whole run.
   */
  private measuredAnswers = 0;
  private measuredMs = 0;
  /** The open run: when its first service started, and its answers so far. */
  private runStart = 0;
  private runAnswers = 0;
  private lastAnswerAt = Number.NEGATIVE_INFINITY;

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
    this.items.push({ item, arrival, finish: this.lastFinish });
    if (this.timer === null) this.arm();
  }

  /** The process went down (docs/model.md §4: the queue is lost with it): every waiting item dropped, none answered. */
  clear(): T[] {
    const dropped = this.items.slice(this.head).map((entry) => entry.item);
    this.items.length = 0;
    this.head = 0;
    this.closeRun();
    this.lastAnswerAt = Number.NEGATIVE_INFINITY;
    this.lastFinish = 0;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    return dropped;
  }

  get backlogRate(): number {
    const open = this.runMeasured();
    const ms = this.measuredMs + (open ? this.lastAnswerAt - this.runStart : 0);
    return ms >= MIN_MEASURED_MS ? ((this.measuredAnswers + (open ? this.runAnswers : 0)) * 1000) / ms : 0;
  }

  /** Whether the open run counts: a run of one answer is a request that found the server idle (its clients set the pace). */
  private runMeasured(): boolean {
    return this.runAnswers >= 2 && this.lastAnswerAt - this.runStart >= MIN_RUN_MS;
  }

  private closeRun(): void {
    if (this.runMeasured()) {
      this.measuredAnswers += this.runAnswers;
      this.measuredMs += this.lastAnswerAt - this.runStart;
    }
    this.runAnswers = 0;
  }

  private arm(): void {
    const next = this.items[this.head];
    this.timer = setTimeout(() => this.drain(), Math.max(0, next.finish - this.now()));
  }

  private drain(): void {
    this.timer = null;
    const now = this.now();
    while (this.head < this.items.length && this.items[this.head].finish <= now + 0.05) {
      const { item, arrival, finish } = this.items[this.head];
      if (arrival > this.lastAnswerAt) {
        this.closeRun();
        this.runStart = finish - this.serviceMs;
      }
      this.runAnswers++;
      this.lastAnswerAt = now;
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
